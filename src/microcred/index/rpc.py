"""JSON-RPC for the index: one request at a time, HTTP 429 and timeouts retried with backoff.

The index talks to the node directly rather than through web3's result formatting: it needs the
provider's own error code and text (to recognise a refused ``eth_getLogs`` range) and the HTTP
status and ``Retry-After`` header of a rate-limited answer, which web3 turns into exceptions
without them. :func:`rpc_for` picks plain httpx for an HTTP endpoint and falls back to the web3
provider's ``make_request`` for anything else (e.g. Ape's EthTester chain).
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx

from ..errors import ChainError

__all__ = [
    "HttpRpc",
    "JsonRpc",
    "ProviderRpc",
    "RateLimited",
    "RetryingRpc",
    "RpcError",
    "RpcUnreachable",
    "call_batch",
    "rpc_for",
    "tolerate_rate_limits",
]

#: Longest wait honoured from a ``Retry-After`` header: a provider asking for more is treated as
#: refusing, and the user is told to come back later.
MAX_RETRY_AFTER = 60.0


class RpcError(ChainError):
    """The node answered with a JSON-RPC error (code and message as the provider wrote them)."""

    def __init__(self, code: int | None, message: str, data: Any = None) -> None:
        super().__init__(f"The RPC node answered error {code}: {message}")
        self.code = code
        self.message = message
        self.data = data


class RateLimited(ChainError):
    """The node answered HTTP 429 (or a JSON-RPC rate-limit error); ``retry_after`` in seconds."""

    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


class RpcUnreachable(ChainError):
    """No answer: connection refused or reset, timeout, or an answer that is not JSON-RPC."""


class JsonRpc(Protocol):
    """What the index needs from a node: one method call, its ``result`` or an exception.
    Transports that can also send a JSON-RPC batch have ``batch`` (see :func:`call_batch`)."""

    def call(self, method: str, params: list[Any]) -> Any: ...


#: One answer of a batch: the result, or the error the node gave for that request.
Answer = Any


def _one_by_one(rpc: JsonRpc, calls: list[tuple[str, list[Any]]]) -> list[Answer]:
    answers: list[Answer] = []
    for method, params in calls:
        try:
            answers.append(rpc.call(method, params))
        except RpcError as err:
            answers.append(err)
    return answers


def call_batch(rpc: JsonRpc, calls: list[tuple[str, list[Any]]]) -> list[Answer]:
    """``calls`` in ONE round trip where the transport batches (one at a time otherwise): each
    answer is its result or the :class:`RpcError` the node gave for that request alone."""
    batch = getattr(rpc, "batch", None)
    return list(batch(calls)) if batch is not None else _one_by_one(rpc, calls)


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds (it may be a number of seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _rate_limit_text(message: str) -> bool:
    text = message.lower()
    return any(
        marker in text
        for marker in ("rate limit", "too many requests", "request rate", "exceeded the rate")
    )


def _result(response: Any) -> Any:
    if not isinstance(response, dict):
        raise RpcUnreachable(f"The RPC node sent something that is not JSON-RPC: {response!r:.200}")
    if response.get("error") is not None:
        error = response["error"]
        code = error.get("code") if isinstance(error, dict) else None
        message = str(error.get("message", error) if isinstance(error, dict) else error)
        if code == 429 or _rate_limit_text(message):
            raise RateLimited(f"error {code}: {message}")
        raise RpcError(code, message, error.get("data") if isinstance(error, dict) else None)
    if "result" not in response:
        raise RpcUnreachable(f"The RPC node's answer has no result: {response!r:.200}")
    return response["result"]


class HttpRpc:
    """JSON-RPC over HTTP with httpx (one request per call)."""

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        self.url = url
        self._client = httpx.Client(timeout=timeout)
        self._ids = itertools.count(1)

    def _post(self, body: Any, what: str) -> Any:
        """The decoded JSON answer to ``body``; transport failures, HTTP 429 and answers that
        are not JSON become the errors the retry logic knows."""
        try:
            answer = self._client.post(self.url, json=body)
        except httpx.TimeoutException as err:
            raise RpcUnreachable(f"The RPC node did not answer {what} in time ({err}).") from None
        except httpx.TransportError as err:
            raise RpcUnreachable(f"Cannot reach the RPC node ({type(err).__name__}).") from None
        if answer.status_code == 429:
            raise RateLimited(
                f"HTTP 429 {answer.reason_phrase}", _retry_after(answer.headers.get("Retry-After"))
            )
        try:
            return answer.json()
        except ValueError:
            raise RpcUnreachable(
                f"The RPC node answered HTTP {answer.status_code} without JSON-RPC."
            ) from None

    def call(self, method: str, params: list[Any]) -> Any:
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        # Providers answer refused queries with HTTP 200 or 4xx alike: the JSON-RPC error decides.
        return _result(self._post(body, method))

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Answer]:
        """One HTTP request with every call (a JSON-RPC batch); answers in call order."""
        first = next(self._ids)
        body = [
            {"jsonrpc": "2.0", "id": first + n, "method": method, "params": params}
            for n, (method, params) in enumerate(calls)
        ]
        for _ in calls[1:]:
            next(self._ids)
        payload = self._post(body, "a batch")
        if not isinstance(payload, list):  # the node refused the batch as a whole
            _result(payload)
            raise RpcUnreachable("The RPC node answered a batch with a single answer.")
        by_id = {item.get("id"): item for item in payload if isinstance(item, dict)}
        answers: list[Answer] = []
        for n in range(len(calls)):
            try:
                answers.append(_result(by_id.get(first + n)))
            except RpcError as err:
                answers.append(err)
        return answers

    def close(self) -> None:
        self._client.close()


class ProviderRpc:
    """JSON-RPC through a web3 provider's ``make_request`` (for providers that are not HTTP)."""

    def __init__(self, w3: Any) -> None:
        self.w3 = w3

    def call(self, method: str, params: list[Any]) -> Any:
        if any(c.__name__ == "EthereumTesterProvider" for c in type(self.w3.provider).__mro__):
            return self._in_process(method, params)
        try:
            response = self.w3.provider.make_request(method, params)
        except Exception as err:  # noqa: BLE001 - requests/websocket errors alike mean no answer
            status = getattr(getattr(err, "response", None), "status_code", None)
            if status == 429:
                headers = err.response.headers  # type: ignore[attr-defined]
                raise RateLimited("HTTP 429", _retry_after(headers.get("Retry-After"))) from None
            raise RpcUnreachable(f"Cannot reach the RPC node ({type(err).__name__}).") from None
        return _wire(_result(response))

    def _in_process(self, method: str, params: list[Any]) -> Any:
        """eth-tester (tests, the library's in-process chain) takes its parameters through
        web3's request formatters, and answers errors as exceptions."""
        from web3.exceptions import Web3RPCError

        try:
            return _wire(self.w3.manager.request_blocking(method, params))
        except Web3RPCError as err:
            error = err.rpc_response.get("error", {}) if err.rpc_response else {}
            code = error.get("code") if isinstance(error, dict) else None
            raise RpcError(code, str(err.message or err)) from None


