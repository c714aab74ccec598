"""Ed25519 keys named as ``did:key`` DIDs, which any verifier resolves offline.

A did:key is the public key itself: ``did:key:z`` + base58btc(0xed 0x01 || 32 key bytes), and its
one verification method is ``<did>#<the same z… string>`` (W3C did:key method, Multikey). So an
issuer whose ``id`` is a did:key needs no server, and its key is its identity.

>>> key = Ed25519SigningKey.from_seed(bytes(32))
>>> key.did
'did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp'
>>> public_key_of(key.verification_method) == key.public_key
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .multibase import decode_base58btc, encode_base58btc

__all__ = [
    "DID_KEY_PREFIX",
    "ED25519_MULTICODEC",
    "Ed25519SigningKey",
    "did_document",
    "did_of_public_key",
    "public_key_of",
    "verification_method_of",
    "verify_ed25519",
]

DID_KEY_PREFIX = "did:key:"
# The multicodec code of an Ed25519 public key (0xed) as an unsigned varint: 0xed 0x01.
ED25519_MULTICODEC = b"\xed\x01"


def did_of_public_key(public_key: bytes) -> str:
    """The did:key DID of a 32-byte Ed25519 public key."""
    if len(public_key) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return DID_KEY_PREFIX + encode_base58btc(ED25519_MULTICODEC + public_key)


def verification_method_of(did: str) -> str:
    """The one verification method of an Ed25519 did:key: ``did:key:z…#z…``."""
    public_key_of(did)  # refuses anything that is not an Ed25519 did:key
    return f"{did}#{did.removeprefix(DID_KEY_PREFIX)}"


def public_key_of(did_or_method: str) -> bytes:
    """The Ed25519 public key a did:key DID or verification method names.

    ``ValueError`` (saying what is wrong) for another DID method, another key type, or a fragment
    that is not the key itself (a did:key has no other verification method).
    """
    did, _, fragment = did_or_method.partition("#")
    if not did.startswith(DID_KEY_PREFIX):
        raise ValueError(f"{did_or_method!r} is not a did:key")
    multibase_key = did.removeprefix(DID_KEY_PREFIX)
    if fragment and fragment != multibase_key:
        raise ValueError(
            f"{did_or_method!r}: a did:key's only verification method is #{multibase_key}"
        )
    try:
        decoded = decode_base58btc(multibase_key)
    except ValueError as error:
        raise ValueError(f"{did_or_method!r} is not a valid did:key: {error}") from None
    if not decoded.startswith(ED25519_MULTICODEC) or len(decoded) != 34:
        raise ValueError(f"{did_or_method!r} is not an Ed25519 did:key")
    return decoded[2:]


def did_document(did: str) -> dict[str, Any]:
    """The DID document a did:key resolves to (Multikey form), as verifiers build it."""
    method = verification_method_of(did)
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [
            {
                "id": method,
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": did.removeprefix(DID_KEY_PREFIX),
            }
        ],
        "authentication": [method],
        "assertionMethod": [method],
        "capabilityDelegation": [method],
        "capabilityInvocation": [method],
    }


def verify_ed25519(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """Whether ``signature`` is ``public_key``'s Ed25519 signature of ``message``."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Ed25519SigningKey:
    """An Ed25519 private key with its did:key name. ``repr`` never shows the key."""

    _private: Ed25519PrivateKey = field(repr=False)
    public_key: bytes
    did: str
    verification_method: str

    @classmethod
    def from_seed(cls, seed: bytes) -> Ed25519SigningKey:
        """The key of a 32-byte seed (RFC 8032's private key)."""
        if len(seed) != 32:
            raise ValueError("an Ed25519 seed is 32 bytes")
        private = Ed25519PrivateKey.from_private_bytes(seed)
        public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        did = did_of_public_key(public)
        return cls(private, public, did, verification_method_of(did))

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message`` (deterministic, RFC 8032)."""
        return self._private.sign(message)
