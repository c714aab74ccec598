"""The one parser for JSON that someone else wrote: uploads, proof files, manifests, documents.

``json.loads`` recurses once per nesting level, so a file of 150,000 ``[`` overflows the C stack
when something (``py_ecc``, pulled in by eth-tester) has raised Python's recursion limit: the
process dies with SIGSEGV, taking every visitor's session with it. And it holds the whole tree
in memory: a 20 MB file of ``[[],[],…]`` costs over 500 MB. So before anything recursive runs,
:func:`parse_untrusted` refuses bytes over the kind's size limit and counts the bracket depth
with one linear scan (brackets inside strings do not count), then parses with the same
strictness everywhere: no repeated keys, no ``NaN``/``Infinity``, no integer longer than a
uint256 needs. A refusal is one sentence naming what was refused and the limit.

>>> parse_untrusted(b'{"a":[1,2]}', PROOF_FILE)
{'a': [1, 2]}
>>> parse_untrusted(b"[" * 100 + b"]" * 100, PROOF_FILE)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
microcred.errors.UntrustedJsonError: The proof file nests brackets deeper than 16 levels...
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from .cid import MAX_BLOCK_SIZE
from .errors import UntrustedJsonError

__all__ = [
    "DOCUMENT",
    "MAX_INT_DIGITS",
    "MANIFEST",
    "MAX_UPLOAD_BYTES",
    "PROOF_FILE",
    "SERVICE_ANSWER",
    "JsonKind",
    "UntrustedJsonError",
    "json_depth",
    "parse_untrusted",
    "too_large",
]


@dataclass(frozen=True)
class JsonKind:
    """What a piece of untrusted JSON is, and how much of it is ever legitimate."""

    name: str  # "proof file": used in the refusal's sentence
    max_bytes: int
    max_depth: int
    bom_allowed: bool = False  # files saved by a text editor on Windows start with one

    @property
    def size_text(self) -> str:
        return f"{self.max_bytes // 1024} KiB" if self.max_bytes % 1024 == 0 else "bytes"


#: A proof file is ~1.5 KB with a 14-hash proof (a batch of 10,000) and has 2 levels; 64 KiB holds
#: a proof of ~900 hashes, far past any tree the contract could anchor (a tree of 2**64 leaves
#: needs 64).
PROOF_FILE = JsonKind("proof file", 64 * 1024, 16, bom_allowed=True)
#: Documents are one IPFS block (256 KiB) by definition (see :mod:`microcred.documents`); the
#: deepest one microcred writes nests 6 levels (``credentialSubject.achievement.alignment[i]``
#: and ``microcred`` extension objects); 32 leaves room for other issuers' extensions.
DOCUMENT = JsonKind("document", MAX_BLOCK_SIZE, 32)
#: A manifest index or page is one IPFS object, so one block: a page of
#: :data:`~microcred.anchoring.PAGE_SIZE` (200) entries with a 14-hash proof is ~227 KB; the index
#: of a batch of 10,000 is ~9 KB. Both nest 4 levels (page -> entries -> entry -> proof).
MANIFEST = JsonKind("batch manifest object", MAX_BLOCK_SIZE, 16)
#: What an IPFS node or a pinning service answers to an add, a pin or a status query.
SERVICE_ANSWER = JsonKind("storage service's answer", 1024 * 1024, 32)

#: The largest upload a page ever needs to take (a proof file; CSVs and images have their own
#: limits in the pages): what ``server.maxUploadSize`` must allow, rounded up to whole MB there.
MAX_UPLOAD_BYTES = PROOF_FILE.max_bytes

#: A uint256 has 78 decimal digits: a longer integer is no field microcred reads, and Python's
#: int() of a long digit string costs quadratic time.
MAX_INT_DIGITS = 80

# A whole JSON string, escapes included (unrolled, so the regex engine runs in linear time).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_ONE_KIND = bytes.maketrans(b"{}", b"[]")


def json_depth(data: bytes, limit: int) -> int:
    """The deepest bracket nesting of ``data`` outside strings, counted without recursion and
    without a Python loop over the bytes; ``limit + 1`` as soon as ``limit`` is passed, and -1
    for brackets that do not balance (json.loads would recurse into them before failing).

    Strings are cut out, everything but brackets dropped, both kinds made one; then each pass
    removes the innermost pairs (``bytes.replace`` does not look at what it just joined), so the
    number of passes is the depth: at most ``limit + 1`` passes at C speed.

    >>> json_depth(b'{"a": [[1], "]]]"]}', 10)
    3
    >>> json_depth(b"[" * 100_000, 32)
    -1
    """
    brackets = _STRING.sub(b"", data).translate(_ONE_KIND, _NOT_BRACKETS)
    depth = 0
    while brackets:
        shorter = brackets.replace(b"[]", b"")
        if len(shorter) == len(brackets):
            return -1
        depth += 1
        if depth > limit:
            return depth
        brackets = shorter
    return depth


def parse_untrusted(data: bytes | bytearray | memoryview | str, kind: JsonKind) -> Any:
    """``data`` parsed as JSON of ``kind``, or :class:`~microcred.errors.UntrustedJsonError`
    (an :class:`~microcred.errors.InputError` and a :class:`~microcred.errors.DocumentError`)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if len(raw) > kind.max_bytes:
        raise too_large(len(raw), kind)
    if kind.bom_allowed and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    depth = json_depth(raw, kind.max_depth)
    if depth > kind.max_depth:
        raise UntrustedJsonError(
            f"The {kind.name} nests brackets deeper than {kind.max_depth} levels: no "
            f"{kind.name} does, so it was not read."
        )
    if depth < 0:
        raise UntrustedJsonError(
            f"The {kind.name} is not valid JSON: its brackets do not balance (outside strings)."
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UntrustedJsonError(
            f"The {kind.name} is not UTF-8 text (byte {err.start}): it was not read."
        ) from None
    try:
        return json.loads(
            text,
            object_pairs_hook=_no_repeated_keys,
            parse_constant=_no_constants,
            parse_int=_bounded_int,
            parse_float=_finite_float,
        )
    except json.JSONDecodeError as err:
        raise UntrustedJsonError(f"The {kind.name} is not valid JSON: {err}.") from None
    except _Refused as err:
        raise UntrustedJsonError(f"The {kind.name} is not read: {err}") from None


def too_large(size: int, kind: JsonKind) -> UntrustedJsonError:
    """The refusal of ``size`` bytes of ``kind`` (for callers that stop reading at the limit)."""
    return UntrustedJsonError(
        f"The {kind.name} is {size:,} bytes, more than the {kind.max_bytes:,} bytes "
        f"({kind.size_text}) a {kind.name} may have: it was not read."
    )


class _Refused(ValueError):
    pass


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Refused(f"it repeats the key {key[:80]!r}, so two readers could disagree.")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"the number {text[:40]} is too large for any field.")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _Refused(f"it holds an integer of {len(text):,} digits (at most {MAX_INT_DIGITS}).")
    return int(text)
