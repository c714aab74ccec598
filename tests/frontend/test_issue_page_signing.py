"""The Issue page signs every document with the key its browser page derived (issue 10), under
AppTest: the wallet and the page are played in Python from the requests' own wire params
(_wallet_page.PageWallet), the chain and the store are real (conftest.py). The same flows in a
real browser, with the real wallet.js: tests/e2e/test_issue_signing_browser.py."""

from __future__ import annotations

import json
from typing import Any

import pytest
from _apptest import open_page
from _wallet_page import PageWallet, signed_in_as, wallet_snapshot
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eth_account import Account
from streamlit.testing.v1 import AppTest

from microcred.cid import cid_of_token_id
from microcred.issuance import key_request, signing_key_of

# anvil's default key 1: Example University's signer as seeded by conftest.py.
ISSUER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
STAFF = Account.from_key(ISSUER_KEY)
World = Any  # conftest.World


def texts(at: AppTest) -> str:
    parts: list[Any] = [m.value for m in at.markdown]
    parts += [e.value for e in (*at.error, *at.warning, *at.info, *at.success, *at.caption)]
    return "\n".join(str(p) for p in parts).replace("\\", "")  # Markdown escapes


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


def objects_in(world: World) -> int:
    return sum(1 for p in world.store_dir.iterdir() if not p.name.startswith("."))


@pytest.fixture
def issue_page(app_env: World) -> AppTest:
    """The Issue page, STAFF's wallet connected and signed in."""
    import services

    at = open_page()
    at.session_state["wallet"] = wallet_snapshot(STAFF.address)
    at.session_state[services.SIGNED_IN_KEY] = signed_in_as(STAFF)
    run(at)
    run(at.switch_page("views/issue.py"))
    assert "Example University" in texts(at)
    return at


def prepare_one(at: AppTest, address: str) -> AppTest:
    at.text_input(key="issue_recipient").set_value(address)
    next(b for b in at.button if b.label == "Prepare credential").click()
    return run(at)


def send_buttons(at: AppTest) -> list[str]:
    return [b.key for b in at.button if b.key and b.key.startswith("issue_send_send")]


def pending(at: AppTest) -> Any:
    return at.session_state["wallet_request"]


def answer(at: AppTest, page: PageWallet) -> AppTest:
    """The page answers the request the bridge carries, as wallet.js would."""
    request = pending(at)
    at.session_state["wallet"] = wallet_snapshot(STAFF.address, page.answer(request))
    return run(at)


def sign_through(at: AppTest, page: PageWallet) -> AppTest:
    """Answer the page's requests until the issuance is prepared (or fails)."""
    while (request := pending(at)) is not None and request.method in (
        "derive_signing_key",
        "sign_hashes",
    ):
        answer(at, page)
    return at


def test_the_page_derives_the_key_from_the_key_message_and_signs_in_the_browser(
    app_env: World, issue_page: AppTest
) -> None:
    at, page = issue_page, PageWallet(STAFF)
    before = objects_in(app_env)
    prepare_one(at, Account.create().address)
    request = pending(at)
    assert request.method == "derive_signing_key" and request.params["account"] == STAFF.address
    message = bytes.fromhex(request.params["message"][2:]).decode()
    assert message == key_request(app_env.chain, STAFF.address).message
    assert "Waiting for your wallet: sign the key message there" in texts(at)
    assert objects_in(app_env) == before, "nothing is stored before the documents are signed"

    answer(at, page)
    request = pending(at)
    assert request.method == "sign_hashes" and len(request.params["hashes"]) == 128
    assert "Signing 1 documents in this browser…" in texts(at)
    answer(at, page)
    assert "1 credential(s)** ready, in 2 transaction(s)" in texts(at)
    assert "registers the key that signed these credentials" in texts(at)
    assert objects_in(app_env) == before + 1
    # The stored document is signed by the key the CLI derives for the same account and app.
    [token] = at.session_state["issue_prepared"]["plan"]["token_ids"]
    document = json.loads(app_env.store.get(cid_of_token_id(int(token, 16))))
    cli_key = signing_key_of(app_env.chain, STAFF, app_env.issuer_id)
    assert document["issuer"]["id"] == cli_key.did
    assert document["proof"][0]["verificationMethod"].startswith(cli_key.did)


