"""AppTest fixtures: a real anvil (free port), the compiled contracts deployed with web3, a
LocalStore in a temporary folder, seeded through the library with one credential of every verdict.

Nothing is mocked: the pages read the same chain and store the CLI would. The app is configured
through the environment (``MICROCRED_*``) and Streamlit's resource caches are cleared around each
test, so differently-configured tests never share a client.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import streamlit as st
from _anvil import ANVIL, BUILD, ROOT, deploy, free_port, start_anvil, stop
from eth_account import Account
from web3 import Web3

from microcred.anchoring import AnchoredCredential, load_proof
from microcred.chain import Chain
from microcred.config import web3_for
from microcred.documents import TemplateDocument
from microcred.issuance import Recipient, anchor_bulk, create_template, issue_one
from microcred.storage import LocalStore

APP = ROOT / "frontend" / "app.py"
# anvil's well-known default keys (mnemonic "test test ... junk"): a local test chain only.
REGISTRAR_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ISSUER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
SUSPENDED_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"


@dataclass(frozen=True)
class World:
    """The seeded chain and store, and what each credential is."""

    rpc_url: str
    deployment_path: Path
    store_dir: Path
    chain: Chain
    store: LocalStore
    issuer_id: int
    template: TemplateDocument
    holder: str  # one wallet holding a credential of every verdict
    tokens: dict[str, int]  # verdict -> token id
    empty_wallet: str


def token_hex(token_id: int) -> str:
    return f"0x{token_id:064x}"


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if not ANVIL.exists() or not BUILD.exists():
        pytest.skip("needs anvil (`npm ci`) and compiled contracts (`make compile`)")
    port = free_port()
    process = start_anvil(port, tmp_path_factory.mktemp("frontend-logs") / "anvil.log")
    rpc_url = f"http://127.0.0.1:{port}"
    try:
        yield _seed(Web3(Web3.HTTPProvider(rpc_url)), rpc_url, tmp_path_factory)
    finally:
        stop(process)


def _seed(w3: Web3, rpc_url: str, tmp: pytest.TempPathFactory) -> World:
    deployment = deploy(w3, w3.eth.accounts[0])
    path = tmp.mktemp("deployments") / f"{deployment.chain_id}.json"
    deployment.save(path)
    store_dir = tmp.mktemp("store")
    store = LocalStore(store_dir)
    chain = Chain.connect(web3_for(rpc_url), deployment)
    registrar = Account.from_key(REGISTRAR_KEY)
    staff = Account.from_key(ISSUER_KEY)
    other_staff = Account.from_key(SUSPENDED_KEY)

    issuer_id = chain.register_issuer(registrar, name="Example University", signers=[staff.address])
    template = create_template(
        chain,
        store,
        staff,
        name="Solidity basics",
        description="Writes and tests a simple contract.",
        criteria="Passed the final assessment.",
        skills=["Solidity", "Testing"],
    )
    suspended_id = chain.register_issuer(
        registrar, name="Closed College", signers=[other_staff.address]
    )
    other_template = create_template(
        chain,
        store,
        other_staff,
        name="Data literacy",
        description="Reads a chart.",
        criteria="Passed.",
    )
    holder = Account.create().address
    now = datetime.fromtimestamp(chain.latest_timestamp(), UTC)

    def issue(signer, template_id: int, **kwargs) -> int:  # type: ignore[no-untyped-def]
        return issue_one(
            chain, store, signer, template_id=template_id, recipient=holder, **kwargs
        ).token_id

    tokens = {
        "valid": issue(staff, template.template_id, evidence=["https://example.org/e/1"]),
        "revoked": issue(staff, template.template_id, evidence=["https://example.org/e/2"]),
        "expired": issue(staff, template.template_id, expires=now + timedelta(days=1)),
        "tampered": issue(staff, template.template_id, evidence=["https://example.org/e/4"]),
        "issuer_suspended": issue(other_staff, other_template.template_id),
    }
    chain.revoke(staff, tokens["revoked"], "Awarded in error")
    chain.suspend_issuer(registrar, suspended_id, "Accreditation lapsed")
    # A document changed after issuing: its bytes no longer hash to the token id.
    (store_dir / chain_cid(tokens["tampered"])).write_bytes(b'{"achievement": "forged"}')
    # Two days later: the one-day credential has expired by the chain's clock.
    w3.provider.make_request("evm_increaseTime", [2 * 86400])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    return World(
        rpc_url=rpc_url,
        deployment_path=path,
        store_dir=store_dir,
        chain=chain,
        store=store,
        issuer_id=issuer_id,
        template=template,
        holder=holder,
        tokens=tokens,
        empty_wallet=Account.create().address,
    )


@dataclass(frozen=True)
class Batch:
    """An anchored batch of Example University, nobody's claimed yet: one credential per test
    that needs one (``batch.items[i]`` is the proof of ``batch.recipients[i]``)."""

    root: bytes
    manifest: str
    recipients: tuple[str, ...]
    items: tuple[AnchoredCredential, ...]


@pytest.fixture(scope="session")
def anchored_batch(world: World, tmp_path_factory: pytest.TempPathFactory) -> Batch:
    staff = Account.from_key(ISSUER_KEY)
    recipients = tuple(Account.create().address for _ in range(3))
    folder = tmp_path_factory.mktemp("anchored")
    result = anchor_bulk(
        world.chain,
        world.store,
        staff,
        template_id=world.template.template_id,
        recipients=[Recipient(address=a) for a in recipients],
        journal_dir=folder / "journal",
        proofs_dir=folder / "proofs",
    )
    by_token = {item.token_id: item for item in map(load_proof, result.proofs_dir.glob("*.json"))}
    items = tuple(by_token[t] for t in result.token_ids)
    assert tuple(i.recipient for i in items) == recipients
    return Batch(root=result.root, manifest=result.manifest, recipients=recipients, items=items)


def chain_cid(token_id: int) -> str:
    from microcred.cid import cid_of_token_id

    return cid_of_token_id(token_id)


@pytest.fixture
def app_env(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The app configured for the seeded world (no demo signer unless a test sets one).

    The chain is shared by the session: each test runs inside an anvil snapshot that is reverted
    afterwards, passed or failed or aborted half-way, so no test sees another's transactions.
    Session fixtures (the world, the anchored batch) are set up before it, so they stay."""
    w3 = world.chain.w3
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    monkeypatch.setenv("MICROCRED_RPC_URL", world.rpc_url)
    monkeypatch.setenv("MICROCRED_DEPLOYMENT", str(world.deployment_path))
    monkeypatch.setenv("MICROCRED_STORE", f"local:{world.store_dir}")
    # The credential index beside the test's store, never in the checkout's .microcred/.
    monkeypatch.setenv(
        "MICROCRED_INDEX_URL", f"sqlite:///{world.store_dir.parent / 'index.sqlite'}"
    )
    monkeypatch.setenv("MICROCRED_PUBLIC_URL", "https://verify.example.org")
    monkeypatch.delenv("MICROCRED_DEMO_SIGNER_KEY", raising=False)
    st.cache_resource.clear()
    try:
        yield world
    finally:
        st.cache_resource.clear()
        reverted = w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
        assert reverted.get("result") is True, f"anvil did not revert the test's state: {reverted}"
