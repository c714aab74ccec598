"""did:key for Ed25519 and the base58btc multibase it is written in."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microcred.vc.didkey import (
    Ed25519SigningKey,
    did_document,
    did_of_public_key,
    public_key_of,
    verification_method_of,
    verify_ed25519,
)
from microcred.vc.multibase import decode_base58btc, encode_base58btc

# A key of our own for the shape tests; the W3C test vectors' key pair is read from shared/.
OWN_KEY = Ed25519SigningKey.from_seed(bytes(range(32)))
OWN_PUBLIC = OWN_KEY.did.removeprefix("did:key:")
# A did:key of another key type: multicodec 0xe7 0x01 (secp256k1-pub) + a compressed point.
SECP256K1_DID = "did:key:" + encode_base58btc(b"\xe7\x01" + b"\x02" + bytes(range(1, 33)))


@given(st.binary(max_size=80))
def test_base58btc_round_trips_any_bytes_with_leading_zeros(data: bytes) -> None:
    assert decode_base58btc(encode_base58btc(data)) == data


def test_base58btc_refuses_other_bases_and_digits() -> None:
    for text in ("f00", "z0OIl"):
        with pytest.raises(ValueError):
            decode_base58btc(text)


def test_the_specs_key_pair_gives_the_specs_did_key(shared_data) -> None:
    pair = json.loads(shared_data("ob3/vc-di-eddsa/keyPair.json").read_text())
    public, private = pair["publicKeyMultibase"], pair["privateKeyMultibase"]
    key = Ed25519SigningKey.from_seed(decode_base58btc(private)[2:])
    assert key.did == f"did:key:{public}"
    assert key.verification_method == f"did:key:{public}#{public}"
    assert public_key_of(key.verification_method) == key.public_key
    assert did_of_public_key(key.public_key) == key.did


def test_a_signature_verifies_with_the_key_the_did_names() -> None:
    key = Ed25519SigningKey.from_seed(bytes(range(32)))
    signature = key.sign(b"hash data")
    assert verify_ed25519(public_key_of(key.did), signature, b"hash data")
    assert not verify_ed25519(public_key_of(key.did), signature, b"hash datA")


@pytest.mark.parametrize(
    "text",
    [
        "did:web:example.org",
        f"did:key:{OWN_PUBLIC}#key-1",  # a did:key has one method, named by the key
        SECP256K1_DID,
        "did:key:z6Mk",
    ],
)
def test_anything_but_an_ed25519_did_key_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        public_key_of(text)


def test_the_did_document_lists_the_key_for_assertions() -> None:
    did = OWN_KEY.did
    document = did_document(did)
    method = verification_method_of(did)
    assert document["assertionMethod"] == [method]
    assert document["verificationMethod"][0]["controller"] == did


def test_the_private_key_never_shows_in_repr() -> None:
    key = Ed25519SigningKey.from_seed(bytes(range(32)))
    assert "_private" not in repr(key)
