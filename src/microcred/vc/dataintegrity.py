"""Data Integrity proofs with the eddsa-rdfc-2022 cryptosuite (W3C VC Data Integrity EdDSA 1.0).

To sign (spec §3.3): the proof configuration (the proof without ``proofValue``, with the
document's ``@context``) and the document without its proof are each canonicalized with RDFC-1.0;
the **hash data** is ``sha256(canonical proof configuration) || sha256(canonical document)``
(64 bytes); the Ed25519 signature of those bytes, in multibase base58btc, is ``proofValue``.

The hash data is computed apart from the signature so that whoever holds the key (a browser page)
signs 64 bytes and nothing else: :func:`hash_data`, then :func:`with_proof`. :func:`sign` does both
with a key in this process.

A document with a term no context defines is refused: JSON-LD drops such a term, so the signature
would not cover it and a verifier would not see it.

>>> from datetime import UTC, datetime
>>> from microcred.vc.didkey import Ed25519SigningKey
>>> from microcred.vc.contexts import OB_CONTEXT, VC_CONTEXT
>>> key = Ed25519SigningKey.from_seed(bytes(32))
>>> credential = {"@context": [VC_CONTEXT], "type": ["VerifiableCredential"], "issuer": key.did,
...               "validFrom": "2026-01-01T00:00:00Z", "credentialSubject": {"id": "urn:x:1"}}
>>> signed = sign(credential, key, created=datetime(2026, 1, 1, tzinfo=UTC))
>>> signed["proof"]["cryptosuite"], verify(signed).ok
('eddsa-rdfc-2022', True)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from pyld.jsonld import JsonLdError

from ..errors import DocumentError
from .contexts import document_loader
from .didkey import Ed25519SigningKey, public_key_of, verify_ed25519
from .expansion import expand
from .multibase import decode_base58btc, encode_base58btc
from .rdfc import DocumentLoader, canonize_expanded

__all__ = [
    "CRYPTOSUITE",
    "PROOF_PURPOSE",
    "PROOF_TYPE",
    "ProofCheck",
    "UnsignableDocument",
    "hash_data",
    "proof_options",
    "sign",
    "verify",
    "with_proof",
]

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
PROOF_PURPOSE = "assertionMethod"


class UnsignableDocument(DocumentError):
    """A document that cannot be signed as it is (an undefined term, an unknown context...)."""


@dataclass(frozen=True)
class ProofCheck:
    """The outcome of verifying a document's proof: ``detail`` says why when ``ok`` is false."""

    ok: bool
    detail: str
    verification_method: str | None = None


def proof_options(
    *, verification_method: str, created: datetime, proof_purpose: str = PROOF_PURPOSE
) -> dict[str, Any]:
    """The proof of a document before it is signed (no ``proofValue`` yet)."""
    if created.tzinfo is None:
        raise ValueError("created must be timezone-aware")
    return {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }


def hash_data(
    document: Mapping[str, Any],
    options: Mapping[str, Any],
    *,
    loader: DocumentLoader = document_loader,
) -> bytes:
    """The 64 bytes an eddsa-rdfc-2022 signature signs, for ``document`` (its ``proof``, if any,
    is left out) and the proof ``options`` (their ``proofValue``, if any, is left out).

    Raises :class:`UnsignableDocument` for a document with an undefined term or a relative IRI,
    or one with a context microcred does not know.
    """
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    config = {key: value for key, value in options.items() if key != "proofValue"}
    config["@context"] = unsecured.get("@context")
    if loader is document_loader:
        proof_hash = _proof_config_hash(json.dumps(config, sort_keys=True))
    else:
        proof_hash = hashlib.sha256(_canonical(config, "proof", loader)).digest()
    return proof_hash + hashlib.sha256(_canonical(unsecured, "document", loader)).digest()


@lru_cache(maxsize=64)
def _proof_config_hash(config_json: str) -> bytes:
    # A batch signs every document with the same proof configuration (one key, one time, one
    # @context): canonicalizing it once instead of per document halves the cost of signing.
    return hashlib.sha256(_canonical(json.loads(config_json), "proof", document_loader)).digest()


def with_proof(
    document: Mapping[str, Any], options: Mapping[str, Any], signature: bytes
) -> dict[str, Any]:
    """``document`` with ``options`` as its proof, ``signature`` (64 bytes, Ed25519, over
    :func:`hash_data`) as the ``proofValue``."""
    if len(signature) != 64:
        raise ValueError("an Ed25519 signature is 64 bytes")
    return {**document, "proof": {**options, "proofValue": encode_base58btc(signature)}}


