"""Seed the demo chain: one institution, three templates, five credentials (one revoked, one
expired), and an anchored batch of 24 credentials waiting to be claimed (four for demo learners).

Run by `make demo` (tools/demo.py) with MICROCRED_RPC_URL, MICROCRED_DEPLOYMENT, MICROCRED_STORE,
MICROCRED_PRIVATE_KEY (the registrar) and MICROCRED_DEMO_SIGNER_KEY (the institution's signer) set.
Does nothing when the registry already has an issuer, so a restarted demo keeps its data.
Everything goes through the microcred library, exactly as the CLI would do it.
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from eth_account import Account

from microcred import issuance
from microcred.config import Settings, load_signer
from microcred.storage import open_store

# tools/demo.py passes its state folder; run by hand, the one under the current folder.
DEMO_DIR = Path(os.environ.get("MICROCRED_DEMO_DIR") or ".microcred")

# anvil's default accounts 5..8: the demo learners (public test addresses, no personal data).
LEARNERS = [
    "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
    "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
    "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
    "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f",
]


def main() -> None:
    settings = Settings.from_env()
    chain = settings.chain()
    store = open_store(settings.store)
    if chain.issuers():
        print("[demo] demo data already there")
        return
    registrar = load_signer()
    staff = Account.from_key(os.environ["MICROCRED_DEMO_SIGNER_KEY"])
    print("[demo] seeding: Demo University, three templates, five credentials, an anchored batch")
    chain.register_issuer(
        registrar, name="Demo University", signers=[staff.address], profile_uri=""
    )
    python = issuance.create_template(
        chain,
        store,
        staff,
        name="Python for Data Analysis",
        description="Cleans, explores and charts a real data set with Python and pandas.",
        criteria="Submitted a reproducible notebook analysing a public data set.",
        skills=["Python (computer programming)", "data analytics"],
        valid_days=730,
    )
    contracts = issuance.create_template(
        chain,
        store,
        staff,
        name="Smart Contract Security Basics",
        description="Finds and fixes the common vulnerabilities of Solidity contracts.",
        criteria="Passed a proctored review of three vulnerable contracts.",
        skills=["blockchain", "secure coding"],
    )
    valid = issuance.issue_one(
        chain, store, staff, template_id=python.template_id, recipient=LEARNERS[0]
    )
    issuance.issue_one(
        chain,
        store,
        staff,
        template_id=contracts.template_id,
        recipient=LEARNERS[0],
        evidence=["https://example.org/portfolio/contract-review"],
    )
    revoked = issuance.issue_one(
        chain, store, staff, template_id=contracts.template_id, recipient=LEARNERS[1]
    )
    chain.revoke(staff, revoked.token_id, "Issued in error: the review was not completed")
    issuance.issue_one(chain, store, staff, template_id=python.template_id, recipient=LEARNERS[2])
    # An expired credential: valid for one minute, then the demo chain's clock moves on.
    soon = datetime.fromtimestamp(chain.latest_timestamp(), UTC) + timedelta(seconds=60)
    issuance.issue_one(
        chain, store, staff, template_id=contracts.template_id, recipient=LEARNERS[3], expires=soon
    )
    chain.w3.provider.make_request("evm_increaseTime", [120])
    chain.w3.provider.make_request("evm_mine", [])
    # A cohort anchored in one transaction: the demo learners and 20 classmates (fixed test
    # addresses). Each shows "anchored, not yet in wallet" until claimed on My credentials.
    charts = issuance.create_template(
        chain,
        store,
        staff,
        name="Data Visualisation",
        description="Designs clear, honest charts for a non-specialist audience.",
        criteria="Presented a dashboard reviewed by two peers.",
        skills=["data visualisation"],
    )
    classmates = [
        Account.from_key(hashlib.sha256(b"microcred demo classmate %d" % n).digest()).address
        for n in range(20)
    ]
    batch = issuance.anchor_bulk(
        chain,
        store,
        staff,
        template_id=charts.template_id,
        recipients=[issuance.Recipient(address=a) for a in [*LEARNERS, *classmates]],
        journal_dir=DEMO_DIR / "journal",
        proofs_dir=DEMO_DIR / "proofs",
    )
    print(f"[demo] anchored {batch.total} credentials in one transaction: root {batch.root_hex}")
    # tools/demo.py prints the links to try at every start (with the port it serves on).
    print(f"[demo] seeded; a valid credential: 0x{valid.token_id:064x}")


if __name__ == "__main__":
    main()
