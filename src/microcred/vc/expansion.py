"""JSON-LD expansion against the contexts microcred knows, with every undefined term caught.

A term that no context in ``@context`` defines is silently dropped by JSON-LD expansion: a
verifier never sees it and a signature does not cover it. To find such terms, the document is
expanded with W3C's undefined-term vocabulary (``https://www.w3.org/ns/credentials/undefined-
terms/v2``) as the fallback ``@vocab``, the way 1EdTech's validator traps them; every IRI in that
vocabulary is a term nobody defined.

The trap context goes *first*, under the document's own contexts, so a context that defines its
own ``@vocab`` (a legitimate way to define terms) still wins. For a document with no undefined
term, the trap changes nothing, so the expansion returned is the document's ordinary expansion.

>>> from microcred.vc.contexts import VC_CONTEXT
>>> result = expand({"@context": [VC_CONTEXT], "type": ["VerifiableCredential"], "color": "red"})
>>> result.undefined_terms
('color',)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from pyld import jsonld

from .contexts import UNDEFINED_TERMS_CONTEXT, ContextFilesError, document_loader, load_context
from .rdfc import DocumentLoader

__all__ = ["Expansion", "expand", "undefined_term_vocab"]


@cache
def undefined_term_vocab() -> str:
    """The IRI prefix every undefined term expands to (read when first needed, so that importing
    microcred.vc works before the contexts are exported)."""
    vocab: str = load_context(UNDEFINED_TERMS_CONTEXT)["@context"]["@vocab"]
    return vocab


@dataclass(frozen=True)
class Expansion:
    """A document's JSON-LD expansion and what is wrong with it (nothing, when both are empty)."""

    expanded: list[Any]
    undefined_terms: tuple[str, ...]
    relative_iris: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.undefined_terms and not self.relative_iris


def expand(document: Mapping[str, Any], *, loader: DocumentLoader = document_loader) -> Expansion:
    """Expand ``document`` with only the contexts microcred knows (or ``loader``'s); raises
    ``pyld.jsonld.JsonLdError`` if a context is unknown or the document is not valid JSON-LD, and
    :class:`~microcred.vc.contexts.ContextFilesError` if the known contexts are not installed."""
    vocab = undefined_term_vocab()
    contexts = document.get("@context", [])
    trapped = {
        **document,
        "@context": [{"@vocab": vocab}]
        + (list(contexts) if isinstance(contexts, list) else [contexts]),
    }
    try:
        expanded = jsonld.expand(trapped, {"documentLoader": loader, "base": None})
    except jsonld.JsonLdError as error:
        # pyld wraps whatever the loader raised as "a URL that did not dereference": a missing
        # install is not a fault of the document, so it is raised as itself.
        cause: BaseException | None = error
        while cause is not None and not isinstance(cause, ContextFilesError):
            cause = cause.__cause__
        if cause is None:
            raise
        raise cause from None
    undefined: dict[str, None] = {}  # an ordered set: each term once
    relative: dict[str, None] = {}
    _walk(expanded, vocab, undefined, relative)
    return Expansion(expanded, tuple(undefined), tuple(relative))


def _walk(node: Any, vocab: str, undefined: dict[str, None], relative: dict[str, None]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, vocab, undefined, relative)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key.startswith(vocab):
            undefined[key.removeprefix(vocab)] = None
        if key == "@type":
            for iri in value if isinstance(value, list) else [value]:
                _check_iri(iri, vocab, undefined, relative)
        elif key == "@id":
            _check_iri(value, vocab, undefined, relative)
        elif key != "@value":  # a literal's text is data, never a term
            _walk(value, vocab, undefined, relative)


def _check_iri(iri: Any, vocab: str, undefined: dict[str, None], relative: dict[str, None]) -> None:
    if not isinstance(iri, str):
        return
    if iri.startswith(vocab):
        undefined[iri.removeprefix(vocab)] = None
    elif not iri.startswith("_:") and ":" not in iri:
        # A relative IRI means nothing without a base, and RDF drops it: the reference verifier
        # (jsonld.js in safe mode) refuses it, so it is reported rather than signed.
        relative[iri] = None
