"""Data files read from the steering repository's ``shared/`` folder, never from this repository.

The official OB 3.0 JSON Schema, the specification's complete example and the W3C test vectors
are published only in git repositories (no package registry has them), and such files may live
only in ``shared/`` (origins and digests in ``VENDORED.md``). A file ``ob3/<name>`` is looked for
in ``$MICROCRED_SHARED_DIR`` first, then in ``shared/`` beside the clone, where CI puts it.

>>> shared_dirs()[-1].name
'shared'
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ..errors import ConfigError

__all__ = ["SHARED_DIR_VARIABLE", "SharedFileMissing", "shared_dirs", "shared_file"]

SHARED_DIR_VARIABLE = "MICROCRED_SHARED_DIR"
# src/microcred/vc/shared_data.py -> the clone's root; shared/ is its sibling.
_REPO_ROOT = Path(__file__).resolve().parents[3]


class SharedFileMissing(ConfigError):
    """A data file microcred reads from shared/ is in none of the folders searched."""


def shared_dirs() -> tuple[Path, ...]:
    """The folders searched for shared data, in order: ``$MICROCRED_SHARED_DIR``, if set, then
    ``shared/`` beside the clone."""
    configured = os.environ.get(SHARED_DIR_VARIABLE)
    return (*([Path(configured)] if configured else []), _REPO_ROOT.parent / "shared")


def shared_file(name: str, *, what: str, search: Sequence[Path] | None = None) -> Path:
    """The path of ``name`` (e.g. ``"ob3/full_ex.json"``) in the first folder of ``search``
    (default :func:`shared_dirs`) that has it; :class:`SharedFileMissing`, saying ``what`` it is
    and where it was looked for, when none has."""
    folders = shared_dirs() if search is None else tuple(search)
    for folder in folders:
        if (folder / name).is_file():
            return folder / name
    searched = ", ".join(str(folder) for folder in folders)
    raise SharedFileMissing(
        f"{what} ({name}) is in no shared data folder ({searched}): set {SHARED_DIR_VARIABLE} to "
        f"a folder that holds {name}, or have it added to the steering repository's shared/ "
        "(origin and sha256 in microcred/vc/VENDORED.md)."
    )
