"""Verification: each named check and each verdict, on the real contracts (Ape's EthTester)."""

from __future__ import annotations

import doctest
import itertools
import json
import time
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from _chain_fixtures import *  # noqa: F403
from _chain_fixtures import in_days, issuer_signing_key, travel
from eth_account import Account

import microcred.verification
from microcred.anchoring import AnchoredCredential, store_manifest
from microcred.cid import cid_of_token_id
from microcred.documents import build_credential, build_template, parse_credential
from microcred.errors import DocumentError, InputError
from microcred.merkle import Leaf, MerkleTree
from microcred.verification import (
    CHECKS,
    STATUSES,
    Subject,
    parse_subject,
    verify,
    verify_anchored,
    verify_token,
    verify_wallet,
)

CHECK_NAMES = [name for name, _, _ in CHECKS]


def test_docstring_examples_hold():
    assert doctest.testmod(microcred.verification).failed == 0


def _failed(credential):
    """The names of the checks that failed, in order."""
    return [c.name for c in credential.checks if not c.ok]


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
    status = mc.credential_status(token)
    assert (credential.issuer_id, credential.issued_at, credential.expires_at) == (
        status.issuer_id,
        status.issued_at,
        status.expires_at,
    )
    assert credential.document is not None and credential.document.token_id == token
    assert (report.subject, report.chain_id) == (holder, mc.chain_id)


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


def test_after_a_document_out_of_reach_each_later_check_says_it_did_not_look(
    mc, store, holder, create_credential, tmp_path
):
    from microcred.storage import LocalStore

    token = create_credential(holder).token_id
    cid = cid_of_token_id(token)
    [credential] = verify_token(mc, LocalStore(tmp_path), token).credentials
    checks = _checks(credential)
    assert credential.status == "unavailable"
    assert not checks["document_retrieved"].ok
    assert checks["document_retrieved"].detail.startswith(f"{cid} could not be retrieved: ")
    assert (checks["document_hash"].ok, checks["document_hash"].detail) == (
        False,
        "not checked: no document",
    )
    assert (checks["document_matches_chain"].ok, checks["document_matches_chain"].detail) == (
        False,
        "not checked: no trustworthy document",
    )


def test_an_altered_document_is_tampered_with_its_cid_named(mc, store, holder, create_credential):
    issued = create_credential(holder)
    path = store.path_of(issued.cid)
    original = path.read_bytes()
    path.write_bytes(original.replace(b"Solidity basics", b"Solidity MASTER"))
    try:
        [credential] = verify_token(mc, store, issued.token_id).credentials
    finally:
        path.write_bytes(original)
    check = _checks(credential)["document_hash"]
    assert not check.ok and issued.cid in check.detail
    assert _checks(credential)["document_matches_chain"].detail == (
        "not checked: no trustworthy document"
    )


def test_a_document_naming_another_recipient_does_not_match_the_chain(
    mc, store, issuer_key, holder, other_holder, template, issuer_id
):
    from microcred.issuance import issuer_profile

    # Issued on chain to `holder`, though the (honestly hashed) document names `other_holder`.
    doc = build_credential(
        template=template,
        issuer=issuer_profile(mc, issuer_id),
        recipient=other_holder,
        signer=issuer_signing_key(mc),
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
    checks = _checks(credential)
    assert (checks["token_exists"].ok, checks["token_exists"].detail) == (
        False,
        "no credential with this id was ever issued on this chain",
    )
    # Every later check says it could not look, and none claims to have passed.
    assert (checks["held_by_wallet"].ok, checks["held_by_wallet"].detail) == (
        False,
        "not checked: the credential does not exist",
    )
    assert not checks["document_hash"].ok and not checks["document_matches_chain"].ok


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
    ("text", "message"),
    [
        ("", "is neither a wallet address"),
        ("alice.eth", "is neither a wallet address"),
        ("0x123g", "is neither a wallet address"),
        ("https://app.example/verify?x=1", "names neither a credential nor an address"),
        ("0x70997970C51812dc3A010C7d01b50e0d17dc79c8", "wrong checksum"),
    ],
)
def test_bad_subjects_are_refused(text, message):
    with pytest.raises(InputError, match=message):
        parse_subject(text)


