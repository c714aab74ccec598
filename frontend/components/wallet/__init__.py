"""The wallet bridge: a browser wallet (MetaMask or any EIP-1193 wallet) seen from Python.

The server never holds an institution's key: Python builds a transaction, the user's wallet signs
and sends it, and the bridge hands the hash back. The component is a Streamlit components-v2
module (``wallet.js``, no build step) running in the app page itself, where wallets inject their
provider; several wallets are told apart by EIP-6963 discovery.

Every request carries an id and its reply carries the id back. A component's value survives
reruns, so a page acts on a reply only when it answers the request the page is waiting for, and
forgets that request in the same run::

    def ask(request: WalletRequest) -> None:
        st.session_state["issue_wallet_request"] = request

    pending = st.session_state.get("issue_wallet_request")
    wallet = wallet_bridge(key="wallet", request=pending)
    if not wallet.connected:
        st.button("Connect wallet", key="issue_connect", on_click=ask,
                  args=(WalletRequest.connect(),))
    if (reply := wallet.reply_to(pending)) is not None:
        st.session_state["issue_wallet_request"] = None  # first: this reply is acted on once
        if not reply.ok:
            st.error(reply.message)  # declined, wrong network, no wallet...
        # else reply.result: the account, the chain id (hex), the transaction hash or signature

The browser also remembers every request id it has handled, so it never asks the wallet twice
for the same request, even when Python sends it again on every rerun.

The page also holds the institution's credential signing key (Open Badges proofs, Ed25519):
``derive_signing_key`` has the wallet sign the key message once and derives the key in the page
(WebCrypto: HKDF-SHA256, then Ed25519, exactly as :mod:`microcred.vc.keyderivation`); the reply
is its public key, nothing else. ``sign_hashes`` then signs the hash data Python sends, with no
wallet prompt; after a reload the page no longer holds the key and says so (``KEY_NOT_IN_PAGE``).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import streamlit as st
from eth_utils import is_address, to_checksum_address

__all__ = [
    "ALREADY_PENDING",
    "KEY_NOT_IN_PAGE",
    "LOCAL_CHAIN_ID",
    "LOCAL_RPC_URL",
    "NO_WALLET",
    "REVERTED",
    "UNSUPPORTED",
    "UNAUTHORIZED",
    "USER_REJECTED",
    "WRONG_CHAIN",
    "WalletInfo",
    "WalletReply",
    "WalletRequest",
    "WalletState",
    "wallet_bridge",
]

# EIP-1193 provider error codes the pages tell apart (and EIP-1474's "execution reverted").
REVERTED = 3
USER_REJECTED = 4001
ALREADY_PENDING = -32002  # MetaMask: a request of the same kind is already open in the wallet
UNAUTHORIZED = 4100
UNSUPPORTED = 4200  # the browser cannot do it (no WebCrypto Ed25519, not a secure context)
#: Not an EIP-1193 code: the page holds no signing key with that public key (it was reloaded).
KEY_NOT_IN_PAGE = 4040
NO_WALLET = 4900
WRONG_CHAIN = 4901

LOCAL_CHAIN_ID = 31337
LOCAL_RPC_URL = "http://127.0.0.1:8545"

Method = Literal[
    "connect",
    "switch_chain",
    "send_transaction",
    "personal_sign",
    "derive_signing_key",
    "sign_hashes",
]
#: Bytes in one Ed25519 signature, and in the hash data of one eddsa-rdfc-2022 proof.
SIGNATURE_SIZE = HASH_SIZE = 64

_HERE = Path(__file__).resolve().parent

# Transaction fields that are quantities: JSON-RPC wants them as 0x-prefixed hex.
_QUANTITIES = ("value", "gas", "gasPrice", "maxFeePerGas", "maxPriorityFeePerGas", "nonce")


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class WalletRequest:
    """One thing to ask of the wallet. Build it with a constructor below; keep it (in session
    state) until its reply arrives."""

    id: str
    method: Method
    params: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def connect(cls, *, wallet: str | None = None) -> WalletRequest:
        """Ask to share an account (``eth_requestAccounts``). ``wallet`` picks an EIP-6963 wallet
        by its ``rdns`` (see ``WalletState.wallets``) when several are installed."""
        return cls(id=_new_id(), method="connect", params={"wallet": wallet} if wallet else {})

    @classmethod
    def switch_chain(
        cls,
        chain_id: int,
        *,
        rpc_url: str | None = None,
        chain_name: str | None = None,
    ) -> WalletRequest:
        """Ask the wallet to switch to ``chain_id``; with ``rpc_url``, a wallet that does not know
        the chain is offered to add it first (``wallet_addEthereumChain``)."""
        params: dict[str, Any] = {"chain_id": chain_id}
        if rpc_url:
            params["add"] = {
                "chainName": chain_name or f"Chain {chain_id}",
                "rpcUrls": [rpc_url],
                "nativeCurrency": {"name": "Ether", "symbol": "ETH", "decimals": 18},
            }
        return cls(id=_new_id(), method="switch_chain", params=params)

    @classmethod
    def switch_to_local_chain(cls, rpc_url: str = LOCAL_RPC_URL) -> WalletRequest:
        """Switch to (and if need be add) the local demo chain, anvil's 31337."""
        return cls.switch_chain(LOCAL_CHAIN_ID, rpc_url=rpc_url, chain_name="microcred local")

    @classmethod
    def send_transaction(cls, tx: Mapping[str, Any], *, chain_id: int) -> WalletRequest:
        """Ask the wallet to sign and send ``tx`` (``to``, ``data``, optional ``value``, ``from``,
        ``gas``; integers are fine). The bridge refuses, with ``WRONG_CHAIN``, when the wallet is
        not on ``chain_id`` at the moment of sending."""
        wire: dict[str, Any] = {}
        for name, value in tx.items():
            if name in _QUANTITIES and isinstance(value, int):
                wire[name] = hex(value)
            elif isinstance(value, bytes):
                wire[name] = "0x" + value.hex()
            else:
                wire[name] = value
        return cls(
            id=_new_id(), method="send_transaction", params={"tx": wire, "chain_id": chain_id}
        )

    @classmethod
    def personal_sign(cls, message: str, *, account: str) -> WalletRequest:
        """Ask the wallet to sign ``message`` (text, e.g. a Sign-In with Ethereum message) as
        ``account`` with ``personal_sign`` (EIP-191). The text travels hex-encoded, as MetaMask
        expects; the wallet shows it decoded. The bridge refuses, with ``UNAUTHORIZED``, when the
        wallet's account is not ``account``. The reply's result is the 65-byte signature in hex."""
        return cls(
            id=_new_id(),
            method="personal_sign",
            params={"message": "0x" + message.encode("utf-8").hex(), "account": account},
        )

    @classmethod
    def derive_signing_key(cls, message: str, *, account: str) -> WalletRequest:
        """Ask the wallet to sign the key ``message`` as ``account`` (``personal_sign``, one
        prompt) and derive the credential signing key from that signature in the page (see
        :mod:`microcred.vc.keyderivation`). The key stays in the page's memory, not extractable;
        the reply's result is its Ed25519 public key in hex (32 bytes). The signature and the
        seed never leave the page."""
        return cls(
            id=_new_id(),
            method="derive_signing_key",
            params={"message": "0x" + message.encode("utf-8").hex(), "account": account},
        )

    @classmethod
    def sign_hashes(cls, public_key: str, hashes: Sequence[bytes | str]) -> WalletRequest:
        """Ask the page to sign each of ``hashes`` (64 bytes each, bytes or hex) with the key
        whose public key is ``public_key`` (hex), derived earlier in this page: no wallet prompt.
        The reply's result is the signatures, 64 bytes each in the same order, as one hex string
        (:meth:`WalletReply.signatures`); ``KEY_NOT_IN_PAGE`` if the page no longer holds it."""
        raw = [h if isinstance(h, bytes) else bytes.fromhex(h.removeprefix("0x")) for h in hashes]
        if any(len(h) != HASH_SIZE for h in raw):
            raise ValueError(f"every hash to sign is {HASH_SIZE} bytes")
        return cls(
            id=_new_id(),
            method="sign_hashes",
            params={
                "public_key": public_key.lower().removeprefix("0x"),
                "hashes": b"".join(raw).hex(),
                "size": HASH_SIZE,
            },
        )

    def to_wire(self) -> dict[str, Any]:
        return {"id": self.id, "method": self.method, "params": dict(self.params)}


