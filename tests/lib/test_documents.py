"""Credential and template documents: Open Badges 3.0 + ERC-721 metadata, canonical and strict."""

from __future__ import annotations

import doctest
import hashlib
import json
import os
import subprocess
import sys
from collections import OrderedDict
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microcred.documents
from microcred.cid import cid_of, token_id_of
from microcred.documents import (
    MAX_DOCUMENT_SIZE,
    MICROCRED_CONTEXT,
    OB_CONTEXT,
    VC_CONTEXT,
    IssuerProfile,
    build_credential,
    build_template,
    canonical_bytes,
    parse_credential,
    parse_template,
    prepare_credential,
)
from microcred.errors import DocumentError
from microcred.vc import Ed25519SigningKey
from microcred.vc import verify as vc_verify

REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
LEARNER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
IMAGE = "ipfs://bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
START = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def issuer() -> IssuerProfile:
    return IssuerProfile(
        issuer_id=7,
        name="Example University",
        chain_id=31337,
        registry=REGISTRY,
        url="https://uni.example",
    )


@pytest.fixture
def template(issuer):
    return build_template(
        issuer=issuer,
        name="Solidity basics",
        description="Writes, tests and deploys a simple contract.",
        criteria="Passed the final assessment with at least 70%.",
        skills=["Solidity", "Testing"],
        evidence_required="A link to the repository.",
        valid_days=365,
        image=IMAGE,
    )


#: The issuer's signing key in these tests (a fixed seed: known answers stay known).
KEY = Ed25519SigningKey.from_seed(bytes(range(32)))
OTHER = Ed25519SigningKey.from_seed(bytes(32))


def credential_of(template, issuer, **overrides):
    kwargs = {
        "template": template,
        "issuer": issuer,
        "recipient": LEARNER,
        "valid_from": START,
        "signer": KEY,
    }
    return build_credential(**(kwargs | overrides))


def test_docstring_examples_hold():
    assert doctest.testmod(microcred.documents).failed == 0


# --- canonical bytes ------------------------------------------------------------------------------


def test_canonical_bytes_sort_keys_drop_whitespace_and_keep_utf8():
    assert canonical_bytes({"b": [1, {"d": None, "c": True}], "a": "é🎓"}) == (
        '{"a":"é🎓","b":[1,{"c":true,"d":null}]}'.encode()
    )


class _Fraction(float):
    pass


@pytest.mark.parametrize(
    "value",
    [
        1.5,
        {"x": [0.1]},
        {1: "a"},
        "\ud800",
        [{"a": (1, 2.5)}],
        OrderedDict(x=OrderedDict(y=0.5)),
        {"x": _Fraction(2)},
        {"x": OrderedDict({2: "b"})},
    ],
)
def test_canonical_bytes_refuse_what_has_no_single_spelling(value):
    with pytest.raises(DocumentError):
        canonical_bytes(value)


# --- templates ------------------------------------------------------------------------------------


def test_template_is_an_open_badges_achievement_with_its_creator(template, issuer):
    data = template.data
    assert data["@context"] == [VC_CONTEXT, OB_CONTEXT, MICROCRED_CONTEXT]
    assert data["type"] == ["Achievement"]
    assert data["criteria"] == {"narrative": "Passed the final assessment with at least 70%."}
    assert data["creator"] == {
        "id": f"urn:microcred:eip155:31337:{REGISTRY}:issuer:7",
        "type": ["Profile"],
        "name": "Example University",
        "url": "https://uni.example",
    }
    assert data["image"] == {"id": IMAGE, "type": "Image"}
    assert template.skills == ("Solidity", "Testing")
    assert (template.valid_days, template.issuer_id, template.image) == (365, 7, IMAGE)
    assert template.issuer == issuer
    assert template.template_id == token_id_of(template.bytes)
    assert template.cid == cid_of(template.bytes)


def test_template_round_trips_through_its_bytes(template):
    parsed = parse_template(template.bytes)
    assert parsed == template and parsed.data == template.data
    assert (parsed.name, parsed.criteria, parsed.evidence_required) == (
        template.name,
        template.criteria,
        "A link to the repository.",
    )


