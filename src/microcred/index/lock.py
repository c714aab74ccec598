"""Exactly one writer per (chain, contract); any number of readers.

On PostgreSQL a session advisory lock (``pg_try_advisory_lock``) held on a dedicated connection
for the whole sync: it is released when that connection ends, so a killed writer never leaves it
behind. On SQLite an exclusive ``flock`` on ``<database>.lock`` beside the file, released by the
kernel when the process dies, for the same reason; an in-memory SQLite has one process anyway.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator

from sqlalchemy import Engine, text

from ..errors import MicrocredError
from .database import sqlite_path

__all__ = ["IndexBusy", "writer_lock"]


class IndexBusy(MicrocredError):
    """Another process is syncing this index (one writer per chain and contract)."""


def lock_key(chain_id: int, contract: str) -> int:
    """A signed 64-bit key for ``pg_try_advisory_lock`` from the chain and the contract."""
    digest = hashlib.sha256(f"microcred-index:{chain_id}:{contract.lower()}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextlib.contextmanager
def writer_lock(engine: Engine, chain_id: int, contract: str) -> Iterator[None]:
    """Hold the index's writer lock, or raise :class:`IndexBusy` at once if another holds it."""
    busy = IndexBusy(
        f"Another process is syncing the index of chain {chain_id} ({contract}): "
        "wait for it to finish, it keeps the index for everyone."
    )
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            key = lock_key(chain_id, contract)
            got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
            conn.commit()
            if not got:
                raise busy
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                conn.commit()
        return
    path = sqlite_path(engine)
    if path is None:
        yield
        return
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy from None
        yield
    finally:
        os.close(fd)  # closing releases the lock
