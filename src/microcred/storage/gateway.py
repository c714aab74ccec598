"""Reads through public HTTP gateways (``<gateway>/ipfs/<cid>``), never trusting what they send."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

import httpx

from ..errors import ContentMismatch, StorageError, StorageUnavailable
from ..redaction import redact_url
from ._base import Store, check_cid, verified
from ._http import raise_for_status, reaching, read_limited

__all__ = ["DEFAULT_GATEWAY_TIMEOUT", "FallbackStore", "GatewayReader", "gateways_from_env"]

DEFAULT_GATEWAY_TIMEOUT = 20.0


def gateways_from_env(environ: dict[str, str] | None = None) -> tuple[str, ...]:
    """``MICROCRED_IPFS_GATEWAYS``: gateway base URLs separated by commas or spaces."""
    value = (environ if environ is not None else os.environ).get("MICROCRED_IPFS_GATEWAYS", "")
    return tuple(g for g in value.replace(",", " ").split() if g)


class GatewayReader:
    """Reads from each gateway in turn until one returns bytes that hash to the CID.

    A gateway that sends other bytes is skipped (one lying gateway cannot break a read), but if
    every answer was wrong the read fails with :class:`ContentMismatch`.
    """

    def __init__(
        self,
        gateways: Sequence[str],
        *,
        timeout: float = DEFAULT_GATEWAY_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if isinstance(gateways, str):
            gateways = (gateways,)
        self.gateways = tuple(g.rstrip("/") for g in gateways)
        self.name = "gateways:" + ",".join(redact_url(g) for g in self.gateways)
        self.timeout = timeout
        self._client = httpx.Client(timeout=timeout, transport=transport, follow_redirects=True)

    def __repr__(self) -> str:
        return f"GatewayReader({[redact_url(g) for g in self.gateways]!r})"

    def close(self) -> None:
        self._client.close()

    def put(self, data: bytes) -> str:
        raise StorageError(
            "HTTP gateways are read-only: store objects with a node or the local store."
        )

    def get(self, cid: str, *, timeout: float | None = None) -> bytes:
        check_cid(cid)
        if not self.gateways:
            raise StorageUnavailable("No IPFS gateway is configured to read from.")
        failures: list[StorageError] = []
        for gateway in self.gateways:
            try:
                return self._get_from(gateway, cid, timeout or self.timeout)
            except StorageError as err:
                failures.append(err)
        mismatches = [f for f in failures if isinstance(f, ContentMismatch)]
        if mismatches:
            raise mismatches[0]
        raise StorageUnavailable(
            f"No gateway returned {cid}: " + " ".join(str(f) for f in failures)
        )

    def _get_from(self, gateway: str, cid: str, limit: float) -> bytes:
        what = f"The gateway {redact_url(gateway)}"
        deadline = time.monotonic() + limit
        with (
            reaching(what, limit),
            self._client.stream(
                "GET",
                f"{gateway}/ipfs/{cid}",
                timeout=limit,
                headers={"Accept": "application/octet-stream"},
            ) as response,
        ):
            raise_for_status(response, what)
            data = read_limited(response, cid=cid, source=what, deadline=deadline)
        return verified(cid, data, source=what)

    def has(self, cid: str) -> bool:
        try:
            self.get(cid)
        except StorageError:
            return False
        return True


class FallbackStore:
    """A store whose reads fall back to gateways when it cannot give verified bytes.

    Writes and ``has`` go to ``primary``. A read that the primary cannot answer, or answers with
    wrong bytes, is tried on the gateways; the bytes' hash decides, not who sent them.
    """

    def __init__(self, primary: Store, fallback: Store) -> None:
        self.primary = primary
        self.fallback = fallback
        self.name = f"{primary.name} (reads fall back to {fallback.name})"

    def __repr__(self) -> str:
        return f"FallbackStore({self.primary!r}, {self.fallback!r})"

    def put(self, data: bytes) -> str:
        return self.primary.put(data)

    def get(self, cid: str, *, timeout: float | None = None) -> bytes:
        try:
            return self.primary.get(cid, timeout=timeout)
        except StorageError as first:
            try:
                return self.fallback.get(cid, timeout=timeout)
            except ContentMismatch:
                raise
            except StorageError:
                if isinstance(first, ContentMismatch):
                    raise first from None
                raise

    def has(self, cid: str) -> bool:
        return self.primary.has(cid)