def test_a_renounced_credential_leaves_the_wallet(mc, store, holder, accounts, create_credential):
    token = create_credential(holder).token_id
    holder_key = Account.from_key(accounts[2].private_key)
    mc.transact(mc.credential.functions.burn(token), holder_key, action="burn")
    assert verify_wallet(mc, store, holder).credentials == ()
    [credential] = verify_token(mc, store, token).credentials
    assert credential.status == "not_found"
    assert _checks(credential)["held_by_wallet"].detail == "burned: its holder renounced it"


def test_read_state_matches_the_single_reads(mc, holder, create_credential, issuer_id):
    token = create_credential(holder).token_id
    statuses, issuers, now = mc.read_state([token, 5])
    assert statuses == mc.credentials([token, 5])
    assert [i.id for i in issuers] == [issuer_id]
    assert now == mc.latest_timestamp()


# --------------------------------------------------------------------------------------------------
# The chain facts a document carries, each compared on its own: a document that is honestly hashed
# and issued on chain, but names another chain, registry or issuer, is `tampered` with the fact
# named. One fact differs per case, so removing any single comparison fails exactly one case.
# --------------------------------------------------------------------------------------------------


def _forged_profile(mc, deployed, issuer_id, fact):
    """The issuer as the registry knows it, with one chain fact changed; and that fact's detail."""
    from microcred.issuance import issuer_profile

    real = issuer_profile(mc, issuer_id)
    if fact == "chain id":
        other = mc.chain_id + 1
        return replace(real, chain_id=other), f"chain id {other} is not {mc.chain_id}"
    if fact == "registry":
        other = deployed.credential.address  # a real contract, just not the registry
        return replace(real, registry=other), f"registry {other} is not {mc.registry_address}"
    assert fact == "issuer id"
    return replace(real, issuer_id=issuer_id + 1), f"issuer id {issuer_id + 1} is not {issuer_id}"


def _built_for(profile, mc, store, recipient, *, valid_until=None):
    """A template and a credential built by the library's builders for ``profile``, stored."""
    template = build_template(
        issuer=profile,
        name="Solidity basics",
        description="Writes and tests a simple contract.",
        criteria="Passed the final assessment.",
        skills=["Solidity"],
    )
    document = build_credential(
        template=template,
        issuer=profile,
        recipient=recipient,
        signer=issuer_signing_key(mc),  # honestly signed: only what each test changes is wrong
        valid_from=in_days(mc, 0),
        valid_until=valid_until,
        evidence=[f"https://example.org/forged/{next(_forged)}"],
    )
    store.put(template.bytes)
    store.put(document.bytes)
    return document


_forged = itertools.count(1)
CHAIN_FACTS = ["chain id", "registry", "issuer id"]


@pytest.mark.parametrize("fact", CHAIN_FACTS)
def test_a_document_naming_another_chain_fact_is_tampered_with_the_fact_named(
    mc, store, deployed, issuer_key, issuer_id, holder, fact
):
    profile, detail = _forged_profile(mc, deployed, issuer_id, fact)
    document = _built_for(profile, mc, store, holder)
    mc.transact(mc.issue_call(holder, document.token_id, 0), issuer_key, action="issue")

    [credential] = verify_token(mc, store, document.token_id).credentials
    assert credential.status == "tampered"
    checks = _checks(credential)
    assert _failed(credential) == ["document_matches_chain"]  # only the comparison fails
    assert not checks["document_matches_chain"].ok
    assert checks["document_matches_chain"].detail == detail
    # Looked up by wallet, the same verdict.
    assert verify_wallet(mc, store, holder).credentials[0].status == "tampered"


def _anchor_one(
    mc, store, deployed, issuer_key, issuer_id, document, *, expires_at, recipient=None
):
    """Anchor ``document`` for real (leaf, tree with a second leaf, manifest in the store, the
    ``anchor`` transaction) with ``expires_at`` (and ``recipient``, by default the document's) in
    its leaf; returns its proof."""
    leaf = Leaf(recipient or document.recipient, document.token_id, expires_at)
    neighbour = Leaf(Account.create().address, document.token_id ^ 1, 0)
    tree = MerkleTree([leaf, neighbour])
    manifest = store_manifest(
        store,
        tree=tree,
        leaves=[leaf, neighbour],
        chain=mc,
        issuer_id=issuer_id,
        template_id=document.template_id,
    )
    mc.transact(mc.anchor_call(tree.root, 2, manifest), issuer_key, action="anchor")
    return AnchoredCredential(
        chain_id=mc.chain_id,
        credential=deployed.credential.address,
        issuer_id=issuer_id,
        root=tree.root,
        recipient=leaf.recipient,
        token_id=leaf.token_id,
        expires_at=leaf.expires_at,
        proof=tuple(tree.proof(leaf)),
        manifest=manifest,
    )


