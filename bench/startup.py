"""How long people wait before anything happens: `microcred --help`, and the web app's first page
after `streamlit run` (goals: under 0.5 s and under 3 s). Prints figures; asserts nothing.

    .venv/bin/python bench/startup.py
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
CHROMIUM = Path("/usr/bin/chromium")


def help_seconds(runs: int = 5) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([str(BIN / "microcred"), "--help"], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1):
            return True
    except (urllib.error.URLError, OSError):
        return False


def first_page_seconds() -> tuple[float, float, float]:
    """(server healthy, first page drawn, the page alone), in seconds after `streamlit run`."""
    from playwright.sync_api import sync_playwright

    port = _free_port()
    start = time.perf_counter()
    server = subprocess.Popen(
        [str(BIN / "streamlit"), "run", "frontend/app.py", "--server.headless", "true"]
        + ["--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"},
    )
    try:
        deadline = start + 60
        while not _healthy(port):
            if time.perf_counter() > deadline or server.poll() is not None:
                raise RuntimeError("the app did not start within 60 s")
            time.sleep(0.05)
        healthy = time.perf_counter() - start
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=str(CHROMIUM), args=["--headless=new", "--no-sandbox"]
            )
            page = browser.new_page()
            asked = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/")
            page.get_by_text("Verify credentials").first.wait_for(timeout=30_000)
            page.wait_for_function(
                "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
            )
            drawn = time.perf_counter()
            browser.close()
        return healthy, drawn - start, drawn - asked
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    times = help_seconds()
    print(
        f"microcred --help: median {statistics.median(times):.2f} s over {len(times)} runs "
        f"(min {min(times):.2f}, max {max(times):.2f}); goal < 0.5 s"
    )
    if not CHROMIUM.exists():
        print("first page: skipped (no /usr/bin/chromium; apt-get install chromium)")
        return
    for run in range(3):
        healthy, drawn, alone = first_page_seconds()
        print(
            f"first page, run {run + 1}: server healthy {healthy:.2f} s, page drawn {drawn:.2f} s "
            f"after `streamlit run` ({alone:.2f} s after the browser asked); goal < 3 s"
        )


if __name__ == "__main__":
    main()
