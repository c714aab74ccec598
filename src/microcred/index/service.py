"""The index as the CLI and the web app use it: opened for a chain and a store, synced on first
use, asked about wallets, token ids and the registry's activity.

:class:`CredentialIndex` bundles what every call needs (database, deployment, a retrying
JSON-RPC transport to the same node as the :class:`~microcred.chain.Chain`, the manifest reader)
and never decides a verdict: what it finds is confirmed on chain by
:mod:`microcred.verification`. :class:`BackgroundSync` is the web app's one writer per process.

>>> # index = CredentialIndex.open(chain, store)
>>> # index.sync()                       # None if another process is syncing: just read
>>> # found = index.wallet("0x…")        # the index, then the tail up to the head
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from ..anchoring import AnchoredCredential
from ..chain import Activity, Chain
from ..deployment import Deployment
from ..errors import MicrocredError
from ..storage import Store
from . import schema as t
from .database import open_index
from .events import EventDecoder
from .lock import IndexBusy
from .logs import LogFetcher
from .lookup import (
    IndexStatus,
    WalletCredentials,
    anchored_entry,
    credentials_of,
    revocation_reasons,
    status,
)
from .manifests import ManifestReader, store_reader
from .rpc import JsonRpc, RetryingRpc, RpcError, call_batch, rpc_for
from .settings import LOCAL_CHAINS, IndexSettings
from .sync import Progress, SyncReport, reset, sync

__all__ = ["BackgroundSync", "CredentialIndex"]

#: Block times asked for in one JSON-RPC batch (the activity chart's days).
BLOCKS_PER_BATCH = 500
_ACTIVITY_EVENTS = (
    "CredentialIssued",
    "CredentialRevoked",
    "BatchAnchored",
    "AnchoredCredentialRevoked",
)


def _genesis_tag(rpc: JsonRpc) -> str | None:
    """A few hex digits of the genesis block's hash: a local chain (anvil, a dev node) restarted
    afresh keeps its chain id and often its contract addresses, and must not share an index."""
    block = rpc.call("eth_getBlockByNumber", ["0x0", False])
    return str(block["hash"])[2:10].lower() if block else None


@dataclass
class CredentialIndex:
    """One deployment's index: where lookups start. Thread-safe (SQLAlchemy pools connections;
    the transport opens one HTTP connection per request)."""

    engine: Engine
    deployment: Deployment
    rpc: JsonRpc
    read_manifest: ManifestReader
    settings: IndexSettings

    @classmethod
    def open(
        cls, chain: Chain, store: Store, settings: IndexSettings | None = None
    ) -> CredentialIndex:
        """The index of ``chain``'s deployment, its schema up to date; ``settings`` default to
        :meth:`IndexSettings.for_chain` (``MICROCRED_INDEX_URL`` or a SQLite file under
        ``.microcred/``, one per local chain's genesis)."""
        rpc = RetryingRpc(rpc_for(chain.w3))
        if settings is None:
            tag = _genesis_tag(rpc) if chain.chain_id in LOCAL_CHAINS else None
            settings = IndexSettings.for_chain(chain.chain_id, genesis=tag)
        return cls(
            engine=open_index(settings.url),
            deployment=chain.deployment,
            rpc=rpc,
            read_manifest=store_reader(store, chain.deployment),
            settings=settings,
        )

    @classmethod
    def throwaway(cls, chain: Chain, store: Store) -> CredentialIndex:
        """An index kept in memory only, synced from the deployment's start block now: what a
        library call given no index reads (every call scans history again, in ranges the
        provider accepts; the CLI and the web app keep one instead)."""
        kept = IndexSettings.for_chain(chain.chain_id)
        settings = IndexSettings(
            url="sqlite://", log_range=kept.log_range, confirmations=kept.confirmations
        )
        index = cls.open(chain, store, settings)
        index.sync()
        return index

    # --- writing --------------------------------------------------------------------------------

    def sync(self, progress: Progress | None = None) -> SyncReport | None:
        """Bring the index up to the head (minus the confirmations); None when another process
        holds the writer lock (it keeps the index for everyone: read what is there)."""
        try:
            return sync(
                self.engine,
                self.deployment,
                self.rpc,
                read_manifest=self.read_manifest,
                confirmations=self.settings.confirmations,
                log_range=self.settings.log_range,
                progress=progress,
            )
        except IndexBusy:
            return None

    def rebuild(self, progress: Progress | None = None) -> SyncReport | None:
        """Forget everything indexed for the deployment, then sync from its start block."""
        reset(self.engine, self.deployment)
        return self.sync(progress)

    # --- reading --------------------------------------------------------------------------------

    def status(self) -> IndexStatus:
        return status(self.engine, self.deployment)

    def wallet(self, wallet: str) -> WalletCredentials:
        """What the index holds for ``wallet``, plus the events after its cursor up to the head."""
        return credentials_of(
            self.engine,
            self.deployment,
            wallet,
            rpc=self.rpc,
            read_manifest=self.read_manifest,
            log_range=self.settings.log_range,
        )

    def anchored_entry(
        self, token_id: int, *, issuer_id: int | None = None
    ) -> AnchoredCredential | None:
        """The anchored entry of ``token_id`` (for revoking or claiming without a proof file)."""
        return anchored_entry(self.engine, self.deployment, token_id, issuer_id=issuer_id)

    def revocation_reasons(
        self, token_ids: Sequence[int]
    ) -> tuple[dict[int, str], dict[tuple[bytes, int], str]]:
        """Why each of ``token_ids`` was revoked: as indexed (see :func:`revocation_reasons`),
        then from the revocations after the index's cursor (one ``eth_getLogs`` of the two
        revocation events, in chunks if the provider wants)."""
        by_token, by_entry = revocation_reasons(self.engine, self.deployment, token_ids)
        wanted = set(token_ids)
        if not wanted:
            return by_token, by_entry
        synced = self.status().synced_block
        first = (synced if synced is not None else self.deployment.start_block - 1) + 1
        head = int(self.rpc.call("eth_blockNumber", []), 16)
        if head < first:
            return by_token, by_entry
        decoder = EventDecoder(self.deployment)
        fetcher = LogFetcher(self.rpc, initial_range=self.settings.log_range)
        for chunk in fetcher.chunks([self.deployment.credential.address], first, head):
            for raw in chunk.logs:
                log = decoder.decode(raw)
                if log.name not in ("CredentialRevoked", "AnchoredCredentialRevoked"):
                    continue
                token_id = int(log.args["tokenId"], 16)
                if token_id not in wanted:
                    continue
                reason = str(log.args.get("reason", ""))
                if log.name == "CredentialRevoked":
                    by_token[token_id] = reason
                else:
                    by_entry[(bytes.fromhex(log.args["root"][2:]), token_id)] = reason
        return by_token, by_entry

    def activity(self) -> list[Activity]:
        """Credentials issued and revoked per UTC day and issuer, from the indexed events (a
        batch counts as issued, all of it, the day it is anchored: claims only move it)."""
        e = t.events
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(e.c.block, e.c.name, e.c.args).where(
                    e.c.chain_id == self.deployment.chain_id,
                    e.c.contract == self.deployment.credential.address.lower(),
                    e.c.emitter == self.deployment.credential.address.lower(),
                    e.c.name.in_(_ACTIVITY_EVENTS),
                )
            ).all()
        days = self._days(sorted({int(r.block) for r in rows}))
        counts: dict[tuple[str, int], list[int]] = {}
        for row in rows:
            args = json.loads(row.args)
            counted = counts.setdefault((days[int(row.block)], int(args["issuerId"])), [0, 0])
            if row.name == "BatchAnchored":
                counted[0] += int(args["count"])
            elif row.name == "CredentialIssued":
                counted[0] += 1
            else:
                counted[1] += 1
        return [
            Activity(day=day, issuer_id=issuer_id, issued=n[0], revoked=n[1])
            for (day, issuer_id), n in sorted(counts.items())
        ]

    def _days(self, blocks: Sequence[int]) -> dict[int, str]:
        days: dict[int, str] = {}
        for start in range(0, len(blocks), BLOCKS_PER_BATCH):
            chunk = blocks[start : start + BLOCKS_PER_BATCH]
            answers = call_batch(
                self.rpc, [("eth_getBlockByNumber", [hex(n), False]) for n in chunk]
            )
            for number, block in zip(chunk, answers, strict=True):
                if isinstance(block, RpcError) or not block:
                    continue  # reorganised away since it was synced: the next sync removes it
                stamp = int(block["timestamp"], 16)
                days[number] = datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d")
        return {n: days.get(n, "unknown") for n in blocks}