@pytest.mark.parametrize("fact", CHAIN_FACTS)
def test_an_anchored_document_naming_another_chain_fact_is_tampered(
    mc, store, deployed, issuer_key, issuer_id, fact
):
    learner = Account.create().address
    profile, detail = _forged_profile(mc, deployed, issuer_id, fact)
    document = _built_for(profile, mc, store, learner)
    item = _anchor_one(mc, store, deployed, issuer_key, issuer_id, document, expires_at=0)

    for report in (verify_anchored(mc, store, item), verify_wallet(mc, store, learner)):
        [credential] = report.credentials
        assert credential.status == "tampered" and credential.proof == item
        assert _failed(credential) == ["document_matches_chain"]
        check = _checks(credential)["document_matches_chain"]
        assert not check.ok and check.detail == detail


def test_an_anchored_document_whose_expiry_is_not_its_leafs_is_tampered(
    mc, store, deployed, issuer_key, issuer_id, template
):
    from microcred.issuance import issuer_profile

    learner = Account.create().address
    expires = in_days(mc, 30).replace(microsecond=0)
    document = _built_for(issuer_profile(mc, issuer_id), mc, store, learner, valid_until=expires)
    written = int(expires.timestamp())
    later = written + 86400  # what the chain would record on a claim: a day more than the document
    item = _anchor_one(mc, store, deployed, issuer_key, issuer_id, document, expires_at=later)

    for report in (verify_anchored(mc, store, item), verify_wallet(mc, store, learner)):
        [credential] = report.credentials
        assert credential.status == "tampered"
        assert _failed(credential) == ["document_matches_chain"]
        check = _checks(credential)["document_matches_chain"]
        assert not check.ok and check.detail == f"expiry {written} is not the leaf's {later}"


def test_an_anchored_document_whose_recipient_is_not_its_leafs_is_tampered(
    mc, store, deployed, issuer_key, issuer_id
):
    from microcred.issuance import issuer_profile

    learner, other = Account.create().address, Account.create().address
    document = _built_for(issuer_profile(mc, issuer_id), mc, store, other)
    item = _anchor_one(
        mc, store, deployed, issuer_key, issuer_id, document, expires_at=0, recipient=learner
    )

    [credential] = verify_anchored(mc, store, item).credentials
    assert credential.status == "tampered"
    assert _failed(credential) == ["document_matches_chain"]
    check = _checks(credential)["document_matches_chain"]
    assert not check.ok and check.detail == f"recipient {other} is not the leaf's {learner}"


def test_the_anchored_checks_pass_for_a_document_that_matches_its_leaf(
    mc, store, deployed, issuer_key, issuer_id
):
    """The control for the cases above: built and anchored the same way, with the leaf's facts."""
    from microcred.issuance import issuer_profile

    learner = Account.create().address
    expires = in_days(mc, 30).replace(microsecond=0)
    document = _built_for(issuer_profile(mc, issuer_id), mc, store, learner, valid_until=expires)
    item = _anchor_one(
        mc, store, deployed, issuer_key, issuer_id, document, expires_at=int(expires.timestamp())
    )
    report = verify_anchored(mc, store, item)
    assert (report.subject, report.chain_id) == (f"0x{document.token_id:064x}", mc.chain_id)
    [credential] = report.credentials
    assert credential.status == "anchored"
    assert _checks(credential)["document_matches_chain"].detail == (
        "recipient, expiry, chain, registry and issuer match the anchored leaf"
    )


