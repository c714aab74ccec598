"""RDF Dataset Canonicalization (RDFC-1.0) of JSON-LD, as eddsa-rdfc-2022 signs it.

pyld implements the algorithm under its earlier name, URDNA2015: RDFC-1.0 is the same algorithm
(W3C Recommendation, 2024) with one difference that matters here: the canonical N-Quads form.
RDFC-1.0 escapes every control character in a literal (``\\b``, ``\\f`` and ``\\u0000``-style for
the others) and escapes characters IRIs may not hold, where pyld 3.3 escapes only ``\\t \\n \\r
" \\``. A name holding a form feed would hash differently from Digital Bazaar's rdf-canonize and
its signature would fail there. So pyld's quad serialiser is replaced, once, by one that writes
canonical N-Quads; both the blank-node hashes and the output use it.

The options match Digital Bazaar's eddsa-rdfc-2022 cryptosuite: no base IRI, ``rdfDirection:
i18n-datatype``.

>>> canonize_expanded([{"@id": "urn:x", "https://schema.org/name": [{"@value": "a\\fb"}]}])
'<urn:x> <https://schema.org/name> "a\\\\fb" .\\n'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pyld.canon
from pyld import jsonld

from .contexts import document_loader

__all__ = ["DocumentLoader", "canonize_expanded", "serialize_quad"]

DocumentLoader = Callable[..., dict[str, Any]]

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

_LITERAL_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_LITERAL_ESCAPES.update({'"': '\\"', "\\": "\\\\"})
_LITERAL_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f\x7f"\\]')
_IRI_NEEDS_ESCAPE = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def _escape_literal(value: str) -> str:
    return _LITERAL_NEEDS_ESCAPE.sub(
        lambda m: _LITERAL_ESCAPES.get(m[0], f"\\u{ord(m[0]):04X}"), value
    )


def _escape_iri(value: str) -> str:
    return _IRI_NEEDS_ESCAPE.sub(lambda m: f"\\u{ord(m[0]):04X}", value)


def _term(component: dict[str, Any]) -> str:
    if component["type"] == "IRI":
        return f"<{_escape_iri(component['value'])}>"
    if component["type"] == "blank node":
        return str(component["value"])
    literal = f'"{_escape_literal(component["value"])}"'
    if component["datatype"] == _RDF_LANGSTRING:
        return literal + (f"@{component['language']}" if component.get("language") else "")
    if component["datatype"] != _XSD_STRING:
        return f"{literal}^^<{_escape_iri(component['datatype'])}>"
    return literal


def serialize_quad(triple: dict[str, Any], graph_name: str | None = None) -> str:
    """One quad in canonical N-Quads form (RDFC-1.0), with pyld's quad shape and signature."""
    parts = [_term(triple["subject"]), _term(triple["predicate"]), _term(triple["object"])]
    graph = triple.get("name", {"value": graph_name})["value"]
    if graph is not None:
        parts.append(graph if graph.startswith("_:") else f"<{_escape_iri(graph)}>")
    return " ".join(parts) + " .\n"


# pyld.canon looks the serialiser up as a module global each time it hashes or writes a quad.
pyld.canon.serialize_nquad = serialize_quad


def canonize_expanded(expanded: list[Any], *, loader: DocumentLoader = document_loader) -> str:
    """The canonical N-Quads (RDFC-1.0) of an expanded JSON-LD document."""
    canonical: str = jsonld.normalize(
        expanded,
        {
            "algorithm": "URDNA2015",
            "format": "application/n-quads",
            "documentLoader": loader,
            "base": None,
            "rdfDirection": "i18n-datatype",
        },
    )
    return canonical
