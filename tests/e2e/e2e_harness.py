"""Helpers for the end-to-end tests (fixtures are in conftest.py; see README.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TIMEOUT_MS = 10_000  # the longest a page may take to show what a test expects


@dataclass(frozen=True)
class FakeWallet:
    """One wallet the fake extension installs (see fake_wallet.js)."""

    account: str
    name: str = "Test Wallet"
    rdns: str = "org.microcred.testwallet"
    connected: bool = False  # already authorised for this site (eth_accounts answers)
    knows_chain: bool = True  # False: wallet_switchEthereumChain answers 4902 until added


def wait_for_rerun(page: Any) -> None:
    """Wait until Streamlit has finished running the script (the status widget is gone)."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT_MS
    )
