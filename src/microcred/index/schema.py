"""The index's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Every row carries ``chain_id`` and ``contract`` (the Credential contract's address, lower case:
it names the deployment whose two contracts the row comes from), so one PostgreSQL database can
hold the index of several networks. Token ids, roots and hashes are ``0x`` + 64 hex digits and
addresses ``0x`` + 40, all lower case: uint256 does not fit a SQL integer, and one spelling
keeps lookups exact. Rows that come from an event keep its ``block`` so that a reorganisation
is rolled back with one ``DELETE … WHERE block > fork`` per table.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = [
    "EVENT_TABLES",
    "anchored_entries",
    "batches",
    "block_hashes",
    "events",
    "issuer_events",
    "metadata",
    "minted",
    "revocations",
    "schema_version",
    "sync_cursor",
    "unread_manifests",
]

metadata = MetaData()

HEX32 = String(66)
ADDRESS = String(42)


def _deployment() -> list[Column]:  # type: ignore[type-arg]
    return [
        Column("chain_id", BigInteger, primary_key=True),
        Column("contract", ADDRESS, primary_key=True),
    ]


schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("description", Text, nullable=False),
)

#: Where the sync stopped: every event of blocks ``start_block``..``synced_block`` is in the
#: index. One cursor covers both contracts of a deployment: they are read with one
#: ``eth_getLogs`` per chunk (an address list), so they can never be at different blocks.
sync_cursor = Table(
    "sync_cursor",
    metadata,
    *_deployment(),
    Column("registry", ADDRESS, nullable=False),
    Column("start_block", BigInteger, nullable=False),
    Column("synced_block", BigInteger, nullable=False),
)

#: Hashes of recent synced blocks (chunk ends and blocks with events): a stored hash the chain
#: no longer has means a reorganisation, and the newest one it still has is where to roll back to.
block_hashes = Table(
    "block_hashes",
    metadata,
    *_deployment(),
    Column("number", BigInteger, primary_key=True),
    Column("hash", HEX32, nullable=False),
)

#: Every log of both contracts, decoded with the ABI (``args`` as JSON): what the specific tables
#: below are built from, and what an event the index has no table for yet is kept in.
events = Table(
    "events",
    metadata,
    *_deployment(),
    Column("block", BigInteger, primary_key=True),
    Column("log_index", Integer, primary_key=True),
    Column("tx_hash", HEX32, nullable=False),
    Column("emitter", ADDRESS, nullable=False),
    Column("name", String(80), nullable=False),
    Column("args", Text, nullable=False),
)
Index("events_by_name", events.c.chain_id, events.c.contract, events.c.name, events.c.block)

#: Tokens minted (``Transfer`` from 0x0): issued directly (``issuer_id``, ``expires_at`` from
#: ``CredentialIssued``) or claimed from a batch (``root``). Keyed by the log, not the token id: a
#: copy minted by another issuer can be displaced by the rightful claim, which mints the id again.
minted = Table(
    "minted",
    metadata,
    *_deployment(),
    Column("block", BigInteger, primary_key=True),
    Column("log_index", Integer, primary_key=True),
    Column("token_id", HEX32, nullable=False),
    Column("holder", ADDRESS, nullable=False),
    Column("issuer_id", BigInteger),
    Column("expires_at", BigInteger),
    Column("root", HEX32),
    Column("tx_hash", HEX32, nullable=False),
)
Index("minted_by_holder", minted.c.chain_id, minted.c.contract, minted.c.holder)
Index("minted_by_token", minted.c.chain_id, minted.c.contract, minted.c.token_id)

#: ``BatchAnchored`` events; ``entries`` is how many manifest rows were read (None: not yet).
batches = Table(
    "batches",
    metadata,
    *_deployment(),
    Column("root", HEX32, primary_key=True),
    Column("issuer_id", BigInteger, nullable=False),
    Column("signer", ADDRESS, nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("manifest", String(100), nullable=False),
    Column("block", BigInteger, nullable=False),
    Column("log_index", Integer, nullable=False),
    Column("entries", BigInteger),
)

#: One row per manifest entry: what waits for a wallet, with its Merkle proof (so a lookup
#: needs no IPFS read to find or prove it). ``block`` is the batch's.
anchored_entries = Table(
    "anchored_entries",
    metadata,
    *_deployment(),
    Column("root", HEX32, primary_key=True),
    Column("token_id", HEX32, primary_key=True),
    Column("recipient", ADDRESS, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("issuer_id", BigInteger, nullable=False),
    Column("proof", Text, nullable=False),  # hashes joined by ","
    Column("manifest", String(100), nullable=False),
    Column("block", BigInteger, nullable=False),
)
Index(
    "anchored_by_recipient",
    anchored_entries.c.chain_id,
    anchored_entries.c.contract,
    anchored_entries.c.recipient,
)
Index(
    "anchored_by_token",
    anchored_entries.c.chain_id,
    anchored_entries.c.contract,
    anchored_entries.c.token_id,
)

#: Revocations of tokens and of unclaimed anchored entries (``root`` when the event names one).
revocations = Table(
    "revocations",
    metadata,
    *_deployment(),
    Column("block", BigInteger, primary_key=True),
    Column("log_index", Integer, primary_key=True),
    Column("token_id", HEX32, nullable=False),
    Column("root", HEX32),
    Column("issuer_id", BigInteger),
    Column("by", ADDRESS),
    Column("reason", Text),
)
Index(
    "revocations_by_token", revocations.c.chain_id, revocations.c.contract, revocations.c.token_id
)

#: Registry events of an issuer: registered, suspended, reinstated, profile, signers, templates.
issuer_events = Table(
    "issuer_events",
    metadata,
    *_deployment(),
    Column("block", BigInteger, primary_key=True),
    Column("log_index", Integer, primary_key=True),
    Column("issuer_id", BigInteger, nullable=False),
    Column("event", String(80), nullable=False),
    Column("detail", Text, nullable=False),  # the event's arguments as JSON
)
Index(
    "issuer_events_by_issuer",
    issuer_events.c.chain_id,
    issuer_events.c.contract,
    issuer_events.c.issuer_id,
)

#: Batches whose manifest could not be read yet: retried at every sync and reported by every
#: lookup (a wallet's credentials may be in one), never taken as empty.
unread_manifests = Table(
    "unread_manifests",
    metadata,
    *_deployment(),
    Column("root", HEX32, primary_key=True),
    Column("manifest", String(100), nullable=False),
    Column("issuer_id", BigInteger, nullable=False),
    Column("block", BigInteger, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("error", Text, nullable=False),
)

#: Tables whose rows come from events, with their block column: what a rollback deletes from.
EVENT_TABLES = (
    events,
    minted,
    batches,
    anchored_entries,
    revocations,
    issuer_events,
    unread_manifests,
    block_hashes,
)