def test_a_proof_file_naming_another_issuer_than_the_anchors_is_not_found(
    mc, store, deployed, issuer_key, issuer_id
):
    """A proof file is the learner's to hand around: one that says another institution anchored
    the root (its issuerId edited) does not verify as that institution's."""
    from microcred.issuance import issuer_profile

    learner = Account.create().address
    document = _built_for(issuer_profile(mc, issuer_id), mc, store, learner)
    item = _anchor_one(mc, store, deployed, issuer_key, issuer_id, document, expires_at=0)
    [credential] = verify_anchored(mc, store, replace(item, issuer_id=issuer_id + 1)).credentials
    assert credential.status == "not_found"
    check = _checks(credential)["root_anchored"]
    assert not check.ok
    assert check.detail == f"the root was anchored by issuer {issuer_id}, not {issuer_id + 1}"


# --------------------------------------------------------------------------------------------------
# What a report says, field by field: dates are UTC whatever the machine's time zone, expiry is
# decided by the latest block's time at the second, and every field of `verify --json` is pinned.
# --------------------------------------------------------------------------------------------------


def _utc(ts):
    """``ts`` as the reports write it, worked out independently of the code under test."""
    return datetime.fromtimestamp(ts, UTC).isoformat().removesuffix("+00:00") + "Z"


@pytest.fixture
def far_from_utc(monkeypatch):
    """The process's local time zone set to UTC+05:45 (no DST, no tz database needed), so that a
    date written in local time instead of UTC cannot pass for it."""
    monkeypatch.setenv("TZ", "NPT-05:45")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_expiry_is_decided_at_the_second_by_the_latest_block(
    chain, mc, store, holder, create_credential
):
    token = create_credential(holder, expires=in_days(mc, 2)).token_id
    expires_at = mc.credential_status(token).expires_at

    chain.mine(timestamp=expires_at - 1)
    [before] = verify_token(mc, store, token).credentials
    assert before.status == "valid"
    assert _checks(before)["not_expired"].detail == f"valid until {_utc(expires_at)}"

    chain.mine(timestamp=expires_at)  # the latest block's time is the expiry itself
    [at] = verify_token(mc, store, token).credentials
    assert at.status == "expired"
    assert (_checks(at)["not_expired"].ok, _checks(at)["not_expired"].detail) == (
        False,
        f"expired {_utc(expires_at)}",
    )


def test_a_wallets_report_in_json_names_every_field_with_utc_dates(
    mc, store, issuer_id, holder, create_credential, far_from_utc
):
    token = create_credential(holder, expires=in_days(mc, 30)).token_id
    status = mc.credential_status(token)
    data = verify_wallet(mc, store, holder).to_json()
    [entry] = data["credentials"]
    checks = {c["name"]: c for c in entry.pop("checks")}
    assert data == {
        "subject": holder,
        "chainId": mc.chain_id,
        "credentials": [entry],
        "warnings": [],
    }
    assert entry == {
        "tokenId": f"0x{token:064x}",
        "status": "valid",
        "holder": holder,
        "issuer": {"id": issuer_id, "name": "Example University"},
        "achievement": "Solidity basics",
        "issuedAt": _utc(status.issued_at),
        "expiresAt": _utc(status.expires_at),
        "revocationReason": None,
        "proof": None,
    }
    assert list(checks) == CHECK_NAMES and all(c["ok"] for c in checks.values())
    assert checks["token_exists"]["detail"] == f"issued {_utc(status.issued_at)}"
    assert checks["held_by_wallet"]["detail"] == f"held by {holder}"
    assert checks["issuer_active"]["detail"] == f"issuer {issuer_id} (Example University) is active"
    assert checks["not_expired"]["detail"] == f"valid until {_utc(status.expires_at)}"
    assert checks["document_retrieved"]["detail"] == f"fetched {cid_of_token_id(token)}"
    assert checks["not_revoked"]["detail"] == "not revoked"
    assert checks["document_hash"]["detail"] == "the document's sha256 is the token id"
    assert checks["document_matches_chain"]["detail"] == (
        "recipient, chain, registry and issuer match the chain"
    )


