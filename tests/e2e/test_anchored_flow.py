"""Staff anchor a cohort from a CSV in one wallet transaction; a learner then finds the credential
on My credentials, anchored but not yet in the wallet, and claims it into the wallet."""

from __future__ import annotations

import json
import re
from pathlib import Path

from _anvil import sent
from _lookups import minted_to
from e2e_harness import TIMEOUT_MS, FakeWallet, send_all, sign_in, wait_for_wallet
from eth_account import Account
from playwright.sync_api import expect

from microcred.chain import Chain
from microcred.cid import cid_of_token_id
from microcred.config import web3_for
from microcred.issuance import create_template
from microcred.storage import LocalStore

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "frontend" / "app.py"
# anvil's default account 4: unlocked in anvil, so the fake wallet signs as it; its key lets the
# library publish the template this test starts from.
STAFF_KEY = "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a"


def _prepare_institution(anvil, deployed, store_dir) -> str:
    staff = Account.from_key(STAFF_KEY)
    assert staff.address == anvil.accounts[4]
    sent(
        deployed.registry.functions.registerIssuer("Anchor Academy", "", [staff.address]),
        {"from": anvil.accounts[0]},
    )
    create_template(
        Chain.connect(web3_for(anvil.rpc_url), deployed.deployment),
        LocalStore(store_dir),
        staff,
        name="Merkle Trees",
        description="Builds and checks Merkle proofs.",
        criteria="Proved a leaf by hand.",
    )
    return staff.address


def test_staff_anchor_a_csv_and_the_learner_claims_it(
    serve_app, open_page, anvil, deployed, store_dir, tmp_path, reference_verify
) -> None:
    staff = _prepare_institution(anvil, deployed, store_dir)
    chain = Chain.connect(web3_for(anvil.rpc_url), deployed.deployment)
    url = serve_app(APP)
    learner = anvil.accounts[6]  # unlocked: the fake wallet can send the claim from it
    cohort = [learner, Account.create().address, Account.create().address]

    page = open_page(f"{url}/issue", wallets=[FakeWallet(account=staff)])
    wait_for_wallet(page)  # the wallet bridge has reported in: a click now is not lost
    page.get_by_role("button", name="Connect wallet").click()
    sign_in(page)  # once per session: the wallet proves it holds the staff key
    expect(page.get_by_text("Anchor Academy").first).to_be_visible(timeout=TIMEOUT_MS)
    csv = tmp_path / "cohort.csv"
    csv.write_text("address\n" + "".join(f"{a}\n" for a in cohort))
    page.get_by_role("tab", name="Many learners (CSV)").click()
    page.locator("input[type=file]").set_input_files(str(csv))
    page.get_by_text("Anchor as one batch").click()
    page.get_by_role("button", name="Prepare 3 credentials").click()
    # One transaction anchors the batch, after the page's signing key is registered (once).
    assert send_all(page, "Anchor", "Anchored 3 credential(s) in one transaction.") == 2
    assert len(page.evaluate("window.__testWallet.sent")) == 2
    assert all(minted_to(chain, a) == [] for a in cohort)  # anchored, not minted

    wallet = open_page(f"{url}/wallet", wallets=[FakeWallet(account=learner, connected=True)])
    expect(wallet.get_by_text("Merkle Trees")).to_be_visible(timeout=TIMEOUT_MS)
    expect(wallet.get_by_text("Anchored, not yet in wallet")).to_be_visible()
    wallet.get_by_role("button", name="Claim to wallet").click()
    wallet.get_by_role("button", name="Claim", exact=True).click()
    expect(wallet.get_by_text(f"is in the wallet {learner} now.")).to_be_visible(timeout=TIMEOUT_MS)
    expect(wallet.get_by_text(re.compile(r"\bValid\b"))).to_be_visible()  # the verdict badge
    expect(wallet.get_by_text("Anchored, not yet in wallet")).to_have_count(0)
    [token_id] = minted_to(chain, learner)
    status = chain.credential_status(token_id)
    assert status.holder == learner and status.valid
    # The claimed document, signed in the staff's page, passes Digital Bazaar's verifier.
    document = json.loads((store_dir / cid_of_token_id(token_id)).read_bytes())
    [result] = reference_verify([document])
    assert result["verified"] is True, result["errors"]
