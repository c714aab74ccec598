"""The JSON-LD contexts microcred knows, exported from pinned npm packages: never fetched.

A verifier that fetched ``https://www.w3.org/ns/credentials/v2`` at verification time would let
whoever answers that URL change what a signature covers; so only the contexts listed in
``VENDORED.md`` are ever used, and any other URL is an error. ``make install`` exports them from
their npm packages into ``contexts/`` (``tools/export_vc_contexts.mjs``, which reads the same
table); each file is checked against the sha256 listed there before it is used, so a package that
changed is an error that says what to do, never a different context in use.

>>> load_context("https://www.w3.org/ns/credentials/v2")["@context"]["@protected"]
True
>>> CONTEXTS["https://www.w3.org/ns/did/v1"].package
'did-context@3.1.1'
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pyld.jsonld import JsonLdError

from ..errors import ConfigError

__all__ = [
    "CONTEXTS",
    "CONTEXTS_DIR",
    "DATA_INTEGRITY_V2_CONTEXT",
    "OB_CONTEXT",
    "UNDEFINED_TERMS_CONTEXT",
    "VC_CONTEXT",
    "ContextFilesError",
    "VendoredContext",
    "canonical_sha256",
    "document_loader",
    "load_context",
    "read_context",
]

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
DATA_INTEGRITY_V2_CONTEXT = "https://w3id.org/security/data-integrity/v2"
UNDEFINED_TERMS_CONTEXT = "https://www.w3.org/ns/credentials/undefined-terms/v2"

_HERE = Path(__file__).resolve().parent
CONTEXTS_DIR = _HERE / "contexts"
_TABLE_HEADING = "## JSON-LD contexts: exported from npm packages"
_REEXPORT = (
    "run `make install` (or `node tools/export_vc_contexts.mjs` when the npm packages are "
    "already installed)"
)


class ContextFilesError(ConfigError):
    """The JSON-LD context files exported from npm are missing or differ from VENDORED.md."""


@dataclass(frozen=True)
class VendoredContext:
    """One row of VENDORED.md's contexts table."""

    url: str
    file: str
    package: str  # npm name@version
    export: str
    sha256: str  # of the canonical JSON, see canonical_sha256


def _table_rows(markdown: str, heading: str) -> list[list[str]]:
    # The first table after `heading`; tools/export_vc_contexts.mjs reads it the same way.
    lines = markdown.splitlines()
    rows: list[list[str]] = []
    for line in lines[lines.index(heading) + 1 :]:
        if line.startswith("#"):
            break
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [cell.strip() for cell in line.split("|")[1:-1]]
        if cells[0] != "URL" and not cells[0].startswith("---"):
            rows.append(cells)
    return rows


CONTEXTS: dict[str, VendoredContext] = {
    row[0]: VendoredContext(*row)
    for row in _table_rows((_HERE / "VENDORED.md").read_text("utf-8"), _TABLE_HEADING)
}


def canonical_sha256(document: Any) -> str:
    """The digest VENDORED.md lists: of the JSON with sorted keys and no spaces, so it names the
    context itself, whatever its file's layout."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def read_context(url: str, directory: Path = CONTEXTS_DIR) -> dict[str, Any]:
    """The context document served at ``url``, read from the export in ``directory`` and checked
    against VENDORED.md; ``KeyError`` for a URL it does not list, :class:`ContextFilesError`
    when the export is missing, incomplete or different."""
    entry = CONTEXTS[url]
    index_path = directory / "index.json"
    try:
        index = json.loads(index_path.read_text("utf-8"))
        text = (directory / entry.file).read_text("utf-8")
    except FileNotFoundError as error:
        raise ContextFilesError(
            f"The JSON-LD contexts exported from npm are missing ({error.filename}): {_REEXPORT}."
        ) from None
    if index != {listed: context.file for listed, context in CONTEXTS.items()}:
        raise ContextFilesError(
            f"{index_path} does not list the contexts VENDORED.md lists: {_REEXPORT}."
        )
    document: dict[str, Any] = json.loads(text)
    if canonical_sha256(document) != entry.sha256:
        raise ContextFilesError(
            f"The JSON-LD context {url} in {directory / entry.file} is not the one VENDORED.md "
            f"lists for {entry.package}: {_REEXPORT}, and if the package itself changed, review "
            "the new context before updating VENDORED.md."
        )
    return document


@cache
def _checked(url: str) -> dict[str, Any]:
    return read_context(url)


def load_context(url: str) -> dict[str, Any]:
    """A fresh copy of the context document served at ``url``; ``KeyError`` if unknown."""
    return copy.deepcopy(_checked(url))


def document_loader(url: str, options: Any = None) -> dict[str, Any]:
    """A pyld document loader that serves the listed contexts and refuses every other URL."""
    if url not in CONTEXTS:
        raise JsonLdError(
            f"The JSON-LD context {url} is not one microcred knows; it is never fetched from the "
            "network.",
            "jsonld.LoadDocumentError",
            {"url": url},
            code="loading document failed",
        )
    # "tag": "static" lets pyld keep the processed context for the life of the process: without
    # it every expansion parses and processes each context again (three times slower).
    return {"contextUrl": None, "documentUrl": url, "document": load_context(url), "tag": "static"}
