"""How much one visitor's session may make the server store: a count of objects and of bytes.

A signed-in account can still be careless or compromised, and a pinning service bills by the
byte; so every store the pages write through is wrapped in a :class:`QuotaStore` that checks the
session's running totals before each ``put`` and refuses, with a sentence, once either would pass
its limit. A flow that knows how many objects it will write reserves them first
(:meth:`QuotaStore.reserve`), so a CSV too big for what is left stores nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from microcred.errors import MicrocredError
from microcred.storage import Store

# A 10,000-row cohort is ~10,050 objects (documents, manifest pages, index) and ~30 MB: the
# defaults let one session prepare it twice over, and no more than a local disk or a pinning
# plan shrugs off. MICROCRED_SESSION_MAX_OBJECTS / MICROCRED_SESSION_MAX_BYTES change them.
DEFAULT_MAX_OBJECTS = 20_000
DEFAULT_MAX_BYTES = 200 * 1024 * 1024


class QuotaExceeded(MicrocredError):
    """This session has stored as much as it may."""


@dataclass(frozen=True)
class Quota:
    max_objects: int = DEFAULT_MAX_OBJECTS
    max_bytes: int = DEFAULT_MAX_BYTES


@dataclass
class Usage:
    """What one session has written so far (kept in its session state)."""

    objects: int = 0
    bytes: int = 0


class QuotaStore:
    """``store`` for one session: reads pass through; each write is counted against ``quota``
    before it happens. An object the store already holds counts too (the check cannot know)."""

    def __init__(self, store: Store, quota: Quota, usage: Usage) -> None:
        self.inner = store
        self.quota = quota
        self.usage = usage
        self.name = store.name

    def reserve(self, objects: int) -> None:
        """Refuse now if ``objects`` more writes would pass the object limit."""
        if self.usage.objects + objects > self.quota.max_objects:
            raise QuotaExceeded(self._sentence(f"{objects:,} more objects"))

    def put(self, data: bytes) -> str:
        if (
            self.usage.objects + 1 > self.quota.max_objects
            or self.usage.bytes + len(data) > self.quota.max_bytes
        ):
            raise QuotaExceeded(self._sentence(f"{len(data):,} more bytes"))
        cid = self.inner.put(data)
        self.usage.objects += 1
        self.usage.bytes += len(data)
        return cid

    def get(self, cid: str, *, timeout: float | None = None) -> bytes:
        return self.inner.get(cid, timeout=timeout)

    def has(self, cid: str) -> bool:
        return self.inner.has(cid)

    def _sentence(self, wanted: str) -> str:
        return (
            f"This session has stored {self.usage.objects:,} objects "
            f"({self.usage.bytes / 1024 / 1024:.1f} MB) and may store at most "
            f"{self.quota.max_objects:,} objects or {self.quota.max_bytes / 1024 / 1024:.0f} MB, "
            f"so {wanted} were refused and nothing more is stored: split the work into smaller "
            "files, or ask the operator to raise MICROCRED_SESSION_MAX_OBJECTS / "
            "MICROCRED_SESSION_MAX_BYTES."
        )
