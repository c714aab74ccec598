"""Issue 10 in a real browser: the Issue page signs every credential with an Ed25519 key that the
page derives from the wallet's one signature of the key message (WebCrypto in wallet.js), and
the server only ever sees that key's public key and the signatures of the hash data it sent.

A credential issued here passes Digital Bazaar's reference verifier and fails it after a
one-character change; the page's key is the CLI's key for the same account and app address; a
declined key message stores nothing and the next Prepare works; a page that lost its key (a
reload) asks for the key message again; the key's registration on chain is sent first, exactly
once. Real anvil, real LocalStore, headless Chromium, the scripted wallet (fake_wallet.js), whose
personal_sign is anvil's: deterministic (RFC 6979), like MetaMask's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _anvil import sent
from _lookups import minted_to
from e2e_harness import TIMEOUT_MS, FakeWallet, send_all, sign_in, wait_for_rerun, wait_for_wallet
from eth_account import Account
from playwright.sync_api import expect

from microcred.chain import Chain
from microcred.cid import cid_of_token_id
from microcred.config import web3_for
from microcred.issuance import create_template, signing_key_of
from microcred.storage import LocalStore
from microcred.vc import public_key_of, verify

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "frontend" / "app.py"
# anvil's default accounts 1 and 9 (no other module makes them signers): unlocked in anvil (the
# fake wallet signs as them through anvil), and their keys let the library publish the templates
# and derive the CLI's key.
STAFF_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
FIRST_TIMER_KEY = "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6"
BRIDGE = "window.__microcredWalletBridge"


def _institution(anvil, deployed, store_dir, key: str, name: str) -> tuple[Chain, str, int]:
    """``name``, with the account of ``key`` as its signer and one template (once per session):
    (chain, signer address, issuer id)."""
    staff = Account.from_key(key)
    assert staff.address in anvil.accounts
    chain = Chain.connect(web3_for(anvil.rpc_url), deployed.deployment)
    if chain.issuer_of(staff.address)[0] == 0:
        sent(
            deployed.registry.functions.registerIssuer(name, "", [staff.address]),
            {"from": anvil.accounts[0]},
        )
        create_template(
            chain,
            LocalStore(store_dir),
            staff,
            name="Signed Documents",
            description="Every document carries its proof.",
            criteria="Signed in the browser.",
        )
    return chain, staff.address, chain.issuer_of(staff.address)[0]


def _signed_in_page(open_page, url: str, staff: str, name: str):
    page = open_page(f"{url}/issue", wallets=[FakeWallet(account=staff)])
    wait_for_wallet(page)
    page.get_by_role("button", name="Connect wallet").click()
    sign_in(page)
    expect(page.get_by_text(name).first).to_be_visible(timeout=TIMEOUT_MS)
    return page


def _prepare(page, learner: str) -> None:
    page.get_by_label("Recipient wallet").fill(learner)
    page.get_by_role("button", name="Prepare credential").click()


def _objects(store_dir: Path) -> int:
    return sum(1 for p in store_dir.iterdir() if not p.name.startswith("."))


def _key_messages(page) -> int:
    """personal_sign prompts of the wallet in this page, the sign-in's included."""
    return int(page.evaluate("window.__testWallet.calls").count("personal_sign"))


def _page_keys(page) -> list[list[object]]:
    return page.evaluate(
        f"[...{BRIDGE}.signingKeys.entries()]"
        ".map(([pub, k]) => [pub, k.type, k.algorithm.name, k.extractable])"
    )


