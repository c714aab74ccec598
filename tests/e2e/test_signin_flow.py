"""Security issue 12 in a real browser: the server stores nothing for an account its wallet cannot
sign for (finding 4), and uploads are refused by size and kind with a sentence while the server
keeps answering everyone (finding 1). Real anvil, real LocalStore, headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

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
# anvil's default account 5: unlocked in anvil (the fake wallet signs as it through anvil), and
# its key lets the library publish the template this module starts from.
STAFF_KEY = "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba"
NO_KEY_HERE = "0x000000000000000000000000000000000000dEaD"  # anvil holds no key for it


def _institution(anvil, deployed, store_dir) -> tuple[str, str, int]:
    """Sign-In Polytechnic (once per session) with its template; and a credential issued to a
    new learner: (staff, learner, token id)."""
    staff = Account.from_key(STAFF_KEY)
    assert staff.address == anvil.accounts[5]
    chain = Chain.connect(web3_for(anvil.rpc_url), deployed.deployment)
    store = LocalStore(store_dir)
    if chain.issuer_of(staff.address)[0] == 0:
        sent(
            deployed.registry.functions.registerIssuer("Sign-In Polytechnic", "", [staff.address]),
            {"from": anvil.accounts[0]},
        )
        create_template(
            chain,
            store,
            staff,
            name="Key Custody",
            description="Keeps a signing key safe.",
            criteria="Signed in.",
        )
    template = chain.templates_of(chain.issuer_of(staff.address)[0])[0]
    learner = Account.create().address
    issued = issue_one(chain, store, staff, template_id=template.id, recipient=learner)
    return staff.address, learner, issued.token_id


def _objects(store_dir: Path) -> int:
    return sum(1 for p in store_dir.iterdir() if not p.name.startswith("."))


def _connect(page) -> None:
    wait_for_wallet(page)  # the wallet bridge has reported in: a click now is not lost
    page.get_by_role("button", name="Connect wallet").click()
    expect(page.get_by_role("button", name="Sign in with your wallet")).to_be_visible(
        timeout=TIMEOUT_MS
    )


def test_a_wallet_that_cannot_sign_for_the_signer_it_claims_prepares_nothing(
    serve_app, open_page, anvil, deployed, store_dir
) -> None:
    staff, _, _ = _institution(anvil, deployed, store_dir)
    url = serve_app(APP)
    before = _objects(store_dir)

    # A wallet reporting the real signer's public address, whose signing fails.
    page = open_page(f"{url}/issue", wallets=[FakeWallet(account=staff, signs_as=NO_KEY_HERE)])
    _connect(page)
    wait_for_rerun(page)
    page.get_by_role("button", name="Sign in with your wallet").click()
    expect(page.get_by_text("Not signed in")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_text("No Signer available")).to_be_visible()

    # One that answers with another key's signature.
    forger = open_page(
        f"{url}/issue", wallets=[FakeWallet(account=staff, signs_as=anvil.accounts[9])]
    )
    _connect(forger)
    wait_for_rerun(forger)
    forger.get_by_role("button", name="Sign in with your wallet").click()
    expect(forger.get_by_text(f"The signature was not made by {staff}")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    assert len(forger.evaluate("window.__testWallet.signed")) == 1

    for visitor in (page, forger):
        wait_for_rerun(visitor)
        expect(visitor.get_by_role("button", name="Prepare credential")).to_have_count(0)
        expect(visitor.get_by_text("Sign-In Polytechnic")).to_have_count(0)
    assert _objects(store_dir) == before


def test_the_signer_signs_in_issues_and_an_account_switch_signs_out(
    serve_app, open_page, anvil, deployed, store_dir
) -> None:
    staff, _, _ = _institution(anvil, deployed, store_dir)
    chain = Chain.connect(web3_for(anvil.rpc_url), deployed.deployment)
    url = serve_app(APP)
    page = open_page(f"{url}/issue", wallets=[FakeWallet(account=staff)])
    _connect(page)
    expect(page.get_by_role("button", name="Prepare credential")).to_have_count(0)

    sign_in(page)
    calls = page.evaluate("window.__testWallet.calls")
    assert calls.count("personal_sign") == 1 and "eth_sendTransaction" not in calls
    expect(page.get_by_text("Sign-In Polytechnic").first).to_be_visible()
    before = _objects(store_dir)
    learner = Account.create().address
    page.get_by_label("Recipient wallet").fill(learner)
    page.get_by_role("button", name="Prepare credential").click()
    send_all(page, "Issue", "Issued 1 credential(s).")
    assert _objects(store_dir) == before + 1
    [token_id] = minted_to(chain, learner)
    assert chain.credential_status(token_id).valid

    # The user switches accounts in the wallet: the new account has proven nothing.
    page.evaluate(f"window.__testWallet.setAccount('{anvil.accounts[7]}')")
    expect(page.get_by_text(f"Your wallet switched to {anvil.accounts[7]}")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    expect(page.get_by_role("button", name="Sign in with your wallet")).to_be_visible()
    expect(page.get_by_role("button", name="Prepare credential")).to_have_count(0)
    # Back to the staff account: still signed out until it signs again.
    page.evaluate(f"window.__testWallet.setAccount('{staff}')")
    expect(page.get_by_text(f"Connected: Test Wallet {staff}")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_role("button", name="Sign in with your wallet")).to_be_visible()
    expect(page.get_by_role("button", name="Prepare credential")).to_have_count(0)


def test_a_150_kb_proof_file_of_brackets_gets_a_sentence_and_the_server_answers_the_next_visitor(
    serve_app, open_page, anvil, deployed, store_dir, tmp_path
) -> None:
    _, learner, token_id = _institution(anvil, deployed, store_dir)
    url = serve_app(APP)
    bomb = tmp_path / "proof.json"
    bomb.write_bytes(b"[" * 150_000)
    page = open_page(url, wallets=[])
    page.locator("input[type=file]").set_input_files(str(bomb))
    expect(page.get_by_text("A proof file may be at most 64 KiB")).to_be_visible(timeout=TIMEOUT_MS)

    visitor = open_page(f"{url}/verify?address={learner}", wallets=[])
    expect(visitor.get_by_text("Key Custody").first).to_be_visible(timeout=TIMEOUT_MS)
    expect(visitor.get_by_text(f"0x{token_id:064x}").first).to_be_visible()


def test_an_oversized_csv_and_a_bad_badge_image_get_their_sentence(
    serve_app, open_page, anvil, deployed, store_dir, tmp_path
) -> None:
    staff, _, _ = _institution(anvil, deployed, store_dir)
    url = serve_app(APP)
    page = open_page(f"{url}/issue", wallets=[FakeWallet(account=staff)])
    _connect(page)
    sign_in(page)
    row = f"{Account.create().address}\n"
    csv = tmp_path / "huge.csv"
    csv.write_text("address\n" + row * (4 * 1024 * 1024 // len(row) + 1))
    page.get_by_role("tab", name="Many learners (CSV)").click()
    page.locator("input[type=file]").set_input_files(str(csv))
    expect(page.get_by_text("A recipients CSV may be at most 4 MiB")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    expect(page.get_by_role("button", name=re.compile(r"^Prepare \d+ credentials"))).to_have_count(
        0
    )

    # The sign-in holds across the pages of the session: Templates asks for nothing more.
    before = _objects(store_dir)
    templates = page
    templates.get_by_role("link", name="Templates").click()
    expect(templates.get_by_text("Signed in as")).to_be_visible(timeout=TIMEOUT_MS)
    svg = tmp_path / "badge.png"  # an SVG under a PNG name: the bytes decide
    svg.write_text("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>")
    templates.get_by_label("Skill name").fill("Image check")
    templates.get_by_label("Description").fill("A template with a bad image.")
    templates.get_by_label("Criteria: what a learner must show").fill("None.")
    templates.locator("input[type=file]").set_input_files(str(svg))
    templates.get_by_role("button", name="Prepare template").click()
    expect(templates.get_by_text("A badge image must be a PNG or JPEG file")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    assert _objects(store_dir) == before
