"""Sync: the events of both contracts, from the deployment's start block to the head minus the
confirmations, into the index; one chunk per database transaction.

Each chunk of logs is written with the cursor that says it is there, in one transaction: a sync
killed at any point resumes from the last committed chunk, and a sync run again with nothing new
writes nothing. Before reading on, the stored hash of the cursor's block is compared with the
chain's: if it changed, the newest stored block the chain still has is the fork point, and
every row of a later block is deleted (then read again from the new chain). An anchored batch's
manifest is read once, when its ``BatchAnchored`` is synced, into one row per recipient; one out
of reach is kept in ``unread_manifests``, retried at every sync and reported by lookups.

>>> # engine = open_index(settings.url)
>>> # rpc = RetryingRpc(rpc_for(w3))
>>> # sync(engine, deployment, rpc, read_manifest=store_reader(store, deployment))
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, func, insert, select, update

from ..anchoring import AnchoredCredential
from ..chain import AnchoredBatch
from ..cid import cid_of_token_id
from ..deployment import Deployment
from ..errors import ChainError
from . import schema as t
from .events import DecodedLog, EventDecoder
from .lock import writer_lock
from .logs import LogFetcher
from .manifests import ManifestReader
from .rpc import JsonRpc

__all__ = ["SyncReport", "reset", "sync"]

#: How far back block hashes are kept (beyond the newest few): a reorg deeper than this rolls
#: the index back to the oldest hash kept, or to the start if none matches.
REORG_WINDOW = 4096
#: Manifests read at once when a chunk holds several batches: each read waits on the network.
MANIFEST_WORKERS = 8

Progress = Callable[[int, int], None]  # (synced block, target block)


@dataclass(frozen=True)
class SyncReport:
    """What one :func:`sync` did."""

    first_block: int  # first block read (after any rollback)
    synced_block: int  # the cursor now
    head: int  # the chain's head when the sync started
    chunks: int
    events: int
    manifests_read: int
    unread_manifests: tuple[str, ...]  # one sentence per batch whose manifest is still unread
    rolled_back_to: int | None  # the fork point when a reorganisation was found
    requests: int  # eth_getLogs requests, refused ones included
    refusals: int  # of which refused by the provider (range or result caps)


def _key(deployment: Deployment) -> dict[str, Any]:
    return {"chain_id": deployment.chain_id, "contract": deployment.credential.address.lower()}


def _where(table: Any, deployment: Deployment) -> Any:
    key = _key(deployment)
    return and_(table.c.chain_id == key["chain_id"], table.c.contract == key["contract"])


@lru_cache(maxsize=16)
def decoder_for(deployment: Deployment) -> EventDecoder:
    """The deployment's decoder, built once per process: building one makes web3 contract objects
    from both ABIs (~8 ms, a fifth of a warm wallet lookup), and it holds nothing that changes."""
    return EventDecoder(deployment)


def _block_hash(rpc: JsonRpc, number: int) -> str | None:
    block = rpc.call("eth_getBlockByNumber", [hex(number), False])
    return str(block["hash"]).lower() if block else None


def _batch_of(log: DecodedLog) -> AnchoredBatch:
    args = log.args
    return AnchoredBatch(
        root=bytes.fromhex(args["root"][2:]),
        issuer_id=int(args["issuerId"]),
        signer=args["signer"],
        count=int(args["count"]),
        manifest=cid_of_token_id(int(args["manifest"], 16)),
        block=log.block,
    )


def _hex32(value: int | bytes) -> str:
    return f"0x{value:064x}" if isinstance(value, int) else "0x" + bytes(value).hex()


@dataclass
class _Rows:
    """The rows of one chunk, built in memory, written in one transaction."""

    key: dict[str, Any]
    tables: dict[Any, list[dict[str, Any]]] = field(default_factory=dict)
    minted_by_tx: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def add(self, table: Any, **row: Any) -> dict[str, Any]:
        full = {**self.key, **row}
        self.tables.setdefault(table, []).append(full)
        return full


def _entry_rows(batch: AnchoredBatch, entries: Sequence[AnchoredCredential]) -> list[dict]:
    rows: dict[str, dict[str, Any]] = {}
    for item in entries:
        token = _hex32(item.token_id)
        rows[token] = {
            "root": _hex32(batch.root),
            "token_id": token,
            "recipient": item.recipient.lower(),
            "expires_at": item.expires_at,
            "issuer_id": batch.issuer_id,
            "proof": ",".join(_hex32(p) for p in item.proof),
            "manifest": batch.manifest,
            "block": batch.block,
        }
    return list(rows.values())


# --- what each event adds besides its row in ``events`` -----------------------------------------

ZERO = "0x" + "0" * 40


def _on_transfer(log: DecodedLog, rows: _Rows) -> None:
    if log.args["from"] != ZERO:
        return  # a burn or a displacement: the chain's status says so at lookup time
    row = rows.add(
        t.minted,
        block=log.block,
        log_index=log.log_index,
        token_id=log.args["tokenId"],
        holder=log.args["to"],
        issuer_id=None,
        expires_at=None,
        root=None,
        tx_hash=log.tx_hash,
    )
    rows.minted_by_tx[(log.tx_hash, log.args["tokenId"])] = row


def _on_issued(log: DecodedLog, rows: _Rows) -> None:
    row = rows.minted_by_tx.get((log.tx_hash, log.args["tokenId"]))
    if row is not None:
        row["issuer_id"] = int(log.args["issuerId"])
        row["expires_at"] = int(log.args["expiresAt"])


def _on_claimed(log: DecodedLog, rows: _Rows) -> None:
    row = rows.minted_by_tx.get((log.tx_hash, log.args["tokenId"]))
    if row is not None:
        row["root"] = log.args["root"]


def _on_revoked(log: DecodedLog, rows: _Rows) -> None:
    rows.add(
        t.revocations,
        block=log.block,
        log_index=log.log_index,
        token_id=log.args["tokenId"],
        root=log.args.get("root"),  # AnchoredCredentialRevoked names its batch
        issuer_id=int(log.args["issuerId"]) if "issuerId" in log.args else None,
        by=log.args.get("by"),
        reason=log.args.get("reason"),
    )


def _on_issuer_event(log: DecodedLog, rows: _Rows) -> None:
    rows.add(
        t.issuer_events,
        block=log.block,
        log_index=log.log_index,
        issuer_id=int(log.args["issuerId"]),
        event=log.name,
        detail=json.dumps(log.args, sort_keys=True),
    )


#: Handlers by event name, run after every ``Transfer`` of the chunk (so a mint's row exists
#: when its ``CredentialIssued`` or ``CredentialClaimed`` comes, in whichever order).
#: ``BatchAnchored`` is handled by the sync itself (its manifest is read). Every other event
#: (``CredentialDisplaced``, ``CredentialReplaced``, ``Locked``, roles…) is kept in ``events`` only:
#: a lookup confirms holders and statuses on chain, so no table needs it yet.
HANDLERS: dict[str, Callable[[DecodedLog, _Rows], None]] = {
    "CredentialIssued": _on_issued,
    "CredentialClaimed": _on_claimed,
    "CredentialRevoked": _on_revoked,
    "AnchoredCredentialRevoked": _on_revoked,
    **{
        name: _on_issuer_event
        for name in (
            "IssuerRegistered",
            "IssuerSuspended",
            "IssuerReinstated",
            "IssuerProfileUpdated",
            "IssuerRenamed",
            "SignerAdded",
            "SignerRemoved",
            "TemplatePublished",
            "TemplateRetired",
        )
    },
}


def _read_all(
    read_manifest: ManifestReader, batches: Sequence[AnchoredBatch]
) -> list[Sequence[AnchoredCredential] | BaseException]:
    def one(batch: AnchoredBatch) -> Sequence[AnchoredCredential] | BaseException:
        try:
            return list(read_manifest(batch))
        except Exception as err:  # noqa: BLE001 - whatever failed, the batch is "not read yet"
            return err

    if len(batches) <= 1:
        return [one(b) for b in batches]
    with ThreadPoolExecutor(max_workers=min(MANIFEST_WORKERS, len(batches))) as pool:
        return list(pool.map(one, batches))


#: Why a suspended issuer's manifest is not read (yet): kept as its unread row's error.
SUSPENDED = "its issuer is suspended: read if the issuer is reinstated"


def suspended_issuers(
    conn: Connection, deployment: Deployment, newer: Sequence[dict[str, Any]] = ()
) -> set[int]:
    """The issuers whose last suspension event, as indexed (then in ``newer`` rows of
    ``issuer_events`` not written yet), is ``IssuerSuspended``: their batches' manifests are
    not read, so a suspended issuer's manifests do nothing to syncs and lookups."""
    e = t.issuer_events
    rows = conn.execute(
        select(e.c.issuer_id, e.c.event)
        .where(_where(e, deployment), e.c.event.in_(("IssuerSuspended", "IssuerReinstated")))
        .order_by(e.c.block, e.c.log_index)
    ).all()
    last: dict[int, str] = {int(r.issuer_id): str(r.event) for r in rows}
    for row in newer:
        if row["event"] in ("IssuerSuspended", "IssuerReinstated"):
            last[int(row["issuer_id"])] = str(row["event"])
    return {issuer for issuer, event in last.items() if event == "IssuerSuspended"}


