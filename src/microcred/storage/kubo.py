"""A real IPFS node through the Kubo HTTP RPC API (also spoken by js-ipfs and hosted Kubo APIs)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from ..errors import ContentMismatch, StorageError, UntrustedJsonError
from ..redaction import redact_url
from ..untrusted import SERVICE_ANSWER, parse_untrusted
from ._base import check_cid, local_cid, verified
from ._http import json_body, raise_for_status, reaching, read_limited

__all__ = ["ADD_PARAMS", "DEFAULT_TIMEOUT", "KuboStore"]

#: Every add says how to chunk and encode, so a node's defaults (Kubo's newer ``unixfs-v1-2025``
#: profile, CIDv0 on old nodes) can never give a document another CID than microcred computes.
ADD_PARAMS = {
    "cid-version": "1",
    "raw-leaves": "true",
    "chunker": "size-262144",
    "hash": "sha2-256",
    "cid-base": "base32",
    "pin": "true",
}

DEFAULT_TIMEOUT = 30.0


class KuboStore:
    """A thin client of ``/api/v0/add``, ``pin/add``, ``pin/ls`` and ``cat``.

    ``url`` is the RPC address (``http://127.0.0.1:5001``); ``token`` is sent as a Bearer token
    for hosted Kubo-compatible APIs. ``timeout`` bounds every call (and a whole ``cat``): some
    nodes hang for ever on a CID nobody provides.
    """

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.shown_url = redact_url(self.url)  # for messages: a hosted API's URL can hold a key
        self.name = f"kubo:{self.shown_url}"
        self.timeout = timeout
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(
            base_url=f"{self.url}/api/v0/", headers=headers, timeout=timeout, transport=transport
        )

    def __repr__(self) -> str:
        return f"KuboStore({self.shown_url!r})"

    def close(self) -> None:
        self._client.close()

    def _post(self, command: str, *, timeout: float | None = None, **kwargs: Any) -> httpx.Response:
        limit = timeout or self.timeout
        with reaching(f"The IPFS node at {self.shown_url}", limit):
            response = self._client.post(command, timeout=limit, **kwargs)
        raise_for_status(response, f"The IPFS node at {self.shown_url} ({command})")
        return response

    def put(self, data: bytes) -> str:
        cid = local_cid(data)
        response = self._post(
            "add",
            params=ADD_PARAMS,
            files={"file": ("document", bytes(data), "application/octet-stream")},
        )
        try:
            lines = [
                parse_untrusted(line, SERVICE_ANSWER)
                for line in response.content.splitlines()
                if line.strip()
            ]
        except UntrustedJsonError:
            lines = []
        returned = next(
            (line.get("Hash") for line in reversed(lines) if isinstance(line, dict)), None
        )
        if not isinstance(returned, str):
            raise StorageError(
                f"{self.shown_url} did not answer an add like the Kubo RPC API; is it an IPFS "
                "node's RPC address (usually port 5001)?"
            )
        if returned != cid:
            raise ContentMismatch(
                f"The IPFS node at {self.shown_url} gave CID {returned} for an object whose CID is "
                f"{cid}; it does not honour cid-version=1/raw-leaves: use another node."
            )
        self.pin(cid)
        return cid

    def pin(self, cid: str) -> None:
        """Pin ``cid`` on the node (it then survives garbage collection)."""
        check_cid(cid)
        self._post("pin/add", params={"arg": cid})

    def get(self, cid: str, *, timeout: float | None = None) -> bytes:
        check_cid(cid)
        limit = timeout or self.timeout
        deadline = time.monotonic() + limit
        what = f"The IPFS node at {self.shown_url}"
        with (
            reaching(what, limit),
            self._client.stream("POST", "cat", params={"arg": cid}, timeout=limit) as response,
        ):
            raise_for_status(response, f"{what} (cat)")
            data = read_limited(response, cid=cid, source=what, deadline=deadline)
        return verified(cid, data, source=what)

    def has(self, cid: str) -> bool:
        """Whether the node holds ``cid`` pinned (what keeps it there)."""
        check_cid(cid)
        try:
            response = self._post(
                "pin/ls", params={"arg": cid, "type": "recursive", "cid-base": "base32"}
            )
        except StorageError as err:
            if "not pinned" in str(err).lower():
                return False
            raise
        body = json_body(response, f"The IPFS node at {self.shown_url}")
        return isinstance(body, dict) and cid in (body.get("Keys") or {})
