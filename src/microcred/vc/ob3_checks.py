"""What an Open Badges 3.0 verifier checks of a document before its proof: the official JSON
Schema and JSON-LD terms.

- **Schema**: 1EdTech's ``ob_v3p0_achievementcredential_schema.json`` (JSON Schema draft 2019-09),
  for a whole credential or, for a template, its ``Achievement`` definition. It is published only
  in git repositories, so it is read from ``shared/ob3/`` (see :mod:`microcred.vc.shared_data`) or
  from a path given, never from this repository.
- **Terms**: every property and type must be defined by a context the document carries (see
  :mod:`microcred.vc.expansion`); 1EdTech's validator stops at the first undefined term, this
  reports them all.

>>> from microcred.vc.contexts import OB_CONTEXT, VC_CONTEXT
>>> undefined_terms({"@context": [VC_CONTEXT, OB_CONTEXT], "microcred": {"chainId": 1}})
('microcred', 'chainId')

With the schema in shared/ob3/:
``schema_errors({"@context": [VC_CONTEXT, OB_CONTEXT]})[0]`` is
``"$: 'credentialSubject' is a required property"``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft201909Validator
from pyld.jsonld import JsonLdError
from referencing import Registry, Resource

from .expansion import expand
from .shared_data import SharedFileMissing, shared_file

__all__ = [
    "ACHIEVEMENT_DEFINITION",
    "SCHEMA_FILE",
    "schema_errors",
    "official_schema_path",
    "undefined_terms",
]

SCHEMA_FILE = "ob3/ob_v3p0_achievementcredential_schema.json"
ACHIEVEMENT_DEFINITION = "Achievement"
_SCHEMA = "The official OB 3.0 JSON Schema"


def official_schema_path() -> Path:
    """Where the official schema is: the first shared data folder that has ``SCHEMA_FILE``;
    :class:`~microcred.vc.shared_data.SharedFileMissing` when none has."""
    return shared_file(SCHEMA_FILE, what=_SCHEMA)


@cache
def _validator(path: Path, definition: str | None) -> Draft201909Validator:
    try:
        schema = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise SharedFileMissing(
            f"{_SCHEMA} is not at {path}: give the path of "
            "ob_v3p0_achievementcredential_schema.json."
        ) from None
    if definition is None:
        return Draft201909Validator(schema, format_checker=Draft201909Validator.FORMAT_CHECKER)
    # A definition inside the schema, resolved against the schema itself (no network).
    registry: Registry[Any] = Registry().with_resource(
        schema["$id"], Resource.from_contents(schema)
    )
    return Draft201909Validator(
        {"$ref": f"{schema['$id']}#/$defs/{definition}"},
        registry=registry,
        format_checker=Draft201909Validator.FORMAT_CHECKER,
    )


def schema_errors(
    document: Mapping[str, Any],
    *,
    definition: str | None = None,
    schema_path: Path | None = None,
) -> list[str]:
    """Every way ``document`` breaks the OB 3.0 AchievementCredential schema (or one of its
    ``$defs``, e.g. ``definition="Achievement"`` for a template), as ``"<JSON path>: <reason>"``;
    empty when it conforms.

    The schema is the file ``schema_path`` or else :func:`official_schema_path`'s; either
    missing is a :class:`~microcred.vc.shared_data.SharedFileMissing`.
    """
    path = (schema_path if schema_path is not None else official_schema_path()).resolve()
    errors = _validator(path, definition).iter_errors(document)
    return [
        f"{error.json_path}: {error.message}"
        for error in sorted(errors, key=lambda e: (list(map(str, e.absolute_path)), e.message))
    ]


def undefined_terms(document: Mapping[str, Any]) -> tuple[str, ...]:
    """The terms (properties and types) of ``document`` that none of its contexts define.

    A context microcred does not know cannot be read (microcred never fetches one), so it is
    reported as ``"@context <url>"``: whatever it defines is unknown here.
    """
    try:
        return expand(document).undefined_terms
    except JsonLdError as error:
        url = _unknown_context(error)
        if url is None:
            raise
        return (f"@context {url}",)


def _unknown_context(error: BaseException | None) -> str | None:
    while error is not None:
        details = getattr(error, "details", None)
        if isinstance(details, dict) and isinstance(details.get("url"), str):
            return str(details["url"])
        error = error.__cause__
    return None
