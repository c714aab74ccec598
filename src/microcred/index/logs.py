"""Adaptive chunked ``eth_getLogs``: only fetching logs, in ranges the provider accepts.

Hosted providers refuse long ranges and large answers instead of truncating them, each with its
own code and text (catalogued in ../shared/FIELD-NOTES.md). :func:`classify_refusal` recognises
them; :class:`LogFetcher` walks a block range in chunks, uses the range a provider suggests when
it names one (Infura's ``Try with this block range [0x…, 0x…]``) or the limit it states, halves
otherwise, and doubles again after successes, never above a limit the provider stated.

>>> classify_refusal(-32602, "range 1000000 exceeds limit of 10000").limit
10000
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ChainError
from .rpc import JsonRpc, RpcError

__all__ = ["LogChunk", "LogFetcher", "Refusal", "classify_refusal"]


@dataclass(frozen=True)
class Refusal:
    """A provider's refusal of a log query: the block limit it names, or the range it suggests."""

    message: str
    limit: int | None = None  # blocks per query the provider says it allows
    suggested: tuple[int, int] | None = None  # [from, to] the provider says will work


def _number(text: str) -> int:
    # "10000", "10,000", "2K" (Alchemy's older text)
    text = text.replace(",", "").strip().lower()
    return int(text[:-1]) * 1000 if text.endswith("k") else int(text)


# (pattern, whether its first group is the block limit). Lower-cased text is matched.
_LIMIT_TEXTS: tuple[tuple[re.Pattern[str], bool], ...] = tuple(
    (re.compile(pattern), has_limit)
    for pattern, has_limit in (
        (r"range \d+ exceeds limit of (\d+)", True),  # Infura -32602
        (r"up to an? (\d+k?) block range", True),  # Alchemy -32600
        (r"limited to an? (\d[\d,]*)", True),  # QuickNode
        (r"maximum \[from, to\] blocks distance: (\d+)", True),  # Ankr
        (r"exceeds? maximum block range:? (\d+)", True),  # publicnode
        (r"query exceeds max block range (\d+)", True),  # reth
        (r"block range limit exceeded", False),  # Chainstack
        (r"block range is too wide", False),  # Ankr
        (r"block range (?:is )?too large", False),  # Base / OP
        (r"backend response too large", False),  # Base / OP
        (r"query returned more than \d+ results", False),  # Infura -32005
        (r"response size (?:is )?(?:exceeded|too large|should not)", False),  # Alchemy, geth
        (r"more than \d+ (?:results|logs)", False),
        (r"log response size exceeded", False),
        (r"too many (?:results|logs)", False),
    )
)
_SUGGESTED = re.compile(r"\[\s*(0x[0-9a-f]+)\s*,\s*(0x[0-9a-f]+)\s*\]")


def classify_refusal(code: int | None, message: str) -> Refusal | None:
    """The refusal in a JSON-RPC error to ``eth_getLogs``, or None if it is another error.

    The text decides (providers reuse codes such as -32000 and -32602 for unrelated errors); a
    ``[0x…, 0x…]`` range in a refusal (Infura's -32005, Alchemy's older text) is the suggestion.
    """
    text = message.lower()
    for pattern, has_limit in _LIMIT_TEXTS:
        match = pattern.search(text)
        if match:
            suggested = _SUGGESTED.search(text)
            return Refusal(
                message=message,
                limit=_number(match.group(1)) if has_limit else None,
                suggested=(int(suggested.group(1), 16), int(suggested.group(2), 16))
                if suggested
                else None,
            )
    if code == -32005 and _SUGGESTED.search(text):
        found = _SUGGESTED.search(text)
        assert found is not None
        return Refusal(message, suggested=(int(found.group(1), 16), int(found.group(2), 16)))
    return None


@dataclass(frozen=True)
class LogChunk:
    """The logs of blocks ``first``..``last`` (inclusive), in the node's order."""

    first: int
    last: int
    logs: list[dict[str, Any]]


class LogFetcher:
    """Walks ``eth_getLogs`` over a block range in chunks the provider accepts.

    ``initial_range`` is the per-network starting size (see :mod:`microcred.index.settings`);
    after ``grow_after`` answered chunks in a row the size doubles, up to ``max_range`` and never
    above a limit a provider stated. A provider still refusing a one-block query is an error
    naming its answer. Rate limits and timeouts are the transport's job
    (:class:`~microcred.index.rpc.RetryingRpc`).
    """

    def __init__(
        self,
        rpc: JsonRpc,
        *,
        initial_range: int = 10_000,
        max_range: int = 100_000,
        grow_after: int = 2,
    ) -> None:
        self.rpc = rpc
        self.range = max(1, initial_range)
        self.max_range = max(self.range, max_range)
        self.grow_after = grow_after
        self.stated_limit: int | None = None
        self.refusals = 0
        self.requests = 0
        self._streak = 0

    def _get_logs(self, addresses: Sequence[str], first: int, last: int) -> list[dict[str, Any]]:
        self.requests += 1
        query = {"address": list(addresses), "fromBlock": hex(first), "toBlock": hex(last)}
        result = self.rpc.call("eth_getLogs", [query])
        if not isinstance(result, list):
            raise ChainError(f"The RPC node answered eth_getLogs with {type(result).__name__}.")
        return result

    def _shrink(self, refusal: Refusal, first: int, span: int) -> int:
        if refusal.limit is not None:
            self.stated_limit = min(refusal.limit, self.stated_limit or refusal.limit)
        if refusal.suggested is not None:
            start, end = refusal.suggested
            suggested_span = end - max(start, first) + 1
            if 0 < suggested_span < span:
                return suggested_span
        if refusal.limit is not None and refusal.limit < span:
            return refusal.limit
        return span // 2

    def chunks(self, addresses: Sequence[str], first: int, last: int) -> Iterator[LogChunk]:
        """Every log of ``addresses`` in blocks ``first``..``last``, chunk by chunk, in order."""
        position = first
        while position <= last:
            span = min(self.range, last - position + 1)
            end = position + span - 1
            try:
                logs = self._get_logs(addresses, position, end)
            except RpcError as err:
                refusal = classify_refusal(err.code, err.message)
                if refusal is None:
                    raise ChainError(
                        f"The RPC node refused to list logs of blocks {position}-{end}: "
                        f"{err.message} (error {err.code})."
                    ) from None
                self.refusals += 1
                self._streak = 0
                smaller = self._shrink(refusal, position, span)
                if smaller < 1 or span == 1:
                    raise ChainError(
                        f"The RPC node refuses to list the logs of even one block ({err.message}): "
                        "use another RPC provider for the index."
                    ) from None
                self.range = smaller
                continue
            yield LogChunk(position, end, logs)
            position = end + 1
            self._streak += 1
            if self._streak >= self.grow_after:
                self._streak = 0
                ceiling = min(self.max_range, self.stated_limit or self.max_range)
                self.range = max(self.range, min(ceiling, self.range * 2))
