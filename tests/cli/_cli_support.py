"""Helpers of the CLI tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import time
from typing import Any

from click.testing import Result


def last_line(result: Result) -> str:
    return result.stdout.strip().splitlines()[-1]


def chain_date(net: Any, days: int) -> str:
    """``YYYY-MM-DD`` ``days`` after the chain's current date."""
    return time.strftime("%Y-%m-%d", time.gmtime(net.now() + days * 86400))
