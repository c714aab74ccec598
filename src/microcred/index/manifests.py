"""Reading an anchored batch's manifest into its entries, once, when its event is synced.

The sync takes any ``read_manifest(batch) -> Sequence[AnchoredCredential]`` callable and treats
an exception from it as "not read yet" (retried at the next sync, reported by lookups), never as
an empty batch. :func:`store_reader` is the default: the manifest format documented in
:mod:`microcred.anchoring` read from a store (every object is hash-checked against its CID by the
store).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from ..anchoring import MANIFEST_FORMAT, PAGE_FORMAT, PROOF_FORMAT, AnchoredCredential
from ..chain import AnchoredBatch
from ..deployment import Deployment
from ..errors import StorageError
from ..storage import Store

__all__ = ["ManifestReader", "ManifestUnreadable", "store_reader"]

ManifestReader = Callable[[AnchoredBatch], Sequence[AnchoredCredential]]


class ManifestUnreadable(StorageError):
    """A batch manifest is out of reach or not the manifest of its batch."""


def _root_hex(batch: AnchoredBatch) -> str:
    return "0x" + bytes(batch.root).hex()


def _object(store: Store, cid: str, what: str, timeout: float | None) -> Any:
    try:
        return json.loads(store.get(cid, timeout=timeout))
    except ValueError as err:
        raise ManifestUnreadable(f"The {what} {cid} is not JSON ({err}).") from None


def store_reader(
    store: Store, deployment: Deployment, *, timeout: float | None = 30.0
) -> ManifestReader:
    """A reader of manifests from ``store``: every entry of the batch whose proof leads to the
    anchored root (an entry that does not could never verify nor be claimed, so it is left out)."""

    def read(batch: AnchoredBatch) -> Sequence[AnchoredCredential]:
        root = _root_hex(batch)
        index = _object(store, batch.manifest, "manifest", timeout)
        if (
            not isinstance(index, dict)
            or index.get("format") != MANIFEST_FORMAT
            or index.get("root") != root
            or not isinstance(index.get("pages"), list)
        ):
            raise ManifestUnreadable(f"{batch.manifest} is not the manifest of batch {root}.")
        found: list[AnchoredCredential] = []
        for page in index["pages"]:
            cid = str(page.get("cid")) if isinstance(page, dict) else ""
            data = _object(store, cid, "manifest page", timeout)
            if (
                not isinstance(data, dict)
                or data.get("format") != PAGE_FORMAT
                or data.get("root") != root
                or not isinstance(data.get("entries"), list)
            ):
                raise ManifestUnreadable(f"{cid} is not a page of batch {root}.")
            for entry in data["entries"]:
                if not isinstance(entry, dict):
                    raise ManifestUnreadable(f"Page {cid} of batch {root} has a malformed entry.")
                item = AnchoredCredential.from_json(
                    {
                        **entry,
                        "format": PROOF_FORMAT,
                        "chainId": deployment.chain_id,
                        "credential": deployment.credential.address,
                        "issuerId": batch.issuer_id,
                        "root": root,
                        "manifest": batch.manifest,
                    }
                )
                if item.proves():
                    found.append(item)
        return found

    return read
