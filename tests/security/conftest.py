"""Security and reliability tests against real parts: anvil on a free port, the compiled contracts
deployed with web3, a deployment file, an embedded store (LocalStore) in a temporary folder.

Nothing here is mocked. Faults are real: a closed port for a node that is down, a real HTTP server
answering errors for a node that misbehaves, anvil's own RPC methods (``evm_snapshot`` /
``evm_revert``, ``anvil_dropTransaction``, automine off) for reorganisations and dropped
transactions. Each test that sends gets its own issuer (``issuer``), so the signer's nonce is a
clean witness of "nothing was sent".
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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
from click.testing import CliRunner, Result
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from microcred.assertion_keys import register_assertion_key
from microcred.chain import Chain
from microcred.cli import cli
from microcred.config import web3_for
from microcred.deployment import Deployment
from microcred.documents import TemplateDocument
from microcred.issuance import create_template, signing_key_of
from microcred.storage import LocalStore


@dataclass(frozen=True)
class Net:
    """The test chain, a checked client of it, and where the CLI finds everything."""

    rpc_url: str
    w3: Web3
    chain: Chain
    deployment: Deployment
    deployment_path: Path
    store_dir: Path
    keys: tuple[LocalAccount, ...]  # anvil's funded default accounts; keys[0] is the registrar

    @property
    def store(self) -> LocalStore:
        return LocalStore(self.store_dir)

    def rpc(self, method: str, *params: Any) -> Any:
        response = self.w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
        if "error" in response:
            raise RuntimeError(f"{method}: {response['error']}")
        return response.get("result")

    def nonce(self, address: str) -> int:
        return int(self.w3.eth.get_transaction_count(address, "pending"))

    def env(self, key: LocalAccount | None = None, **extra: str | None) -> dict[str, str | None]:
        env: dict[str, str | None] = {
            "MICROCRED_RPC_URL": self.rpc_url,
            "MICROCRED_DEPLOYMENT": str(self.deployment_path),
            "MICROCRED_STORE": f"local:{self.store_dir}",
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
    try:
        rpc_url = f"http://127.0.0.1:{port}"
        w3 = web3_for(rpc_url)
        keys = funded_keys()
        deployment = deploy(w3, keys[0].address)
        path = tmp_path_factory.mktemp("deployments") / f"{deployment.chain_id}.json"
        deployment.save(path)
        yield Net(
            rpc_url=rpc_url,
            w3=w3,
            chain=Chain.connect(w3, deployment),
            deployment=deployment,
            deployment_path=path,
            store_dir=tmp_path_factory.mktemp("ipfs"),
            keys=keys,
        )
    finally:
        stop(process)


@pytest.fixture(autouse=True)
def _anvil_restored(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that touches the chain leaves it as it found it (snapshot, revert; see
    ``_anvil.anvil_restored``), so a test that fails halfway cannot change what the next one sees:
    state, nonces, the clock, the mempool, automine. Tests without the chain skip it."""
    if "net" not in request.fixturenames:
        yield
        return
    with anvil_restored(request.getfixturevalue("net").w3):
        yield


@dataclass(frozen=True)
class Issuer:
    id: int
    key: LocalAccount
    template: TemplateDocument

    @property
    def template_hex(self) -> str:
        return f"0x{self.template.template_id:064x}"


_serial = itertools.count(1)


@pytest.fixture
def issuer(net: Net) -> Issuer:
    """A newly accredited issuer with its own funded signer key and one published template."""
    return new_issuer(net)


@pytest.fixture
def other_issuer(net: Net) -> Issuer:
    """A second accredited institution, with its own key and template: the hostile one."""
    return new_issuer(net)


def new_issuer(net: Net) -> Issuer:
    key = Account.create()
    net.rpc("anvil_setBalance", key.address, hex(10**21))
    number = next(_serial)
    issuer_id = net.chain.register_issuer(
        net.keys[0], name=f"Security School {number}", signers=[key.address]
    )
    template = create_template(
        net.chain,
        net.store,
        key,
        name=f"Threat modelling {number}",
        description="Models the threats to a small web service.",
        criteria="Passed the practical assessment.",
        skills=["Threat modelling"],
    )
    # Its signing key registered now, as the first issue would: the fault tests stall and count
    # the issuing transactions only.
    register_assertion_key(net.chain, key, signing_key_of(net.chain, key, issuer_id).public_key)
    return Issuer(id=issuer_id, key=key, template=template)


class Runner:
    """``microcred`` in-process (click's CliRunner), configured through the environment."""

    def __init__(self, net: Net) -> None:
        self.net = net
        self.runner = CliRunner(mix_stderr=False)

    def __call__(
        self, *args: str, key: LocalAccount | None = None, ok: bool = True, **env: str | None
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


@pytest.fixture
def serve() -> Iterator[Callable[[type[BaseHTTPRequestHandler]], str]]:
    """Start a handler class on a real HTTP server on 127.0.0.1; returns its base URL
    (for a node that answers with errors or hangs: a fault, not a stand-in for microcred)."""
    servers: list[ThreadingHTTPServer] = []

    def start(handler: type[BaseHTTPRequestHandler]) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def closed_port_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens (a node that is down)."""
    return f"http://127.0.0.1:{free_port()}"
