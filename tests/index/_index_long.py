"""A chain more than 10,000 blocks past the deployment (issue 9's "Done when"), mined once per
session: real documents in a real LocalStore, so verdicts are the ones a user would see.

What it holds for ``wallet``: a credential minted at the start (valid), one revoked with a
reason half-way, an anchored batch entry waiting to be claimed (with two other learners), and
one minted in the last blocks. ``late`` is issued after the mining: the tail finds it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from _anvil import deploy, free_port, start_anvil, stop
from eth_account import Account
from web3 import Web3

from microcred.chain import Chain
from microcred.config import web3_for
from microcred.issuance import Recipient, anchor_bulk, create_template, issue_one
from microcred.storage import LocalStore

# anvil's well-known keys (mnemonic "test test ... junk"): a local test chain only.
REGISTRAR_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
STAFF_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
#: Blocks mined past the deployment: more than one 10,000-block range.
LONG_HISTORY = 12_000


@dataclass(frozen=True)
class LongChain:
    url: str
    deployment_path: Path
    store_dir: Path
    chain: Chain
    wallet: str
    minted: tuple[int, ...]  # valid, revoked, minted in the last blocks
    revoked: int
    anchored: int  # waiting for the wallet in an anchored batch
    reason: str


def mine(w3: Web3, blocks: int) -> None:
    w3.provider.make_request("anvil_mine", [hex(blocks)])  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def long_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LongChain]:
    base = tmp_path_factory.mktemp("long-chain")
    port = free_port()
    # No state history kept: mining 12,000 blocks takes ~80 s instead of ~4 minutes.
    process = start_anvil(port, base / "anvil.log", "--prune-history")
    try:
        url = f"http://127.0.0.1:{port}"
        w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 300}))
        deployment = deploy(w3, w3.eth.accounts[0])
        path = base / f"{deployment.chain_id}.json"
        deployment.save(path)
        store = LocalStore(base / "store")
        chain = Chain.connect(web3_for(url), deployment)
        registrar, staff = Account.from_key(REGISTRAR_KEY), Account.from_key(STAFF_KEY)
        chain.register_issuer(registrar, name="Long Chain University", signers=[staff.address])
        template = create_template(
            chain,
            store,
            staff,
            name="Patience",
            description="Waited for 12,000 blocks.",
            criteria="Was there.",
        )
        wallet = Account.create().address

        def issue(evidence: str) -> int:
            return issue_one(
                chain,
                store,
                staff,
                template_id=template.template_id,
                recipient=wallet,
                evidence=[evidence],
            ).token_id

        first = issue("https://example.org/first")
        anchored = anchor_bulk(
            chain,
            store,
            staff,
            template_id=template.template_id,
            recipients=[Recipient(address=a) for a in (wallet, *_others(2))],
            journal_dir=base / "journal",
            proofs_dir=base / "proofs",
        )
        mine(w3, LONG_HISTORY // 2)
        revoked = issue("https://example.org/revoked")
        reason = "Awarded to the wrong cohort"
        chain.revoke(staff, revoked, reason)
        mine(w3, LONG_HISTORY - (int(w3.eth.block_number) - deployment.start_block) + 50)
        last = issue("https://example.org/last")
        assert int(w3.eth.block_number) - deployment.start_block > 10_000
        yield LongChain(
            url=url,
            deployment_path=path,
            store_dir=base / "store",
            chain=chain,
            wallet=wallet,
            minted=(first, revoked, last),
            revoked=revoked,
            anchored=anchored.token_ids[0],
            reason=reason,
        )
    finally:
        stop(process)


def _others(count: int) -> list[str]:
    return [Account.create().address for _ in range(count)]