def _unread_text(manifest: str, root: str, error: BaseException | str) -> str:
    # Worded as lookups without the index worded it: scripts may match "anchored batch 0x".
    return f"anchored batch {root}: manifest {manifest} could not be read: {error}"


class _Suspended(Exception):  # noqa: N818 - a reason kept as an unread manifest's error
    """The batch's issuer is suspended: its manifest is not read."""


class _Syncer:
    def __init__(
        self,
        engine: Engine,
        deployment: Deployment,
        rpc: JsonRpc,
        read_manifest: ManifestReader,
    ) -> None:
        self.engine = engine
        self.deployment = deployment
        self.rpc = rpc
        self.read_manifest = read_manifest
        self.key = _key(deployment)
        self.decoder = decoder_for(deployment)
        self.manifests_read = 0

    # --- cursor -------------------------------------------------------------------------------
    def cursor(self, conn: Connection) -> int:
        found = conn.execute(
            select(t.sync_cursor.c.synced_block).where(_where(t.sync_cursor, self.deployment))
        ).scalar()
        if found is not None:
            return int(found)
        start = self.deployment.start_block
        conn.execute(
            insert(t.sync_cursor).values(
                **self.key,
                registry=self.deployment.registry.address.lower(),
                start_block=start,
                synced_block=start - 1,
            )
        )
        return start - 1

    def _set_cursor(self, conn: Connection, block: int) -> None:
        conn.execute(
            update(t.sync_cursor)
            .where(_where(t.sync_cursor, self.deployment))
            .values(synced_block=block)
        )

    # --- reorganisations ----------------------------------------------------------------------
    def fork_point(self, synced: int) -> int | None:
        """None if the chain still has the synced block; else the newest stored block it has."""
        with self.engine.connect() as conn:
            stored = conn.execute(
                select(t.block_hashes.c.number, t.block_hashes.c.hash)
                .where(_where(t.block_hashes, self.deployment))
                .order_by(t.block_hashes.c.number.desc())
            ).all()
        if not stored or synced < self.deployment.start_block:
            return None
        for position, (number, stored_hash) in enumerate(stored):
            if _block_hash(self.rpc, int(number)) == stored_hash:
                return None if position == 0 and number == synced else int(number)
        return self.deployment.start_block - 1

    def roll_back(self, block: int) -> None:
        with self.engine.begin() as conn:
            for table in t.EVENT_TABLES:
                column = table.c.number if table is t.block_hashes else table.c.block
                conn.execute(delete(table).where(_where(table, self.deployment), column > block))
            self._set_cursor(conn, block)

    # --- manifests ----------------------------------------------------------------------------
    def retry_unread(self, only: set[int] | None = None) -> None:
        """Read again the manifests not read yet (of the ``only`` issuers, if given), except
        those of issuers suspended now."""
        with self.engine.connect() as conn:
            pending = conn.execute(
                select(t.unread_manifests).where(_where(t.unread_manifests, self.deployment))
            ).all()
        if not pending:
            return
        with self.engine.connect() as conn:
            suspended = suspended_issuers(conn, self.deployment)
        pending = [
            row
            for row in pending
            if int(row.issuer_id) not in suspended and (only is None or int(row.issuer_id) in only)
        ]
        if not pending:
            return
        batches = [
            AnchoredBatch(
                root=bytes.fromhex(row.root[2:]),
                issuer_id=int(row.issuer_id),
                signer="",
                count=0,
                manifest=row.manifest,
                block=int(row.block),
            )
            for row in pending
        ]
        results = _read_all(self.read_manifest, batches)
        with self.engine.begin() as conn:
            for batch, result in zip(batches, results, strict=True):
                where = and_(
                    _where(t.unread_manifests, self.deployment),
                    t.unread_manifests.c.root == _hex32(batch.root),
                )
                if isinstance(result, BaseException):
                    conn.execute(
                        update(t.unread_manifests)
                        .where(where)
                        .values(attempts=t.unread_manifests.c.attempts + 1, error=str(result))
                    )
                    continue
                self.manifests_read += 1
                entries = _entry_rows(batch, result)
                if entries:
                    conn.execute(
                        insert(t.anchored_entries), [{**self.key, **row} for row in entries]
                    )
                conn.execute(
                    update(t.batches)
                    .where(
                        _where(t.batches, self.deployment), t.batches.c.root == _hex32(batch.root)
                    )
                    .values(entries=len(entries))
                )
                conn.execute(delete(t.unread_manifests).where(where))

    # --- one chunk ----------------------------------------------------------------------------
    def write_chunk(self, last: int, raw_logs: list[dict[str, Any]]) -> int:
        decoded = [self.decoder.decode(log) for log in raw_logs]
        rows = _Rows(self.key)
        hashes = {log.block: log.block_hash for log in decoded}
        for log in decoded:
            rows.add(
                t.events,
                block=log.block,
                log_index=log.log_index,
                tx_hash=log.tx_hash,
                emitter=log.emitter,
                name=log.name,
                args=json.dumps(log.args, sort_keys=True),
            )
            if log.name == "Transfer":
                _on_transfer(log, rows)
        for log in decoded:
            handler = HANDLERS.get(log.name)
            if handler is not None:
                handler(log, rows)
        anchored = [log for log in decoded if log.name == "BatchAnchored"]
        batches = [_batch_of(log) for log in anchored]
        # Issuers suspended as of this chunk's end: their manifests wait, unread, until the
        # issuer is reinstated (retry_unread reads them then).
        with self.engine.connect() as conn:
            suspended = suspended_issuers(
                conn, self.deployment, rows.tables.get(t.issuer_events, [])
            )
        readable = [b for b in batches if b.issuer_id not in suspended]
        read_results = dict(
            zip(
                [b.root for b in readable],
                _read_all(self.read_manifest, readable),
                strict=True,
            )
        )
        results = [read_results.get(b.root, _Suspended(SUSPENDED)) for b in batches]
        for log, batch, result in zip(anchored, batches, results, strict=True):
            read = not isinstance(result, BaseException)
            entries = _entry_rows(batch, result) if read else []  # type: ignore[arg-type]
            rows.add(
                t.batches,
                root=_hex32(batch.root),
                issuer_id=batch.issuer_id,
                signer=batch.signer.lower(),
                count=batch.count,
                manifest=batch.manifest,
                block=log.block,
                log_index=log.log_index,
                entries=len(entries) if read else None,
            )
            for entry in entries:
                rows.add(t.anchored_entries, **entry)
            if read:
                self.manifests_read += 1
            else:
                rows.add(
                    t.unread_manifests,
                    root=_hex32(batch.root),
                    manifest=batch.manifest,
                    issuer_id=batch.issuer_id,
                    block=log.block,
                    attempts=1,
                    error=str(result),
                )
        # The chunk's last block is hashed after its logs were read: the next sync (or chunk)
        # compares it with the chain before building on it.
        last_hash = _block_hash(self.rpc, last)
        if last_hash is None:
            raise ChainError(f"The RPC node has no block {last} any more: run the sync again.")
        hashes[last] = last_hash
        with self.engine.begin() as conn:
            for table, table_rows in rows.tables.items():
                conn.execute(insert(table), table_rows)
            conn.execute(
                insert(t.block_hashes),
                [{**self.key, "number": n, "hash": h} for n, h in sorted(hashes.items())],
            )
            self._prune_hashes(conn, last)
            self._set_cursor(conn, last)
        return len(decoded)

    def _prune_hashes(self, conn: Connection, last: int) -> None:
        newest = (
            select(t.block_hashes.c.number)
            .where(_where(t.block_hashes, self.deployment))
            .order_by(t.block_hashes.c.number.desc())
            .limit(8)
            .subquery()
        )
        keep_from = conn.execute(select(func.min(newest.c.number))).scalar()
        floor = min(last - REORG_WINDOW, int(keep_from if keep_from is not None else last))
        conn.execute(
            delete(t.block_hashes).where(
                _where(t.block_hashes, self.deployment), t.block_hashes.c.number < floor
            )
        )


