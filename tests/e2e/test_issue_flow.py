"""An institution's staff member issues, bulk-issues and revokes from the Issue page, signing with
a browser wallet; the Verify page, opened through the share link, follows every change. Every
document is signed in the page by the key derived from the wallet's one signature of the key
message (tests/e2e/test_issue_signing_browser.py looks at that key closely)."""

from __future__ import annotations

from pathlib import Path

from _anvil import sent
from _lookups import minted_to
from e2e_harness import TIMEOUT_MS, FakeWallet, send_all, sign_in, wait_for_wallet
from eth_account import Account
from playwright.sync_api import expect

from microcred.chain import Chain
from microcred.config import web3_for
from microcred.issuance import create_template
from microcred.storage import LocalStore

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "frontend" / "app.py"
# anvil's default account 3: unlocked in anvil, so the fake wallet can sign as it, and its key
# lets the library publish the template this test starts from.
STAFF_KEY = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"


def _prepare_institution(anvil, deployed, store_dir) -> str:
    staff = Account.from_key(STAFF_KEY)
    assert staff.address in anvil.accounts
    sent(
        deployed.registry.functions.registerIssuer("Flow Institute", "", [staff.address]),
        {"from": anvil.accounts[0]},
    )
    chain = Chain.connect(web3_for(anvil.rpc_url), deployed.deployment)
    create_template(
        chain,
        LocalStore(store_dir),
        staff,
        name="Data Visualisation",
        description="Builds clear charts from real data.",
        criteria="Presented a dashboard to a review panel.",
    )
    return staff.address


def test_staff_issue_bulk_issue_and_revoke_with_their_wallet(
    serve_app, open_page, anvil, deployed, store_dir, tmp_path
) -> None:
    staff = _prepare_institution(anvil, deployed, store_dir)
    chain = Chain.connect(web3_for(anvil.rpc_url), deployed.deployment)
    url = serve_app(APP)
    page = open_page(f"{url}/issue", wallets=[FakeWallet(account=staff)])

    wait_for_wallet(page)  # the wallet bridge has reported in: a click now is not lost
    page.get_by_role("button", name="Connect wallet").click()
    sign_in(page)  # once per session: the wallet proves it holds the staff key
    expect(page.get_by_text("Flow Institute").first).to_be_visible(timeout=TIMEOUT_MS)

    # One learner.
    learner = Account.create().address
    page.get_by_label("Recipient wallet").fill(learner)
    page.get_by_role("button", name="Prepare credential").click()
    # The first issue registers the page's signing key, then issues: two transactions.
    assert send_all(page, "Issue", "Issued 1 credential(s).") == 2
    [token_id] = minted_to(chain, learner)
    assert chain.credential_status(token_id).valid
    assert len(page.evaluate("window.__testWallet.sent")) == 2

    # Many learners from a CSV, previewed before anything is sent.
    cohort = [Account.create().address for _ in range(3)]
    csv = tmp_path / "cohort.csv"
    csv.write_text("address,evidence\n" + "".join(f"{a},https://example.org/{a}\n" for a in cohort))
    page.get_by_role("tab", name="Many learners (CSV)").click()
    page.locator("input[type=file]").set_input_files(str(csv))
    page.get_by_role("button", name="Prepare 3 credentials").click()
    assert send_all(page, "Issue", "Issued 3 credential(s).") == 1  # the key is registered
    assert all(len(minted_to(chain, a)) == 1 for a in cohort)
    # One wallet prompt for the key in the whole session, besides the sign-in.
    assert page.evaluate("window.__testWallet.calls").count("personal_sign") == 2

    # The share link opens Verify on the result.
    share = f"{url}/verify?credential=0x{token_id:064x}"
    verify = open_page(share, wallets=[])
    expect(verify.get_by_text("Data Visualisation").first).to_be_visible(timeout=TIMEOUT_MS)
    expect(verify.get_by_text("1 credential: 1 valid")).to_be_visible()

    # Revoke it from the Issue page; Verify then says revoked, with the reason.
    page.get_by_role("tab", name="Revoke").click()
    page.get_by_label("Credential id (0x + 64 hex)").fill(f"0x{token_id:064x}")
    page.get_by_label("Reason (public)").fill("Awarded to the wrong cohort")
    page.get_by_role("button", name="Prepare revocation").click()
    page.get_by_text("Yes, revoke this credential").click()  # the confirmation comes first
    page.get_by_role("button", name="Revoke", exact=True).click()
    expect(page.get_by_text("Revoked: verifiers now see it as revoked")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    assert chain.credential_status(token_id).revoked
    verify = open_page(share, wallets=[])
    expect(verify.get_by_text("1 credential: 1 revoked")).to_be_visible(timeout=TIMEOUT_MS)
    expect(verify.get_by_text("Awarded to the wrong cohort").first).to_be_visible()
