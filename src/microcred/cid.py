"""IPFS content identifiers for microcred documents, exactly as Kubo computes them.

A credential's token id is the sha256 of its document bytes. The document is stored on IPFS as one
raw block (it is at most 256 KiB, Kubo's default chunk size), so its CID is a CIDv1 with the raw
codec and a sha2-256 multihash of those same bytes: the token id and the CID are two spellings of
one digest, and the contract derives ``tokenURI`` from the id alone.

>>> cid_of(b"")
'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'
>>> digest_of_cid(cid_of(b"hello")) == token_id_of(b"hello")
True
"""

from __future__ import annotations

import base64
import hashlib

__all__ = [
    "MAX_BLOCK_SIZE",
    "CidError",
    "cid_of",
    "cid_of_token_id",
    "digest_of_cid",
    "ipfs_uri",
    "token_id_of",
]

#: Largest document stored as a single raw block (Kubo's default chunker, size-262144).
MAX_BLOCK_SIZE = 256 * 1024

# CIDv1 (0x01), raw codec (0x55), sha2-256 (0x12), 32-byte digest (0x20).
_RAW_SHA256_PREFIX = bytes([0x01, 0x55, 0x12, 0x20])
_BASE32_PREFIX = "b"


class CidError(ValueError):
    """A string is not a CIDv1 (raw, sha2-256, base32) as microcred writes them."""


def token_id_of(data: bytes) -> int:
    """The token id of a document: its sha256 digest read as a big-endian uint256."""
    return int.from_bytes(hashlib.sha256(data).digest(), "big")


def cid_of_token_id(token_id: int) -> str:
    """The base32 CIDv1 (raw, sha2-256) whose digest is ``token_id``; what ``tokenURI`` holds."""
    if not 0 <= token_id < 2**256:
        raise CidError(f"token id {token_id} is not a uint256")
    encoded = base64.b32encode(_RAW_SHA256_PREFIX + token_id.to_bytes(32, "big"))
    return _BASE32_PREFIX + encoded.decode("ascii").rstrip("=").lower()


def cid_of(data: bytes) -> str:
    """The CID Kubo gives ``data`` with ``--cid-version=1 --raw-leaves`` (single block only)."""
    if len(data) > MAX_BLOCK_SIZE:
        raise CidError(
            f"{len(data)} bytes is more than one IPFS block ({MAX_BLOCK_SIZE} bytes); "
            "store large files as their own objects and reference them by URI"
        )
    return cid_of_token_id(token_id_of(data))


def digest_of_cid(cid: str) -> int:
    """The sha256 digest (as an int, i.e. the token id) inside a raw sha2-256 base32 CIDv1."""
    if not cid.startswith(_BASE32_PREFIX):
        raise CidError(f"{cid!r} is not a base32 CIDv1 (it should start with 'b')")
    body = cid[1:].upper()
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except ValueError as err:
        raise CidError(f"{cid!r} is not valid base32") from err
    if len(raw) != 36 or not raw.startswith(_RAW_SHA256_PREFIX):
        raise CidError(f"{cid!r} is not a raw-codec sha2-256 CIDv1")
    return int.from_bytes(raw[4:], "big")


def ipfs_uri(token_id: int) -> str:
    """``ipfs://<cid>`` for a token id: what ``Credential.tokenURI`` returns on chain."""
    return f"ipfs://{cid_of_token_id(token_id)}"
