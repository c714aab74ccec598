"""What every store shares: the interface, and the one check that bytes are what their CID says."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..cid import CidError, cid_of, digest_of_cid, token_id_of
from ..errors import ContentMismatch, InputError, StorageError

__all__ = ["Store", "check_cid", "local_cid", "verified"]


@runtime_checkable
class Store(Protocol):
    """IPFS storage of single-block objects (at most 256 KiB), addressed by CIDv1 raw sha2-256.

    ``put`` computes the CID locally and refuses a backend that answers with another; ``get``
    always checks that the bytes hash to the CID it was asked for.
    """

    name: str

    def put(self, data: bytes) -> str: ...

    def get(self, cid: str, *, timeout: float | None = None) -> bytes: ...

    def has(self, cid: str) -> bool: ...


def check_cid(cid: str) -> int:
    """The digest inside ``cid``; :class:`InputError` if microcred cannot verify such a CID."""
    try:
        return digest_of_cid(cid)
    except (CidError, AttributeError, TypeError) as err:
        raise InputError(
            f"{cid!r} is not a CID microcred can verify (CIDv1, raw, sha2-256, base32): {err}"
        ) from None


def local_cid(data: bytes) -> str:
    """The CID of ``data`` computed here; objects over one block are refused with the reason."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"a store holds bytes, not {type(data).__name__}")
    try:
        return cid_of(bytes(data))
    except CidError as err:
        raise StorageError(f"Cannot store this object: {err}.") from None


def verified(cid: str, data: bytes, *, source: str) -> bytes:
    """``data`` if it hashes to ``cid``, else :class:`ContentMismatch` naming ``source``."""
    if token_id_of(data) != check_cid(cid):
        raise ContentMismatch(
            f"{source} returned {len(data)} bytes for {cid} that do not hash to it: "
            "the content was altered or corrupted; do not trust it."
        )
    return data
