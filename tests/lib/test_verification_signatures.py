"""Verification of the Open Badges proof and of the key behind it: ``proof_valid`` and
``signing_key_belongs_to_issuer``, on Ape's EthTester chain with the real registry.

Each test builds a document with the library's builder and mints its id for real, so that only
what the test changes (the key, the proof, the registry's record) is wrong."""

from __future__ import annotations

import itertools
import json

from _chain_fixtures import *  # noqa: F403
from _chain_fixtures import in_days, issuer_signing_key, travel
from eth_account import Account

from microcred.assertion_keys import register_assertion_key, revoke_assertion_key
from microcred.documents import build_credential, canonical_bytes, parse_credential
from microcred.issuance import Recipient, anchor_bulk, issuer_profile, signing_key_of
from microcred.vc import Ed25519SigningKey
from microcred.vc.multibase import decode_base58btc, encode_base58btc
from microcred.verification import verify_token, verify_wallet

_serial = itertools.count(1)


def _checks(report):
    return {c.name: c for c in report.checks}


def _document(mc, template, issuer_id, recipient, signer):
    return build_credential(
        template=template,
        issuer=issuer_profile(mc, issuer_id),
        recipient=recipient,
        valid_from=in_days(mc, 0),
        evidence=[f"https://example.org/signed/{next(_serial)}"],
        signer=signer,
    )


def _minted(mc, store, issuer_key, holder, document):
    store.put(document.bytes)
    mc.transact(mc.issue_call(holder, document.token_id, 0), issuer_key, action="issue")
    [credential] = verify_token(mc, store, document.token_id).credentials
    return credential


def test_an_issued_credential_names_its_proof_and_its_registered_key(
    mc, store, issuer_id, holder, create_credential
):
    token_id = create_credential(holder).token_id
    [credential] = verify_token(mc, store, token_id).credentials
    checks = _checks(credential)
    did = issuer_signing_key(mc).did
    assert credential.status == "valid"
    assert checks["proof_valid"].ok and did in checks["proof_valid"].detail
    assert checks["signing_key_belongs_to_issuer"].ok
    assert checks["signing_key_belongs_to_issuer"].detail.startswith(
        f"{did} is issuer {issuer_id}'s key, registered "
    )


def test_a_key_the_registry_never_recorded_speaks_for_nobody(
    mc, store, issuer_key, issuer_id, holder, template
):
    stranger = Ed25519SigningKey.from_seed(bytes([7]) * 32)
    credential = _minted(
        mc, store, issuer_key, holder, _document(mc, template, issuer_id, holder, stranger)
    )
    checks = _checks(credential)
    assert credential.status == "tampered"
    assert checks["proof_valid"].ok  # a good signature...
    assert not checks["signing_key_belongs_to_issuer"].ok  # ...by a key of no institution
    assert "records no key" in checks["signing_key_belongs_to_issuer"].detail


def test_another_institutions_key_does_not_speak_for_this_one(
    mc, store, registrar_key, issuer_key, issuer_id, holder, template
):
    """A hostile accredited institution signs a document naming our issuer with a key it
    registered for ITSELF; our signer is tricked into minting it. Records are per issuer, so our
    issuer's record of that key is empty: the key speaks for nobody here."""
    other = Account.create()
    other_id = mc.register_issuer(registrar_key, name="Other College", signers=[other.address])
    w3 = mc.w3
    w3.eth.send_transaction(
        {"from": w3.eth.accounts[0], "to": other.address, "value": 10**18}
    )  # gas money for the other institution's signer
    other_key = signing_key_of(mc, other, other_id)
    register_assertion_key(mc, other, other_key.public_key)

    credential = _minted(
        mc, store, issuer_key, holder, _document(mc, template, issuer_id, holder, other_key)
    )
    check = _checks(credential)["signing_key_belongs_to_issuer"]
    assert credential.status == "tampered" and not check.ok
    assert "records no key" in check.detail and other_key.did in check.detail
    assert mc.assertion_keys([(other_id, other_key.public_key)])[
        (other_id, other_key.public_key)
    ].registered  # the other institution's own record is there, and does not count


