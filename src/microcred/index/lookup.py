"""Lookups: a wallet's credentials from one indexed query, plus the tail of the chain.

The index finds; it never decides. :func:`credentials_of` returns token ids and anchored
entries that name a wallet; whoever shows a verdict confirms each on chain (status, proof
against the anchored root, document hash), so a stale, wrong or tampered row can at worst hide a
credential or show one that then fails its checks. With ``rpc`` it also reads the events after
the index's cursor up to the head (usually one ``eth_getLogs``), so a credential issued a second
ago is found before the next sync.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, and_, literal, null, select, union_all

from ..anchoring import AnchoredCredential
from ..chain import checksum
from ..deployment import Deployment
from . import schema as t
from .logs import LogFetcher, classify_refusal
from .manifests import ManifestReader
from .rpc import JsonRpc, RpcError, call_batch
from .sync import _batch_of, _read_all, _unread_text, decoder_for, suspended_issuers

__all__ = [
    "IndexStatus",
    "MintedCredential",
    "WalletCredentials",
    "anchored_entry",
    "credentials_of",
    "revocation_reasons",
    "status",
]

ZERO = "0x" + "0" * 40


@dataclass(frozen=True)
class MintedCredential:
    """A token minted to the wallet (it may have been revoked, burned or displaced since: the
    chain says)."""

    token_id: int
    holder: str
    block: int
    issuer_id: int | None = None  # None when claimed (the batch's issuer) or found in the tail
    root: bytes | None = None  # the batch it was claimed from


@dataclass(frozen=True)
class WalletCredentials:
    """Where to look for a wallet's credentials; every status is still the chain's to give."""

    wallet: str
    minted: tuple[MintedCredential, ...]
    anchored: tuple[AnchoredCredential, ...]
    synced_block: int  # the index's cursor
    read_to_block: int  # the tail was read up to here (= synced_block without a tail)
    warnings: tuple[str, ...]  # manifests not read: the wallet may have credentials in them
    #: Reasons of the revocations found for these credentials (shown beside the chain's
    #: revocation time, which is what decides): by token id, and by (root, token id) for entries
    #: revoked in their batch.
    reasons: Mapping[int, str] = field(default_factory=dict)
    anchored_reasons: Mapping[tuple[bytes, int], str] = field(default_factory=dict)

    @property
    def token_ids(self) -> list[int]:
        """Minted token ids, each once, oldest first."""
        return list(dict.fromkeys(m.token_id for m in self.minted))


@dataclass(frozen=True)
class IndexStatus:
    synced_block: int | None  # None: never synced
    minted: int
    batches: int
    anchored_entries: int
    unread_manifests: tuple[str, ...]


def _where(table: Any, deployment: Deployment) -> Any:
    return and_(
        table.c.chain_id == deployment.chain_id,
        table.c.contract == deployment.credential.address.lower(),
    )


def _anchored(deployment: Deployment, row: Any) -> AnchoredCredential:
    return AnchoredCredential(
        chain_id=deployment.chain_id,
        credential=deployment.credential.address,
        issuer_id=int(row.issuer_id),
        root=bytes.fromhex(row.root[2:]),
        recipient=checksum(getattr(row, "recipient", None) or row.holder),
        token_id=int(row.token_id, 16),
        expires_at=int(row.expires_at),
        proof=tuple(bytes.fromhex(p[2:]) for p in row.proof.split(",") if p),
        manifest=row.manifest,
    )


def _indexed(
    engine: Engine, deployment: Deployment, wallet: str
) -> tuple[list[Any], int, list[Any], str | None]:
    """The wallet's rows (one query over both tables, each by its recipient index), the cursor,
    the unread manifests and the stored hash of the cursor's block."""
    m, a = t.minted, t.anchored_entries
    minted_q = select(
        literal("minted").label("kind"),
        m.c.token_id,
        m.c.holder,
        m.c.issuer_id,
        m.c.expires_at,
        m.c.root,
        m.c.block,
        m.c.log_index,
        null().label("proof"),
        null().label("manifest"),
    ).where(_where(m, deployment), m.c.holder == wallet)
    anchored_q = select(
        literal("anchored").label("kind"),
        a.c.token_id,
        a.c.recipient,
        a.c.issuer_id,
        a.c.expires_at,
        a.c.root,
        a.c.block,
        literal(0).label("log_index"),
        a.c.proof,
        a.c.manifest,
    ).where(_where(a, deployment), a.c.recipient == wallet)
    # Not ordered by SQL: to merge the two sides in order, SQLite walks every minted row of the
    # deployment by its primary key (block, log index) instead of the holder index, which made
    # the cost grow with everyone's credentials. The wallet's own rows are sorted here instead.
    query = union_all(minted_q, anchored_q)
    with engine.connect() as conn:
        rows = sorted(
            conn.execute(query).all(), key=lambda r: (int(r.block), int(r.log_index), r.token_id)
        )
        cursor = conn.execute(
            select(t.sync_cursor.c.synced_block).where(_where(t.sync_cursor, deployment))
        ).scalar()
        # A suspended issuer's batches cannot be claimed: their manifests are not read, and
        # say nothing to lookups.
        suspended = suspended_issuers(conn, deployment)
        unread = [
            row
            for row in conn.execute(
                select(t.unread_manifests).where(_where(t.unread_manifests, deployment))
            ).all()
            if int(row.issuer_id) not in suspended
        ]
        cursor_hash = (
            conn.execute(
                select(t.block_hashes.c.hash).where(
                    _where(t.block_hashes, deployment), t.block_hashes.c.number == cursor
                )
            ).scalar()
            if cursor is not None
            else None
        )
    synced = int(cursor) if cursor is not None else deployment.start_block - 1
    return rows, synced, list(unread), cursor_hash


