"""The index's schema versions: an ordered list of steps and a ``schema_version`` table.

Why not Alembic: the index is a cache of the chain and the manifests, rebuildable at any time
(``rebuild``), and it ships inside the library. Alembic would add a dependency, an ``env.py``
and a script folder to package, and its strengths (autogeneration, branches, downgrades) serve a
database that cannot be rebuilt. Here a step is a function of a connection; :func:`migrate` runs
the steps past the stored version, each in its own transaction with its version row, so a
crash between steps leaves a valid, older schema. Steps are append-only: a released step is
never edited (when a later step changes a table, step 1 must keep creating the table as it was,
so copy the old definition into it before changing :mod:`.schema`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from sqlalchemy import Connection, Engine, inspect, select, text
from sqlalchemy.exc import DBAPIError

from ..errors import ConfigError
from . import schema

__all__ = ["LATEST_VERSION", "MIGRATIONS", "current_version", "migrate"]


class Migration(NamedTuple):
    version: int
    description: str
    apply: Callable[[Connection], None]


def _create_v1(conn: Connection) -> None:
    tables = [t for t in schema.metadata.sorted_tables if t is not schema.schema_version]
    schema.metadata.create_all(conn, tables=tables)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "cursor, block hashes, events, minted, batches, entries, revocations, issuers",
        _create_v1,
    ),
)
LATEST_VERSION = MIGRATIONS[-1].version
#: Advisory lock key held while migrating (any fixed 64-bit number unlikely to collide).
_MIGRATION_LOCK = 0x6D6963726F637265


def current_version(engine: Engine) -> int:
    """The schema version of the database (0: no index yet)."""
    if not inspect(engine).has_table(schema.schema_version.name):
        return 0
    with engine.connect() as conn:
        found = conn.execute(select(schema.schema_version.c.version)).scalars().all()
    return max(found, default=0)


def migrate(engine: Engine) -> int:
    """Bring the database to :data:`LATEST_VERSION`; returns the version it was at."""
    try:
        schema.schema_version.create(engine, checkfirst=True)
    except DBAPIError:
        if not inspect(engine).has_table(schema.schema_version.name):
            raise  # not a race with another process creating it: a real failure
    before = current_version(engine)
    if before > LATEST_VERSION:
        raise ConfigError(
            f"The index at {engine.url.render_as_string(hide_password=True)} has schema version "
            f"{before}, newer than this microcred ({LATEST_VERSION}): upgrade microcred, or point "
            "MICROCRED_INDEX_URL at another database."
        )
    for step in MIGRATIONS:
        if step.version <= before:
            continue
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Several app servers may start at once: one migrates, the others wait and skip.
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            done = conn.execute(select(schema.schema_version.c.version)).scalars().all()
            if step.version in done:
                continue
            step.apply(conn)
            conn.execute(
                schema.schema_version.insert().values(
                    version=step.version, description=step.description
                )
            )
    return before
