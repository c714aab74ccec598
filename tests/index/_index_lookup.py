"""Helpers to look up through the index while counting what a lookup costs."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from microcred.chain import Chain
from microcred.config import web3_for
from microcred.deployment import Deployment
from microcred.index import CredentialIndex, IndexSettings, tolerate_rate_limits
from microcred.storage import LocalStore


class CountingStore(LocalStore):
    """The real embedded store, recording which objects are read."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.reads: list[str] = []
        self._lock = threading.Lock()

    def get(self, cid: str, *, timeout: float | None = None) -> bytes:
        with self._lock:
            self.reads.append(cid)
        return super().get(cid, timeout=timeout)


def open_through(
    rpc_url: str, deployment_path: Path, store: Any, index_url: str
) -> tuple[Chain, CredentialIndex]:
    """A chain client and an index reaching the node at ``rpc_url`` (a proxy that counts)."""
    deployment = Deployment.load(deployment_path)
    chain = Chain.connect(tolerate_rate_limits(web3_for(rpc_url)), deployment)
    settings = IndexSettings(url=index_url, log_range=100_000, confirmations=0)
    return chain, CredentialIndex.open(chain, store, settings)
