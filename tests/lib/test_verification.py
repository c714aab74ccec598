"""Verification: each named check and each verdict, on the real contracts (Ape's EthTester)."""

from __future__ import annotations

import doctest
import json

import pytest
from _chain_fixtures import *  # noqa: F403
from _chain_fixtures import in_days, travel
from eth_account import Account

import microcred.verification
from microcred.cid import cid_of_token_id
from microcred.documents import build_credential
from microcred.errors import InputError
from microcred.verification import (
    CHECKS,
    STATUSES,
    Subject,
    parse_subject,
    verify,
    verify_token,
    verify_wallet,
)

CHECK_NAMES = [name for name, _, _ in CHECKS]


def test_docstring_examples_hold():
    assert doctest.testmod(microcred.verification).failed == 0


def _checks(report):
    return {c.name: c for c in report.checks}


def test_a_fresh_credential_is_valid_and_every_check_passes(mc, store, holder, create_credential):
    token = create_credential(holder).token_id
    report = verify_wallet(mc, store, holder)
    assert report.all_valid
    [credential] = report.credentials
    assert credential.token_id == token and credential.status == "valid"
    assert [c.name for c in credential.checks] == CHECK_NAMES
    assert all(c.ok for c in credential.checks)
    assert credential.issuer_name == "Example University"
    assert credential.achievement == "Solidity basics"


def test_json_report_has_the_documented_shape(mc, store, holder, create_credential):
    token = create_credential(holder).token_id
    data = json.loads(json.dumps(verify_token(mc, store, token).to_json()))
    assert set(data) == {"subject", "chainId", "credentials", "warnings"}
    assert data["subject"] == f"0x{token:064x}" and data["chainId"] == mc.chain_id
    [entry] = data["credentials"]
    assert set(entry) == {
        "tokenId",
        "status",
        "holder",
        "issuer",
        "achievement",
        "issuedAt",
        "expiresAt",
        "revocationReason",
        "checks",
        "proof",
    }
    assert set(entry["issuer"]) == {"id", "name"}
    assert all(set(c) == {"name", "ok", "detail"} for c in entry["checks"])
    assert entry["status"] in STATUSES


def test_revoked_credential_shows_the_reason(mc, store, issuer_key, holder, create_credential):
    token = create_credential(holder).token_id
    mc.revoke(issuer_key, token, "plagiarised final project")
    [credential] = verify_wallet(mc, store, holder).credentials
    assert credential.status == "revoked"
    assert credential.revocation_reason == "plagiarised final project"
    assert "plagiarised final project" in _checks(credential)["not_revoked"].detail


def test_expired_credential_is_kept_but_marked_expired(chain, mc, store, holder, create_credential):
    token = create_credential(holder, expires=in_days(mc, 2)).token_id
    assert verify_token(mc, store, token).credentials[0].status == "valid"
    travel(chain, 3 * 86400)
    [credential] = verify_token(mc, store, token).credentials
    assert credential.status == "expired"
    assert not _checks(credential)["not_expired"].ok
    assert _checks(credential)["document_hash"].ok


def test_suspended_issuer_makes_its_credentials_invalid(
    mc, store, registrar_key, issuer_id, holder, create_credential
):
    token = create_credential(holder).token_id
    mc.suspend_issuer(registrar_key, issuer_id, "accreditation withdrawn")
    [credential] = verify_token(mc, store, token).credentials
    assert credential.status == "issuer_suspended"
    assert "suspended" in _checks(credential)["issuer_active"].detail
    mc.reinstate_issuer(registrar_key, issuer_id)
    assert verify_token(mc, store, token).credentials[0].status == "valid"


def test_a_document_altered_in_the_store_is_tampered(mc, store, holder, create_credential):
    issued = create_credential(holder)
    path = store.path_of(issued.cid)
    original = path.read_bytes()
    path.write_bytes(original.replace(b"Solidity basics", b"Solidity MASTER"))
    try:
        [credential] = verify_token(mc, store, issued.token_id).credentials
    finally:
        path.write_bytes(original)
    assert credential.status == "tampered"
    assert _checks(credential)["document_retrieved"].ok
    assert not _checks(credential)["document_hash"].ok


