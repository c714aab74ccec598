"""`make demo` as a user lives with it: started twice, stopped by a closed terminal (SIGTERM),
killed outright, resumed. Runs tools/demo.py for real (anvil, deploy, seed, Streamlit) on free
ports and in a temporary state folder, so it never touches a demo the developer keeps."""

from __future__ import annotations

import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from _demo import Demo, port_free, wait_until

STAFF_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
REGISTRAR_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
LEARNER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"


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
    wait_until(lambda: port_free(demo.app_port) and port_free(demo.chain_port), "the ports to free")
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
    assert not port_free(demo.app_port)
    again = demo.run()
    assert again.returncode == 0 and "already running" in again.stdout
    # ...and `make demo-stop` frees both ports.
    stopped = demo.run("stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    wait_until(lambda: port_free(demo.app_port) and port_free(demo.chain_port), "the ports to free")


def test_a_named_port_that_is_taken_gets_a_sentence(demo: Demo) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", demo.app_port))
        taken.listen()
        done = demo.run()
    assert done.returncode != 0
    assert f"port {demo.app_port} (MICROCRED_PORT) is taken" in done.stderr
    assert port_free(demo.chain_port), "nothing was started"
