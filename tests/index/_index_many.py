"""A wallet among many anchored batches of other issuers (anvil, real documents, LocalStore).

:func:`build_wallet` deploys both contracts on a node, registers two institutions and gives
``wallet`` a minted credential and a place in its own institution's anchored batch;
:func:`anchor_many` then has the other institution anchor small batches (two learners each) for
other wallets, cheaply: one tiny manifest and one ``anchor`` transaction each. The
``many_batches`` fixture is that world with ``OTHER_BATCHES`` batches; ``bench/_index_matrix.py``
builds the same world (it imports this module) and grows it step by step.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from _anvil import deploy, free_port, sent, start_anvil, stop
from eth_account import Account
from web3 import Web3

from microcred.anchoring import store_manifest
from microcred.chain import Chain
from microcred.cid import digest_of_cid
from microcred.config import web3_for
from microcred.issuance import Recipient, anchor_bulk, create_template, issue_one
from microcred.merkle import Leaf, MerkleTree
from microcred.storage import LocalStore, Store

REGISTRAR_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
STAFF_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
OTHER_STAFF_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"
OTHER_BATCHES = 1_000

_ids = itertools.count(1)


@dataclass(frozen=True)
class ManyBatches:
    url: str
    deployment_path: Path
    store_dir: Path
    chain: Chain
    wallet: str
    minted: int
    anchored: int
    anchored_root: bytes
    other_issuer: int
    template_id: int  # the home institution's (what more credentials for a wallet are issued from)


def anchor_many(
    chain: Chain, store: Store, signer: str, issuer_id: int, count: int, per_batch: int = 2
) -> None:
    """``count`` batches of ``per_batch`` random learners each, anchored by ``signer`` (an
    unlocked node account)."""
    for _ in range(count):
        leaves = [
            Leaf(
                Account.create().address,
                int.from_bytes(Web3.keccak(text=f"other {next(_ids)}"), "big"),
                0,
            )
            for _ in range(per_batch)
        ]
        tree = MerkleTree(leaves)
        cid = store_manifest(
            store, tree=tree, leaves=leaves, chain=chain, issuer_id=issuer_id, template_id=1
        )
        digest = digest_of_cid(cid).to_bytes(32, "big")
        sent(
            chain.credential.functions.anchor(tree.root, len(leaves), digest),
            {"from": signer, "gas": 300_000},
        )


def build_wallet(url: str, base: Path, store: LocalStore) -> ManyBatches:
    """On the node at ``url`` (anvil's default accounts): both contracts, "Home College" (staff
    ``STAFF_KEY``) and "Busy Academy" (``OTHER_STAFF_KEY``), one template, and a fresh wallet
    holding a credential minted by Home College and waiting in its anchored batch of two
    (each with its own document). No batch of the other institution yet: :func:`anchor_many`."""
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 300}))
    deployment = deploy(w3, w3.eth.accounts[0])
    path = base / f"{deployment.chain_id}.json"
    deployment.save(path)
    chain = Chain.connect(web3_for(url), deployment)
    registrar = Account.from_key(REGISTRAR_KEY)
    staff, other = Account.from_key(STAFF_KEY), Account.from_key(OTHER_STAFF_KEY)
    chain.register_issuer(registrar, name="Home College", signers=[staff.address])
    other_id = chain.register_issuer(registrar, name="Busy Academy", signers=[other.address])
    template = create_template(
        chain, store, staff, name="Finding", description="Is found.", criteria="Was looked up."
    )
    wallet = Account.create().address
    minted = issue_one(
        chain,
        store,
        staff,
        template_id=template.template_id,
        recipient=wallet,
        evidence=["https://example.org/minted"],  # not the anchored one's document
    ).token_id
    cohort = anchor_bulk(
        chain,
        store,
        staff,
        template_id=template.template_id,
        recipients=[Recipient(address=wallet), Recipient(address=Account.create().address)],
        journal_dir=base / "journal",
        proofs_dir=base / "proofs",
    )
    return ManyBatches(
        url=url,
        deployment_path=path,
        store_dir=store.directory,
        chain=chain,
        wallet=wallet,
        minted=minted,
        anchored=cohort.token_ids[0],
        anchored_root=cohort.root,
        other_issuer=other_id,
        template_id=template.template_id,
    )


@pytest.fixture(scope="session")
def many_batches(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManyBatches]:
    base = tmp_path_factory.mktemp("many-batches")
    port = free_port()
    process = start_anvil(port, base / "anvil.log")
    try:
        url = f"http://127.0.0.1:{port}"
        store = LocalStore(base / "store")
        world = build_wallet(url, base, store)
        busy = Web3(Web3.HTTPProvider(url)).eth.accounts[2]
        anchor_many(world.chain, store, busy, world.other_issuer, OTHER_BATCHES)
        yield world
    finally:
        stop(process)
