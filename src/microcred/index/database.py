"""Opening the index: an engine for its URL, with the schema brought up to date.

SQLite (the default) gets WAL journaling, so lookups read while the one writer syncs, and a
busy timeout; PostgreSQL is used as it comes (``postgresql+psycopg://…``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.pool import StaticPool

from ..errors import ConfigError
from .migrations import migrate

__all__ = ["open_index", "sqlite_path"]


def sqlite_path(engine: Engine) -> Path | None:
    """The file of a SQLite index (None for PostgreSQL or an in-memory SQLite)."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    return Path(str(engine.url.database))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at each checkpoint, fast
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def open_index(url: str) -> Engine:
    """An engine on the index at ``url``, its schema migrated to the latest version."""
    safe = url.split("@")[-1] if "@" in url else url  # never echo a password
    try:
        parsed = make_url(url)
        sqlite = parsed.get_backend_name() == "sqlite"
        in_memory = sqlite and parsed.database in (None, "", ":memory:")
        if sqlite and not in_memory:
            Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
        if in_memory:
            # One database for every thread of the process (``sqlite://`` would give each
            # thread its own, empty one): the throwaway index of a lookup without a kept index.
            engine = create_engine(
                parsed, poolclass=StaticPool, connect_args={"check_same_thread": False}
            )
        else:
            engine = create_engine(parsed, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError, ValueError) as err:
        raise ConfigError(
            f"MICROCRED_INDEX_URL {safe!r} is not a usable database URL ({err}): use "
            "sqlite:///path/index.sqlite or postgresql+psycopg://user:password@host/db."
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        migrate(engine)
    except OperationalError as err:
        engine.dispose()
        raise ConfigError(
            f"Cannot open the index database {safe!r} ({type(err.orig).__name__}): check "
            "MICROCRED_INDEX_URL and that the database server is running."
        ) from None
    return engine
