"""Fixtures for the library tests: a real IPFS node (js-ipfs) for the storage tests.

The node lives in tests/ipfs/ (its own package.json and lock), installed with ``npm ci`` on first
use so that ``make demo`` never pays for it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

IPFS_DIR = Path(__file__).resolve().parents[1] / "ipfs"
JSIPFS = IPFS_DIR / "node_modules" / ".bin" / "jsipfs"
STAMP = IPFS_DIR / "node_modules" / ".microcred-lock-sha256"
READY_TIMEOUT = 60.0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "ipfs: needs the js-ipfs test node (tests/ipfs/, installed on first use)"
    )


@dataclass(frozen=True)
class IpfsNode:
    api_url: str
    gateway_url: str
    version: str


def _install_node() -> None:
    lock = hashlib.sha256((IPFS_DIR / "package-lock.json").read_bytes()).hexdigest()
    if JSIPFS.exists() and STAMP.exists() and STAMP.read_text() == lock:
        return
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=IPFS_DIR,
        check=True,
        timeout=600,
    )
    STAMP.write_text(lock)


def _jsipfs(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(JSIPFS), *args], env=env, check=True, timeout=120, capture_output=True)


@pytest.fixture(scope="session")
def ipfs_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IpfsNode]:
    """A js-ipfs 0.66.1 daemon on 127.0.0.1 (random ports), with no routing and no peers."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js 20 and npm are needed for the IPFS node tests")
    _install_node()
    repo = tmp_path_factory.mktemp("jsipfs-repo")
    env = {**os.environ, "IPFS_PATH": str(repo)}
    # --profile=test: loopback addresses on port 0, no bootstrap peers, no MDNS.
    _jsipfs(env, "init", "--profile=test")
    # Edited in place: each `jsipfs config` call costs a Node start (~3 s).
    config_path = repo / "config"
    config = json.loads(config_path.read_text())
    config["Routing"] = {"Type": "none"}
    config["Addresses"]["RPC"] = ""  # no gRPC endpoint: it wants a fixed port
    config_path.write_text(json.dumps(config, indent=2))
    log_path = repo / "daemon.log"
    # Not --offline: js-ipfs 0.66 hangs with it.
    with log_path.open("wb") as log:
        daemon = subprocess.Popen(
            [str(JSIPFS), "daemon"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        text = ""
        while "Daemon is ready" not in text:
            if daemon.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"jsipfs daemon did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
            text = log_path.read_text(errors="replace")
        api = re.search(r"HTTP API listening on /ip4/([\d.]+)/tcp/(\d+)", text)
        gateway = re.search(r"Gateway \(read only\) listening on /ip4/([\d.]+)/tcp/(\d+)", text)
        version = re.search(r"js-ipfs version: (\S+)", text)
        assert api and gateway, text
        yield IpfsNode(
            api_url=f"http://{api[1]}:{api[2]}",
            gateway_url=f"http://{gateway[1]}:{gateway[2]}",
            version=version[1] if version else "?",
        )
    finally:
        daemon.terminate()
        try:
            daemon.wait(timeout=10)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()


@pytest.fixture
def serve() -> Iterator[Callable[[type[BaseHTTPRequestHandler]], str]]:
    """Start a handler class on a real HTTP server on 127.0.0.1; returns its base URL.

    For services that cannot run here (a pinning service, a lying gateway, a hanging node).
    """
    servers: list[ThreadingHTTPServer] = []

    def start(handler: type[BaseHTTPRequestHandler]) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def closed_port_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens (a node that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
