"""eddsa-rdfc-2022: the W3C spec's known answers, and signatures that Digital Bazaar's reference
implementation and microcred accept from each other and refuse once anything changes.

The known answers (w3c/vc-di-eddsa's test vectors) come from shared/ob3/vc-di-eddsa/: those tests
skip, naming the file, while it is absent. The cross-verification needs no shared file: it signs
a credential of our own (the ``ob3_credential`` fixture)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from microcred.vc.contexts import VC_CONTEXT, document_loader
from microcred.vc.dataintegrity import (
    UnsignableDocument,
    hash_data,
    proof_options,
    sign,
    verify,
    with_proof,
)
from microcred.vc.didkey import Ed25519SigningKey
from microcred.vc.expansion import expand
from microcred.vc.multibase import decode_base58btc
from microcred.vc.rdfc import canonize_expanded

Json = dict[str, Any]
EXAMPLES_CONTEXT = "https://www.w3.org/ns/credentials/examples/v2"
# The whole of W3C's VC examples context (https://www.w3.org/ns/credentials/examples/v2, which no
# npm package ships): every term is an example term. The canonical-document test below checks it
# against the spec's own N-Quads.
EXAMPLES_CONTEXT_DOCUMENT = {"@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}}
SEED = bytes(range(32))  # a test key, public on purpose
CREATED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


Vector = Callable[[str], str]


@pytest.fixture
def vector(shared_data: Callable[[str], Path]) -> Vector:
    """The text of one W3C test vector file."""
    return lambda name: shared_data(f"ob3/vc-di-eddsa/{name}").read_text()


def _loader_with_examples(url: str, options: Any = None) -> dict[str, Any]:
    # The W3C test vectors use the VC examples context; only these tests know it.
    if url == EXAMPLES_CONTEXT:
        document = copy.deepcopy(EXAMPLES_CONTEXT_DOCUMENT)
        return {"contextUrl": None, "documentUrl": url, "document": document}
    return document_loader(url, options)


def _as_did_key_issuer(credential: Json, key: Ed25519SigningKey) -> Json:
    credential = copy.deepcopy(credential)
    credential.pop("proof", None)
    credential["issuer"]["id"] = key.did
    return credential


# --- W3C Data Integrity EdDSA test vectors (shared/ob3/vc-di-eddsa/, from w3c/vc-di-eddsa) ---


def test_the_canonical_document_is_the_specs(vector: Vector) -> None:
    unsigned = json.loads(vector("unsigned.json"))
    expansion = expand(unsigned, loader=_loader_with_examples)
    assert (
        canonize_expanded(expansion.expanded, loader=_loader_with_examples)
        == vector("canonDocDataInt.txt").rstrip("\n") + "\n"
    )


def test_the_hash_data_is_the_specs(vector: Vector) -> None:
    unsigned = json.loads(vector("unsigned.json"))
    options = json.loads(vector("proofConfigDataInt.json"))
    data = hash_data(unsigned, options, loader=_loader_with_examples)
    assert data[:32].hex() == vector("proofHashDataInt.txt").strip()
    assert data[32:].hex() == vector("docHashDataInt.txt").strip()
    assert data.hex() == vector("combinedHashDataInt.txt").strip()


def test_the_signature_and_signed_credential_are_the_specs(vector: Vector) -> None:
    key_pair = json.loads(vector("keyPair.json"))
    private = decode_base58btc(key_pair["privateKeyMultibase"])
    assert private[:2] == b"\x80\x26"  # multicodec ed25519-priv
    key = Ed25519SigningKey.from_seed(private[2:])
    assert key.did == f"did:key:{key_pair['publicKeyMultibase']}"

    unsigned = json.loads(vector("unsigned.json"))
    options = json.loads(vector("proofConfigDataInt.json"))
    del options["@context"]
    signature = key.sign(hash_data(unsigned, options, loader=_loader_with_examples))
    assert signature.hex() == vector("sigHexDataInt.txt").strip()
    assert with_proof(unsigned, options, signature) == json.loads(vector("signedDataInt.json"))


def test_the_specs_signed_credential_verifies_and_a_changed_one_does_not(vector: Vector) -> None:
    signed = json.loads(vector("signedDataInt.json"))
    # Its issuer is an https URL, not the key's DID: only the signature is checked here.
    assert verify(signed, key_must_be_issuers=False, loader=_loader_with_examples).ok
    assert not verify(signed, loader=_loader_with_examples).ok
    signed["credentialSubject"]["alumniOf"] = "The School of Examplez"
    assert not verify(signed, key_must_be_issuers=False, loader=_loader_with_examples).ok


# --- Against the reference implementation (@digitalbazaar/vc 7, eddsa-rdfc-2022 1.3) ---


def test_a_credential_signed_in_python_verifies_with_the_reference_verifier(
    ob3_credential: Json, reference_verify: Callable[[Json], Json]
) -> None:
    key = Ed25519SigningKey.from_seed(SEED)
    signed = sign(_as_did_key_issuer(ob3_credential, key), key, created=CREATED)
    assert verify(signed).ok
    result = reference_verify(signed)
    assert result["verified"], result["errors"]


def test_the_specs_complete_example_signed_in_python_verifies_with_the_reference_verifier(
    full_example: Json, reference_verify: Callable[[Json], Json]
) -> None:
    # Every OB 3.0 structure at once (endorsements, results, 1EdTech's extension types).
    key = Ed25519SigningKey.from_seed(SEED)
    signed = sign(_as_did_key_issuer(full_example, key), key, created=CREATED)
    assert verify(signed).ok
    result = reference_verify(signed)
    assert result["verified"], result["errors"]


TAMPERINGS: dict[str, Callable[[Json], None]] = {
    "name": lambda c: c.update(name=c["name"] + "."),
    "validFrom": lambda c: c.update(validFrom=c["validFrom"].replace("2026", "2027")),
    "issuer.name": lambda c: c["issuer"].update(name=c["issuer"]["name"] + "."),
    "achievement.name": lambda c: c["credentialSubject"]["achievement"].update(
        name=c["credentialSubject"]["achievement"]["name"] + "s"
    ),
    "achievement.criteria": lambda c: c["credentialSubject"]["achievement"]["criteria"].update(
        narrative=c["credentialSubject"]["achievement"]["criteria"]["narrative"][:-1]
    ),
    "evidence.id": lambda c: c["evidence"][0].update(id=c["evidence"][0]["id"] + "1"),
    "proof.created": lambda c: c["proof"].update(created="2026-03-01T12:00:01Z"),
    "proof.proofValue": lambda c: c["proof"].update(
        proofValue=c["proof"]["proofValue"][:-1]
        + ("2" if c["proof"]["proofValue"][-1] != "2" else "3")
    ),
}


@pytest.mark.parametrize("field", TAMPERINGS)
def test_a_one_character_change_fails_both_verifiers(
    ob3_credential: Json, reference_verify: Callable[[Json], Json], field: str
) -> None:
    key = Ed25519SigningKey.from_seed(SEED)
    signed = sign(_as_did_key_issuer(ob3_credential, key), key, created=CREATED)
    TAMPERINGS[field](signed)
    assert not verify(signed).ok
    result = reference_verify(signed)
    assert not result["verified"]


def test_a_credential_signed_by_the_reference_implementation_verifies_in_python(
    ob3_credential: Json, reference_sign: Callable[[Json, bytes], Json]
) -> None:
    unsigned = copy.deepcopy(ob3_credential)
    signed = reference_sign(unsigned, SEED)
    assert signed["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert signed["issuer"]["id"] == Ed25519SigningKey.from_seed(SEED).did
    check = verify(signed)
    assert check.ok, check.detail
    signed["description"] += " "
    assert not verify(signed).ok


def test_control_characters_and_any_text_sign_the_same_as_the_reference(
    reference_verify: Callable[[Json], Json],
) -> None:
    # pyld 3.3 alone escapes only \t \n \r " \ in N-Quads; RDFC-1.0 escapes every control
    # character. Without microcred.vc.rdfc's serialiser this credential fails the reference.
    key = Ed25519SigningKey.from_seed(SEED)
    credential = {
        "@context": [VC_CONTEXT],
        "type": ["VerifiableCredential"],
        "issuer": key.did,
        "validFrom": "2026-01-01T00:00:00Z",
        "name": 'form\ffeed, backspace\b, \x01\x1f\x7f, "quotes" \\ \t\r\n \u202eRTL 😀 \uff01',
        "credentialSubject": {
            "id": "did:pkh:eip155:31337:0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
        },
    }
    signed = sign(credential, key, created=CREATED)
    assert verify(signed).ok
    result = reference_verify(signed)
    assert result["verified"], result["errors"]


# --- What is refused ---


def test_a_document_with_an_undefined_term_is_not_signed(ob3_credential: Json) -> None:
    key = Ed25519SigningKey.from_seed(SEED)
    credential = _as_did_key_issuer(ob3_credential, key)
    credential["microcred"] = {"chainId": 31337}
    with pytest.raises(
        UnsignableDocument,
        match=r"no JSON-LD context defines \(microcred, chainId\)",
    ):
        sign(credential, key, created=CREATED)


def test_a_document_with_an_unknown_context_is_not_signed(ob3_credential: Json) -> None:
    key = Ed25519SigningKey.from_seed(SEED)
    credential = _as_did_key_issuer(ob3_credential, key)
    credential["@context"].append("https://example.org/contexts/unknown.json")
    with pytest.raises(UnsignableDocument, match="https://example.org/contexts/unknown.json"):
        sign(credential, key, created=CREATED)


def test_a_proof_by_a_key_that_is_not_the_issuers_fails(ob3_credential: Json) -> None:
    key = Ed25519SigningKey.from_seed(SEED)
    other = Ed25519SigningKey.from_seed(bytes(32))
    signed = sign(_as_did_key_issuer(ob3_credential, other), key, created=CREATED)
    check = verify(signed)
    assert not check.ok
    assert "not the issuer's" in check.detail


def test_a_document_without_a_proof_fails_naming_it(ob3_credential: Json) -> None:
    check = verify(ob3_credential)
    assert (check.ok, check.detail) == (False, "The document has no proof (or more than one).")


def test_hash_data_then_with_proof_equals_sign(ob3_credential: Json) -> None:
    # The browser flow: the server computes 64 bytes, the page signs them, the server attaches.
    key = Ed25519SigningKey.from_seed(SEED)
    credential = _as_did_key_issuer(ob3_credential, key)
    options = proof_options(verification_method=key.verification_method, created=CREATED)
    data = hash_data(credential, options)
    assert len(data) == 64
    assert with_proof(credential, options, key.sign(data)) == sign(credential, key, created=CREATED)