def test_a_minimal_template_has_no_optional_fields(issuer):
    minimal = build_template(issuer=issuer, name="N", description="D", criteria="C")
    assert {"tag", "image"}.isdisjoint(minimal.data)
    assert minimal.valid_days is None and minimal.skills == () and minimal.image is None
    assert parse_template(minimal.bytes) == minimal


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "  "}, "template name is empty"),
        ({"criteria": ""}, "criteria is empty"),
        ({"skills": "Solidity"}, "list of names"),
        ({"skills": ["A", "A"]}, "listed twice"),
        ({"valid_days": 0}, "valid_days"),
        ({"valid_days": True}, "valid_days"),
        ({"image": "logo.png"}, "not a URI"),
    ],
)
def test_bad_template_input_is_named(issuer, overrides, message):
    kwargs = {"issuer": issuer, "name": "N", "description": "D", "criteria": "C"}
    with pytest.raises(DocumentError, match=message):
        build_template(**(kwargs | overrides))


# --- credentials ----------------------------------------------------------------------------------


def test_credential_is_an_open_badge_credential(template, issuer):
    data = credential_of(template, issuer, evidence=["https://git.example/repo"]).data
    assert data["@context"] == [VC_CONTEXT, OB_CONTEXT, MICROCRED_CONTEXT]
    assert data["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    # The issuer's id is the did:key of the key that signed (what verifiers resolve); which
    # institution it speaks for is on chain, and in the microcred extension.
    assert data["issuer"] == {
        "id": KEY.did,
        "type": ["Profile"],
        "name": "Example University",
        "url": "https://uni.example",
    }
    assert data["proof"] == [
        {
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-rdfc-2022",
            "created": "2026-03-01T09:30:00Z",
            "verificationMethod": KEY.verification_method,
            "proofPurpose": "assertionMethod",
            "proofValue": data["proof"][0]["proofValue"],
        }
    ]
    assert data["validFrom"] == "2026-03-01T09:30:00Z"
    assert data["validUntil"] == "2027-03-01T09:30:00Z"  # the template's 365 days
    subject = data["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["id"] == f"did:pkh:eip155:31337:{LEARNER}"
    achievement = subject["achievement"]
    assert achievement["id"] == f"ipfs://{template.cid}"
    assert achievement["type"] == ["Achievement"]
    assert achievement["criteria"] == {"narrative": template.criteria}
    assert achievement["image"] == {"id": IMAGE, "type": "Image"}
    assert [a["targetName"] for a in achievement["alignment"]] == ["Solidity", "Testing"]
    assert all(a["type"] == ["Alignment"] and a["targetUrl"] for a in achievement["alignment"])
    assert data["evidence"] == [{"id": "https://git.example/repo", "type": ["Evidence"]}]


def test_documents_carry_the_id_open_badges_requires(template, issuer):
    first = credential_of(template, issuer)
    second = credential_of(template, issuer, recipient_name="Ada")
    ids = {template.data["id"], first.data["id"], second.data["id"]}
    assert len(ids) == 3 and all(i.startswith("urn:uuid:") for i in ids)
    assert credential_of(template, issuer).data["id"] == first.data["id"]


def test_credential_is_erc721_metadata_too(template, issuer):
    data = credential_of(template, issuer).data
    assert data["name"] == "Solidity basics"
    assert data["description"] == template.description
    # Open Badges 3.0 wins where it and ERC-721 disagree: an Image object, not a plain URI.
    assert data["image"] == {"id": IMAGE, "type": "Image"}
    traits = {(a["trait_type"], a["value"]) for a in data["attributes"]}
    assert {("Issuer", "Example University"), ("Issuer ID", 7), ("Skill", "Solidity")} <= traits
    assert ("Valid from", int(START.timestamp())) in traits


def test_chain_facts_sit_in_one_extension(template, issuer):
    doc = credential_of(template, issuer, replaces=12345)
    assert doc.data["microcred"] == {
        "version": 2,
        "kind": "credential",
        "chainId": 31337,
        "registry": REGISTRY,
        "issuerId": 7,
        "templateId": f"0x{template.template_id:064x}",
        "recipient": LEARNER,
        "replaces": f"0x{12345:064x}",
    }
    assert (doc.chain_id, doc.issuer_id, doc.template_id, doc.replaces) == (
        31337,
        7,
        template.template_id,
        12345,
    )


def test_accessors_read_what_was_built(template, issuer):
    doc = credential_of(
        template,
        issuer,
        recipient=LEARNER.lower(),
        evidence=["ipfs://a", "https://b.example"],
        recipient_name="Ada Lovelace",
        valid_until=START + timedelta(days=30),
    )
    assert doc.recipient == LEARNER
    assert (doc.issuer_name, doc.achievement_name) == ("Example University", "Solidity basics")
    assert doc.valid_from == START and doc.valid_until == START + timedelta(days=30)
    assert doc.evidence == ("ipfs://a", "https://b.example")
    assert doc.recipient_name == "Ada Lovelace" and doc.replaces is None
    assert doc.token_id == token_id_of(doc.bytes) and doc.cid == cid_of(doc.bytes)
    assert doc.issuer == issuer


def test_no_personal_data_unless_asked(template, issuer):
    anonymous = credential_of(template, issuer)
    assert "identifier" not in anonymous.data["credentialSubject"]
    assert anonymous.recipient_name is None
    named = credential_of(template, issuer, recipient_name="Ada Lovelace")
    assert named.data["credentialSubject"]["identifier"] == [
        {
            "type": "IdentityObject",
            "identityType": "name",
            "hashed": False,
            "identityHash": "Ada Lovelace",
        }
    ]
    assert b"Ada" not in anonymous.bytes


def test_without_expiry_there_is_no_valid_until(issuer):
    forever = build_template(issuer=issuer, name="N", description="D", criteria="C")
    doc = credential_of(forever, issuer)
    assert "validUntil" not in doc.data and doc.valid_until is None
    assert not any(a["trait_type"] == "Valid until" for a in doc.data["attributes"])


def test_times_are_utc_seconds_and_naive_means_utc(template, issuer):
    naive = credential_of(template, issuer, valid_from=datetime(2026, 3, 1, 9, 30, 0, 999))
    paris = timezone(timedelta(hours=1))
    local = credential_of(template, issuer, valid_from=datetime(2026, 3, 1, 10, 30, tzinfo=paris))
    assert naive.bytes == local.bytes == credential_of(template, issuer).bytes


def test_same_input_gives_same_bytes_and_token_id(template, issuer):
    first = credential_of(template, issuer, evidence=["ipfs://x"], recipient_name="Zoë")
    again = credential_of(
        parse_template(template.bytes), issuer, evidence=("ipfs://x",), recipient_name="Zoë"
    )
    assert first.bytes == again.bytes and first.token_id == again.token_id
    assert credential_of(template, issuer, recipient_name="Zoe").token_id != first.token_id


PROGRAM = f"""
from datetime import datetime, UTC
from microcred.documents import IssuerProfile, build_template, build_credential
i = IssuerProfile(issuer_id=1, name="U", chain_id=1, registry="{REGISTRY}")
t = build_template(issuer=i, name="N", description="D", criteria="C", skills=["b", "a"])
c = build_credential(
    template=t, issuer=i, recipient="{LEARNER}", valid_from=datetime(2026, 1, 1, tzinfo=UTC)
)
print(hex(c.token_id))
"""


def test_token_id_does_not_depend_on_the_process():
    ids = {
        subprocess.run(
            [sys.executable, "-c", PROGRAM],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert len(ids) == 1


# A known answer: one complete credential (every optional field set), its token id and CID written
# out. Any change to canonicalisation or to what the builders write changes these literals; when a
# change is meant (a new document format), update them in the same commit and say so. Format 2
# (signed Open Badges 3.0 with an inline context, signed by the test KEY) changed them all.
KNOWN_TEMPLATE_ID = "0xffe28b32b9e6d48e50ce3b1e5ff56037a2070300fa4e7d2ed793dd3c8cc5971b"
KNOWN_TOKEN_ID = "0x75cd09df6626ab39c120ebba3cc35c13c0b35077482efff67e15e74db74a7e6d"
KNOWN_CID = "bafkreidvzue56zrgvm44cihlxi6mgxatyczva52if377m7qv45g3ost6nu"
KNOWN_SIZE = 3123


def test_a_fixed_complete_credential_has_a_known_token_id_and_cid(template, issuer):
    document = credential_of(
        template,
        issuer,
        valid_until=datetime(2028, 3, 1, tzinfo=UTC),
        evidence=["https://example.org/evidence/42"],
        recipient_name="Ada Lovelace",
        replaces=0x1234,
    )
    assert f"0x{template.template_id:064x}" == KNOWN_TEMPLATE_ID
    assert "0x" + hashlib.sha256(document.bytes).hexdigest() == KNOWN_TOKEN_ID
    assert f"0x{document.token_id:064x}" == KNOWN_TOKEN_ID
    assert document.cid == cid_of(document.bytes) == KNOWN_CID
    assert len(document.bytes) == KNOWN_SIZE
    # Every optional field is in it, so none can change unnoticed.
    data = json.loads(document.bytes)
    assert (
        data["validUntil"] == "2028-03-01T00:00:00Z" and data["validFrom"] == "2026-03-01T09:30:00Z"
    )
    assert data["microcred"]["replaces"].endswith("1234")
    assert data["credentialSubject"]["identifier"][0]["identityHash"] == "Ada Lovelace"
    assert data["evidence"] == [{"id": "https://example.org/evidence/42", "type": ["Evidence"]}]
    assert data["issuer"]["url"] == "https://uni.example" and "image" in data


def test_unicode_emoji_rtl_and_html_round_trip_as_data(issuer):
    texts = {
        "name": "Ingénieur·e 🎓 <b>bold</b>",
        "description": "שלום עולם — مرحبا بالعالم \u202eRTL override\u202c & <script>x</script>",
        "criteria": '日本語の説明\n\tnew lines and "quotes" \\ backslash',
    }
    template = build_template(issuer=issuer, skills=["Ελληνικά", "🧪"], **texts)
    doc = credential_of(template, issuer, recipient_name="محمد 👩🏽‍💻")
    parsed = parse_credential(doc.bytes)
    assert parsed.achievement_name == texts["name"]
    assert parsed.data["description"] == texts["description"]
    assert parsed.recipient_name == "محمد 👩🏽‍💻"
    assert b"<script>x</script>" in doc.bytes  # kept as data: escaping is for renderers
    assert "שלום".encode() in doc.bytes  # UTF-8, not \\u escapes


def test_credential_round_trips_through_its_bytes(template, issuer):
    doc = credential_of(template, issuer, evidence=["ipfs://e"], recipient_name="A", replaces=1)
    parsed = parse_credential(doc.bytes)
    assert parsed == doc and parsed.data == doc.data
    assert parsed.template_id == template.template_id


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"recipient": "0x1234"}, "not a wallet address"),
        ({"recipient": "alice.eth"}, "not a wallet address"),
        ({"valid_until": START}, "not after the start"),
        ({"valid_until": START - timedelta(days=1)}, "not after the start"),
        ({"evidence": ["not a uri"]}, "evidence"),
        ({"evidence": "https://one.example"}, "list of URIs"),
        ({"recipient_name": " "}, "recipient name is empty"),
        ({"replaces": -1}, "uint256"),
        ({"valid_from": datetime(2200, 1, 1, tzinfo=UTC)}, "uint32"),
    ],
)
def test_bad_credential_input_is_named(template, issuer, overrides, message):
    with pytest.raises(DocumentError, match=message):
        credential_of(template, issuer, **overrides)


