"""Helpers for the end-to-end tests (fixtures are in conftest.py; see README.md)."""

from __future__ import annotations

import re
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
    # Whose key answers personal_sign (None: the account's own, through anvil). Another anvil
    # account: a signature by another key; an address anvil has no key for: the request fails.
    signs_as: str | None = None


def wait_for_wallet(page: Any) -> None:
    """Wait until Python has seen the wallet bridge's report (a page with a wallet no longer says
    there is none) and the run it caused has finished: a click before that can be lost to the
    rerun the report starts."""
    from playwright.sync_api import expect

    page.wait_for_function(
        "() => Boolean(window.__microcredWalletBridge && window.__microcredWalletBridge.ready)",
        timeout=TIMEOUT_MS,
    )
    expect(page.get_by_text("No browser wallet found")).to_have_count(0, timeout=TIMEOUT_MS)
    wait_for_rerun(page)


def sign_in(page: Any) -> None:
    """Sign in on a page that asks for it (Issue, Templates) and wait until it says so."""
    from playwright.sync_api import expect

    button = page.get_by_role("button", name="Sign in with your wallet")
    expect(button).to_be_visible(timeout=TIMEOUT_MS)
    wait_for_rerun(page)
    button.click()
    expect(page.get_by_text("Signed in as")).to_be_visible(timeout=TIMEOUT_MS)


def wait_for_rerun(page: Any) -> None:
    """Wait until Streamlit has finished running the script (the status widget is gone)."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT_MS
    )


def send_all(page: Any, label: str, done: str) -> int:
    """Send a prepared action: click ``label`` (its first transaction), then each "Sign
    transaction k of n" that follows (a signing key's one-time registration goes first), until
    the text ``done`` shows; returns how many transactions were signed."""
    from playwright.sync_api import expect

    page.get_by_role("button", name=label, exact=True).click()
    sent = 1
    finished = page.get_by_text(done)
    while True:
        following = page.get_by_role(
            "button", name=re.compile(rf"^Sign transaction {sent + 1} of \d+$")
        )
        expect(finished.or_(following).first).to_be_visible(timeout=TIMEOUT_MS)
        if finished.count():
            return sent
        wait_for_rerun(page)  # the run that drew the button is over: the click is not lost
        following.click()
        sent += 1
