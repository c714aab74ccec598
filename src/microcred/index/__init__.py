"""The credential index: chain events and batch manifests read once, kept by recipient.

SQLite by default (a file under ``.microcred/``), PostgreSQL when several app servers share one
(``MICROCRED_INDEX_URL=postgresql+psycopg://…``). It is for discovery only: every verdict still
comes from the chain and the document hash.

>>> # settings = IndexSettings.for_chain(deployment.chain_id)
>>> # engine = open_index(settings.url)
>>> # rpc = RetryingRpc(rpc_for(w3))
>>> # sync(engine, deployment, rpc, read_manifest=store_reader(store, deployment),
>>> #      confirmations=settings.confirmations, log_range=settings.log_range)
>>> # found = credentials_of(engine, deployment, wallet, rpc=rpc, read_manifest=...)
>>> # or, as the CLI and the web app do: index = CredentialIndex.open(chain, store)
"""

from .database import open_index
from .lock import IndexBusy, writer_lock
from .logs import LogFetcher, Refusal, classify_refusal
from .lookup import (
    IndexStatus,
    MintedCredential,
    WalletCredentials,
    anchored_entry,
    credentials_of,
    status,
)
from .manifests import ManifestReader, ManifestUnreadable, store_reader
from .migrations import LATEST_VERSION, current_version, migrate
from .rpc import (
    HttpRpc,
    JsonRpc,
    ProviderRpc,
    RetryingRpc,
    call_batch,
    rpc_for,
    tolerate_rate_limits,
)
from .service import BackgroundSync, CredentialIndex
from .settings import IndexSettings, default_url
from .sync import SyncReport, reset, sync

__all__ = [
    "LATEST_VERSION",
    "BackgroundSync",
    "CredentialIndex",
    "HttpRpc",
    "IndexBusy",
    "IndexSettings",
    "IndexStatus",
    "JsonRpc",
    "LogFetcher",
    "ManifestReader",
    "ManifestUnreadable",
    "MintedCredential",
    "ProviderRpc",
    "Refusal",
    "RetryingRpc",
    "SyncReport",
    "WalletCredentials",
    "anchored_entry",
    "call_batch",
    "classify_refusal",
    "credentials_of",
    "current_version",
    "default_url",
    "migrate",
    "open_index",
    "reset",
    "rpc_for",
    "status",
    "store_reader",
    "sync",
    "tolerate_rate_limits",
    "writer_lock",
]