def test_a_template_cannot_be_awarded_by_another_issuer(template):
    other = IssuerProfile(issuer_id=8, name="Other", chain_id=31337, registry=REGISTRY)
    with pytest.raises(DocumentError, match="belongs to issuer 7"):
        credential_of(template, other)


def test_issuer_profile_checks_and_checksums():
    profile = IssuerProfile(issuer_id=1, name="U", chain_id=1, registry=REGISTRY.lower())
    assert profile.registry == REGISTRY
    for bad in ({"issuer_id": 0}, {"registry": "0xnope"}, {"chain_id": 0}, {"name": ""}):
        with pytest.raises(DocumentError):
            IssuerProfile(
                **({"issuer_id": 1, "name": "U", "chain_id": 1, "registry": REGISTRY} | bad)
            )


# --- size -----------------------------------------------------------------------------------------


def test_a_document_over_one_block_is_refused_with_its_size(issuer):
    with pytest.raises(DocumentError, match=r"would be 2\d{5} bytes, more than the 262144"):
        build_template(issuer=issuer, name="N", description="x" * 270_000, criteria="C")
    with pytest.raises(DocumentError, match=f"is {MAX_DOCUMENT_SIZE + 1} bytes"):
        parse_credential(b" " * (MAX_DOCUMENT_SIZE + 1))