def sync(
    engine: Engine,
    deployment: Deployment,
    rpc: JsonRpc,
    *,
    read_manifest: ManifestReader,
    confirmations: int = 0,
    log_range: int = 10_000,
    fetcher: LogFetcher | None = None,
    progress: Progress | None = None,
) -> SyncReport:
    """Bring the index of ``deployment`` up to the head minus ``confirmations``.

    Raises :class:`~microcred.index.lock.IndexBusy` if another process is syncing the same
    index, and :class:`~microcred.errors.ChainError` if the node keeps refusing; either way
    everything synced before stays (the next sync resumes there).
    """
    syncer = _Syncer(engine, deployment, rpc, read_manifest)
    fetcher = fetcher or LogFetcher(rpc, initial_range=log_range)
    addresses = [deployment.registry.address, deployment.credential.address]
    with writer_lock(engine, deployment.chain_id, deployment.credential.address):
        with engine.begin() as conn:
            synced = syncer.cursor(conn)
        head = int(rpc.call("eth_blockNumber", []), 16)
        target = head - confirmations
        fork = syncer.fork_point(synced)
        if fork is not None:
            syncer.roll_back(fork)
            synced = fork
        with engine.connect() as conn:
            suspended_before = suspended_issuers(conn, deployment)
        syncer.retry_unread()
        first = synced + 1
        chunks = events = 0
        for chunk in fetcher.chunks(addresses, first, target):
            events += syncer.write_chunk(chunk.last, chunk.logs)
            chunks += 1
            synced = chunk.last
            if progress is not None:
                progress(synced, target)
        # An issuer reinstated in the new events has its put-aside manifests read now.
        with engine.connect() as conn:
            reinstated = suspended_before - suspended_issuers(conn, deployment)
        if reinstated:
            syncer.retry_unread(only=reinstated)
        with engine.connect() as conn:
            unread = conn.execute(
                select(t.unread_manifests).where(_where(t.unread_manifests, deployment))
            ).all()
    return SyncReport(
        first_block=first,
        synced_block=max(synced, first - 1),
        head=head,
        chunks=chunks,
        events=events,
        manifests_read=syncer.manifests_read,
        unread_manifests=tuple(_unread_text(r.manifest, r.root, r.error) for r in unread),
        rolled_back_to=fork,
        requests=fetcher.requests,
        refusals=fetcher.refusals,
    )


def reset(engine: Engine, deployment: Deployment) -> None:
    """Forget everything indexed for ``deployment`` (the next sync starts from its start block)."""
    lock = writer_lock(engine, deployment.chain_id, deployment.credential.address)
    with lock, engine.begin() as conn:
        for table in (*t.EVENT_TABLES, t.sync_cursor):
            conn.execute(delete(table).where(_where(table, deployment)))
