"""The CLI against a real chain: anvil on a free port, the contracts deployed with web3 from the
compiled artifacts, a deployment file and an embedded store in temporary folders.

``run(*args, key=...)`` drives ``microcred`` in-process with click's CliRunner, configured through
the environment exactly as a user would (MICROCRED_RPC_URL, MICROCRED_DEPLOYMENT, MICROCRED_STORE,
MICROCRED_PRIVATE_KEY). Tests that change an issuer's state get their own issuer (``fresh_issuer``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from _anvil import (
    ANVIL,
    BUILD,
    anvil_restored,
    deploy,
    free_port,
    funded_keys,
    start_anvil,
    stop,
)
from _cli_support import last_line
from click.testing import CliRunner, Result
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from microcred.cli import cli
from microcred.deployment import Deployment


@dataclass(frozen=True)
class Net:
    """The test chain and where the CLI finds everything."""

    rpc_url: str
    w3: Web3
    deployment: Deployment
    deployment_path: Path
    store_dir: Path
    keys: tuple[LocalAccount, ...]  # anvil's funded default accounts; keys[0] is the admin

    def rpc(self, method: str, *params: Any) -> Any:
        return self.w3.provider.make_request(method, list(params))

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def env(self, key: LocalAccount | None = None, **extra: str) -> dict[str, str | None]:
        env: dict[str, str | None] = {
            "MICROCRED_RPC_URL": self.rpc_url,
            "MICROCRED_DEPLOYMENT": str(self.deployment_path),
            "MICROCRED_STORE": f"local:{self.store_dir}",
            # The credential index beside the test's store, never in the checkout's .microcred/.
            "MICROCRED_INDEX_URL": f"sqlite:///{self.store_dir.parent / 'index.sqlite'}",
            "MICROCRED_PRIVATE_KEY": key.key.hex() if key else None,
            "MICROCRED_ACCOUNT": None,
        }
        env.update(extra)
        return env


@pytest.fixture(scope="session")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    if not ANVIL.exists():
        pytest.skip(f"anvil is missing at {ANVIL}: run `npm ci` first")
    if not BUILD.exists():
        pytest.skip(f"no compiled contracts at {BUILD}: run `make compile` first")
    port = free_port()
    process = start_anvil(port, tmp_path_factory.mktemp("logs") / "anvil.log")
    rpc_url = f"http://127.0.0.1:{port}"
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 10}))
    try:
        keys = funded_keys()
        deployment = deploy(w3, keys[0].address)
        path = tmp_path_factory.mktemp("deployments") / f"{deployment.chain_id}.json"
        deployment.save(path)
        yield Net(
            rpc_url=rpc_url,
            w3=w3,
            deployment=deployment,
            deployment_path=path,
            store_dir=tmp_path_factory.mktemp("ipfs"),
            keys=keys,
        )
    finally:
        stop(process)


@pytest.fixture(autouse=True)
def _anvil_restored(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that touches the chain leaves it as it found it (snapshot, revert), so a test
    that fails halfway cannot change what the next one sees. Tests without the chain skip it."""
    if "net" not in request.fixturenames:
        yield
        return
    with anvil_restored(request.getfixturevalue("net").w3):
        yield


class Runner:
    """Runs ``microcred`` in-process against the test chain."""

    def __init__(self, net: Net) -> None:
        self.net = net
        self.runner = CliRunner(mix_stderr=False)

    def __call__(
        self, *args: str, key: LocalAccount | None = None, ok: bool = True, **env: str
    ) -> Result:
        result = self.runner.invoke(cli, list(args), env=self.net.env(key, **env))
        if ok and result.exit_code != 0:
            raise AssertionError(
                f"microcred {' '.join(args)} exited {result.exit_code}\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}\n{result.exception!r}"
            )
        return result


@pytest.fixture(scope="session")
def run(net: Net) -> Runner:
    return Runner(net)


@dataclass(frozen=True)
class IssuerSetup:
    id: int
    key: LocalAccount
    template: str  # 0x + 64 hex


_serial = itertools.count(1)


@pytest.fixture
def fresh_issuer(net: Net, run: Runner) -> IssuerSetup:
    """A newly registered issuer with its own funded signer key and one published template."""
    key = Account.create()
    net.rpc("anvil_setBalance", key.address, hex(10**20))
    number = next(_serial)
    issuer_id = int(
        last_line(
            run("issuer", "register", key.address, "--name", f"School {number}", key=net.keys[0])
        )
    )
    template = last_line(
        run(
            "template", "create", "--name", f"Course {number}", "--description", "A course.",
            "--criteria", "Passed the exam.", "--skill", "Python", key=key,
        )
    )  # fmt: skip
    # Its signing key registered now, as the first issue would (that first transaction is
    # tested on its own): tests that count or stall transactions see only theirs.
    run("key", "register", key=key)
    return IssuerSetup(id=issuer_id, key=key, template=template)
