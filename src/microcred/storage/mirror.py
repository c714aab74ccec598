"""Several stores as one: every write goes to each (pin in more than one place), reads take the
first verified answer."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ContentMismatch, StorageError, StorageUnavailable
from ._base import Store, local_cid

__all__ = ["MirrorStore"]


class MirrorStore:
    """``put`` succeeds only if every store took the object; ``get`` tries them in order."""

    def __init__(self, stores: Sequence[Store]) -> None:
        if not stores:
            raise ValueError("a mirror needs at least one store")
        self.stores = tuple(stores)
        self.name = ",".join(s.name for s in self.stores)

    def __repr__(self) -> str:
        return f"MirrorStore({list(self.stores)!r})"

    def put(self, data: bytes) -> str:
        cid = local_cid(data)
        for store in self.stores:
            store.put(data)
        return cid

    def get(self, cid: str, *, timeout: float | None = None) -> bytes:
        failures: list[StorageError] = []
        for store in self.stores:
            try:
                return store.get(cid, timeout=timeout)
            except StorageError as err:
                failures.append(err)
        for failure in failures:
            if isinstance(failure, ContentMismatch):
                raise failure
        raise StorageUnavailable(" ".join(str(f) for f in failures))

    def has(self, cid: str) -> bool:
        # Held means held by every store, like put: a copy in one place only must be written
        # again (a bulk run skips objects the store "has", then sends their transactions).
        return all(store.has(cid) for store in self.stores)
