"""What each kind of uploaded file may be, checked before its bytes are read any further.

Streamlit's own cap (``server.maxUploadSize`` in .streamlit/config.toml) bounds every upload; a
page knows what it expects, so it refuses much earlier, with a sentence naming the limit. The
size an uploader reports (``UploadedFile.size``) is checked before ``getvalue()``: a file over the
limit is never decoded, parsed or stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from microcred import untrusted
from microcred.cid import MAX_BLOCK_SIZE

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True)
class UploadKind:
    """One kind of upload: what it is called in sentences and how big it may be."""

    what: str
    max_bytes: int
    advice: str

    @property
    def limit_text(self) -> str:
        return _size_text(self.max_bytes)


# The library's bounded JSON parser owns the proof file's limit (64 KiB: ~1.5 KB is a proof file
# of a batch of 10,000); the page applies the same number before reading the bytes at all.
PROOF_FILE = UploadKind(
    "A proof file",
    untrusted.PROOF_FILE.max_bytes,
    "Upload the .json proof file of one anchored credential.",
)
# A CSV row (address, expiry, an evidence link, a name) is ~100-250 bytes: 4 MiB holds 16,000
# rows of 250 bytes, well past the 10,000-row cohorts the bulk tools are measured with. It stays
# under Streamlit's global cap (server.maxUploadSize = 5 in .streamlit/config.toml), so a file a
# little too big gets this page's sentence rather than the uploader's generic refusal.
RECIPIENTS_CSV = UploadKind(
    "A recipients CSV", 4 * MIB, "Split the learners into several files and issue each."
)
# Every stored object is one IPFS block (256 KiB), so every implementation computes the same CID:
# a larger image could not be stored anyway. A badge is shown small: a 512 x 512 PNG fits.
BADGE_IMAGE = UploadKind(
    "A badge image",
    MAX_BLOCK_SIZE,
    "Export it smaller (a 512 x 512 PNG is usually under 100 KiB).",
)

# Badge images: PNG and JPEG only, told apart by their first bytes (the file name and the type
# the browser claims are the uploader's word, not evidence). SVG is refused: it is a document
# that can carry scripts and links, and a gateway that serves it as image/svg+xml runs them when
# someone opens the image itself. Browsers do not run them inside <img>, but the app cannot
# decide where wallets and gateways will show a badge.
IMAGE_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
IMAGE_EXTENSIONS = ["png", "jpg", "jpeg"]


class SizedUpload(Protocol):
    """What Streamlit's ``UploadedFile`` offers that the checks need."""

    size: int

    def getvalue(self) -> bytes: ...


class UploadRefused(ValueError):
    """One sentence: which file, what limit, what to do."""


def help_text(kind: UploadKind) -> str:
    """The uploader's help: the real limit, as the refusal will state it."""
    return f"At most {kind.limit_text}."


def read_upload(upload: SizedUpload, kind: UploadKind) -> bytes:
    """The upload's bytes, after its size was checked against ``kind``'s limit."""
    size = int(upload.size)
    if size > kind.max_bytes:
        raise UploadRefused(
            f"{kind.what} may be at most {kind.limit_text}, and this one is {_size_text(size)}: "
            f"{kind.advice}"
        )
    data = upload.getvalue()
    if len(data) > kind.max_bytes:  # the reported size is the browser's word
        raise UploadRefused(f"{kind.what} may be at most {kind.limit_text}: {kind.advice}")
    return data


def image_type(data: bytes) -> str:
    """The badge image's media type from its first bytes; :class:`UploadRefused` unless it is a
    PNG or a JPEG."""
    for media_type, signatures in IMAGE_SIGNATURES.items():
        if data.startswith(signatures):
            return media_type
    raise UploadRefused(
        "A badge image must be a PNG or JPEG file, and this one is not (SVG is not accepted: it "
        "can carry scripts): export the badge as PNG."
    )


def _size_text(size: int) -> str:
    if size >= MIB:
        return f"{size / MIB:.1f} MiB".replace(".0 MiB", " MiB")
    if size >= KIB:
        return f"{size / KIB:.0f} KiB"
    return f"{size} bytes"