def test_a_document_just_under_one_block_is_fine(issuer):
    probe = build_template(issuer=issuer, name="N", description="x", criteria="C")
    fill = MAX_DOCUMENT_SIZE - len(probe.bytes) + 1
    exact = build_template(issuer=issuer, name="N", description="x" * fill, criteria="C")
    assert len(exact.bytes) == MAX_DOCUMENT_SIZE
    assert parse_template(exact.bytes) == exact


# --- parsing is strict ----------------------------------------------------------------------------


def edited(doc, change) -> bytes:
    data = json.loads(doc.bytes)
    change(data)
    return canonical_bytes(data)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff\xfe", "not UTF-8"),
        (b"{", "not valid JSON"),
        (b"[]", "JSON object"),
        (b'{"a":1,"a":2}', "repeats the key"),
        (b'{"a": 1}', "not in canonical form"),
        (b"{}", "at @context"),
    ],
)
def test_garbage_is_refused_with_a_sentence(raw, message):
    with pytest.raises(DocumentError, match=message):
        parse_credential(raw)


def test_pretty_printed_json_is_not_a_microcred_document(template, issuer):
    doc = credential_of(template, issuer)
    with pytest.raises(DocumentError, match="canonical form"):
        parse_credential(json.dumps(doc.data, indent=2, sort_keys=True).encode())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["microcred"].update(issuerId=8), "contradicts itself: .*credentialSubject"),
        # The proof as build_credential writes it, or nothing: its signature is verification's.
        (lambda d: d["proof"][0].update(created="2026-03-02T00:00:00Z"), "itself: proof"),
        (lambda d: d["proof"][0].update(verificationMethod=OTHER.verification_method), "proof"),
        (lambda d: d["issuer"].update(id=OTHER.did), "proof"),
        (lambda d: d["proof"][0].update(proofValue="not base58"), "proofValue"),
        (lambda d: d["proof"][0].update(proofPurpose="authentication"), "proofPurpose"),
        (lambda d: d.update(proof=d["proof"][0]), "proof"),
        (lambda d: d.update(proof=d["proof"] * 2), "proof"),
        (lambda d: d["issuer"].update(id="did:web:uni.example"), "did:key"),
        (lambda d: d.update(id="urn:uuid:00000000-0000-0000-0000-000000000000"), "itself: id"),
        (lambda d: d["microcred"].update(recipient=LEARNER.lower()), "contradicts"),
        (lambda d: d.update(name="Other"), "contradicts itself: name"),
        (lambda d: d["attributes"].pop(), "attributes"),
        (lambda d: d.update(extra=1), "extra"),
        (lambda d: d["credentialSubject"].pop("id"), "credentialSubject.id"),
        (lambda d: d.update(validFrom="2026-03-01"), "validFrom"),
        (lambda d: d["microcred"].update(templateId="0x" + "0" * 64), "different templates"),
        (lambda d: d["microcred"].update(chainId="1"), "chainId"),
    ],
)
def test_a_credential_that_contradicts_itself_is_refused(template, issuer, change, message):
    with pytest.raises(DocumentError, match=message):
        parse_credential(edited(credential_of(template, issuer), change))


