"""IPFS storage behind one interface: the embedded store, a Kubo node, a pinning service, gateways.

Every backend stores single-block objects (documents, at most 256 KiB) under the CID microcred
computes itself, refuses a backend that names another CID, and checks on every read that the bytes
hash to the CID asked for (:class:`~microcred.errors.ContentMismatch` otherwise). A backend that
cannot be reached or does not answer in time raises :class:`~microcred.errors.StorageUnavailable`.

Store specs (``--store`` / ``MICROCRED_STORE``), several joined by commas to write to each::

    local:.microcred/ipfs            the embedded store (the default)
    kubo:http://127.0.0.1:5001       a Kubo RPC API; Bearer token after '#' or in
                                     MICROCRED_IPFS_TOKEN
    pinning:https://api.example/psa  a Pinning Service API; token after '#' or in
                                     MICROCRED_PINNING_TOKEN
    kubo:http://127.0.0.1:5001,pinning:https://api.example/psa   add to the node, pin remotely too

>>> import tempfile
>>> store = open_store(f"local:{tempfile.mkdtemp()}")
>>> cid = store.put(b"hello")
>>> store.get(cid)
b'hello'
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from ..errors import ConfigError
from ..redaction import redact_store_spec, remember_secret, remember_url_secrets
from ._base import Store, check_cid, local_cid, verified
from .gateway import DEFAULT_GATEWAY_TIMEOUT, FallbackStore, GatewayReader, gateways_from_env
from .kubo import DEFAULT_TIMEOUT, KuboStore
from .local import DEFAULT_LOCAL_DIR, LocalStore
from .mirror import MirrorStore
from .pinning import PinningServiceStore
from .transfer import TransferReport, export_objects, push_objects

__all__ = [
    "DEFAULT_LOCAL_DIR",
    "DEFAULT_STORE",
    "FallbackStore",
    "GatewayReader",
    "KuboStore",
    "LocalStore",
    "MirrorStore",
    "PinningServiceStore",
    "Store",
    "TransferReport",
    "check_cid",
    "export_objects",
    "gateways_from_env",
    "local_cid",
    "open_store",
    "push_objects",
    "verified",
]

DEFAULT_STORE = f"local:{DEFAULT_LOCAL_DIR}"


def open_store(
    spec: str | None = None,
    *,
    gateways: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> Store:
    """The store a spec names (see the module docstring); reads fall back to ``gateways``."""
    env = os.environ if environ is None else environ
    spec = (spec or "").strip() or DEFAULT_STORE
    parts = [part.strip() for part in spec.split(",") if part.strip()]
    reader = (
        GatewayReader(gateways, timeout=timeout or DEFAULT_GATEWAY_TIMEOUT) if gateways else None
    )
    stores = [_open_one(part, env, reader, timeout) for part in parts]
    store: Store = stores[0] if len(stores) == 1 else MirrorStore(stores)
    return FallbackStore(store, reader) if reader is not None else store


def _open_one(
    spec: str, env: Mapping[str, str], reader: GatewayReader | None, timeout: float | None
) -> Store:
    scheme, _, rest = spec.partition(":")
    if scheme == "local":
        return LocalStore(rest or DEFAULT_LOCAL_DIR)
    if scheme in ("kubo", "pinning"):
        url, _, token = rest.partition("#")
        # A spec from a flag or a secrets file: its token and URL are secrets in every message.
        remember_secret(token)
        remember_url_secrets(url)
        if not url.startswith(("http://", "https://")):
            raise ConfigError(
                f"Store {redact_store_spec(spec)!r}: {scheme}: needs an http(s) URL, e.g. "
                f"{scheme}:http://127.0.0.1:5001."
            )
        if scheme == "kubo":
            return KuboStore(
                url, token or env.get("MICROCRED_IPFS_TOKEN"), timeout=timeout or DEFAULT_TIMEOUT
            )
        token = token or env.get("MICROCRED_PINNING_TOKEN") or env.get("MICROCRED_IPFS_TOKEN", "")
        return PinningServiceStore(
            url, token or None, reader=reader, timeout=timeout or DEFAULT_TIMEOUT
        )
    raise ConfigError(
        f"Unknown store {redact_store_spec(spec)!r}: use local:<dir>, kubo:<url> or pinning:<url> "
        "(several joined by commas)."
    )
