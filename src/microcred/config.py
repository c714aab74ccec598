"""Where microcred connects and who signs: RPC, deployment file, store, signer.

Each setting comes from a flag or from the environment (the CLI's flags win):

==================  ==========================  =======================================
setting             environment                 default
==================  ==========================  =======================================
RPC URL             ``MICROCRED_RPC_URL``       ``http://127.0.0.1:8545``
deployment file     ``MICROCRED_DEPLOYMENT``    ``deployments/<chainId>.json``
store               ``MICROCRED_STORE``         ``local:.microcred/ipfs``
signer              ``MICROCRED_PRIVATE_KEY``   or an ape keystore account (``--account``)
==================  ==========================  =======================================

A key is only ever held in memory: never written, never printed, never logged.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from requests.exceptions import RequestException
from web3 import Web3
from web3.exceptions import Web3RPCError

from .chain import Chain
from .defaults import DEFAULT_RPC_URL, DEFAULT_STORE
from .deployment import Deployment, default_path
from .errors import ConfigError
from .redaction import redact, redact_url, remember_url_secrets

__all__ = [
    "DEFAULT_RPC_URL",
    "DEFAULT_STORE",
    "Settings",
    "keystore_path",
    "load_signer",
    "web3_for",
]

RPC_TIMEOUT = 30


@dataclass(frozen=True)
class Settings:
    """Resolved configuration (flags already merged with the environment)."""

    rpc_url: str = DEFAULT_RPC_URL
    deployment_path: Path | None = None  # None: deployments/<chainId>.json
    store: str = DEFAULT_STORE
    account: str | None = None

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Settings from ``MICROCRED_*`` variables; non-None ``overrides`` take precedence."""
        env = os.environ
        values: dict[str, object] = {
            "rpc_url": env.get("MICROCRED_RPC_URL") or DEFAULT_RPC_URL,
            "deployment_path": Path(env["MICROCRED_DEPLOYMENT"])
            if env.get("MICROCRED_DEPLOYMENT")
            else None,
            "store": env.get("MICROCRED_STORE") or DEFAULT_STORE,
            "account": None,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        if values["deployment_path"] is not None:
            values["deployment_path"] = Path(str(values["deployment_path"]))
        return cls(**values)  # type: ignore[arg-type]

    def web3(self) -> Web3:
        return web3_for(self.rpc_url)

    def chain(self, w3: Web3 | None = None) -> Chain:
        """A checked :class:`~microcred.chain.Chain` (right network, code at both addresses)."""
        w3 = w3 or self.web3()
        path = self.deployment_path
        if path is None:
            try:
                chain_id = int(w3.eth.chain_id)
            except Exception as err:  # noqa: BLE001
                raise ConfigError(
                    f"Cannot reach the RPC node at {redact_url(self.rpc_url)} "
                    f"({type(err).__name__}): start it or fix --rpc / MICROCRED_RPC_URL."
                ) from None
            path = default_path(chain_id)
        deployment = Deployment.load(path)
        try:
            return Chain.connect(w3, deployment)
        except (RequestException, Web3RPCError) as err:
            # The node failed part-way through the checks (a 429, a 5xx): requests quotes the
            # whole URL, and a provider's key is often in it.
            raise ConfigError(
                f"The RPC node at {redact_url(self.rpc_url)} failed while microcred checked the "
                f"deployment ({type(err).__name__}: {redact(str(err))}): try again later or fix "
                "--rpc / MICROCRED_RPC_URL."
            ) from None


def web3_for(rpc_url: str) -> Web3:
    """A Web3 over HTTP (or IPC) for ``rpc_url``.

    The provider caches ``eth_chainId``: web3's validation asks for it around every ``eth_call``,
    which would otherwise double the round trips of a wallet listing.
    """
    provider: Any
    # A URL given by flag or secrets file is as secret as one from the environment.
    remember_url_secrets(rpc_url)
    if rpc_url.startswith(("http://", "https://")):
        provider = Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": RPC_TIMEOUT})
    elif rpc_url.endswith(".ipc"):
        provider = Web3.IPCProvider(rpc_url)
    else:
        raise ConfigError(
            f"RPC URL {redact(rpc_url)!r} is not an http(s):// URL or an .ipc path: "
            "fix --rpc / MICROCRED_RPC_URL."
        )
    provider.cache_allowed_requests = True
    provider.cacheable_requests = {"eth_chainId"}
    return Web3(provider)


def keystore_path(alias: str) -> Path:
    """Where ape keeps the keystore of account ``alias``: ``~/.ape/accounts/<alias>.json``."""
    root = Path(os.environ.get("APE_DATA_FOLDER", Path.home() / ".ape"))
    return root / "accounts" / f"{alias}.json"


def load_signer(
    account: str | None = None,
    *,
    password_prompt: Callable[[str], str] | None = None,
) -> LocalAccount:
    """The signing key: ape keystore ``account`` if named, else ``MICROCRED_PRIVATE_KEY``.

    The keystore password comes from ``MICROCRED_ACCOUNT_PASSWORD`` or ``password_prompt``
    (a hidden terminal prompt by default).
    """
    if account:
        path = keystore_path(account)
        try:
            keystore = json.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(
                f"No ape account {account!r} (looked for {path}): "
                f"import one with `ape accounts import {account}`."
            ) from None
        except json.JSONDecodeError:
            raise ConfigError(f"The keystore {path} is not valid JSON.") from None
        password = os.environ.get("MICROCRED_ACCOUNT_PASSWORD")
        if password is None:
            prompt = password_prompt or getpass.getpass
            password = prompt(f"Password of account {account!r}: ")
        try:
            decrypted = Account.decrypt(keystore, password)
        except ValueError:
            raise ConfigError(f"Wrong password for account {account!r}.") from None
        return Account.from_key(decrypted)
    key = os.environ.get("MICROCRED_PRIVATE_KEY")
    if not key:
        raise ConfigError(
            "This command sends a transaction and needs a signer: pass --account ALIAS "
            "(an ape keystore account) or set MICROCRED_PRIVATE_KEY (local chains and CI only)."
        )
    try:
        return Account.from_key(key.strip())
    except (ValueError, TypeError):
        # Never echo the value: it may be a real key with a typo.
        raise ConfigError("MICROCRED_PRIVATE_KEY is not a 32-byte hex private key.") from None