def test_a_missing_document_is_unavailable(mc, store, holder, create_credential, tmp_path):
    from microcred.storage import LocalStore

    token = create_credential(holder).token_id
    [credential] = verify_token(mc, LocalStore(tmp_path), token).credentials
    assert credential.status == "unavailable"
    assert cid_of_token_id(token) in _checks(credential)["document_retrieved"].detail


def test_a_document_naming_another_recipient_does_not_match_the_chain(
    mc, store, issuer_key, holder, other_holder, template, issuer_id
):
    from microcred.issuance import issuer_profile

    # Issued on chain to `holder`, though the (honestly hashed) document names `other_holder`.
    doc = build_credential(
        template=template,
        issuer=issuer_profile(mc, issuer_id),
        recipient=other_holder,
        valid_from=in_days(mc, 0),
        evidence=["https://example.org/mismatch"],
    )
    store.put(doc.bytes)
    mc.transact(mc.issue_call(holder, doc.token_id, 0), issuer_key, action="issue")
    [credential] = verify_token(mc, store, doc.token_id).credentials
    assert credential.status == "tampered"
    assert "recipient" in _checks(credential)["document_matches_chain"].detail


def test_unknown_token_id_is_not_found(mc, store):
    report = verify(mc, store, Subject(token_id=42))
    [credential] = report.credentials
    assert credential.status == "not_found" and not report.all_valid
    assert not _checks(credential)["token_exists"].ok


def test_an_empty_wallet_has_nothing_to_report(mc, store, stranger_key):
    report = verify_wallet(mc, store, stranger_key.address)
    assert report.credentials == () and report.all_valid


def test_a_wallet_with_mixed_credentials_gets_one_verdict_each(
    mc, store, issuer_key, holder, create_credential
):
    tokens = [create_credential(holder).token_id for _ in range(4)]
    mc.revoke(issuer_key, tokens[1], "wrong cohort")
    report = verify_wallet(mc, store, holder)
    assert [c.token_id for c in report.credentials] == tokens
    assert [c.status for c in report.credentials] == ["valid", "revoked", "valid", "valid"]
    assert not report.all_valid


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
            Subject(address="0x70997970C51812dc3A010C7d01b50e0d17dc79C8"),
        ),
        ("0x" + "0" * 63 + "1", Subject(token_id=1)),
        ("https://app.example/verify?credential=0x" + "f" * 64, Subject(token_id=2**256 - 1)),
        (
            "http://localhost:8501/verify?address=0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            Subject(address="0x70997970C51812dc3A010C7d01b50e0d17dc79C8"),
        ),
    ],
)
def test_subjects_are_addresses_token_ids_or_share_links(text, expected):
    assert parse_subject(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "alice.eth",
        "0x123g",
        "https://app.example/verify?x=1",
        "0x70997970C51812dc3A010C7d01b50e0d17dc79c8",
    ],
)
def test_bad_subjects_are_refused(text):
    with pytest.raises(InputError):
        parse_subject(text)


def test_a_renounced_credential_leaves_the_wallet(mc, store, holder, accounts, create_credential):
    token = create_credential(holder).token_id
    holder_key = Account.from_key(accounts[2].private_key)
    mc.transact(mc.credential.functions.burn(token), holder_key, action="burn")
    assert verify_wallet(mc, store, holder).credentials == ()
    [credential] = verify_token(mc, store, token).credentials
    assert credential.status == "not_found"
    assert "burned" in _checks(credential)["held_by_wallet"].detail


def test_read_state_matches_the_single_reads(mc, holder, create_credential, issuer_id):
    token = create_credential(holder).token_id
    statuses, issuers, now = mc.read_state([token, 5])
    assert statuses == mc.credentials([token, 5])
    assert [i.id for i in issuers] == [issuer_id]
    assert now == mc.latest_timestamp()