@dataclass(frozen=True)
class WalletReply:
    """The wallet's answer to one request. ``result`` is the account (connect), the chain id in
    hex (switch_chain), the transaction hash (send_transaction), the signature (personal_sign),
    the signing key's public key in hex (derive_signing_key) or the signatures in hex
    (sign_hashes)."""

    id: str
    ok: bool
    result: str | None = None
    error_code: int | None = None
    error_message: str | None = None

    @property
    def rejected(self) -> bool:
        """The user said no in the wallet."""
        return self.error_code == USER_REJECTED

    @property
    def wrong_network(self) -> bool:
        return self.error_code == WRONG_CHAIN

    @property
    def key_not_in_page(self) -> bool:
        """The page no longer holds the signing key asked for (reloaded): derive it again."""
        return self.error_code == KEY_NOT_IN_PAGE

    def signatures(self, count: int) -> list[bytes]:
        """The ``count`` signatures of a ``sign_hashes`` reply, in order; ValueError when the
        result is not exactly that many 64-byte signatures in hex."""
        text = (self.result or "").removeprefix("0x")
        raw = bytes.fromhex(text)  # ValueError for anything but hex
        if not self.ok or len(raw) != count * SIGNATURE_SIZE:
            raise ValueError(
                f"the page returned {len(raw)} bytes of signatures, not {count} of "
                f"{SIGNATURE_SIZE} bytes"
            )
        return [raw[i : i + SIGNATURE_SIZE] for i in range(0, len(raw), SIGNATURE_SIZE)]

    @property
    def message(self) -> str:
        """What to tell the user about a failed request, in plain words."""
        if self.ok:
            return "Done."
        if self.error_code == USER_REJECTED:
            return "You declined the request in your wallet. Nothing was sent."
        if self.error_code == ALREADY_PENDING:
            return "Your wallet already has this request open: finish it in the wallet first."
        if self.error_code == WRONG_CHAIN:
            return f"Your wallet is on the wrong network: {self.error_message} Nothing was sent."
        if self.error_code == NO_WALLET:
            return self.error_message or "No wallet found in this browser."
        if self.error_code == REVERTED or "revert" in (self.error_message or "").lower():
            return (
                "The transaction would fail on chain, so it was not sent "
                f"({self.error_message or 'reverted'})."
            )
        if self.error_code == UNAUTHORIZED:
            return f"The wallet refused: {self.error_message}"
        if self.error_code in (UNSUPPORTED, KEY_NOT_IN_PAGE) and self.error_message:
            return self.error_message
        detail = self.error_message or "no reason given"
        return f"The wallet reported an error ({self.error_code}): {detail}"

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> WalletReply:
        code = data.get("error_code")
        result = data.get("result")
        return cls(
            id=str(data["id"]),
            ok=bool(data.get("ok")),
            result=None if result is None else str(result),
            error_code=int(code) if isinstance(code, int | float) else None,
            error_message=data.get("error_message"),
        )


