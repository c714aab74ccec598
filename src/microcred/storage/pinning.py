"""An IPFS Pinning Service API backend (what Pinata, Filebase and others speak), for production.

A pinning service only pins: it fetches the bytes from the IPFS network. So a
:class:`PinningServiceStore` is paired with a ``source`` store that makes the bytes available (a
Kubo node: ``kubo:...,pinning:...`` in a store spec) and reads come from that source or from
gateways, always verified.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from ..errors import StorageError, StorageUnavailable
from ..redaction import redact_url
from ._base import Store, check_cid, local_cid
from ._http import json_body, raise_for_status, reaching

__all__ = ["PIN_STATUSES", "PinningServiceStore"]

PIN_STATUSES = ("queued", "pinning", "pinned", "failed")


class PinningServiceStore:
    """``POST /pins`` ``{cid, name}`` to pin, ``GET /pins?cid=`` to ask; bytes via ``source``."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        source: Store | None = None,
        reader: Store | None = None,
        origins: Sequence[str] = (),
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.shown_url = redact_url(self.url)  # for messages: a service URL can hold a key
        self.name = f"pinning:{self.shown_url}"
        self.source = source
        self.reader = reader
        self.origins = tuple(origins)
        self.timeout = timeout
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(
            base_url=self.url, headers=headers, timeout=timeout, transport=transport
        )

    def __repr__(self) -> str:
        return f"PinningServiceStore({self.shown_url!r})"

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        what = f"The pinning service at {self.shown_url}"
        with reaching(what, self.timeout):
            response = self._client.request(method, path, **kwargs)
        raise_for_status(response, what)
        return response

    def put(self, data: bytes, *, name: str | None = None) -> str:
        cid = local_cid(data)
        if self.source is not None:
            self.source.put(data)
        self.pin(cid, name=name)
        return cid

    def pin(self, cid: str, *, name: str | None = None) -> dict[str, Any]:
        """Ask the service to pin ``cid``; returns its PinStatus (``status`` may be ``queued``)."""
        check_cid(cid)
        body: dict[str, Any] = {"cid": cid, "name": name or cid}
        if self.origins:
            body["origins"] = list(self.origins)
        status = json_body(self._call("POST", "/pins", json=body), self.name)
        if not isinstance(status, dict) or status.get("pin", {}).get("cid") != cid:
            raise StorageError(f"The pinning service at {self.shown_url} answered for another CID.")
        return status

    def status(self, cid: str) -> str | None:
        """The service's status for ``cid`` (``queued``, ``pinning``, ``pinned``, ``failed``), or
        None if it was never asked to pin it."""
        check_cid(cid)
        params = {"cid": cid, "status": ",".join(PIN_STATUSES)}
        answer = json_body(self._call("GET", "/pins", params=params), self.name)
        results = answer.get("results", []) if isinstance(answer, dict) else []
        statuses = {
            r.get("status")
            for r in results
            if isinstance(r, dict) and isinstance(r.get("pin"), dict) and r["pin"].get("cid") == cid
        }
        for status in ("pinned", "pinning", "queued", "failed"):
            if status in statuses:
                return status
        return None

    def has(self, cid: str) -> bool:
        return self.status(cid) == "pinned"

    def get(self, cid: str, *, timeout: float | None = None) -> bytes:
        check_cid(cid)
        readers = [r for r in (self.source, self.reader) if r is not None]
        if not readers:
            raise StorageUnavailable(
                f"The pinning service at {self.shown_url} does not serve bytes; configure a "
                "gateway (MICROCRED_IPFS_GATEWAYS) or a node to read through."
            )
        last: StorageError | None = None
        for reader in readers:
            try:
                return reader.get(cid, timeout=timeout)
            except StorageError as err:
                last = err
        assert last is not None
        raise last
