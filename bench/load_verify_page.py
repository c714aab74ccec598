"""Load: 20 concurrent visitors of the Verify page, from a second process, on 127.0.0.1 only.

    python bench/load_verify_page.py [VISITORS] [ROUNDS]   (a benchmark, not a test)

A fresh anvil (own port) seeded with one issuer and 5 credentials in one wallet; the Streamlit app
(`streamlit run frontend/app.py --server.headless true`, own port) configured through
MICROCRED_RPC_URL / MICROCRED_DEPLOYMENT / MICROCRED_STORE; then VISITORS headless Chromium pages
(Playwright driving Debian's /usr/bin/chromium, one browser, one context per visitor) each open
/verify?address=<wallet> at the same moment and wait until the verdict ("5 credentials: ...") is
on screen. A Streamlit page is a websocket app: this measures what a visitor waits for (page load,
websocket session, the script run with the chain reads and document checks, the render), not
only an HTTP answer. ROUNDS waves, bounded in time (TIMEOUT_S per visit, DEADLINE_S in all).

Printed: every visit answered or not, p50/p95/max latency, and the server's peak RSS (VmHWM of
the Streamlit process, read from /proc before it is stopped).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from eth_account import Account
from load_issue import free_port, setup_chain, start_anvil, stop
from playwright.async_api import async_playwright

from microcred.issuance import Recipient, issue_bulk

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("MICROCRED_E2E_CHROMIUM", "/usr/bin/chromium"))
STREAMLIT = Path(sys.executable).parent / "streamlit"
CREDENTIALS = 5
TIMEOUT_S = 60
DEADLINE_S = 300
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _wait_http(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"streamlit did not start: {log.read_text()[-3000:]}")
        time.sleep(0.2)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _visit(browser, url: str, expected: str) -> float | None:
    context = await browser.new_context()
    try:
        page = await context.new_page()
        started = time.perf_counter()
        await page.goto(url, timeout=TIMEOUT_S * 1000)
        await page.get_by_text(expected).first.wait_for(timeout=TIMEOUT_S * 1000)
        return time.perf_counter() - started
    except Exception as err:  # noqa: BLE001 - a failed visit is a figure, not a crash
        print(f"visit failed: {type(err).__name__}: {str(err)[:200]}")
        return None
    finally:
        await context.close()


async def _load(url: str, expected: str, visitors: int, rounds: int) -> tuple[float, list]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            warm = await _visit(browser, url, expected)  # first script run: imports, caches
            results: list[float | None] = []
            deadline = time.monotonic() + DEADLINE_S
            for _ in range(rounds):
                if time.monotonic() > deadline:
                    break
                results += await asyncio.gather(
                    *(_visit(browser, url, expected) for _ in range(visitors))
                )
            return warm or float("nan"), results
        finally:
            await browser.close()


def main(visitors: int = 20, rounds: int = 2) -> None:
    if not CHROMIUM.exists():
        raise SystemExit(f"no browser at {CHROMIUM} (Debian: apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="microcred-verify-load-") as tmp:
        workdir = Path(tmp)
        anvil = start_anvil(free_port(), workdir / "anvil.log")
        server = None
        try:
            rpc_url = f"http://127.0.0.1:{anvil.args[2]}"
            chain, deployment_path, store, staff, template_id = setup_chain(rpc_url, workdir)
            wallet = Account.create().address
            issue_bulk(
                chain,
                store,
                staff,
                template_id=template_id,
                recipients=[
                    Recipient(address=wallet, evidence=(f"https://example.org/e/{n}",))
                    for n in range(CREDENTIALS)
                ],
                journal_dir=workdir / "journal",
            )
            port = free_port()
            log = workdir / "streamlit.log"
            env = {
                **os.environ,
                "MICROCRED_RPC_URL": rpc_url,
                "MICROCRED_DEPLOYMENT": str(deployment_path),
                "MICROCRED_STORE": f"local:{store.directory}",
                "MICROCRED_PUBLIC_URL": f"http://127.0.0.1:{port}",
            }
            with log.open("wb") as out:
                server = subprocess.Popen(
                    [str(STREAMLIT), "run", "frontend/app.py", "--server.headless", "true",
                     "--server.address", "127.0.0.1", "--server.port", str(port),
                     "--browser.gatherUsageStats", "false"],
                    cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                )  # fmt: skip
            base = f"http://127.0.0.1:{port}"
            _wait_http(f"{base}/_stcore/health", server, log)
            url = f"{base}/verify?address={wallet}"
            cpu_before, wall_before = _cpu_seconds(server.pid), time.perf_counter()
            warm, results = asyncio.run(_load(url, f"{CREDENTIALS} credentials", visitors, rounds))
            server_cpu = _cpu_seconds(server.pid) - cpu_before
            wall = time.perf_counter() - wall_before
            peak = _peak_rss_mb(server.pid)
        finally:
            if server is not None:
                stop(server)
            stop(anvil)
    ok = sorted(r for r in results if r is not None)
    print(f"visitors             {visitors} concurrent x {rounds} round(s) = {len(results)} visits")
    print(f"answered             {len(ok)}/{len(results)}")
    print(f"first visit (warm-up) {warm:.2f} s")
    if ok:
        p95 = ok[min(len(ok) - 1, round(0.95 * (len(ok) - 1)))]
        print(f"latency p50          {statistics.median(ok):.2f} s (goto to verdict on screen)")
        print(f"latency p95          {p95:.2f} s")
        print(f"latency max          {ok[-1]:.2f} s")
    print(f"server peak RSS      {peak:.0f} MB (Streamlit process VmHWM)")
    print(
        f"server CPU           {server_cpu:.1f} s over {wall:.1f} s of load "
        f"({os.cpu_count()} CPUs shared with the browser and anvil)"
    )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*args)
