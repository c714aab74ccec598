"""The one exception tree of microcred.

Every error a user can meet is a :class:`MicrocredError` whose message is one sentence that says
what is wrong and what to do; the CLI prints it without a traceback.
"""

from __future__ import annotations

__all__ = [
    "ChainError",
    "ConfigError",
    "ContentMismatch",
    "ContentNotFound",
    "DocumentError",
    "InputError",
    "MicrocredError",
    "StorageError",
    "StorageUnavailable",
    "UntrustedJsonError",
]


class MicrocredError(Exception):
    """Base of every error microcred raises on purpose."""


class ConfigError(MicrocredError):
    """Configuration is missing or inconsistent (RPC URL, deployment file, store, signer)."""


class InputError(MicrocredError):
    """Input from the user is invalid (an address, a date, a CSV row...). Nothing was sent."""


class DocumentError(MicrocredError):
    """A credential or template document is malformed, too large or not what it claims to be."""


class UntrustedJsonError(InputError, DocumentError):
    """JSON from someone else (an upload, a proof file, a manifest, a document) was refused
    before it was parsed: too large, nested too deep, or not strict JSON. Both an input error and
    a document error, so each caller's existing handling applies."""


class StorageError(MicrocredError):
    """IPFS storage failed: unreachable, slow, or returned bytes that do not match their CID."""


class StorageUnavailable(StorageError):
    """A storage backend could not be reached, refused the request or did not answer in time."""


class ContentNotFound(StorageUnavailable):
    """The backend answered but does not hold the object (so nothing can be said of its content)."""


class ContentMismatch(StorageError):
    """Bytes came back that do not hash to the CID asked for: tampered or corrupted content."""


class ChainError(MicrocredError):
    """The chain refused or failed a call: a named revert, a dropped tx, a wrong network."""
