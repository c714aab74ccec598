"""The app's pages in a real browser: untrusted document text renders as text."""

from __future__ import annotations

import os
from pathlib import Path

from _anvil import sent
from eth_account import Account
from playwright.sync_api import expect

from microcred.chain import Chain
from microcred.config import web3_for
from microcred.issuance import create_template, issue_one
from microcred.storage import LocalStore

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "frontend" / "app.py"
SHOTS = ROOT / "docs" / "screenshots"
# anvil's default key 2: this module's institution signer (other tests use other accounts).
STAFF_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"
HOSTILE_NAME = "<img src=x onerror=alert(1)>"
LINK_TRAP = "[click me](javascript:alert(2)) **bold?**"


def test_document_html_and_markdown_render_as_text(
    serve_app, open_page, anvil, deployed, store_dir
) -> None:
    staff = Account.from_key(STAFF_KEY)
    sent(
        deployed.registry.functions.registerIssuer("جامعة 🎓 University", "", [staff.address]),
        {"from": anvil.accounts[0]},
    )
    chain = Chain.connect(web3_for(anvil.rpc_url), deployed.deployment)
    store = LocalStore(store_dir)
    template = create_template(
        chain,
        store,
        staff,
        name=HOSTILE_NAME,
        description=LINK_TRAP,
        criteria="Passed 🎉",
        skills=["Security"],
    )
    holder = Account.create().address
    issued = issue_one(
        chain, store, staff, template_id=template.template_id, recipient=holder, name="مريم 🌟"
    )
    url = serve_app(APP)
    dialogs: list[str] = []
    page = open_page(f"{url}/verify?credential=0x{issued.token_id:064x}", wallets=[])
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    expect(page.get_by_text("Valid").first).to_be_visible()
    expect(page.get_by_text(HOSTILE_NAME).first).to_be_visible()
    expect(page.get_by_text("جامعة 🎓 University").first).to_be_visible()
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert dialogs == []
    if os.environ.get("MICROCRED_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "verify.png"), full_page=True)
        wallet = open_page(f"{url}/wallet", wallets=[])
        wallet.get_by_label("Wallet address").fill(holder)
        wallet.keyboard.press("Enter")
        expect(wallet.get_by_text("Add to LinkedIn profile").first).to_be_visible()
        wallet.screenshot(path=str(SHOTS / "my_credentials.png"), full_page=True)
        for name, title in (
            ("templates", "Achievement templates"),
            ("registry", "Issuer registry"),
        ):
            other = open_page(f"{url}/{name}", wallets=[])
            expect(other.get_by_role("heading", name=title)).to_be_visible()
            expect(other.get_by_test_id("stDataFrame").first).to_be_visible()
            other.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        issue = open_page(f"{url}/issue", wallets=[])
        expect(issue.get_by_role("button", name="Connect wallet")).to_be_visible()
        issue.screenshot(path=str(SHOTS / "issue.png"), full_page=True)
