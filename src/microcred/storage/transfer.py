"""Moving the embedded store's objects elsewhere: ``microcred store export DIR`` and
``microcred store push kubo:URL``. Every object is verified on the way out and on the way in."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import StorageError
from ._base import Store
from .local import LocalStore

__all__ = ["TransferReport", "export_objects", "push_objects"]


@dataclass
class TransferReport:
    """What a transfer did: CIDs copied, and CIDs that failed with the reason."""

    copied: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed


def push_objects(
    source: LocalStore,
    destination: Store,
    *,
    on_object: Callable[[str], None] | None = None,
) -> TransferReport:
    """Put every object of ``source`` into ``destination`` (a Kubo node, a pinning service...).

    It goes on past a failing object and reports it; running it again is harmless (adding the same
    bytes twice gives the same CID).
    """
    report = TransferReport()
    for cid in source.cids():
        try:
            data = source.get(cid)
            returned = destination.put(data)
            if returned != cid:
                raise StorageError(f"{destination.name} stored it as {returned}")
        except StorageError as err:
            report.failed[cid] = str(err)
        else:
            report.copied.append(cid)
        if on_object is not None:
            on_object(cid)
    return report


def export_objects(
    source: LocalStore,
    directory: str | os.PathLike[str],
    *,
    on_object: Callable[[str], None] | None = None,
) -> TransferReport:
    """Copy every object to ``directory`` as a file named by its CID, holding exactly its bytes
    (what ``ipfs add --cid-version=1 --raw-leaves`` of each file gives back)."""
    return push_objects(source, LocalStore(directory), on_object=on_object)
