"""The one exception tree of microcred.

Every error a user can meet is a :class:`MicrocredError` whose message is one sentence that says
what is wrong and what to do; the CLI prints it without a traceback.
"""

from __future__ import annotations

__all__ = [
    "ChainError",
    "ConfigError",
    "DocumentError",
    "InputError",
    "MicrocredError",
    "StorageError",
]


class MicrocredError(Exception):
    """Base of every error microcred raises on purpose."""


class ConfigError(MicrocredError):
    """Configuration is missing or inconsistent (RPC URL, deployment file, store, signer)."""


class InputError(MicrocredError):
    """Input from the user is invalid (an address, a date, a CSV row...). Nothing was sent."""


class DocumentError(MicrocredError):
    """A credential or template document is malformed, too large or not what it claims to be."""


class StorageError(MicrocredError):
    """IPFS storage failed: unreachable, slow, or returned bytes that do not match their CID."""


class ChainError(MicrocredError):
    """The chain refused or failed a call: a revert (named), a dropped transaction, a wrong network."""
