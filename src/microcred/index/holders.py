"""Which of many wallets may already hold a credential of one issuer: candidates for the
duplicates check of a whole CSV, found with one indexed query per :data:`WALLETS_PER_QUERY`
wallets and one read of the events after the index's cursor, whatever the number of wallets.

Discovery only, like every lookup of the index: a candidate is then verified (chain status,
document hash, template) before anything is called a duplicate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from ..chain import checksum
from . import schema as t
from .events import EventDecoder
from .logs import LogFetcher
from .lookup import _where
from .service import CredentialIndex
from .sync import _batch_of, _read_all

__all__ = ["WALLETS_PER_QUERY", "Holdings", "holdings_of"]

#: Wallets per ``IN (…)`` list: well under SQLite's and PostgreSQL's parameter limits.
WALLETS_PER_QUERY = 500

_ZERO = "0x" + "0" * 40


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class Holdings:
    """What may be the wallets': token ids minted to each (by any issuer; the chain says which
    are still theirs and whose), and the wallets an anchored batch of the issuer names."""

    minted: dict[str, list[int]] = field(default_factory=dict)
    anchored: set[str] = field(default_factory=set)


def holdings_of(index: CredentialIndex, wallets: Sequence[str], issuer_id: int) -> Holdings:
    """:class:`Holdings` of ``wallets`` (keys as given, checksummed), as indexed and in the
    events after the index's cursor up to the head."""
    by_lower = {checksum(w, what="wallet address").lower(): w for w in wallets}
    lowered = sorted(by_lower)
    found = Holdings()
    deployment = index.deployment
    m, a = t.minted, t.anchored_entries
    with index.engine.connect() as conn:
        for chunk in _chunks(lowered, WALLETS_PER_QUERY):
            for holder, token_id in conn.execute(
                select(m.c.holder, m.c.token_id).where(_where(m, deployment), m.c.holder.in_(chunk))
            ):
                found.minted.setdefault(by_lower[holder], []).append(int(token_id, 16))
            found.anchored |= {
                by_lower[recipient]
                for recipient in conn.execute(
                    select(a.c.recipient).where(
                        _where(a, deployment), a.c.issuer_id == issuer_id, a.c.recipient.in_(chunk)
                    )
                ).scalars()
            }
        cursor = conn.execute(
            select(t.sync_cursor.c.synced_block).where(_where(t.sync_cursor, deployment))
        ).scalar()
    first = (int(cursor) if cursor is not None else deployment.start_block - 1) + 1
    head = int(index.rpc.call("eth_blockNumber", []), 16)
    if head >= first:
        _add_tail(index, by_lower, issuer_id, first, head, found)
    return found


def _add_tail(
    index: CredentialIndex,
    by_lower: dict[str, str],
    issuer_id: int,
    first: int,
    head: int,
    found: Holdings,
) -> None:
    decoder = EventDecoder(index.deployment)
    fetcher = LogFetcher(index.rpc, initial_range=index.settings.log_range)
    batches = []
    for chunk in fetcher.chunks([index.deployment.credential.address], first, head):
        for raw in chunk.logs:
            log = decoder.decode(raw)
            if log.name == "Transfer" and log.args["from"] == _ZERO:
                holder = by_lower.get(str(log.args["to"]).lower())
                if holder is not None:
                    found.minted.setdefault(holder, []).append(int(log.args["tokenId"], 16))
            elif log.name == "BatchAnchored" and int(log.args["issuerId"]) == issuer_id:
                batches.append(_batch_of(log))
    for result in _read_all(index.read_manifest, batches):
        if isinstance(result, BaseException):
            continue  # a batch of this issuer not readable yet: its learners are not flagged
        found.anchored |= {
            by_lower[e.recipient.lower()] for e in result if e.recipient.lower() in by_lower
        }
