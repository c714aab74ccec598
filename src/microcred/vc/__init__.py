"""Open Badges 3.0 as W3C Verifiable Credentials: what standard verifiers and wallets check.

- :mod:`.contexts`: the JSON-LD contexts, exported from pinned npm packages by ``make install``
  and checked against ``VENDORED.md``; never fetched.
- :mod:`.didkey`: Ed25519 keys named as did:key, resolved offline.
- :mod:`.dataintegrity`: eddsa-rdfc-2022 ``DataIntegrityProof``: hash data, sign, verify.
- :mod:`.ob3_checks`: the official OB 3.0 JSON Schema (read from shared/, see
  :mod:`.shared_data`) and the JSON-LD undefined-term check.
- :mod:`.keyderivation`: the issuer's Ed25519 key from a deterministic wallet signature.

This package stands alone: the document builder, issuance and verification use it, not the
other way round.
"""

from __future__ import annotations

from .contexts import OB_CONTEXT, VC_CONTEXT, ContextFilesError, document_loader, load_context
from .dataintegrity import (
    CRYPTOSUITE,
    ProofCheck,
    UnsignableDocument,
    hash_data,
    proof_options,
    sign,
    verify,
    with_proof,
)
from .didkey import Ed25519SigningKey, did_document, public_key_of, verification_method_of
from .keyderivation import (
    KeyDerivationError,
    SigningKeyRequest,
    derive_signing_key,
    derive_signing_key_with_account,
)
from .ob3_checks import schema_errors, undefined_terms
from .shared_data import SharedFileMissing

__all__ = [
    "CRYPTOSUITE",
    "OB_CONTEXT",
    "VC_CONTEXT",
    "ContextFilesError",
    "Ed25519SigningKey",
    "KeyDerivationError",
    "ProofCheck",
    "SharedFileMissing",
    "SigningKeyRequest",
    "UnsignableDocument",
    "derive_signing_key",
    "derive_signing_key_with_account",
    "did_document",
    "document_loader",
    "hash_data",
    "load_context",
    "proof_options",
    "public_key_of",
    "schema_errors",
    "sign",
    "undefined_terms",
    "verification_method_of",
    "verify",
    "with_proof",
]
