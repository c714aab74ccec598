"""How long the things the correctness tests only check for take: figures, never asserts.

    make bench            (or: python bench/timings.py)

1. Parsing a 10,000-row CSV (`read_csv_text`; goal < 10 s), best and median of 5.
2. The fault runs whose time is part of the promise, as tests/security/test_faults.py runs them on
   anvil: a hanging IPFS node (bounded by a 1 s store timeout: goal < 10 s) and a stuck
   transaction replaced by the resumed run (1 s receipt timeout: goal < 20 s). The tests check
   what happens; this prints how long each took (the test's own call, without anvil's start).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import pytest
from eth_account import Account
from rich.console import Console
from rich.table import Table

from microcred.issuance import read_csv_text

ROOT = Path(__file__).resolve().parents[1]
ROWS = 10_000
REPEATS = 5
FAULT_RUNS = {
    "tests/security/test_faults.py::test_ipfs_node_hanging_while_issuing_in_bulk_sends_nothing": (
        "hanging IPFS node: refused, nothing sent",
        10.0,
    ),
    "tests/security/test_faults.py::"
    "test_a_stuck_transaction_is_replaced_with_higher_fees_and_each_credential_issued_once": (
        "stuck transaction replaced by the resumed run",
        20.0,
    ),
}


def csv_parse_seconds() -> list[float]:
    wallets = [Account.create().address for _ in range(ROWS)]
    text = "address,expires,evidence\n" + "".join(
        f"{w},2030-06-30,https://example.org/e/{n}\n" for n, w in enumerate(wallets)
    )
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        rows = read_csv_text(text)
        times.append(time.perf_counter() - started)
        assert len(rows) == ROWS
    return times


class _Durations:
    """Records each test's outcome and the duration of its call phase."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.outcome: dict[str, str] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or report.outcome != "passed":
            self.outcome[report.nodeid] = report.outcome
        if report.when == "call":
            self.seconds[report.nodeid] = report.duration


def fault_run_seconds() -> _Durations:
    durations = _Durations()
    pytest.main(["-q", "-p", "no:randomly", *FAULT_RUNS], plugins=[durations])
    return durations


def main() -> int:
    console = Console()
    table = Table(title="Timings (figures only: the tests assert behaviour, never time)")
    table.add_column("what")
    table.add_column("seconds", justify="right")
    table.add_column("goal", justify="right")

    parse = csv_parse_seconds()
    table.add_row(
        f"parse a {ROWS:,}-row CSV (best / median of {REPEATS})",
        f"{min(parse):.2f} / {statistics.median(parse):.2f}",
        "< 10",
    )
    durations = fault_run_seconds()
    failed = False
    for nodeid, (label, goal) in FAULT_RUNS.items():
        outcome = durations.outcome.get(nodeid, "not run")
        if nodeid in durations.seconds and outcome == "passed":
            table.add_row(label, f"{durations.seconds[nodeid]:.1f}", f"< {goal:g}")
        else:
            table.add_row(label, outcome, f"< {goal:g}")
            failed = True
    console.print(table)
    return 1 if failed else 0


if __name__ == "__main__":
    os.chdir(ROOT)  # pytest finds pyproject.toml (its settings) and Ape its project here
    sys.exit(main())
