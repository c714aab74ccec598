"""Secrets out of messages: what a transport error says is shown to users, and it can hold keys.

An RPC provider's key usually sits in its URL (``https://mainnet.infura.io/v3/<key>``,
``…/?apikey=<key>``), and ``requests`` puts the whole URL in its errors ("429 Client Error: Too
Many Requests for url: …"). A store's token sits after ``#`` in ``MICROCRED_STORE`` or in its own
variable. So every message built from a transport error or a setting goes through
:func:`redact`: URLs keep their scheme and host (where it failed is still said), lose their
user-info, path and query; and every secret microcred was configured with (the RPC URL's path
and query, store tokens, the private key, the keystore password) is replaced wherever it appears.

>>> redact("429 Client Error: Too Many Requests for url: https://u:p@rpc.example/v3/KEY?x=1")
'429 Client Error: Too Many Requests for url: https://rpc.example/…'
>>> redact_url("http://127.0.0.1:5001")
'http://127.0.0.1:5001'
"""

from __future__ import annotations

import os
import re
import threading
from urllib.parse import parse_qsl, urlsplit

__all__ = ["SECRET_VARIABLES", "forget_secrets", "redact", "redact_store_spec", "redact_url",
           "remember_secret", "remember_url_secrets"]  # fmt: skip

#: Environment variables whose values are secrets wherever they appear.
SECRET_VARIABLES = (
    "MICROCRED_PRIVATE_KEY",
    "MICROCRED_ACCOUNT_PASSWORD",
    "MICROCRED_IPFS_TOKEN",
    "MICROCRED_PINNING_TOKEN",
)
#: Variables holding URLs or store specs whose path, query and token are secrets.
URL_VARIABLES = ("MICROCRED_RPC_URL", "MICROCRED_STORE", "MICROCRED_IPFS_GATEWAYS")
#: Shorter pieces are not replaced: "v3" or "api" in a URL are no secret, and replacing them
#: would garble ordinary words.
MIN_SECRET_LENGTH = 6
REDACTED = "[redacted]"

_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>()\[\]]+")
_known: set[str] = set()
_lock = threading.Lock()


def redact_url(url: str) -> str:
    """``url`` with only its scheme, host and port: user-info, path, query and fragment hold
    keys at many providers. ``/…`` marks that something was cut."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        return REDACTED
    if not parts.scheme or not host:
        return REDACTED
    shown = f"{parts.scheme}://{'[' + host + ']' if ':' in host else host}{port}"
    cut = parts.path.strip("/") or parts.query or parts.fragment
    return shown + ("/…" if cut else "")


def redact_store_spec(spec: str) -> str:
    """A store spec (``kubo:https://host/path#token``, several joined by commas) for messages."""
    shown = []
    for part in spec.split(","):
        scheme, colon, rest = part.strip().partition(":")
        url, hash_sign, _ = rest.partition("#")
        if "://" in url:
            url = redact_url(url)
        shown.append(f"{scheme}{colon}{url}" + (f"#{REDACTED}" if hash_sign else ""))
    return ",".join(shown)


def remember_secret(value: str | None) -> None:
    """Treat ``value`` as a secret in every later :func:`redact` (e.g. a token from a flag)."""
    if value and len(value.strip()) >= MIN_SECRET_LENGTH:
        with _lock:
            _known.add(value.strip())


def remember_url_secrets(url: str | None) -> None:
    """The user-info, path segments, query values and fragment of ``url`` as secrets (an RPC
    URL or a store URL from a flag or a secrets file, not only from the environment)."""
    for piece in _url_secrets(url or ""):
        remember_secret(piece)


def forget_secrets() -> None:
    """Forget what :func:`remember_secret` was told (tests)."""
    with _lock:
        _known.clear()


def redact(text: str) -> str:
    """``text`` with every URL cut to scheme and host and every known secret replaced."""
    text = _URL.sub(lambda match: redact_url(match.group()), str(text))
    secrets = _secrets()
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
        if secret.startswith("0x"):  # a private key is also written without its prefix
            text = text.replace(secret[2:], REDACTED)
    return text


def _secrets() -> set[str]:
    env = os.environ
    found = {env[name].strip() for name in SECRET_VARIABLES if env.get(name, "").strip()}
    for name in URL_VARIABLES:
        for value in re.split(r"[,\s]+", env.get(name, "")):
            found.update(_url_secrets(value))
    with _lock:
        found |= _known
    return {s for s in found if len(s) >= MIN_SECRET_LENGTH}


def _url_secrets(value: str) -> list[str]:
    scheme, _, rest = value.strip().partition(":")
    if scheme in ("kubo", "pinning"):  # a store spec: the URL follows the scheme
        value = rest
    if "://" not in value:
        return []
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return [value.strip()]
    pieces = [parts.username or "", parts.password or "", parts.fragment]
    pieces += [segment for segment in parts.path.split("/") if segment]
    pieces += [v for _, v in parse_qsl(parts.query, keep_blank_values=True)]
    return [p for p in pieces if len(p) >= MIN_SECRET_LENGTH]