def _wire(value: Any) -> Any:
    """A provider's answer in JSON-RPC wire form: quantities and byte strings as 0x-hex (an
    in-process provider such as eth-tester answers with Python ints and bytes)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return hex(value)
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, Mapping):
        return {key: _wire(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_wire(item) for item in value]
    return value


def rpc_for(w3: Any, *, timeout: float = 30.0) -> JsonRpc:
    """httpx for an HTTP provider (so 429 and Retry-After are seen), its provider otherwise."""
    url = getattr(w3.provider, "endpoint_uri", None)
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        return HttpRpc(url, timeout=timeout)
    return ProviderRpc(w3)


@dataclass
class RetryingRpc:
    """Retries HTTP 429 and unanswered requests with exponential backoff, honouring
    ``Retry-After``; after ``attempts`` tries, one :class:`~microcred.errors.ChainError` saying
    what the provider kept answering. ``sleep`` is injectable so tests see the waits asked for."""

    inner: JsonRpc
    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    sleep: Callable[[float], None] = time.sleep

    def call(self, method: str, params: list[Any]) -> Any:
        last: ChainError | None = None
        for attempt in range(self.attempts):
            try:
                return self._send(method, params)
            except RateLimited as err:
                last = err
                if err.retry_after is not None and err.retry_after > MAX_RETRY_AFTER:
                    break
                wait = err.retry_after
            except RpcUnreachable as err:
                last = err
                wait = None
            if attempt + 1 < self.attempts:
                if wait is None:
                    # Jitter keeps several app servers from retrying in step.
                    wait = min(self.max_delay, self.base_delay * 2**attempt) * random.uniform(
                        1, 1.25
                    )
                self.sleep(wait)
        if isinstance(last, RpcUnreachable):
            raise ChainError(
                f"Lost the RPC node while reading the chain ({method}): {last} (after "
                f"{self.attempts} tries): check that the node is running and that the RPC URL "
                "is right."
            )
        detail = last.detail if isinstance(last, RateLimited) else str(last)
        raise ChainError(
            f"The RPC node kept refusing {method} ({detail}) after {self.attempts} tries: "
            "wait and run the sync again, or use an RPC provider with a higher rate limit."
        )

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Answer]:
        """:func:`call_batch` through the inner transport, the whole batch retried as one."""
        methods = ",".join(dict.fromkeys(method for method, _ in calls))
        return self.call(f"batch:{methods}", [calls])  # type: ignore[no-any-return]

    def _send(self, method: str, params: list[Any]) -> Any:
        if method.startswith("batch:"):
            return call_batch(self.inner, params[0])
        return self.inner.call(method, params)


def tolerate_rate_limits(w3: Any, *, attempts: int = 6, max_wait: float = MAX_RETRY_AFTER) -> Any:
    """``w3`` with its HTTP provider's JSON-RPC batches retried on HTTP 429 (honouring
    ``Retry-After``) and on connection errors: web3 retries single requests itself, never a
    batch, and the chain reads of a lookup are one batch. Returns ``w3``."""
    provider = w3.provider
    send = getattr(provider, "make_batch_request", None)
    if send is None or getattr(send, "_microcred_retrying", False):
        return w3

    def retrying(requests: Any) -> Any:
        for attempt in range(attempts):
            try:
                return send(requests)
            except Exception as err:  # noqa: BLE001 - requests' errors, whichever library
                response = getattr(err, "response", None)
                status = getattr(response, "status_code", None)
                unreachable = type(err).__name__ in ("ConnectionError", "Timeout", "ReadTimeout")
                if (status != 429 and not unreachable) or attempt + 1 == attempts:
                    raise
                headers = getattr(response, "headers", None) or {}
                wait = _retry_after(headers.get("Retry-After")) if status == 429 else None
                if wait is None:
                    wait = min(max_wait, 0.25 * 2**attempt)
                time.sleep(min(wait, max_wait))
        raise AssertionError("unreachable")  # pragma: no cover

    retrying._microcred_retrying = True  # type: ignore[attr-defined]
    provider.make_batch_request = retrying
    return w3
