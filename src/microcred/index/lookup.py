"""Lookups: a wallet's credentials from one indexed query, plus the tail of the chain.

The index finds; it never decides. :func:`credentials_of` returns token ids and anchored
entries that name a wallet; whoever shows a verdict confirms each on chain (status, proof
against the anchored root, document hash), so a stale, wrong or tampered row can at worst hide a
credential or show one that then fails its checks. With ``rpc`` it also reads the events after
the index's cursor up to the head (usually one ``eth_getLogs``), so a credential issued a second
ago is found before the next sync.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, literal, null, select, union_all

from ..anchoring import AnchoredCredential
from ..chain import checksum
from ..deployment import Deployment
from . import schema as t
from .events import EventDecoder
from .logs import LogFetcher
from .manifests import ManifestReader
from .rpc import JsonRpc
from .sync import _batch_of, _read_all, _unread_text

__all__ = ["IndexStatus", "MintedCredential", "WalletCredentials", "credentials_of", "status"]

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
        recipient=checksum(row.holder),
        token_id=int(row.token_id, 16),
        expires_at=int(row.expires_at),
        proof=tuple(bytes.fromhex(p[2:]) for p in row.proof.split(",") if p),
        manifest=row.manifest,
    )


def _indexed(engine: Engine, deployment: Deployment, wallet: str) -> tuple[list[Any], int, list]:
    """The wallet's rows (one query over both tables, each by its recipient index), the cursor
    and the unread manifests."""
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
    query = union_all(minted_q, anchored_q)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by("block", "log_index", "token_id")).all()
        cursor = conn.execute(
            select(t.sync_cursor.c.synced_block).where(_where(t.sync_cursor, deployment))
        ).scalar()
        unread = conn.execute(
            select(t.unread_manifests).where(_where(t.unread_manifests, deployment))
        ).all()
    synced = int(cursor) if cursor is not None else deployment.start_block - 1
    return list(rows), synced, list(unread)


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
    rows, synced, unread = _indexed(engine, deployment, lower)
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
    anchored = [_anchored(deployment, r) for r in rows if r.kind == "anchored"]
    warnings = [_unread_text(r.manifest, r.root, r.error) for r in unread]
    read_to = synced
    if rpc is not None:
        head = int(rpc.call("eth_blockNumber", []), 16)
        if head > synced:
            tail_minted, tail_anchored, tail_warnings = _tail(
                deployment, rpc, lower, synced + 1, head, read_manifest, log_range
            )
            minted += tail_minted
            anchored += tail_anchored
            warnings += tail_warnings
            read_to = head
    return WalletCredentials(
        wallet=address,
        minted=tuple(minted),
        anchored=tuple(anchored),
        synced_block=synced,
        read_to_block=read_to,
        warnings=tuple(warnings),
    )


def _tail(
    deployment: Deployment,
    rpc: JsonRpc,
    wallet: str,
    first: int,
    last: int,
    read_manifest: ManifestReader | None,
    log_range: int,
) -> tuple[list[MintedCredential], list[AnchoredCredential], list[str]]:
    decoder = EventDecoder(deployment)
    fetcher = LogFetcher(rpc, initial_range=log_range)
    addresses = [deployment.credential.address]
    minted: list[MintedCredential] = []
    batches = []
    for chunk in fetcher.chunks(addresses, first, last):
        for raw in chunk.logs:
            log = decoder.decode(raw)
            if log.name == "Transfer" and log.args["from"] == ZERO and log.args["to"] == wallet:
                minted.append(
                    MintedCredential(int(log.args["tokenId"], 16), checksum(wallet), log.block)
                )
            elif log.name == "BatchAnchored":
                batches.append(_batch_of(log))
    if not batches:
        return minted, [], []
    if read_manifest is None:
        return (
            minted,
            [],
            [_unread_text(b.manifest, "0x" + b.root.hex(), "no reader") for b in batches],
        )
    anchored: list[AnchoredCredential] = []
    warnings: list[str] = []
    for batch, result in zip(batches, _read_all(read_manifest, batches), strict=True):
        if isinstance(result, BaseException):
            warnings.append(_unread_text(batch.manifest, "0x" + batch.root.hex(), result))
            continue
        entries: Sequence[AnchoredCredential] = result
        anchored += [e for e in entries if e.recipient.lower() == wallet]
    return minted, anchored, warnings


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