def test_the_wallet_is_asked_for_the_key_once_per_page_session(
    app_env: World, issue_page: AppTest
) -> None:
    at, page = issue_page, PageWallet(STAFF)
    sign_through(prepare_one(at, Account.create().address), page)
    assert "1 credential(s)** ready" in texts(at)
    prepare_one(at, Account.create().address)
    assert pending(at).method == "sign_hashes", "the page's key is used again: no prompt"
    sign_through(at, page)
    assert "1 credential(s)** ready" in texts(at) and page.prompts == 1


def test_a_declined_key_message_stores_nothing_and_prepare_works_again(
    app_env: World, issue_page: AppTest
) -> None:
    at, page = issue_page, PageWallet(STAFF, reject=True)
    learner = Account.create().address
    before = objects_in(app_env)
    answer(prepare_one(at, learner), page)
    assert "You declined the key message in your wallet, so nothing was signed or stored" in (
        at.error[0].value.replace("\\", "")
    )
    assert pending(at) is None
    assert "issue_signing" not in at.session_state and "issue_prepared" not in at.session_state
    assert not send_buttons(at)
    run(at)  # a later run shows no leftover step
    assert "Waiting for your wallet" not in texts(at)
    assert objects_in(app_env) == before

    page.reject = False
    sign_through(prepare_one(at, learner), page)
    assert "1 credential(s)** ready" in texts(at)
    assert objects_in(app_env) == before + 1


def test_a_page_that_lost_its_key_asks_for_the_key_message_again(
    app_env: World, issue_page: AppTest
) -> None:
    at, page = issue_page, PageWallet(STAFF)
    sign_through(prepare_one(at, Account.create().address), page)
    page.forget()  # the browser reloaded the page; the server's session still knows the key
    prepare_one(at, Account.create().address)
    assert pending(at).method == "sign_hashes"
    answer(at, page)  # "this page no longer holds your signing key"
    assert pending(at).method == "derive_signing_key"
    assert "This page no longer holds your signing key (it was reloaded)" in texts(at)
    sign_through(at, page)
    assert "1 credential(s)** ready" in texts(at) and page.prompts == 2


def test_signatures_by_another_key_store_nothing(app_env: World, issue_page: AppTest) -> None:
    at, page = issue_page, PageWallet(STAFF)
    answer(prepare_one(at, Account.create().address), page)  # the key, derived
    before = objects_in(app_env)
    request = pending(at)
    # A page that signs with another key than the one it announced.
    impostor = PageWallet(STAFF, keys={request.params["public_key"]: Ed25519PrivateKey.generate()})
    at.session_state["wallet"] = wallet_snapshot(STAFF.address, impostor.answer(request))
    run(at)
    assert "Signature 1 is not" in at.error[0].value.replace("\\", "")
    assert not send_buttons(at)
    assert objects_in(app_env) == before


def test_a_reply_to_an_earlier_prepare_is_ignored(app_env: World, issue_page: AppTest) -> None:
    at, page = issue_page, PageWallet(STAFF)
    sign_through(prepare_one(at, Account.create().address), page)  # the key is known
    prepare_one(at, Account.create().address)
    stale = pending(at)
    assert stale.method == "sign_hashes"
    learner = Account.create().address
    prepare_one(at, learner)  # Prepare again, for another learner, before the page answered
    before = objects_in(app_env)
    at.session_state["wallet"] = wallet_snapshot(STAFF.address, page.answer(stale))
    run(at)
    assert "issue_prepared" not in at.session_state
    assert not send_buttons(at)
    assert objects_in(app_env) == before
    assert pending(at).method == "sign_hashes" and pending(at).id != stale.id
    sign_through(at, page)
    assert [r.address for r in at.session_state["issue_prepared"]["recipients"]] == [learner]
