"""Nothing is stored for an account that has not proven control of it (security issue 12, finding
4), and each session stores a bounded amount. AppTest against the real anvil and LocalStore of
conftest.py; signatures are real secp256k1 signatures made with eth_account.

Two levels: the services that store (called from a one-line page, so they run in a real
Streamlit session), and the Issue page with a wallet seeded as AppTest allows (no JavaScript: the
wallet's reply is put where the bridge would put it)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from _page_signing import page_signs
from _wallet_page import PageWallet, signed_in_as
from eth_account import Account
from eth_account.messages import encode_defunct
from streamlit.testing.v1 import AppTest

from microcred.issuance import Recipient
from microcred.signin import SignedIn

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
if str(FRONTEND) not in sys.path:
    sys.path.insert(0, str(FRONTEND))

from components.wallet import WalletReply, WalletRequest, WalletState  # noqa: E402

TIMEOUT = 30
APP = FRONTEND / "app.py"
# anvil's default keys as seeded by conftest.py: 0 the registrar, 1 Example University's signer.
REGISTRAR_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ISSUER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
STAFF = Account.from_key(ISSUER_KEY)
REGISTRAR = Account.from_key(REGISTRAR_KEY)
STRANGER = Account.create()  # a key nobody accredited
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
World = Any  # conftest.World

CALL_PAGE = f"""
import sys
sys.path.insert(0, {str(FRONTEND)!r})
import streamlit as st
import services

call = st.session_state["call"]
try:
    result = getattr(services, call["service"])(**call["kwargs"])
except services.UserFacingError as err:
    st.error(str(err))
else:
    st.success("stored")
"""


def objects_in(store_dir: Path) -> int:
    return sum(1 for p in store_dir.iterdir() if not p.name.startswith("."))


def call(service: str, session: dict[str, Any] | None = None, **kwargs: Any) -> AppTest:
    at = AppTest.from_string(CALL_PAGE, default_timeout=TIMEOUT)
    at.session_state["call"] = {"service": service, "kwargs": kwargs}
    for key, value in (session or {}).items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def store_request(service: str, world: World, signer: str) -> dict[str, Any]:
    """The arguments of each service that stores, acting as ``signer``; documents are signed by
    STAFF's page key, as the Issue page signs them (whoever the call claims to act for)."""
    learners = [Recipient(address=Account.create().address, line=n + 2) for n in range(2)]
    if service == "prepare_template":
        return {
            "signer": signer,
            "issuer_id": world.issuer_id,
            "image": PNG,
            "name": "Gated skill",
            "description": "Only for signed-in staff.",
            "criteria": "Signed in.",
            "skills": ["Security"],
        }
    template_id = world.template.template_id
    signing, signatures = page_signs(
        world.chain, world.store, STAFF, template_id=template_id, recipients=learners
    )
    return {
        "signer": signer,
        "template_id": template_id,
        "recipients": learners,
        "signing": signing,
        "signatures": signatures,
    }


STORING = ["prepare_issue", "prepare_anchor", "prepare_template"]


@pytest.mark.parametrize("service", STORING)
def test_a_service_that_stores_refuses_without_a_sign_in(app_env: World, service: str) -> None:
    before = objects_in(app_env.store_dir)
    at = call(service, **store_request(service, app_env, STAFF.address))
    assert "Sign in with your wallet first" in error_of(at)
    assert objects_in(app_env.store_dir) == before


@pytest.mark.parametrize("service", STORING)
def test_a_service_that_stores_refuses_the_sign_in_of_another_account(
    app_env: World, service: str
) -> None:
    import services

    before = objects_in(app_env.store_dir)
    at = call(
        service,
        {services.SIGNED_IN_KEY: signed_in_as(STRANGER)},
        **store_request(service, app_env, STAFF.address),  # the browser claims STAFF's address
    )
    assert f"signed in as {STRANGER.address}, not {STAFF.address}" in error_of(at)
    assert objects_in(app_env.store_dir) == before


