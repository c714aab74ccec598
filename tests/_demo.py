"""Drive `make demo` (tools/demo.py) for real on free ports and in a temporary state folder, so a
test never touches the demo a developer keeps. Shared by tests/tools/."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "tools" / "demo.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 240.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


class Demo:
    def __init__(self, tmp_path: Path) -> None:
        self.app_port = free_port()
        self.chain_port = free_port()
        self.dir = tmp_path / "state"
        self.env = {
            **os.environ,
            "MICROCRED_PORT": str(self.app_port),
            "MICROCRED_CHAIN_PORT": str(self.chain_port),
            "MICROCRED_DEMO_DIR": str(self.dir),
            "MICROCRED_DEPLOYMENT": str(tmp_path / "deployment.json"),
        }
        self.logs = tmp_path
        self.runs = 0
        self.launched: list[subprocess.Popen[bytes]] = []

    def start(self) -> tuple[subprocess.Popen[bytes], Path]:
        self.runs += 1
        log = self.logs / f"demo-{self.runs}.log"
        process = subprocess.Popen(
            [sys.executable, str(DEMO)],
            env=self.env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        self.launched.append(process)
        return process, log

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(DEMO), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )

    def serving(self, log: Path) -> None:
        wait_until(lambda: "serving the app" in log.read_text(), f"the demo to serve ({log})")
        wait_until(lambda: healthy(self.app_port), "the app's health check")
