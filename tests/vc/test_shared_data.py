"""Where data from the steering repository's shared/ folder is looked for, and what a missing
file says."""

from __future__ import annotations

from pathlib import Path

import pytest

from microcred.vc.shared_data import (
    SHARED_DIR_VARIABLE,
    SharedFileMissing,
    shared_dirs,
    shared_file,
)

REPO = Path(__file__).resolve().parents[2]
NAME = "ob3/full_ex.json"


def _folder_with(root: Path, name: str) -> Path:
    (root / name).parent.mkdir(parents=True)
    (root / name).write_text("{}")
    return root


def test_the_variable_comes_first_then_shared_beside_the_clone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SHARED_DIR_VARIABLE, str(tmp_path))
    assert shared_dirs() == (tmp_path, REPO.parent / "shared")
    monkeypatch.delenv(SHARED_DIR_VARIABLE)
    assert shared_dirs() == (REPO.parent / "shared",)


def test_the_first_folder_that_has_the_file_wins(tmp_path: Path) -> None:
    first = tmp_path / "first"
    first.mkdir()  # without the file
    second = _folder_with(tmp_path / "second", NAME)
    third = _folder_with(tmp_path / "third", NAME)
    assert shared_file(NAME, what="The example", search=[first, second, third]) == second / NAME


def test_a_file_in_no_folder_is_an_error_naming_it_and_the_folders(tmp_path: Path) -> None:
    with pytest.raises(SharedFileMissing) as missing:
        shared_file(NAME, what="The spec's complete example", search=[tmp_path])
    message = str(missing.value)
    assert message.startswith(f"The spec's complete example ({NAME}) is in no shared data folder")
    assert str(tmp_path) in message
    assert SHARED_DIR_VARIABLE in message
