"""The embedded store: a content-addressed folder, one file per object named by its CID."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import ContentNotFound, InputError, StorageError
from ._base import check_cid, local_cid, verified

__all__ = ["DEFAULT_LOCAL_DIR", "LocalStore"]

DEFAULT_LOCAL_DIR = Path(".microcred") / "ipfs"


class LocalStore:
    """Objects as files ``<dir>/<cid>`` holding exactly their bytes, so any IPFS node can import
    them later and get the same CIDs. Writes are atomic (a temporary file renamed into place).

    >>> import tempfile
    >>> store = LocalStore(tempfile.mkdtemp())
    >>> store.put(b"")
    'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'
    >>> store.get(store.put(b"hi"))
    b'hi'
    """

    def __init__(self, directory: str | os.PathLike[str] = DEFAULT_LOCAL_DIR) -> None:
        self.directory = Path(directory)
        self.name = f"local:{self.directory}"

    def __repr__(self) -> str:
        return f"LocalStore({str(self.directory)!r})"

    def path_of(self, cid: str) -> Path:
        check_cid(cid)
        return self.directory / cid

    def put(self, data: bytes) -> str:
        cid = local_cid(data)
        target = self.directory / cid
        if self._holds(target, data):
            return cid  # a damaged copy is not "already there": it is rewritten below
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".part")
            try:
                with os.fdopen(fd, "wb") as file:
                    file.write(data)
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as err:
            raise StorageError(
                f"Cannot write to the local store {self.directory}: {err}."
            ) from None
        return cid

    @staticmethod
    def _holds(path: Path, data: bytes) -> bool:
        try:
            return path.read_bytes() == data
        except OSError:
            return False

    def get(self, cid: str, *, timeout: float | None = None) -> bytes:
        path = self.path_of(cid)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ContentNotFound(f"{cid} is not in the local store {self.directory}.") from None
        except OSError as err:
            raise StorageError(f"Cannot read {path}: {err}.") from None
        return verified(cid, data, source=f"The local store {self.directory}")

    def has(self, cid: str) -> bool:
        return self.path_of(cid).is_file()

    def cids(self) -> Iterator[str]:
        """Every object's CID, in sorted order (temporary files are skipped)."""
        if not self.directory.is_dir():
            return
        for path in sorted(self.directory.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                try:
                    check_cid(path.name)
                except InputError:  # a stray file is not an object
                    continue
                yield path.name
