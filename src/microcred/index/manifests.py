"""Reading an anchored batch's manifest into its entries, once, when its event is synced.

The sync takes any ``read_manifest(batch) -> Sequence[AnchoredCredential]`` callable and treats
an exception from it as "not read yet" (retried at the next sync, reported by lookups), never as
an empty batch. :func:`store_reader` is the default: :func:`microcred.anchoring.read_batch`, the
one reader of the manifest format (every field checked, every object parsed as untrusted JSON
and hash-checked against its CID by the store), keeping the entries whose proof leads to the
anchored root.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..anchoring import AnchoredCredential, read_batch
from ..chain import AnchoredBatch
from ..deployment import Deployment
from ..errors import StorageError
from ..storage import Store

__all__ = ["ManifestReader", "ManifestUnreadable", "store_reader"]

ManifestReader = Callable[[AnchoredBatch], Sequence[AnchoredCredential]]


class ManifestUnreadable(StorageError):
    """A batch manifest is out of reach or not the manifest of its batch."""


def store_reader(
    store: Store, deployment: Deployment, *, timeout: float | None = 30.0
) -> ManifestReader:
    """A reader of manifests from ``store``: every entry of the batch whose proof leads to the
    anchored root (an entry that does not could never verify nor be claimed, so it is left out)."""

    def read(batch: AnchoredBatch) -> Sequence[AnchoredCredential]:
        return [
            item for item in read_batch(store, deployment, batch, timeout=timeout) if item.proves()
        ]

    return read
