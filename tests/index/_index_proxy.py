"""A provider proxy: forwards JSON-RPC to anvil and answers as hosted providers do.

Modes (scaled-down limits, the providers' exact texts): a block-range cap per provider, a result
cap with a suggested range (Infura's -32005), HTTP 429 with ``Retry-After`` every Nth request, and
a provider that refuses every log query. Only 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

#: provider -> (JSON-RPC code, text for a range over ``cap``; {cap} and {span} filled in)
RANGE_REFUSALS: dict[str, tuple[int, str]] = {
    "infura": (-32602, "range {span} exceeds limit of {cap}"),
    "alchemy": (-32600, "You can make eth_getLogs requests with up to a {cap} block range"),
    "quicknode": (-32614, "eth_getLogs is limited to a {cap} range"),
    "chainstack": (-32000, "Block range limit exceeded."),
    "ankr": (-32600, "maximum [from, to] blocks distance: {cap}"),
    "ankr-wide": (-32600, "block range is too wide"),
    "base": (-32000, "block range too large"),
    "base-capital": (-32000, "Block range is too large"),
    "base-response": (-32000, "backend response too large"),
    "publicnode": (-32000, "exceed maximum block range: {cap}"),
    "reth": (-32602, "query exceeds max block range {cap}"),
}


@dataclass
class ProxyConfig:
    provider: str | None = None  # a key of RANGE_REFUSALS: cap the range of eth_getLogs
    range_cap: int = 100
    result_cap: int | None = None  # Infura's "query returned more than N results"
    every_nth_429: int | None = None
    retry_after: str = "0"
    refuse_all_logs: bool = False
    requests: list[str] = field(default_factory=list)  # one per HTTP request ("batch" for a list)
    batched: list[list[str]] = field(default_factory=list)  # the methods of each batch
    log_queries: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0


class Proxy:
    def __init__(self, upstream: str, config: ProxyConfig) -> None:
        self.upstream = upstream
        self.config = config
        self.client = httpx.Client(timeout=30)
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status, headers, answer = proxy.answer(body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.client.close()

    def _forward(self, body: Any) -> Any:
        return self.client.post(self.upstream, json=body).json()

    def _error(self, body: dict[str, Any], code: int, message: str) -> dict[str, Any]:
        self.config.refused += 1
        return {"jsonrpc": "2.0", "id": body.get("id"), "error": {"code": code, "message": message}}

    def _block(self, tag: str) -> int:
        if tag in ("latest", "pending", "safe", "finalized"):
            return int(
                self._forward(
                    {"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber", "params": []}
                )["result"],
                16,
            )
        return 0 if tag == "earliest" else int(tag, 16)

    def answer(self, body: Any) -> tuple[int, dict[str, str], Any]:
        """One HTTP request: a 429 for the whole of it every Nth request; else each JSON-RPC
        call of it (a batch is a list) answered as the provider would."""
        config = self.config
        with self._lock:
            config.requests.append(
                body.get("method", "batch") if isinstance(body, dict) else "batch"
            )
            count = len(config.requests)
        if config.every_nth_429 and count % config.every_nth_429 == 0:
            return 429, {"Retry-After": config.retry_after}, {"error": "Too Many Requests"}
        if isinstance(body, list):
            with self._lock:
                config.batched.append([item.get("method") for item in body])
            return 200, {}, [self._one(item) for item in body]
        return 200, {}, self._one(body)

    def _one(self, body: dict[str, Any]) -> Any:
        config = self.config
        if body.get("method") != "eth_getLogs":
            return self._forward(body)
        with self._lock:
            config.log_queries.append(body["params"][0])
        if config.refuse_all_logs:
            return self._error(body, -32000, "Block range limit exceeded.")
        query = body["params"][0]
        first = self._block(query.get("fromBlock", "earliest"))
        last = self._block(query.get("toBlock", "latest"))
        span = last - first + 1
        if config.provider and span > config.range_cap:
            code, text = RANGE_REFUSALS[config.provider]
            return self._error(body, code, text.format(cap=config.range_cap, span=span))
        answer = self._forward(body)
        logs = answer.get("result") or []
        if config.result_cap is not None and len(logs) > config.result_cap:
            # Infura suggests a range that holds at most the cap: up to the block before the
            # first log past it.
            cut = int(logs[config.result_cap]["blockNumber"], 16) - 1
            suggestion = f"[{hex(first)}, {hex(max(first, cut))}]"
            return self._error(
                body,
                -32005,
                f"query returned more than {config.result_cap} results. "
                f"Try with this block range {suggestion}.",
            )
        return answer