def test_a_revoked_credentials_json_gives_the_reason_and_the_utc_time(
    mc, store, issuer_key, holder, create_credential, far_from_utc
):
    token = create_credential(holder).token_id
    mc.revoke(issuer_key, token, "plagiarised final project")
    revoked_at = mc.credential_status(token).revoked_at
    [entry] = verify_token(mc, store, token).to_json()["credentials"]
    assert (entry["status"], entry["revocationReason"], entry["expiresAt"]) == (
        "revoked",
        "plagiarised final project",
        None,  # never expires
    )
    not_revoked = next(c for c in entry["checks"] if c["name"] == "not_revoked")
    assert not_revoked == {
        "name": "not_revoked",
        "ok": False,
        "detail": f"revoked {_utc(revoked_at)}: plagiarised final project",
    }
    not_expired = next(c for c in entry["checks"] if c["name"] == "not_expired")
    assert (not_expired["ok"], not_expired["detail"]) == (True, "never expires")


def test_a_token_whose_bytes_hash_right_but_are_not_a_credential_is_tampered(
    mc, store, issuer_key, holder, template
):
    """An issuer who mints a template's id by mistake: the bytes are intact and hash to the token
    id, but they are no credential, so nothing in them can be compared with the chain."""
    mc.transact(mc.issue_call(holder, template.template_id, 0), issuer_key, action="issue")
    with pytest.raises(DocumentError) as why:
        parse_credential(template.bytes)

    report = verify_token(mc, store, template.template_id)
    [credential] = report.credentials
    assert credential.status == "tampered"
    checks = _checks(credential)
    # Fetched, and its sha256 is the token id; what needs a document cannot be checked.
    assert _failed(credential) == [
        "document_matches_chain",
        "proof_valid",
        "signing_key_belongs_to_issuer",
    ]
    assert (checks["document_matches_chain"].ok, checks["document_matches_chain"].detail) == (
        False,
        f"not a microcred credential document: {why.value}",
    )
    assert credential.document is None and credential.achievement is None
    assert verify_wallet(mc, store, holder).credentials[0].status == "tampered"


def test_an_empty_wallets_report_still_names_the_wallet_and_the_chain(mc, store, stranger_key):
    report = verify_wallet(mc, store, stranger_key.address)
    assert report.to_json() == {
        "subject": stranger_key.address,
        "chainId": mc.chain_id,
        "credentials": [],
        "warnings": [],
    }


def test_a_batch_out_of_reach_is_a_warning_beside_the_wallets_credentials(
    mc, store, issuer_key, holder, create_credential
):
    token = create_credential(holder).token_id
    root = bytes(range(32))
    missing = cid_of_token_id(2**255 + 12345)  # a well-formed CID that no store holds
    mc.transact(mc.anchor_call(root, 3, missing), issuer_key, action="anchor")

    report = verify_wallet(mc, store, holder)
    assert [(c.token_id, c.status) for c in report.credentials] == [(token, "valid")]
    [warning] = report.warnings
    assert warning.startswith(f"anchored batch 0x{root.hex()}: manifest {missing}")
    assert report.to_json()["warnings"] == [warning]


def test_the_anchored_report_in_json_names_every_field_with_utc_dates(
    mc, store, deployed, issuer_key, issuer_id, far_from_utc
):
    from microcred.issuance import issuer_profile

    learner = Account.create().address
    expires = in_days(mc, 30).replace(microsecond=0)
    document = _built_for(issuer_profile(mc, issuer_id), mc, store, learner, valid_until=expires)
    expires_at = int(expires.timestamp())
    item = _anchor_one(mc, store, deployed, issuer_key, issuer_id, document, expires_at=expires_at)
    anchored_at = mc.anchor_of(item.root).anchored_at

    for report in (verify_anchored(mc, store, item), verify_wallet(mc, store, learner)):
        [credential] = report.credentials
        assert credential.document is not None
        assert credential.document.token_id == document.token_id
        entry = credential.to_json()
        checks = {c["name"]: c for c in entry.pop("checks")}
        assert entry == {
            "tokenId": f"0x{document.token_id:064x}",
            "status": "anchored",
            "holder": None,
            "issuer": {"id": issuer_id, "name": "Example University"},
            "achievement": "Solidity basics",
            "issuedAt": _utc(anchored_at),
            "expiresAt": _utc(expires_at),
            "revocationReason": None,
            "proof": item.to_json(),
        }
        assert all(c["ok"] for c in checks.values())
        assert checks["root_anchored"]["detail"] == (
            f"root anchored by issuer {issuer_id} {_utc(anchored_at)}"
        )
        assert checks["in_batch"]["detail"] == "Merkle proof of 1 hash(es) leads to the root"
        assert checks["not_expired"]["detail"] == f"valid until {_utc(expires_at)}"


