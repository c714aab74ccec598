"""The wallet bridge, end to end: a real browser, a scripted EIP-1193 wallet, anvil, Streamlit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from e2e_harness import TIMEOUT_MS, FakeWallet, wait_for_rerun
from playwright.sync_api import expect

OpenPage = Callable[..., Any]


def _field(page: Any, label: str) -> Any:
    return page.get_by_text(f"{label}:", exact=False).first


def _runs(page: Any) -> int:
    line = page.locator("p", has_text="Script runs:").inner_text()
    return int(line.rsplit(":", 1)[1])


def _rerun_once(page: Any) -> None:
    """Click Rerun and wait until exactly one more run has finished: no fixed pause, and a
    rerun that some other event started shows up as a count that is off by more than one."""
    wait_for_rerun(page)
    runs = _runs(page)
    page.get_by_role("button", name="Rerun").click()
    expect(page.locator("p", has_text="Script runs:")).to_have_text(f"Script runs: {runs + 1}")
    wait_for_rerun(page)
    assert _runs(page) == runs + 1


def _connect(page: Any, name: str = "Test Wallet") -> None:
    page.get_by_role("button", name=f"Connect {name}").click()
    expect(page.get_by_text("Connected 0x")).to_be_visible()


def test_connect_shows_the_account_and_chain(open_page: OpenPage, probe_url: str, anvil) -> None:
    page = open_page(probe_url)
    expect(page.get_by_text("Account: not connected")).to_be_visible()

    _connect(page)

    expect(page.get_by_text(f"Account: {anvil.accounts[0]}")).to_be_visible()
    expect(page.get_by_text("Chain: 31337")).to_be_visible()
    expect(page.get_by_text(f"Connected {anvil.accounts[0]}")).to_be_visible()


def test_authorised_wallet_is_seen_without_a_prompt(
    open_page: OpenPage, probe_url: str, anvil
) -> None:
    page = open_page(probe_url, wallets=[FakeWallet(account=anvil.accounts[0], connected=True)])

    expect(page.get_by_text(f"Account: {anvil.accounts[0]}")).to_be_visible()
    assert "eth_requestAccounts" not in page.evaluate("window.__testWallet.calls")


def test_sent_transaction_is_confirmed_from_the_chain(
    open_page: OpenPage, probe_url: str, deployed, tmp_path
) -> None:
    page = open_page(probe_url)
    _connect(page)
    issuers_before = deployed.registry.functions.issuerCount().call()

    page.get_by_role("button", name="Register an issuer").click()

    expect(page.get_by_text("Transaction confirmed in block")).to_be_visible()
    assert deployed.registry.functions.issuerCount().call() == issuers_before + 1
    page.screenshot(path=str(tmp_path / "wallet_probe.png"), full_page=True)
    page.screenshot(path="/tmp/microcred_wallet_probe.png", full_page=True)


def test_rejected_signature_sends_nothing(open_page: OpenPage, probe_url: str, deployed) -> None:
    page = open_page(probe_url)
    _connect(page)
    issuers_before = deployed.registry.functions.issuerCount().call()
    page.evaluate("window.__testWallet.reject = true")

    page.get_by_role("button", name="Register an issuer").click()

    expect(
        page.get_by_text("You declined the request in your wallet. Nothing was sent.")
    ).to_be_visible()
    assert page.evaluate("window.__testWallet.sent.length") == 0
    assert deployed.registry.functions.issuerCount().call() == issuers_before


def test_a_reverted_transaction_is_reported_from_the_receipt(
    open_page: OpenPage, probe_url: str, anvil, deployed
) -> None:
    stranger = anvil.accounts[3]  # not a registrar: registerIssuer reverts
    page = open_page(probe_url, wallets=[FakeWallet(account=stranger)])
    _connect(page)
    issuers_before = deployed.registry.functions.issuerCount().call()

    page.get_by_role("button", name="Register an issuer").click()

    # The wallet sent it anyway (as MetaMask lets a user do); the chain says it failed.
    expect(page.get_by_text("reverted.")).to_be_visible()
    assert page.evaluate("window.__testWallet.sent.length") == 1
    assert deployed.registry.functions.issuerCount().call() == issuers_before


def test_a_reply_is_acted_on_once_across_reruns(open_page: OpenPage, probe_url: str) -> None:
    page = open_page(probe_url)
    _connect(page)
    page.get_by_role("button", name="Register an issuer").click()
    expect(page.get_by_text("Transaction confirmed in block")).to_be_visible()
    expect(page.get_by_text("Replies handled: 2")).to_be_visible()

    for _ in range(3):
        _rerun_once(page)

    expect(page.get_by_text("Replies handled: 2")).to_be_visible()
    calls = page.evaluate("window.__testWallet.calls")
    assert calls.count("eth_sendTransaction") == 1
    assert calls.count("eth_requestAccounts") == 1


def test_an_idle_page_does_not_rerun(open_page: OpenPage, probe_url: str) -> None:
    page = open_page(probe_url)
    _connect(page)
    wait_for_rerun(page)
    # The Rerun button is the clock: a page that reran by itself (the bridge publishing a state
    # that differs from what Python knows, in a loop) would count more than one run per click.
    for _ in range(3):
        _rerun_once(page)


def test_wrong_network_is_refused_until_the_wallet_switches(
    open_page: OpenPage, probe_url: str, anvil
) -> None:
    page = open_page(probe_url, wallets=[FakeWallet(account=anvil.accounts[0], knows_chain=False)])
    _connect(page)
    page.evaluate("window.__testWallet.setChain('0x1')")  # the user picks mainnet in the wallet
    expect(page.get_by_text("Chain: 1", exact=True)).to_be_visible()

    page.get_by_role("button", name="Register an issuer").click()
    expect(page.get_by_text("Your wallet is on the wrong network")).to_be_visible()
    assert page.evaluate("window.__testWallet.sent.length") == 0

    page.get_by_role("button", name="Switch to local chain").click()
    expect(page.get_by_text("Switched to chain 31337")).to_be_visible()
    expect(page.get_by_text("Chain: 31337")).to_be_visible()
    added = page.evaluate("window.__testWallet.added")
    assert added[0]["chainId"] == "0x7a69"
    assert added[0]["rpcUrls"] == [anvil.rpc_url]

    page.get_by_role("button", name="Register an issuer").click()
    expect(page.get_by_text("Transaction confirmed in block")).to_be_visible()


def test_an_account_change_in_the_wallet_reaches_python(
    open_page: OpenPage, probe_url: str, anvil
) -> None:
    page = open_page(probe_url)
    _connect(page)

    page.evaluate(f"window.__testWallet.setAccount('{anvil.accounts[1]}')")

    expect(page.get_by_text(f"Account: {anvil.accounts[1]}")).to_be_visible()


def test_several_wallets_are_told_apart_by_eip6963(
    open_page: OpenPage, probe_url: str, anvil
) -> None:
    wallets = [
        FakeWallet(account=anvil.accounts[0]),
        FakeWallet(account=anvil.accounts[2], name="Other Wallet", rdns="org.example.other"),
    ]
    page = open_page(probe_url, wallets=wallets)
    expect(page.get_by_text("Wallets announced: Test Wallet, Other Wallet")).to_be_visible()

    _connect(page, "Other Wallet")

    expect(page.get_by_text(f"Account: {anvil.accounts[2]}")).to_be_visible()
    expect(page.get_by_text("Wallet: Other Wallet")).to_be_visible()
    assert "eth_requestAccounts" not in page.evaluate(
        "window.__testWallets['org.microcred.testwallet'].calls"
    )


def test_without_a_wallet_the_page_says_how_to_get_one(open_page: OpenPage, probe_url: str) -> None:
    page = open_page(probe_url, wallets=[])
    expect(page.get_by_text("Wallet: none found")).to_be_visible()

    wait_for_rerun(page)  # the bridge's report has been handled: a click now is not lost
    page.get_by_role("button", name="Connect wallet").click()

    expect(page.get_by_text("No wallet found in this browser. Install MetaMask")).to_be_visible(
        timeout=TIMEOUT_MS
    )