@pytest.mark.parametrize("service", STORING)
def test_a_service_that_stores_works_after_a_valid_sign_in(app_env: World, service: str) -> None:
    import services

    before = objects_in(app_env.store_dir)
    at = call(
        service,
        {services.SIGNED_IN_KEY: signed_in_as(STAFF)},
        **store_request(service, app_env, STAFF.address),
    )
    assert not at.error, [e.value for e in at.error]
    assert at.success[0].value == "stored"
    assert objects_in(app_env.store_dir) > before
    usage = at.session_state[services.USAGE_KEY]
    assert usage.objects >= 2 and usage.bytes > 0


def test_a_signed_in_account_that_signs_for_no_institution_stores_nothing(app_env: World) -> None:
    import services

    before = objects_in(app_env.store_dir)
    at = call(
        "prepare_issue",
        {services.SIGNED_IN_KEY: signed_in_as(STRANGER)},
        **store_request("prepare_issue", app_env, STRANGER.address),
    )
    assert "is not a signer of an active institution" in error_of(at)
    assert objects_in(app_env.store_dir) == before


def test_a_template_for_another_institution_stores_nothing(app_env: World) -> None:
    import services

    request = store_request("prepare_template", app_env, STAFF.address)
    request["issuer_id"] = app_env.issuer_id + 1  # Closed College, not STAFF's institution
    before = objects_in(app_env.store_dir)
    at = call("prepare_template", {services.SIGNED_IN_KEY: signed_in_as(STAFF)}, **request)
    assert "is not a signer of an active institution (issuer #" in error_of(at)
    assert objects_in(app_env.store_dir) == before


def test_an_expired_sign_in_stores_nothing(app_env: World) -> None:
    import services

    stale = SignedIn(
        address=STAFF.address,
        chain_id=31337,
        domain="verify.example.org",
        expires_at=datetime.now(UTC) - timedelta(seconds=1),
    )
    before = objects_in(app_env.store_dir)
    at = call(
        "prepare_issue",
        {services.SIGNED_IN_KEY: stale},
        **store_request("prepare_issue", app_env, STAFF.address),
    )
    assert "Sign in with your wallet first" in error_of(at)
    assert objects_in(app_env.store_dir) == before


def test_a_sign_in_for_another_domain_stores_nothing(app_env: World) -> None:
    import services

    elsewhere = SignedIn(
        address=STAFF.address,
        chain_id=31337,
        domain="evil.example.org",
        expires_at=datetime.now(UTC) + timedelta(hours=1),
    )
    at = call(
        "prepare_issue",
        {services.SIGNED_IN_KEY: elsewhere},
        **store_request("prepare_issue", app_env, STAFF.address),
    )
    assert "Sign in with your wallet first" in error_of(at)