class BackgroundSync:
    """The web app's writer: one daemon thread per process that syncs, sleeps ``interval``
    seconds and syncs again. Readers never wait for it (they read the index and the tail);
    another process holding the writer lock just means this one reads. The last error is kept
    for the page to show, and the thread goes on."""

    def __init__(
        self,
        index: CredentialIndex,
        *,
        interval: float = 5.0,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.index = index
        self.interval = interval
        self.on_error = on_error
        self.last_report: SyncReport | None = None
        self.last_error: str | None = None
        self.rounds = 0
        self._stop = threading.Event()
        self._synced_once = threading.Event()
        self._thread = threading.Thread(target=self._run, name="microcred-index-sync", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                report = self.index.sync()
                if report is not None:
                    self.last_report = report
                self.last_error = None
            except MicrocredError as err:
                self.last_error = str(err)
                if self.on_error is not None:
                    self.on_error(err)
            except Exception as err:  # noqa: BLE001 - the writer must outlive any one failure
                self.last_error = f"{type(err).__name__}: {err}"
                if self.on_error is not None:
                    self.on_error(err)
            self.rounds += 1
            self._synced_once.set()
            self._stop.wait(self.interval)

    def wait_first(self, timeout: float | None = None) -> bool:
        """Wait until the first round has finished (tests and scripts; pages never wait)."""
        return self._synced_once.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()