def sign(
    document: Mapping[str, Any],
    key: Ed25519SigningKey,
    *,
    created: datetime,
    loader: DocumentLoader = document_loader,
) -> dict[str, Any]:
    """``document`` with an eddsa-rdfc-2022 ``DataIntegrityProof`` by ``key`` (assertionMethod)."""
    options = proof_options(verification_method=key.verification_method, created=created)
    return with_proof(document, options, key.sign(hash_data(document, options, loader=loader)))


def verify(
    document: Mapping[str, Any],
    *,
    key_must_be_issuers: bool = True,
    loader: DocumentLoader = document_loader,
) -> ProofCheck:
    """Check ``document``'s eddsa-rdfc-2022 proof, resolving its did:key offline.

    Besides the signature: the proof is a ``DataIntegrityProof`` of this cryptosuite for
    ``assertionMethod``, and (unless ``key_must_be_issuers`` is false) its key's DID is the
    issuer's ``id``, which 1EdTech's validator requires of the key's controller.
    """
    proof = document.get("proof")
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]
    if not isinstance(proof, Mapping):
        return ProofCheck(False, "The document has no proof (or more than one).")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        return ProofCheck(False, f"The proof is not a {PROOF_TYPE} with cryptosuite {CRYPTOSUITE}.")
    if proof.get("proofPurpose") != PROOF_PURPOSE:
        return ProofCheck(False, f"The proof's purpose is not {PROOF_PURPOSE}.")
    method = proof.get("verificationMethod")
    if not isinstance(method, str):
        return ProofCheck(False, "The proof names no verification method.")
    try:
        public_key = public_key_of(method)
    except ValueError as error:
        return ProofCheck(False, f"The proof's key cannot be resolved: {error}.", method)
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if key_must_be_issuers and method.partition("#")[0] != issuer_id:
        return ProofCheck(
            False, "The proof's key is not the issuer's: its DID is not issuer.id.", method
        )
    proof_context = proof.get("@context")
    if proof_context is not None and not _starts_with(document.get("@context"), proof_context):
        return ProofCheck(False, "The proof's @context does not match the document's.", method)
    try:
        signature = decode_base58btc(str(proof.get("proofValue", "")))
    except ValueError:
        return ProofCheck(False, "The proofValue is not multibase base58btc.", method)
    try:
        data = hash_data(document, proof, loader=loader)
    except UnsignableDocument as error:
        return ProofCheck(False, str(error), method)
    if len(signature) != 64 or not verify_ed25519(public_key, signature, data):
        return ProofCheck(
            False,
            "The signature does not match the document: it was changed "
            "after signing, or signed by another key.",
            method,
        )
    return ProofCheck(True, f"Signed by {method.partition('#')[0]} ({CRYPTOSUITE}).", method)


def _starts_with(context: Any, prefix: Any) -> bool:
    contexts = context if isinstance(context, list) else [context]
    prefixes = prefix if isinstance(prefix, list) else [prefix]
    return contexts[: len(prefixes)] == prefixes


def _canonical(document: Mapping[str, Any], what: str, loader: DocumentLoader) -> bytes:
    try:
        expansion = expand(document, loader=loader)
    except JsonLdError as error:
        raise UnsignableDocument(
            f"The {what} is not JSON-LD that microcred can process ({_reason(error)}); use only "
            "the contexts listed in microcred/vc/VENDORED.md."
        ) from None
    if expansion.undefined_terms:
        terms = ", ".join(expansion.undefined_terms)
        raise UnsignableDocument(
            f"The {what} has terms no JSON-LD context defines ({terms}): define them in an "
            "inline context or remove them."
        )
    if expansion.relative_iris:
        iris = ", ".join(expansion.relative_iris)
        raise UnsignableDocument(f"The {what} has relative IRIs ({iris}): use absolute ones.")
    return canonize_expanded(expansion.expanded, loader=loader).encode("utf-8")


def _reason(error: JsonLdError) -> str:
    cause = error.__cause__
    while isinstance(cause, JsonLdError) and cause.__cause__ is not None:
        cause = cause.__cause__
    message = cause.args[0] if isinstance(cause, JsonLdError) and cause.args else error.args[0]
    return str(message).rstrip(".")