def test_a_proof_file_for_another_chain_is_not_found_here(
    mc, store, deployed, issuer_key, issuer_id
):
    from microcred.issuance import issuer_profile

    learner = Account.create().address
    document = _built_for(issuer_profile(mc, issuer_id), mc, store, learner)
    item = _anchor_one(mc, store, deployed, issuer_key, issuer_id, document, expires_at=0)
    elsewhere = mc.chain_id + 1
    [credential] = verify_anchored(mc, store, replace(item, chain_id=elsewhere)).credentials
    assert credential.status == "not_found"
    check = _checks(credential)["root_anchored"]
    assert (check.ok, check.detail) == (
        False,
        f"the proof file is for chain {elsewhere}, not {mc.chain_id}",
    )


def test_a_claimed_credential_given_with_its_proof_file_is_verified_as_its_token(
    chain, mc, store, deployed, issuer_key, issuer_id, stranger_key
):
    from microcred.anchoring import claim
    from microcred.issuance import issuer_profile

    learner = Account.create().address
    expires = in_days(mc, 2).replace(microsecond=0)
    document = _built_for(issuer_profile(mc, issuer_id), mc, store, learner, valid_until=expires)
    expires_at = int(expires.timestamp())
    item = _anchor_one(mc, store, deployed, issuer_key, issuer_id, document, expires_at=expires_at)
    claim(mc, stranger_key, item)

    report = verify_anchored(mc, store, item)
    assert (report.subject, report.chain_id) == (f"0x{item.token_id:064x}", mc.chain_id)
    [credential] = report.credentials
    assert (credential.status, credential.holder, credential.proof) == ("valid", learner, None)
    travel(chain, 3 * 86400)
    [later] = verify_anchored(mc, store, item).credentials
    assert later.status == "expired"
    assert _checks(later)["not_expired"].detail == f"expired {_utc(expires_at)}"


# --------------------------------------------------------------------------------------------------
# Another issuer's copies of a learner's anchored credential (security issue 12, finding 2): what
# the learner's wallet shows is the rightful entry, never the copy.
# --------------------------------------------------------------------------------------------------


@pytest.fixture
def hostile_id(mc, registrar_key, stranger_key):
    """A second accredited issuer whose key went bad (the stranger's)."""
    return mc.register_issuer(
        registrar_key, name="Hostile Institute", signers=[stranger_key.address]
    )


def _learners_anchored_credential(mc, store, deployed, issuer_key, issuer_id):
    from microcred.issuance import issuer_profile

    learner = Account.create().address
    document = _built_for(issuer_profile(mc, issuer_id), mc, store, learner)
    item = _anchor_one(mc, store, deployed, issuer_key, issuer_id, document, expires_at=0)
    return learner, item


def test_a_copy_another_issuer_mints_into_the_wallet_is_not_shown_the_rightful_entry_is(
    chain, mc, store, deployed, issuer_key, issuer_id, stranger_key, hostile_id
):
    learner, item = _learners_anchored_credential(mc, store, deployed, issuer_key, issuer_id)
    travel(chain, 5)  # the copy comes after the batch was public
    mc.transact(mc.issue_call(learner, item.token_id, 0), stranger_key, action="issue a copy")
    assert mc.credential_status(item.token_id).issuer_id == hostile_id

    [shown] = verify_wallet(mc, store, learner).credentials
    assert (shown.status, shown.issuer_id, shown.issuer_name, shown.proof) == (
        "anchored",
        issuer_id,
        "Example University",
        item,
    )


