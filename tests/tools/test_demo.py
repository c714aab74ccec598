"""`make demo` as a user lives with it: started twice, stopped by a closed terminal (SIGTERM),
killed outright, resumed. Runs tools/demo.py for real (anvil, deploy, seed, Streamlit) on free
ports and in a temporary state folder, so it never touches a demo the developer keeps."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "tools" / "demo.py"
STAFF_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
REGISTRAR_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
LEARNER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait(condition: Callable[[], bool], what: str, timeout: float = 240.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


class Demo:
    def __init__(self, tmp_path: Path) -> None:
        self.app_port = _free_port()
        self.chain_port = _free_port()
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
        _wait(lambda: "serving the app" in log.read_text(), f"the demo to serve ({log})")
        _wait(lambda: _healthy(self.app_port), "the app's health check")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    d = Demo(tmp_path)
    yield d
    d.run("stop")
    for process in d.launched:
        if process.poll() is None:
            process.kill()


def test_a_demo_started_twice_stopped_killed_and_resumed(demo: Demo) -> None:
    first, log = demo.start()
    demo.serving(log)
    out = log.read_text()
    # Both demo keys, and links on the port it really serves on.
    assert STAFF_KEY in out and REGISTRAR_KEY in out
    assert f"http://localhost:{demo.app_port}/verify?address={LEARNER}" in out
    assert f"http://localhost:{demo.app_port}/verify?credential=0x" in out

    # A second `make demo` while one runs says so, and starts nothing.
    second = demo.run()
    assert second.returncode == 0, second.stderr
    assert "already running" in second.stdout
    assert f"http://localhost:{demo.app_port}" in second.stdout
    assert "make demo-stop" in second.stdout

    # A closed terminal (SIGTERM or SIGHUP) stops it as cleanly as Ctrl-C: both ports freed.
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=60) == 0
    assert "stopping (SIGTERM)" in log.read_text()
    _wait(lambda: _port_free(demo.app_port) and _port_free(demo.chain_port), "the ports to free")
    assert (demo.dir / "chain" / "state.json").exists()

    # Started again, it resumes (nothing deployed or seeded twice) and prints its links again.
    third, log = demo.start()
    demo.serving(log)
    out = log.read_text()
    assert "resuming the local chain" in out
    assert "contracts already deployed" in out and "demo data already there" in out
    assert f"http://localhost:{demo.app_port}/verify?address={LEARNER}" in out

    # Killed outright (SIGKILL): the app and chain outlive it; the next start finds them...
    third.kill()
    third.wait(timeout=30)
    assert not _port_free(demo.app_port)
    again = demo.run()
    assert again.returncode == 0 and "already running" in again.stdout
    # ...and `make demo-stop` frees both ports.
    stopped = demo.run("stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    _wait(lambda: _port_free(demo.app_port) and _port_free(demo.chain_port), "the ports to free")


def test_a_named_port_that_is_taken_gets_a_sentence(demo: Demo) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", demo.app_port))
        taken.listen()
        done = demo.run()
    assert done.returncode != 0
    assert f"port {demo.app_port} (MICROCRED_PORT) is taken" in done.stderr
    assert _port_free(demo.chain_port), "nothing was started"