def test_the_key_is_the_clis_and_its_registration_is_sent_first_exactly_once(
    serve_app, open_page, anvil, deployed, store_dir, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain, staff, issuer_id = _institution(
        anvil, deployed, store_dir, FIRST_TIMER_KEY, "First Timers College"
    )
    url = serve_app(APP)
    page = _signed_in_page(open_page, url, staff, "First Timers College")
    learner = Account.create().address
    _prepare(page, learner)
    expect(page.get_by_text("registers the key that signed these credentials")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    assert send_all(page, "Issue", "Issued 1 credential(s).") == 2

    # The first transaction registers the page's key for the institution.
    first, issue = page.evaluate("window.__testWallet.sent")
    registration = anvil.w3.eth.get_transaction(first)
    assert registration["to"] == deployed.registry.address
    function, arguments = deployed.registry.decode_function_input(registration["input"])
    assert function.fn_name == "registerAssertionKey"
    public_key = bytes(arguments["publicKey"])
    pair = (issuer_id, public_key)
    record = chain.assertion_keys([pair])[pair]
    assert record.issuer_id == issuer_id and record.signer == staff and not record.revoked_at
    assert anvil.w3.eth.get_transaction(issue)["to"] == deployed.credential.address

    # The page's key is the CLI's for the same account and app address, held non-extractable.
    monkeypatch.setenv("MICROCRED_PUBLIC_URL", url)  # the address the server runs with
    cli_key = signing_key_of(chain, Account.from_key(FIRST_TIMER_KEY), issuer_id)
    assert public_key_of(cli_key.did) == public_key
    assert _page_keys(page) == [[public_key.hex(), "private", "Ed25519", False]]
    [token_id] = minted_to(chain, learner)
    document = json.loads((store_dir / cid_of_token_id(token_id)).read_bytes())
    assert document["issuer"]["id"] == cli_key.did
    # The wallet's signature of the key message never went to the server: no reply carries it.
    sign_in_signature, key_signature = page.evaluate("window.__testWallet.signed")
    replies = page.evaluate(f"[...{BRIDGE}.replies.values()].map(r => r && r.result)")
    assert sign_in_signature in replies
    assert not any(key_signature[2:] in str(result) for result in replies)

    # A second issue: no key message, no registration.
    _prepare(page, Account.create().address)
    expect(page.get_by_role("button", name="Issue", exact=True)).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_text("registers the key that signed these credentials")).to_have_count(0)
    assert send_all(page, "Issue", "Issued 1 credential(s).") == 1
    assert len(page.evaluate("window.__testWallet.sent")) == 3
    assert _key_messages(page) == 2  # the sign-in and the key message, once each


def test_a_credential_issued_here_passes_the_reference_verifier_and_a_changed_character_fails(
    serve_app, open_page, anvil, deployed, store_dir, reference_verify
) -> None:
    chain, staff, _ = _institution(anvil, deployed, store_dir, STAFF_KEY, "Proof Academy")
    page = _signed_in_page(open_page, serve_app(APP), staff, "Proof Academy")
    learner = Account.create().address
    _prepare(page, learner)
    send_all(page, "Issue", "Issued 1 credential(s).")
    [token_id] = minted_to(chain, learner)
    stored = (store_dir / cid_of_token_id(token_id)).read_text()
    document = json.loads(stored)
    name = document["name"]
    tampered = json.loads(stored)
    tampered["name"] = name[:-1] + name[-1].swapcase()  # one character
    assert tampered["name"] != name

    signed, changed = reference_verify([document, tampered])
    assert signed["verified"] is True, signed["errors"]
    assert changed["verified"] is False
    assert "Error: Invalid signature." in changed["errors"], changed["errors"]
    assert verify(document).ok
    check = verify(tampered)
    assert not check.ok and check.detail.startswith("The signature does not match"), check.detail


def test_a_declined_key_message_stores_nothing_and_the_next_prepare_issues(
    serve_app, open_page, anvil, deployed, store_dir
) -> None:
    chain, staff, _ = _institution(anvil, deployed, store_dir, STAFF_KEY, "Proof Academy")
    page = _signed_in_page(open_page, serve_app(APP), staff, "Proof Academy")
    before = _objects(store_dir)
    page.evaluate("window.__testWallet.reject = true")  # the user says no in the wallet
    learner = Account.create().address
    _prepare(page, learner)
    expect(page.get_by_text("You declined the key message in your wallet")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    wait_for_rerun(page)
    expect(page.get_by_role("button", name="Issue", exact=True)).to_have_count(0)
    expect(page.get_by_text("Waiting for your wallet")).to_have_count(0)
    assert _objects(store_dir) == before
    assert _page_keys(page) == []

    page.evaluate("window.__testWallet.reject = false")
    page.get_by_role("button", name="Prepare credential").click()
    send_all(page, "Issue", "Issued 1 credential(s).")
    assert len(minted_to(chain, learner)) == 1
    assert _objects(store_dir) == before + 1
    assert _key_messages(page) == 3  # the sign-in, the declined key message, the signed one


def test_a_page_that_lost_its_key_asks_for_the_key_message_again(
    serve_app, open_page, anvil, deployed, store_dir
) -> None:
    chain, staff, _ = _institution(anvil, deployed, store_dir, STAFF_KEY, "Proof Academy")
    url = serve_app(APP)
    page = _signed_in_page(open_page, url, staff, "Proof Academy")
    _prepare(page, Account.create().address)
    send_all(page, "Issue", "Issued 1 credential(s).")
    assert _key_messages(page) == 2

    # The page forgets its key while the server's session still knows it.
    page.evaluate(f"{BRIDGE}.signingKeys.clear()")
    learner = Account.create().address
    _prepare(page, learner)
    send_all(page, "Issue", "Issued 1 credential(s).")
    assert _key_messages(page) == 3  # asked again, once
    assert len(minted_to(chain, learner)) == 1

    # A reload: a new page and a new session, which sign in and make the key again.
    page.reload()
    page.get_by_test_id("stApp").wait_for()
    wait_for_wallet(page)
    page.get_by_role("button", name="Connect wallet").click()
    sign_in(page)
    learner = Account.create().address
    _prepare(page, learner)
    send_all(page, "Issue", "Issued 1 credential(s).")
    assert _key_messages(page) == 2  # this page's own: the sign-in and the key message
    assert len(minted_to(chain, learner)) == 1
