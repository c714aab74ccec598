"""HTTP plumbing shared by the network stores: bounded, deadline-checked reads and error mapping."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from ..cid import MAX_BLOCK_SIZE
from ..errors import ContentMismatch, StorageError, StorageUnavailable, UntrustedJsonError
from ..redaction import redact
from ..untrusted import SERVICE_ANSWER, parse_untrusted

__all__ = ["json_body", "raise_for_status", "read_limited", "reaching"]


@contextmanager
def reaching(what: str, timeout: float | None) -> Iterator[None]:
    """Turn transport failures into :class:`StorageUnavailable` naming ``what`` (the error's own
    text is redacted: it can quote the URL, and a URL can hold a token)."""
    try:
        yield
    except httpx.TimeoutException:
        raise StorageUnavailable(
            f"{what} did not answer within {timeout} s; try again later or use another store."
        ) from None
    except httpx.TransportError as err:
        detail = redact(str(err)) or type(err).__name__
        raise StorageUnavailable(f"Cannot reach {what}: {detail}.") from None


def read_limited(
    response: httpx.Response, *, cid: str, source: str, deadline: float | None
) -> bytes:
    """The body of a streamed response, refused past one block or past the deadline.

    httpx's timeouts bound each read, not the whole body: a node that drips bytes forever is cut
    off here.
    """
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_BLOCK_SIZE:
            raise ContentMismatch(
                f"{source} sent more than {MAX_BLOCK_SIZE} bytes for {cid}, which names one block."
            )
        chunks.append(chunk)
        if deadline is not None and time.monotonic() > deadline:
            raise StorageUnavailable(f"{source} was too slow sending {cid}; try again later.")
    return b"".join(chunks)


def json_body(response: httpx.Response, what: str) -> Any:
    """The JSON of a response, or :class:`StorageError` if ``what`` did not answer in JSON."""
    try:
        return parse_untrusted(response.content, SERVICE_ANSWER)
    except UntrustedJsonError:
        raise StorageError(
            f"{what} answered with something that is not JSON: is the URL right?"
        ) from None


def raise_for_status(response: httpx.Response, what: str) -> None:
    if response.status_code in (401, 403):
        raise StorageError(
            f"{what} refused the request ({response.status_code}): check the access token "
            "(MICROCRED_IPFS_TOKEN or #token in the store URL)."
        )
    if response.status_code >= 500 or response.status_code == 429:
        raise StorageUnavailable(f"{what} failed ({response.status_code}): {_message(response)}")
    if response.status_code >= 400:
        raise StorageError(
            f"{what} refused the request ({response.status_code}): {_message(response)}"
        )


def _message(response: httpx.Response) -> str:
    try:
        response.read()
        body = parse_untrusted(response.content, SERVICE_ANSWER)
        if isinstance(body, dict):
            error = body.get("error")
            details = error.get("details") if isinstance(error, dict) else None
            return redact(str(body.get("Message") or details or body)[:300])
    except Exception:  # noqa: BLE001 - the status code is the message then
        pass
    return response.reason_phrase or "no details"
