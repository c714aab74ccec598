"""Where microcred.vc's data comes from: JSON-LD contexts exported from pinned npm packages and
checked against VENDORED.md, the rest read from shared/; nothing fetched kept in this repository."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from microcred.vc.contexts import (
    CONTEXTS,
    CONTEXTS_DIR,
    VC_CONTEXT,
    ContextFilesError,
    canonical_sha256,
    load_context,
    read_context,
)
from microcred.vc.dataintegrity import sign, verify
from microcred.vc.didkey import Ed25519SigningKey
from microcred.vc.expansion import expand

REPO = Path(__file__).resolve().parents[2]
VC_PACKAGE = REPO / "src" / "microcred" / "vc"
CREATED = datetime(2026, 3, 1, tzinfo=UTC)
SHARED_TABLE_HEADING = "## Read from shared/ob3/ (not available from a package registry)"


def _shared_rows() -> list[tuple[str, str]]:
    lines = (VC_PACKAGE / "VENDORED.md").read_text().splitlines()
    rows = []
    for line in lines[lines.index(SHARED_TABLE_HEADING) + 1 :]:
        cells = [cell.strip() for cell in line.split("|")[1:-1]]
        if cells and cells[0].startswith("ob3/"):
            rows.append((cells[0], cells[-1]))
    return rows


def test_every_listed_context_is_exported_and_matches_its_sha256() -> None:
    assert len(CONTEXTS) == 8
    for url, entry in CONTEXTS.items():
        assert canonical_sha256(read_context(url)) == entry.sha256
    index = json.loads((CONTEXTS_DIR / "index.json").read_text())
    assert index == {url: entry.file for url, entry in CONTEXTS.items()}
    assert sorted(p.name for p in CONTEXTS_DIR.iterdir()) == sorted([*index.values(), "index.json"])


def test_each_context_package_is_pinned_exactly_in_the_root_package_json() -> None:
    dependencies = json.loads((REPO / "package.json").read_text())["dependencies"]
    for entry in CONTEXTS.values():
        name, _, version = entry.package.rpartition("@")
        assert dependencies.get(name) == version, entry.package


def _tampered_export(tmp_path: Path) -> Path:
    export = tmp_path / "contexts"
    shutil.copytree(CONTEXTS_DIR, export)
    context_file = export / CONTEXTS[VC_CONTEXT].file
    document: dict[str, Any] = json.loads(context_file.read_text())
    document["@context"]["microcred"] = "urn:microcred:terms#microcred"
    context_file.write_text(json.dumps(document, indent=2))
    return export


def test_a_context_that_differs_from_its_listed_sha256_is_refused_naming_make_install(
    tmp_path: Path,
) -> None:
    export = _tampered_export(tmp_path)
    with pytest.raises(ContextFilesError, match=r"not the one VENDORED\.md lists.*make install"):
        read_context(VC_CONTEXT, export)
    # The same file laid out differently is the same context.
    untouched = export / CONTEXTS["https://www.w3.org/ns/did/v1"].file
    untouched.write_text(json.dumps(json.loads(untouched.read_text()), sort_keys=True))
    assert read_context("https://www.w3.org/ns/did/v1", export) == load_context(
        "https://www.w3.org/ns/did/v1"
    )


def test_a_missing_export_is_an_error_naming_make_install(tmp_path: Path) -> None:
    with pytest.raises(ContextFilesError, match=r"missing .*index\.json.*make install"):
        read_context(VC_CONTEXT, tmp_path)


def test_an_export_made_from_another_table_is_refused(tmp_path: Path) -> None:
    export = tmp_path / "contexts"
    shutil.copytree(CONTEXTS_DIR, export)
    index = json.loads((export / "index.json").read_text())
    index["https://example.org/extra-context"] = "extra.jsonld"
    (export / "index.json").write_text(json.dumps(index))
    with pytest.raises(ContextFilesError, match=r"does not list the contexts VENDORED\.md lists"):
        read_context(VC_CONTEXT, export)


def test_a_missing_export_surfaces_as_itself_through_signing_and_expansion(tmp_path: Path) -> None:
    # pyld wraps a loader's error as a bad URL; the user must read "run make install" instead of
    # "this document cannot be signed". pyld keeps every context it resolved for the life of the
    # process, whichever loader served it: a URL of its own makes sure this loader is asked.
    context_url = "urn:microcred:test:missing-export"

    def loader(url: str, options: Any = None) -> dict[str, Any]:
        document = read_context(VC_CONTEXT, tmp_path)  # raises: nothing exported there
        return {"contextUrl": None, "documentUrl": url, "document": document}

    key = Ed25519SigningKey.from_seed(bytes(32))
    credential = {
        "@context": [context_url],
        "type": ["VerifiableCredential"],
        "issuer": key.did,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "urn:example:subject"},
    }
    with pytest.raises(ContextFilesError, match="make install"):
        expand(credential, loader=loader)
    with pytest.raises(ContextFilesError, match="make install"):
        sign(credential, key, created=CREATED, loader=loader)
    signed = sign({**credential, "@context": [VC_CONTEXT]}, key, created=CREATED)
    with pytest.raises(ContextFilesError, match="make install"):
        verify({**signed, "@context": [context_url]}, loader=loader)


@pytest.mark.parametrize(("name", "sha256"), _shared_rows(), ids=[n for n, _ in _shared_rows()])
def test_each_shared_file_present_is_the_one_listed(
    shared_data: Callable[[str], Path], name: str, sha256: str
) -> None:
    path = shared_data(name)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha256


def test_no_fetched_data_file_is_kept_in_this_repository() -> None:
    # Contexts are exported by `make install` (gitignored); the rest lives in shared/ only.
    kept = [
        path.relative_to(REPO).as_posix()
        for root in (VC_PACKAGE, REPO / "tests" / "vc")
        for path in root.rglob("*")
        if path.suffix in {".json", ".jsonld", ".txt"} and CONTEXTS_DIR not in path.parents
    ]
    assert kept == []