def test_the_object_quota_refuses_a_batch_before_storing_any_of_it(
    app_env: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import services

    monkeypatch.setenv("MICROCRED_SESSION_MAX_OBJECTS", "3")
    session = {services.SIGNED_IN_KEY: signed_in_as(STAFF)}
    first = call("prepare_issue", session, **store_request("prepare_issue", app_env, STAFF.address))
    assert first.success, [e.value for e in first.error]
    # Same session: 2 objects written, 2 more asked, 3 allowed.
    before = objects_in(app_env.store_dir)
    session[services.USAGE_KEY] = first.session_state[services.USAGE_KEY]
    second = call(
        "prepare_issue", session, **store_request("prepare_issue", app_env, STAFF.address)
    )
    message = error_of(second)
    assert "This session has stored 2 objects" in message
    assert "at most 3 objects" in message and "MICROCRED_SESSION_MAX_OBJECTS" in message
    assert objects_in(app_env.store_dir) == before


def test_the_byte_quota_refuses_a_write_that_would_pass_it(
    app_env: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import services

    monkeypatch.setenv("MICROCRED_SESSION_MAX_BYTES", "100")  # less than any document
    before = objects_in(app_env.store_dir)
    at = call(
        "prepare_issue",
        {services.SIGNED_IN_KEY: signed_in_as(STAFF)},
        **store_request("prepare_issue", app_env, STAFF.address),
    )
    assert "more bytes were refused and nothing more is stored" in error_of(at)
    assert objects_in(app_env.store_dir) == before


def test_the_demo_signer_counts_as_signed_in_for_its_own_key_only(
    app_env: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MICROCRED_DEMO_SIGNER_KEY", ISSUER_KEY)
    own = call("prepare_issue", **store_request("prepare_issue", app_env, STAFF.address))
    assert own.success, [e.value for e in own.error]
    # With the registrar's key as the demo key, STAFF's address is just a claim again.
    monkeypatch.setenv("MICROCRED_DEMO_SIGNER_KEY", REGISTRAR_KEY)
    other = call("prepare_issue", **store_request("prepare_issue", app_env, STAFF.address))
    assert "Sign in with your wallet first" in error_of(other)


@pytest.mark.parametrize(
    ("image", "words"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "SVG is not"),
        (b"GIF89a not a png", "must be a PNG or JPEG"),
    ],
)
def test_a_badge_image_that_is_no_png_or_jpeg_is_not_stored(
    app_env: World, image: bytes, words: str
) -> None:
    import services

    request = store_request("prepare_template", app_env, STAFF.address) | {"image": image}
    before = objects_in(app_env.store_dir)
    at = call("prepare_template", {services.SIGNED_IN_KEY: signed_in_as(STAFF)}, **request)
    assert words in error_of(at)
    assert objects_in(app_env.store_dir) == before


# --- the Issue page: the sign-in step -----------------------------------------------------------


def wallet_snapshot(account: str, reply: WalletReply | None = None) -> dict[str, Any]:
    state = WalletState(
        account=account, chain_id=31337, available=True, wallet="Test Wallet", reply=reply
    )
    return {"snapshot": state.to_snapshot()}


def issue_page(account: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.session_state["wallet"] = wallet_snapshot(account)
    at.run()
    at.switch_page("views/issue.py").run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown]
    parts += [e.value for e in (*at.error, *at.warning, *at.info, *at.success, *at.caption)]
    return "\n".join(str(p) for p in parts).replace("\\", "")  # shown Markdown-escaped


def error_of(at: AppTest) -> str:
    assert at.error, "no error shown"
    return str(at.error[0].value).replace("\\", "")  # shown Markdown-escaped


def ask_to_sign(at: AppTest) -> WalletRequest:
    at.button(key="issue_sign_in").click().run()
    assert not at.exception, at.exception
    request = at.session_state["wallet_request"]
    assert request.method == "personal_sign"
    return request


def answer(at: AppTest, account: str, request: WalletRequest, reply: WalletReply) -> AppTest:
    """The wallet's reply arriving, as the bridge delivers it."""
    at.session_state["wallet"] = wallet_snapshot(account, reply)
    at.run()
    assert not at.exception, at.exception
    return at


def signature_by(account: Any, request: WalletRequest) -> str:
    message = bytes.fromhex(request.params["message"][2:]).decode("utf-8")
    return account.sign_message(encode_defunct(text=message)).signature.to_0x_hex()


def has_prepare_form(at: AppTest) -> bool:
    return any(b.label == "Prepare credential" for b in at.button)


def test_the_issue_page_asks_for_a_sign_in_before_anything_can_be_prepared(
    app_env: World,
) -> None:
    at = issue_page(STAFF.address)
    assert "Sign in once for this session" in texts(at)
    assert not has_prepare_form(at)
    request = ask_to_sign(at)
    assert request.params["account"] == STAFF.address
    message = bytes.fromhex(request.params["message"][2:]).decode("utf-8")
    assert message.startswith("verify.example.org wants you to sign in with your Ethereum")
    assert "Chain ID: 31337" in message and "microcred" in message
    assert "Waiting for your wallet: sign the sign-in message there" in texts(at)


def test_a_signature_by_the_account_opens_the_issue_form_and_stores(app_env: World) -> None:
    at = issue_page(STAFF.address)
    request = ask_to_sign(at)
    reply = WalletReply(id=request.id, ok=True, result=signature_by(STAFF, request))
    answer(at, STAFF.address, request, reply)
    assert f"Signed in as {STAFF.address}" in texts(at)
    assert "Example University" in texts(at)
    before = objects_in(app_env.store_dir)
    at.text_input(key="issue_recipient").set_value(Account.create().address)
    next(b for b in at.button if b.label == "Prepare credential").click().run()
    assert not at.exception, at.exception
    page = PageWallet(STAFF)  # the page derives the signing key, then signs the document
    for method in ("derive_signing_key", "sign_hashes"):
        pending = at.session_state["wallet_request"]
        assert pending.method == method
        answer(at, STAFF.address, pending, page.answer(pending))
    assert not at.error, [e.value for e in at.error]
    assert "1 credential(s)** ready" in texts(at)
    assert objects_in(app_env.store_dir) == before + 1


def test_a_wallet_claiming_an_address_it_cannot_sign_for_prepares_nothing(
    app_env: World,
) -> None:
    before = objects_in(app_env.store_dir)
    at = issue_page(STAFF.address)  # the browser reports STAFF's public address
    request = ask_to_sign(at)
    forged = WalletReply(id=request.id, ok=True, result=signature_by(STRANGER, request))
    answer(at, STAFF.address, request, forged)
    assert f"The signature was not made by {STAFF.address}" in error_of(at)
    assert not has_prepare_form(at)
    assert "Sign in once for this session" in texts(at)
    assert objects_in(app_env.store_dir) == before


def test_a_failed_signature_request_says_so_and_prepares_nothing(app_env: World) -> None:
    at = issue_page(STAFF.address)
    request = ask_to_sign(at)
    failed = WalletReply(
        id=request.id, ok=False, error_code=-32602, error_message="No Signer available"
    )
    answer(at, STAFF.address, request, failed)
    assert "Not signed in" in error_of(at) and "No Signer available" in error_of(at)
    assert not has_prepare_form(at)


def test_a_nonce_is_used_once(app_env: World) -> None:
    import services

    at = issue_page(STAFF.address)
    request = ask_to_sign(at)
    signature = signature_by(STAFF, request)
    answer(at, STAFF.address, request, WalletReply(id=request.id, ok=True, result=signature))
    assert has_prepare_form(at)
    # The same signature again (a replay through another request) finds no challenge to match.
    at.session_state[services.SIGNED_IN_KEY] = None
    again = WalletRequest.personal_sign("replayed", account=STAFF.address)
    at.session_state["wallet_request"] = again
    answer(at, STAFF.address, again, WalletReply(id=again.id, ok=True, result=signature))
    assert "There is no sign-in waiting for a signature" in error_of(at)
    assert not has_prepare_form(at)


def test_switching_accounts_in_the_wallet_drops_the_sign_in(app_env: World) -> None:
    import services

    at = issue_page(STAFF.address)
    request = ask_to_sign(at)
    reply = WalletReply(id=request.id, ok=True, result=signature_by(STAFF, request))
    answer(at, STAFF.address, request, reply)
    assert has_prepare_form(at)
    at.session_state["wallet"] = wallet_snapshot(REGISTRAR.address)  # the user switches
    at.run()
    assert f"Your wallet switched to {REGISTRAR.address}" in texts(at)
    assert services.SIGNED_IN_KEY not in at.session_state
    at.session_state["wallet"] = wallet_snapshot(STAFF.address)  # and back: sign in again
    at.run()
    assert not has_prepare_form(at)
    assert "Sign in once for this session" in texts(at)