def credentials_of(
    engine: Engine,
    deployment: Deployment,
    wallet: str,
    *,
    rpc: JsonRpc | None = None,
    read_manifest: ManifestReader | None = None,
    log_range: int = 10_000,
) -> WalletCredentials:
    """Token ids minted to ``wallet`` and anchored entries naming it: from the index, then (with
    ``rpc``) from the events after its cursor up to the head; batches anchored in that tail are
    read with ``read_manifest`` (without one, each is a warning)."""
    address = checksum(wallet, what="wallet address")
    lower = address.lower()
    rows, synced, unread, cursor_hash = _indexed(engine, deployment, lower)
    minted = [
        MintedCredential(
            token_id=int(r.token_id, 16),
            holder=address,
            block=int(r.block),
            issuer_id=int(r.issuer_id) if r.issuer_id is not None else None,
            root=bytes.fromhex(r.root[2:]) if r.root else None,
        )
        for r in rows
        if r.kind == "minted"
    ]
    # A row whose proof does not lead to its root is noise (a tampered index, or a bug): it could
    # never verify nor be claimed, so it is not even offered to the checks.
    anchored = [_anchored(deployment, r) for r in rows if r.kind == "anchored"]
    anchored = [item for item in anchored if item.proves()]
    warnings = [_unread_text(r.manifest, r.root, r.error) for r in unread]
    reasons, anchored_reasons = _reasons(engine, deployment, minted, anchored)
    read_to = synced
    if rpc is not None:
        tail = _tail(deployment, rpc, lower, synced + 1, read_manifest, log_range, cursor_hash)
        if tail.index_stale:
            # The chain no longer has the index's cursor block (a reorganisation, or a local
            # chain reverted or started afresh): nothing indexed is trusted for discovery until
            # the next sync rolls it back; the tail was read from the deployment's start.
            minted, anchored, warnings, reasons, anchored_reasons = [], [], [], {}, {}
            synced = deployment.start_block - 1
        minted += tail.minted
        anchored += tail.anchored
        warnings += tail.warnings
        reasons.update(tail.reasons)
        anchored_reasons.update(tail.anchored_reasons)
        read_to = max(synced, tail.head)
    return WalletCredentials(
        wallet=address,
        minted=tuple(minted),
        anchored=tuple(anchored),
        synced_block=synced,
        read_to_block=read_to,
        warnings=tuple(warnings),
        reasons=reasons,
        anchored_reasons=anchored_reasons,
    )


def _reasons(
    engine: Engine,
    deployment: Deployment,
    minted: Sequence[MintedCredential],
    anchored: Sequence[AnchoredCredential],
) -> tuple[dict[int, str], dict[tuple[bytes, int], str]]:
    return revocation_reasons(
        engine, deployment, [m.token_id for m in minted] + [a.token_id for a in anchored]
    )


def revocation_reasons(
    engine: Engine, deployment: Deployment, token_ids: Sequence[int]
) -> tuple[dict[int, str], dict[tuple[bytes, int], str]]:
    """The indexed revocation reasons of ``token_ids`` (one query): by token id, and by
    (root, token id) for entries revoked in their batch. Shown beside the chain's revocation
    time, which is what decides; a revocation after the cursor has no reason here yet."""
    tokens = {f"0x{token_id:064x}" for token_id in token_ids}
    if not tokens:
        return {}, {}
    r = t.revocations
    with engine.connect() as conn:
        rows = conn.execute(
            select(r.c.token_id, r.c.root, r.c.reason)
            .where(_where(r, deployment), r.c.token_id.in_(sorted(tokens)))
            .order_by(r.c.block, r.c.log_index)
        ).all()
    by_token: dict[int, str] = {}
    by_entry: dict[tuple[bytes, int], str] = {}
    for row in rows:
        token = int(row.token_id, 16)
        if row.root:
            by_entry[(bytes.fromhex(row.root[2:]), token)] = str(row.reason or "")
        else:
            by_token[token] = str(row.reason or "")
    return by_token, by_entry


def anchored_entry(
    engine: Engine, deployment: Deployment, token_id: int, *, issuer_id: int | None = None
) -> AnchoredCredential | None:
    """The indexed anchored entry of ``token_id`` (of a batch of ``issuer_id`` if given) whose
    proof leads to its root; None if the index has none. The newest batch first."""
    a = t.anchored_entries
    query = select(a).where(_where(a, deployment), a.c.token_id == f"0x{token_id:064x}")
    if issuer_id is not None:
        query = query.where(a.c.issuer_id == issuer_id)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(a.c.block.desc())).all()
    for row in rows:
        item = _anchored(deployment, row)
        if item.proves():
            return item
    return None