def test_templates_and_credentials_are_not_mistaken_for_each_other(template, issuer):
    with pytest.raises(DocumentError, match="not a microcred credential"):
        parse_credential(template.bytes)
    with pytest.raises(DocumentError, match="not a microcred template"):
        parse_template(credential_of(template, issuer).bytes)


texts = st.text(min_size=1, max_size=40).filter(lambda s: s.strip())


@settings(max_examples=60, deadline=None)
@given(
    name=texts,
    description=texts,
    criteria=texts,
    skills=st.lists(texts, max_size=3, unique=True),
    recipient_name=st.none() | texts,
)
def test_any_text_round_trips(name, description, criteria, skills, recipient_name):
    issuer = IssuerProfile(issuer_id=1, name=name, chain_id=10, registry=REGISTRY)
    template = build_template(
        issuer=issuer, name=name, description=description, criteria=criteria, skills=skills
    )
    assert parse_template(template.bytes) == template
    doc = credential_of(template, issuer, recipient_name=recipient_name)
    parsed = parse_credential(doc.bytes)
    assert parsed == doc
    assert (parsed.achievement_name, parsed.recipient_name, parsed.skills) == (
        name,
        recipient_name,
        tuple(skills),
    )


# --- signing --------------------------------------------------------------------------------------


def test_a_signed_credential_verifies_and_any_change_breaks_its_proof(template, issuer):
    doc = credential_of(template, issuer, evidence=["https://git.example/repo"])
    assert parse_credential(doc.bytes) == doc
    assert doc.signing_key == KEY.public_key
    assert vc_verify(doc.data).ok
    changed = json.loads(doc.bytes)
    changed["credentialSubject"]["achievement"]["name"] = "Solidity basics!"
    check = vc_verify(changed)
    assert not check.ok and "does not match the document" in check.detail