@dataclass(frozen=True)
class WalletInfo:
    """A wallet the browser announced (EIP-6963)."""

    name: str
    rdns: str | None


@dataclass(frozen=True)
class WalletState:
    """What the browser's wallet looks like in this run."""

    account: str | None = None
    chain_id: int | None = None
    available: bool = False  # some wallet is installed
    wallet: str | None = None  # the name of the wallet in use
    wallets: tuple[WalletInfo, ...] = ()
    reply: WalletReply | None = None  # the latest reply, whichever request it answers

    @property
    def connected(self) -> bool:
        return self.account is not None

    def reply_to(self, request: WalletRequest | None) -> WalletReply | None:
        """The reply to ``request``, or None while the wallet has not answered it yet."""
        if request is None or self.reply is None or self.reply.id != request.id:
            return None
        return self.reply

    @classmethod
    def from_snapshot(cls, snap: Mapping[str, Any] | None) -> WalletState:
        if not snap:
            return cls()
        account = snap.get("account")
        chain_id = snap.get("chain_id")
        reply = snap.get("reply")
        return cls(
            account=to_checksum_address(account) if account and is_address(account) else None,
            chain_id=int(chain_id) if isinstance(chain_id, int | float) else None,
            available=bool(snap.get("available")),
            wallet=snap.get("wallet"),
            wallets=tuple(
                WalletInfo(name=str(w.get("name", "Wallet")), rdns=w.get("rdns"))
                for w in snap.get("wallets") or ()
            ),
            reply=WalletReply.from_wire(reply) if isinstance(reply, Mapping) else None,
        )

    def to_snapshot(self) -> dict[str, Any]:
        """The component's own value for this state: seed it into ``st.session_state[key]`` as
        ``{"snapshot": state.to_snapshot()}`` to drive a page under AppTest, which runs no
        JavaScript."""
        reply = self.reply
        return {
            "available": self.available,
            "wallet": self.wallet,
            "wallets": [{"name": w.name, "rdns": w.rdns} for w in self.wallets],
            "account": self.account,
            "chain_id": self.chain_id,
            "reply": None
            if reply is None
            else {
                "id": reply.id,
                "ok": reply.ok,
                "result": reply.result,
                "error_code": reply.error_code,
                "error_message": reply.error_message,
            },
        }


def wallet_bridge(*, key: str = "wallet", request: WalletRequest | None = None) -> WalletState:
    """Mount the wallet bridge (invisible) and return the wallet's state.

    ``request``, when given, is carried out once by the browser, however many reruns send it;
    its reply appears in ``WalletState.reply`` (use ``reply_to(request)``). Mount it once per page,
    with the same ``key`` on every page, so every page sees the same wallet.
    """
    known = st.session_state.get(key)
    snapshot = known.get("snapshot") if isinstance(known, Mapping) else None
    data: dict[str, Any] = {
        "key": key,
        "request": request.to_wire() if request else None,
        "known": snapshot,
    }
    result = _component()(key=key, data=data, default={"snapshot": None}, on_snapshot_change=_noop)
    return WalletState.from_snapshot(result.get("snapshot"))


@functools.cache
def _component() -> Any:
    # Registered on first use, inside a script run: importing this module (say, from a test) then
    # needs no Streamlit runtime.
    return st.components.v2.component(
        "microcred.wallet_bridge", js=(_HERE / "wallet.js").read_text(encoding="utf-8")
    )


def _noop() -> None:
    """Streamlit keeps a component's state value only when it has a change callback."""
