"""Issue 11 in a real browser: an Issue page institutions can trust. A leftover button cannot
issue; a duplicate is flagged and skipped by default; results download as CSV naming each learner;
a bad CSV shows every bad row; an already-revoked id is refused before any prompt; an unknown id
gets no card; the Templates table refreshes after publishing; no request leaves localhost.
Real anvil, real LocalStore, headless Chromium, the scripted wallet (fake_wallet.js)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import urlsplit

from _anvil import sent
from _lookups import minted_to
from e2e_harness import TIMEOUT_MS, FakeWallet, send_all, sign_in, wait_for_rerun, wait_for_wallet
from eth_account import Account
from playwright.sync_api import expect

from microcred.chain import Chain
from microcred.config import web3_for
from microcred.issuance import create_template, issue_one
from microcred.storage import LocalStore

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "frontend" / "app.py"
# anvil's default account 8: unlocked in anvil (the fake wallet signs as it through anvil), and
# its key lets the library arrange credentials this module starts from.
STAFF_KEY = "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97"
INSTITUTION = "Trust Institute"
TEMPLATE = "Careful Issuing"


def _institution(anvil, deployed, store_dir) -> tuple[Chain, LocalStore, str, int]:
    """Trust Institute (registered once per session) and its template: (chain, store, staff,
    template id)."""
    staff = Account.from_key(STAFF_KEY)
    assert staff.address == anvil.accounts[8]
    chain = Chain.connect(web3_for(anvil.rpc_url), deployed.deployment)
    store = LocalStore(store_dir)
    if chain.issuer_of(staff.address)[0] == 0:
        sent(
            deployed.registry.functions.registerIssuer(INSTITUTION, "", [staff.address]),
            {"from": anvil.accounts[0]},
        )
        create_template(
            chain,
            store,
            staff,
            name=TEMPLATE,
            description="Issues what was asked, once.",
            criteria="Checked twice.",
        )
    template = chain.templates_of(chain.issuer_of(staff.address)[0])[0]
    return chain, store, staff.address, template.id


def _signed_in_page(open_page, url: str, staff: str, path: str = "issue"):
    page = open_page(f"{url}/{path}", wallets=[FakeWallet(account=staff)])
    wait_for_wallet(page)
    page.get_by_role("button", name="Connect wallet").click()
    sign_in(page)
    expect(page.get_by_text(INSTITUTION).first).to_be_visible(timeout=TIMEOUT_MS)
    return page


def _csv_tab(page, path: Path) -> None:
    page.get_by_role("tab", name="Many learners (CSV)").click()
    page.locator("input[type=file]").set_input_files(str(path))
    wait_for_rerun(page)


def test_a_leftover_issue_button_cannot_issue_after_a_failed_prepare(
    serve_app, open_page, anvil, deployed, store_dir
) -> None:
    chain, _, staff, _ = _institution(anvil, deployed, store_dir)
    page = _signed_in_page(open_page, serve_app(APP), staff)
    learner = Account.create().address
    page.get_by_label("Recipient wallet").fill(learner)
    page.get_by_role("button", name="Prepare credential").click()
    issue = page.get_by_role("button", name="Issue", exact=True)
    expect(issue).to_be_visible(timeout=TIMEOUT_MS)

    page.get_by_label("Recipient wallet").fill("0x1234")
    page.get_by_role("button", name="Prepare credential").click()
    expect(page.get_by_text("0x1234").first).to_be_visible(timeout=TIMEOUT_MS)
    wait_for_rerun(page)
    expect(issue).to_have_count(0)
    assert page.evaluate("window.__testWallet.sent") == []
    assert minted_to(chain, learner) == []


def test_a_duplicate_is_flagged_skipped_by_default_and_the_results_download_as_csv(
    serve_app, open_page, anvil, deployed, store_dir, tmp_path
) -> None:
    chain, store, staff, template_id = _institution(anvil, deployed, store_dir)
    holder, newcomer = Account.create().address, Account.create().address
    issue_one(chain, store, Account.from_key(STAFF_KEY), template_id=template_id, recipient=holder)
    cohort = tmp_path / "cohort.csv"
    cohort.write_text(f"address,name\n{holder},Holder\n{newcomer},Newcomer\n{newcomer},Again\n")
    page = _signed_in_page(open_page, serve_app(APP), staff)
    _csv_tab(page, cohort)
    expect(page.get_by_text("Duplicates (2 row(s) flagged)")).to_be_visible(timeout=TIMEOUT_MS)
    page.get_by_role("button", name="Prepare 1 credentials").click()
    send_all(page, "Issue", "Issued 1 credential(s). 2 duplicate(s) skipped.")
    assert len(minted_to(chain, holder)) == 1 and len(minted_to(chain, newcomer)) == 1

    with page.expect_download() as caught:
        page.get_by_role("button", name="Download the results (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(Path(caught.value.path()).read_text())))
    assert [(r["learner"], r["name"]) for r in rows] == [
        (holder, "Holder"),
        (newcomer, "Newcomer"),
        (newcomer, "Again"),
    ]
    assert [r["status"].split(":")[0] for r in rows] == ["skipped", "issued", "skipped"]
    [token] = minted_to(chain, newcomer)
    assert rows[1]["credential"] == f"0x{token:064x}"
    assert rows[1]["share_link"].endswith(f"/verify?credential=0x{token:064x}")


def test_a_bad_csv_shows_every_bad_row_and_offers_nothing_to_send(
    serve_app, open_page, anvil, deployed, store_dir, tmp_path
) -> None:
    _, _, staff, _ = _institution(anvil, deployed, store_dir)
    bad = tmp_path / "bad.csv"
    good = Account.create().address
    bad.write_text(f"address,expires\n{good},\n0x1234,\n{good},2001-01-01\nnobody,31/12/2030\n")
    page = _signed_in_page(open_page, serve_app(APP), staff)
    _csv_tab(page, bad)
    expect(page.get_by_text("3 bad row(s) of 4: line 3, line 4, line 5")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    expect(page.get_by_role("button", name="Prepare 1 credentials")).to_have_count(0)
    page.get_by_text("Leave out the 3 bad row(s)").click()
    expect(page.get_by_role("button", name="Prepare 1 credentials")).to_be_visible(
        timeout=TIMEOUT_MS
    )


def test_an_already_revoked_id_is_refused_before_any_wallet_prompt(
    serve_app, open_page, anvil, deployed, store_dir
) -> None:
    chain, store, staff, template_id = _institution(anvil, deployed, store_dir)
    key = Account.from_key(STAFF_KEY)
    issued = issue_one(
        chain, store, key, template_id=template_id, recipient=Account.create().address
    )
    chain.revoke(key, issued.token_id, "Issued in error")
    page = _signed_in_page(open_page, serve_app(APP), staff)
    page.get_by_role("tab", name="Revoke").click()
    page.get_by_label("Credential id (0x + 64 hex)").fill(f"0x{issued.token_id:064x}")
    page.get_by_label("Reason (public)").fill("Again")
    page.get_by_role("button", name="Prepare revocation").click()
    expect(page.get_by_text("is already revoked: nothing to do")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_role("button", name="Revoke", exact=True)).to_have_count(0)
    assert "eth_sendTransaction" not in page.evaluate("window.__testWallet.calls")


def test_an_unknown_id_gets_a_sentence_and_no_card(serve_app, open_page) -> None:
    page = open_page(f"{serve_app(APP)}/verify?credential=0x{'ef' * 32}", wallets=[])
    expect(page.get_by_text("No credential with this id")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_text("Unknown achievement")).to_have_count(0)
    expect(page.get_by_text("Share link:")).to_have_count(0)
    # Streamlit's generic cap is not shown; the label states the real limit.
    expect(page.get_by_text("5MB per file")).to_be_hidden()
    expect(page.get_by_text("(JSON) (at most 64 KiB)")).to_be_visible()


def test_the_templates_table_lists_a_template_once_published(
    serve_app, open_page, anvil, deployed, store_dir
) -> None:
    chain, _, staff, _ = _institution(anvil, deployed, store_dir)
    page = _signed_in_page(open_page, serve_app(APP), staff, path="templates")
    page.get_by_label("Institution").click()
    page.get_by_role("option", name=INSTITUTION).click()
    wait_for_rerun(page)
    page.get_by_label("Skill name").fill("Fresh Skill")
    page.get_by_label("Description").fill("Appears at once.")
    page.get_by_label("Criteria: what a learner must show").fill("Published.")
    page.get_by_role("button", name="Prepare template").click()
    page.get_by_role("button", name="Publish template").click()
    expect(page.get_by_text("Published: every staff member")).to_be_visible(timeout=TIMEOUT_MS)
    # The table itself is a canvas grid; the caption above it is drawn by the same run.
    count = len(chain.templates_of(chain.issuer_of(staff)[0]))
    expect(page.get_by_text(f"{count} template(s), {count} published")).to_be_visible(
        timeout=TIMEOUT_MS
    )


def test_no_request_leaves_localhost(serve_app, open_page, anvil, deployed, store_dir) -> None:
    _, _, staff, _ = _institution(anvil, deployed, store_dir)
    url = serve_app(APP)
    hosts: set[str] = set()
    page = open_page(url, wallets=[])
    page.context.on("request", lambda request: hosts.add(urlsplit(request.url).hostname or ""))
    for path in ("", "verify", "wallet", "templates", "registry"):
        page.goto(f"{url}/{path}")
        page.get_by_test_id("stApp").wait_for()
        wait_for_rerun(page)
    staff_page = _signed_in_page(open_page, url, staff)
    staff_page.context.on(
        "request", lambda request: hosts.add(urlsplit(request.url).hostname or "")
    )
    staff_page.reload()
    staff_page.get_by_test_id("stApp").wait_for()
    wait_for_rerun(staff_page)
    assert hosts and hosts <= {"127.0.0.1", "localhost", ""}, hosts