def test_the_same_facts_and_key_give_the_same_signed_bytes(template, issuer):
    # Ed25519 is deterministic and the proof is created at validFrom: a resumed run rebuilds
    # exactly the token ids of the first.
    assert credential_of(template, issuer).bytes == credential_of(template, issuer).bytes
    assert (
        credential_of(template, issuer).bytes != credential_of(template, issuer, signer=OTHER).bytes
    )


def test_a_browser_signature_is_attached_only_if_it_is_the_issuers(template, issuer):
    unsigned = prepare_credential(
        template=template, issuer=issuer, issuer_did=KEY.did, recipient=LEARNER, valid_from=START
    )
    assert len(unsigned.hash_data) == 64
    with pytest.raises(DocumentError, match="not .* signature|is not did:key"):
        unsigned.signed(OTHER.sign(unsigned.hash_data))
    with pytest.raises(DocumentError, match="64 bytes"):
        unsigned.signed(b"\x00" * 63)
    doc = unsigned.signed(KEY.sign(unsigned.hash_data))
    assert doc == credential_of(template, issuer)


def test_a_reissue_keeps_the_id_of_the_credential_it_replaces(template, issuer):
    first = credential_of(template, issuer)
    later = START + timedelta(days=3)
    again = credential_of(
        template,
        issuer,
        valid_from=later,
        replaces=first.token_id,
        credential_id=first.credential_id,
        evidence=["https://git.example/corrected"],
    )
    assert again.credential_id == first.credential_id and again.token_id != first.token_id
    assert again.valid_from > first.valid_from and again.replaces == first.token_id
    assert parse_credential(again.bytes) == again
    with pytest.raises(DocumentError, match="Only a re-issue keeps"):
        credential_of(template, issuer, credential_id=first.credential_id)


def test_an_unsigned_credential_still_parses_so_verification_can_say_why_it_fails(template, issuer):
    doc = credential_of(template, issuer, signer=None)
    assert doc.proof is None and doc.signing_key is None
    assert parse_credential(doc.bytes) == doc
    assert not vc_verify(doc.data).ok