def test_another_issuers_batch_holding_the_learners_leaf_is_not_shown(
    mc, store, deployed, issuer_key, issuer_id, stranger_key, hostile_id
):
    learner, item = _learners_anchored_credential(mc, store, deployed, issuer_key, issuer_id)
    # The hostile issuer anchors the learner's very leaf in a batch of its own, with a manifest
    # that lists it for the learner: the wallet lookup finds the same token id twice.
    leaves = [item.leaf, Leaf(Account.create().address, 7, 0)]
    tree = MerkleTree(leaves)
    manifest = store_manifest(
        store, tree=tree, leaves=leaves, chain=mc, issuer_id=hostile_id, template_id=1
    )
    mc.transact(mc.anchor_call(tree.root, 2, manifest), stranger_key, action="anchor a copy")

    [shown] = verify_wallet(mc, store, learner).credentials
    assert (shown.status, shown.issuer_id, shown.proof) == ("anchored", issuer_id, item)


def test_an_edited_proof_file_says_nothing_against_a_credential_its_issuer_minted(
    chain, mc, store, deployed, issuer_key, issuer_id
):
    """Once the id is minted by the issuer that anchored it, the token is the truth: a proof file
    naming another issuer, or a root never anchored, does not turn it into a pending entry."""
    learner, item = _learners_anchored_credential(mc, store, deployed, issuer_key, issuer_id)
    travel(chain, 5)
    mc.transact(mc.issue_call(learner, item.token_id, 0), issuer_key, action="issue")

    for edited in (
        replace(item, issuer_id=issuer_id + 1),
        replace(item, issuer_id=issuer_id + 1, root=bytes(32)),
    ):
        report = verify_anchored(mc, store, edited)
        assert report.subject == f"0x{item.token_id:064x}"
        [credential] = report.credentials
        assert (credential.status, credential.holder, credential.proof) == ("valid", learner, None)


# --------------------------------------------------------------------------------------------------
# Sentences users read, pinned where they carry the facts: what was typed, which formats are
# accepted, every mismatch found, why a proof fails.
# --------------------------------------------------------------------------------------------------

BAD_CHECKSUM = "0x70997970C51812dc3A010C7d01b50e0d17dc79c8"


def test_a_mistyped_wallet_address_is_named_as_a_wallet_address(mc, store):
    expected = (
        f"The wallet address {BAD_CHECKSUM!r} has a wrong checksum (its mixed case is a typo "
        "check): copy it again from its source."
    )
    for attempt in (
        lambda: parse_subject(BAD_CHECKSUM),
        lambda: verify_wallet(mc, store, BAD_CHECKSUM),
    ):
        with pytest.raises(InputError) as refused:
            attempt()
        assert str(refused.value) == expected


def test_a_subject_of_no_known_form_is_refused_with_the_forms_accepted():
    with pytest.raises(InputError) as refused:
        parse_subject("alice.eth")
    assert str(refused.value) == (
        "'alice.eth' is neither a wallet address (0x + 40 hex), a token id (0x + 64 hex) "
        "nor a share link."
    )


def test_every_chain_fact_a_document_gets_wrong_is_named(
    mc, store, deployed, issuer_key, issuer_id, holder
):
    from microcred.issuance import issuer_profile

    wrong_chain, wrong_issuer = mc.chain_id + 1, issuer_id + 1
    profile = replace(issuer_profile(mc, issuer_id), chain_id=wrong_chain, issuer_id=wrong_issuer)
    expected = (
        f"chain id {wrong_chain} is not {mc.chain_id}; issuer id {wrong_issuer} is not {issuer_id}"
    )
    minted = _built_for(profile, mc, store, holder)
    mc.transact(mc.issue_call(holder, minted.token_id, 0), issuer_key, action="issue")
    [credential] = verify_token(mc, store, minted.token_id).credentials
    assert _checks(credential)["document_matches_chain"].detail == expected

    anchored = _built_for(profile, mc, store, Account.create().address)
    item = _anchor_one(mc, store, deployed, issuer_key, issuer_id, anchored, expires_at=0)
    [credential] = verify_anchored(mc, store, item).credentials
    assert _checks(credential)["document_matches_chain"].detail == expected


def test_a_proof_that_does_not_lead_to_the_root_says_so(mc, store, deployed, issuer_key, issuer_id):
    learner, item = _learners_anchored_credential(mc, store, deployed, issuer_key, issuer_id)
    [credential] = verify_anchored(mc, store, replace(item, proof=(bytes(32),))).credentials
    assert credential.status == "tampered"
    check = _checks(credential)["in_batch"]
    assert (check.ok, check.detail) == (
        False,
        "the Merkle proof does not lead from this credential to the root",
    )
