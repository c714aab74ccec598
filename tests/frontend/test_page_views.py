"""Every page under AppTest, against the real seeded chain and store (see conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest
from _apptest import open_page, token_hex
from _lookups import minted_to
from eth_account import Account
from streamlit.testing.v1 import AppTest

# anvil's default keys 0 (the registry admin and registrar) and 1 (Example University's signer),
# as seeded by conftest.py; not imported from it, since every test folder has a `conftest`.
REGISTRAR_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ISSUER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
World = Any  # conftest.World: the seeded chain and store


def texts(at: AppTest) -> str:
    parts: list[Any] = [m.value for m in at.markdown]
    parts += [e.value for e in (*at.error, *at.warning, *at.info, *at.success, *at.caption)]
    return "\n".join(str(p) for p in parts)


def verify(at: AppTest, subject: str) -> AppTest:
    at.text_input(key="verify_subject").set_value(subject)
    at.button(key="verify_submit").click().run()
    assert not at.exception, at.exception
    return at


def checks_of(at: AppTest) -> list[dict[str, Any]]:
    return [row for frame in at.dataframe for row in frame.value.to_dict("records")]


# --- Verify ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "badge", "failed_check"),
    [
        ("valid", "Valid", None),
        ("revoked", "Revoked", "not_revoked"),
        ("expired", "Expired", "not_expired"),
        ("issuer_suspended", "Issuer suspended", "issuer_active"),
        ("tampered", "Tampered", "document_hash"),
    ],
)
def test_verify_shows_the_verdict_and_its_checks(
    app_env: World, kind: str, badge: str, failed_check: str | None
) -> None:
    at = verify(open_page(), token_hex(app_env.tokens[kind]))
    shown = texts(at)
    assert f"{badge}]" in shown
    checks = checks_of(at)
    assert [c["check"] for c in checks][:3] == ["token_exists", "held_by_wallet", "not_revoked"]
    failed = [c["check"] for c in checks if c["result"] == "failed"]
    assert failed[:1] == ([failed_check] if failed_check else [])


def test_a_revoked_credential_shows_its_reason(app_env: World) -> None:
    at = verify(open_page(), token_hex(app_env.tokens["revoked"]))
    assert "Reason: Awarded in error" in texts(at)


def test_a_wallet_shows_one_card_per_credential(app_env: World) -> None:
    at = verify(open_page(), app_env.holder)
    assert at.subheader[0].value.startswith("5 credentials:")
    shown = texts(at)
    for badge in ("Valid", "Revoked", "Expired", "Issuer suspended", "Tampered"):
        assert f"{badge}]" in shown


def test_a_malformed_address_gives_a_clear_message(app_env: World) -> None:
    at = verify(open_page(), "0x1234-not-an-address")
    assert not at.exception
    assert "neither a wallet address" in at.error[0].value


def test_an_empty_wallet_says_so(app_env: World) -> None:
    at = verify(open_page(), app_env.empty_wallet)
    assert "No credentials found" in at.info[0].value


@pytest.mark.parametrize("param", ["address", "credential"])
def test_share_links_open_on_the_result(app_env: World, param: str) -> None:
    value = app_env.holder if param == "address" else token_hex(app_env.tokens["valid"])
    at = open_page(**{param: value})
    assert "Valid]" in texts(at)
    assert "Solidity basics" in texts(at)


# --- My credentials ----------------------------------------------------------------------------


def test_my_credentials_lists_the_collection_with_its_share_tools(app_env: World) -> None:
    at = open_page("my_credentials")
    at.text_input(key="wallet_address").set_value(app_env.holder).run()
    assert not at.exception, at.exception
    shown = texts(at)
    assert f"**5 credentials** in `{app_env.holder}`" in shown
    codes = [c.value for c in at.code]
    assert f"https://verify.example.org/verify?address={app_env.holder}" in codes
    assert (
        f"https://verify.example.org/verify?credential={token_hex(app_env.tokens['valid'])}"
        in codes
    )
    assert len(at.get("image")) == 6  # a QR code for the wallet and for each credential
    downloads = at.get("download_button")
    # The tampered document cannot be trusted, so it is not offered for download.
    assert len(downloads) == 4
    linkedin = [b.proto.url for b in at.get("link_button")]
    assert len(linkedin) == 5
    assert all(u.startswith("https://www.linkedin.com/profile/add?") for u in linkedin)


def test_my_credentials_of_an_empty_wallet(app_env: World) -> None:
    at = open_page("my_credentials")
    at.text_input(key="wallet_address").set_value(app_env.empty_wallet).run()
    assert not at.exception
    assert "No credentials in this wallet yet." in at.info[0].value


# --- Institutions, with the demo signer ----------------------------------------------------------


def test_issue_one_credential_with_the_demo_signer(
    app_env: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MICROCRED_DEMO_SIGNER_KEY", ISSUER_KEY)
    learner = Account.create().address
    at = open_page("issue")
    assert "Example University" in texts(at)
    at.text_input(key="issue_recipient").set_value(learner)
    submit = next(b for b in at.button if b.label == "Prepare credential")
    submit.click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    at.button(key="issue_send_send").click().run()
    assert not at.exception, at.exception
    assert "Issued 1 credential(s)." in texts(at)
    (token,) = minted_to(app_env.chain, learner)
    status = app_env.chain.credential_status(token)
    assert status.holder == learner and status.issuer_id == app_env.issuer_id


def test_a_csv_with_bad_rows_shows_every_bad_row_and_sends_nothing(
    app_env: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MICROCRED_DEMO_SIGNER_KEY", ISSUER_KEY)
    signer = Account.from_key(ISSUER_KEY).address
    nonce = app_env.chain.w3.eth.get_transaction_count(signer)
    good = Account.create().address
    csv = f"address,expires\n{good},\nnot-an-address,\n{good},2001-01-01\n"
    at = open_page("issue")
    at.file_uploader(key="issue_csv").set_value(("learners.csv", csv.encode(), "text/csv")).run()
    assert not at.exception, at.exception
    message = at.error[0].value
    assert "2 bad row" in message
    assert "line 3" in message and "line 4" in message
    assert not [b for b in at.button if b.key == "issue_csv_prepare"]
    assert app_env.chain.w3.eth.get_transaction_count(signer) == nonce
    assert minted_to(app_env.chain, good) == []


def test_publish_a_template_with_the_demo_signer(
    app_env: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MICROCRED_DEMO_SIGNER_KEY", ISSUER_KEY)
    at = open_page("templates")
    at.text_input(key="templates_name").set_value("Smart contract auditing")
    at.text_area(key="templates_description").set_value("Finds bugs in contracts.")
    at.text_area(key="templates_criteria").set_value("Audited three contracts.")
    at.text_input(key="templates_skills").set_value("Security, Solidity")
    next(b for b in at.button if b.label == "Prepare template").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    at.button(key="templates_publish_send").click().run()
    assert not at.exception, at.exception
    assert "Published" in texts(at)
    published = {r.id for r in app_env.chain.templates_of(app_env.issuer_id)}
    assert len(published) == 2
    at.run()
    names = [t["name"] for t in at.dataframe[0].value.to_dict("records")]
    assert "Smart contract auditing" in names


def test_the_registrar_accredits_an_issuer(app_env: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROCRED_DEMO_SIGNER_KEY", REGISTRAR_KEY)
    staff = Account.create().address
    at = open_page("registry")
    assert "Example University" in at.dataframe[0].value["institution"].tolist()
    at.text_input(key="registry_name").set_value("Open Polytechnic")
    at.text_area(key="registry_signers").set_value(staff)
    next(b for b in at.button if b.label == "Prepare accreditation").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    at.button(key="registry_register_send").click().run()
    assert not at.exception, at.exception
    assert "Open Polytechnic is accredited" in at.success[0].value
    issuer_id, active = app_env.chain.issuer_of(staff)
    assert active and app_env.chain.issuer(issuer_id).name == "Open Polytechnic"


def test_a_csv_that_is_not_utf8_is_refused_with_where_it_breaks(
    app_env: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MICROCRED_DEMO_SIGNER_KEY", ISSUER_KEY)
    csv = f"address,name\n{Account.create().address},José\n".encode("latin-1")
    at = open_page("issue")
    at.file_uploader(key="issue_csv").set_value(("learners.csv", csv, "text/csv")).run()
    assert not at.exception, at.exception
    message = at.error[0].value.replace("\\", "")  # shown Markdown-escaped
    assert "is not UTF-8" in message and "(line 2)" in message
    assert not [b for b in at.button if b.key == "issue_csv_prepare"]