def test_another_institution_registering_and_revoking_our_key_changes_nothing_for_us(
    mc, store, registrar_key, issuer_id, holder, create_credential
):
    """Squatting: our key is public (in every document we issue); a hostile accredited
    institution registers it for itself, then revokes it there. Our record is our own: our
    credential stays valid."""
    token_id = create_credential(holder).token_id
    other = Account.create()
    other_id = mc.register_issuer(registrar_key, name="Squatter College", signers=[other.address])
    mc.w3.eth.send_transaction(
        {"from": mc.w3.eth.accounts[0], "to": other.address, "value": 10**18}
    )  # gas money for the other institution's signer
    our_key = issuer_signing_key(mc).public_key
    register_assertion_key(mc, other, our_key)
    revoke_assertion_key(mc, other, other_id, our_key, "squatted")

    [credential] = verify_token(mc, store, token_id).credentials
    assert credential.status == "valid"
    assert _checks(credential)["signing_key_belongs_to_issuer"].ok


def test_a_key_revoked_keeps_what_it_signed_before_and_refuses_what_comes_after(
    mc, store, chain, issuer_key, issuer_id, holder, template
):
    key = Ed25519SigningKey.from_seed(bytes([next(_serial)]) * 32)
    register_assertion_key(mc, issuer_key, key.public_key)
    before = _minted(mc, store, issuer_key, holder, _document(mc, template, issuer_id, holder, key))
    assert before.status == "valid"

    travel(chain, 60)
    revoke_assertion_key(mc, issuer_key, issuer_id, key.public_key, "laptop stolen")
    travel(chain, 60)
    after = _minted(mc, store, issuer_key, holder, _document(mc, template, issuer_id, holder, key))
    assert after.status == "tampered"
    assert "was revoked" in _checks(after)["signing_key_belongs_to_issuer"].detail

    [again] = verify_token(mc, store, before.token_id).credentials
    assert again.status == "valid"  # rotation never touches what was issued before
    assert (
        "after this credential was issued" in _checks(again)["signing_key_belongs_to_issuer"].detail
    )


def test_an_unsigned_document_is_tampered_with_the_reason(
    mc, store, issuer_key, issuer_id, holder, template
):
    credential = _minted(
        mc, store, issuer_key, holder, _document(mc, template, issuer_id, holder, None)
    )
    checks = _checks(credential)
    assert credential.status == "tampered"
    assert not checks["proof_valid"].ok and "no proof" in checks["proof_valid"].detail
    assert not checks["signing_key_belongs_to_issuer"].ok


def test_a_document_whose_signature_was_changed_fails_its_proof(
    mc, store, issuer_key, issuer_id, holder, template
):
    """One bit of the signature flipped: still a well-formed document (it parses, its sha256 is
    the token id it was minted under), but not what the key signed."""
    honest = _document(mc, template, issuer_id, holder, issuer_signing_key(mc))
    data = json.loads(honest.bytes)
    signature = bytearray(decode_base58btc(data["proof"][0]["proofValue"]))
    signature[10] ^= 0x01
    data["proof"][0]["proofValue"] = encode_base58btc(bytes(signature))
    forged = parse_credential(canonical_bytes(data))
    credential = _minted(mc, store, issuer_key, holder, forged)
    checks = _checks(credential)
    assert credential.status == "tampered"
    assert [c.name for c in credential.checks if not c.ok][0] == "proof_valid"
    assert "does not match the document" in checks["proof_valid"].detail


def test_an_anchored_entry_is_checked_for_its_proof_and_key_too(
    mc, store, issuer_key, template, tmp_path
):
    learner = Account.create().address
    anchor_bulk(
        mc,
        store,
        issuer_key,
        template_id=template.template_id,
        recipients=[Recipient(address=learner)],
        journal_dir=tmp_path / "journal",
        proofs_dir=tmp_path / "proofs",
    )
    [credential] = verify_wallet(mc, store, learner).credentials
    checks = _checks(credential)
    assert credential.status == "anchored"
    assert checks["proof_valid"].ok and checks["signing_key_belongs_to_issuer"].ok