@dataclass
class _Tail:
    head: int = 0
    index_stale: bool = False  # the cursor's block is not on the chain: read from the start
    minted: list[MintedCredential] = field(default_factory=list)
    anchored: list[AnchoredCredential] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reasons: dict[int, str] = field(default_factory=dict)
    anchored_reasons: dict[tuple[bytes, int], str] = field(default_factory=dict)


def _tail_logs(
    deployment: Deployment, rpc: JsonRpc, first: int, log_range: int, cursor_hash: str | None
) -> tuple[int, bool, list[dict[str, Any]]]:
    """The head, whether the index is stale (its cursor's block is not the chain's any more),
    and every Credential log after the cursor (from the start block when stale): ONE round trip
    (the head, the cursor's block and the logs up to ``latest`` in one JSON-RPC batch) when the
    provider accepts the range, else the range in chunks it accepts."""
    address = deployment.credential.address
    query = {"address": [address], "fromBlock": hex(first), "toBlock": "latest"}
    calls: list[tuple[str, list[Any]]] = [("eth_blockNumber", []), ("eth_getLogs", [query])]
    if cursor_hash is not None:
        calls.append(("eth_getBlockByNumber", [hex(first - 1), False]))
    head_answer, logs, *cursor_block = call_batch(rpc, calls)
    if isinstance(head_answer, RpcError):
        raise head_answer
    head = int(head_answer, 16)
    stale = bool(cursor_block) and (
        not isinstance(cursor_block[0], dict)
        or str(cursor_block[0].get("hash", "")).lower() != cursor_hash
    )
    if stale:
        first, logs = deployment.start_block, None
    elif head < first:
        return head, False, []  # the index is at the head (whatever the node said of the range)
    if isinstance(logs, list):
        return head, stale, logs
    if isinstance(logs, RpcError) and classify_refusal(logs.code, logs.message) is None:
        raise logs
    fetcher = LogFetcher(rpc, initial_range=log_range)
    chunks = fetcher.chunks([address], first, head)
    return head, stale, [raw for chunk in chunks for raw in chunk.logs]


def _tail(
    deployment: Deployment,
    rpc: JsonRpc,
    wallet: str,
    first: int,
    read_manifest: ManifestReader | None,
    log_range: int,
    cursor_hash: str | None = None,
) -> _Tail:
    head, stale, raw_logs = _tail_logs(deployment, rpc, first, log_range, cursor_hash)
    tail = _Tail(head=head, index_stale=stale)
    batches = []
    decoder = decoder_for(deployment)
    for raw in raw_logs:
        log = decoder.decode(raw)
        if log.name == "Transfer" and log.args["from"] == ZERO and log.args["to"] == wallet:
            token_id = int(log.args["tokenId"], 16)
            tail.minted.append(MintedCredential(token_id, checksum(wallet), log.block))
        elif log.name == "BatchAnchored":
            batches.append(_batch_of(log))
        elif log.name == "CredentialRevoked":
            tail.reasons[int(log.args["tokenId"], 16)] = str(log.args.get("reason", ""))
        elif log.name == "AnchoredCredentialRevoked":
            key = (bytes.fromhex(log.args["root"][2:]), int(log.args["tokenId"], 16))
            tail.anchored_reasons[key] = str(log.args.get("reason", ""))
    if not batches:
        return tail
    if read_manifest is None:
        tail.warnings += [
            _unread_text(b.manifest, "0x" + b.root.hex(), "no reader") for b in batches
        ]
        return tail
    for batch, result in zip(batches, _read_all(read_manifest, batches), strict=True):
        if isinstance(result, BaseException):
            tail.warnings.append(_unread_text(batch.manifest, "0x" + batch.root.hex(), result))
            continue
        entries: Sequence[AnchoredCredential] = result
        tail.anchored += [e for e in entries if e.recipient.lower() == wallet]
    return tail


def status(engine: Engine, deployment: Deployment) -> IndexStatus:
    """How far the index is and what it holds for ``deployment``."""
    from sqlalchemy import func

    with engine.connect() as conn:
        cursor = conn.execute(
            select(t.sync_cursor.c.synced_block).where(_where(t.sync_cursor, deployment))
        ).scalar()

        def count(table: Any) -> int:
            return int(
                conn.execute(
                    select(func.count()).select_from(table).where(_where(table, deployment))
                ).scalar()
                or 0
            )

        unread = conn.execute(
            select(t.unread_manifests).where(_where(t.unread_manifests, deployment))
        ).all()
        return IndexStatus(
            synced_block=int(cursor) if cursor is not None else None,
            minted=count(t.minted),
            batches=count(t.batches),
            anchored_entries=count(t.anchored_entries),
            unread_manifests=tuple(_unread_text(r.manifest, r.root, r.error) for r in unread),
        )
