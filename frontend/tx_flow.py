"""Sending a transaction that the library built: through the user's wallet, or (local chain only)
the clearly labelled demo signer. One flow for every page, so every page behaves the same way:

    result = transaction_flow("issue", prepared_txs, label="Issue 3 credentials")
    if result: st.success(...)

Each step survives reruns: the pending request lives in session state under the flow's key, a
wallet reply is acted on once, and success is only declared after the library has read the
transaction and receipt back from the chain and checked sender, target and calldata.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import services
import streamlit as st
from components.wallet import WalletRequest, WalletState, wallet_bridge
from ui import error, md

WALLET_KEY = "wallet"


@dataclass(frozen=True)
class Sender:
    """Who signs: the browser wallet's account, or the demo key on a local chain."""

    address: str
    demo: bool


def wallet_state() -> WalletState:
    """The wallet bridge with any pending request carried along. Call it once per page run and
    pass the state on (the component may be mounted only once per run)."""
    return wallet_bridge(key=WALLET_KEY, request=st.session_state.get("wallet_request"))


def choose_sender(page: str, wallet: WalletState) -> Sender | None:
    """Connect a wallet (or pick the demo signer) and return who will sign, or None for now."""
    pending: WalletRequest | None = st.session_state.get("wallet_request")
    # Transaction replies belong to transaction_flow; connect and switch replies are handled here.
    if (
        pending is not None
        and pending.method != "send_transaction"
        and (reply := wallet.reply_to(pending))
    ):
        st.session_state["wallet_request"] = None
        if not reply.ok:
            error(reply.message)
    demo_address = services.demo_signer_address()
    if demo_address is not None:
        use_demo = st.toggle(
            "Use the demo signer (local demo chain only: signs with a public anvil test key)",
            key=f"{page}_use_demo_signer",
            value=not wallet.connected,
        )
        if use_demo:
            st.caption(f"Signing as the demo signer {demo_address}.")
            return Sender(address=demo_address, demo=True)
    if not wallet.connected:
        if not wallet.available:
            st.info(
                "No browser wallet found. Install MetaMask (or another Ethereum wallet) to sign "
                "from this page.",
                icon=":material/wallet:",
            )
        if st.button("Connect wallet", key=f"{page}_connect", type="primary"):
            st.session_state["wallet_request"] = WalletRequest.connect()
            st.rerun()
        return None
    expected_chain = services.chain_id()
    if wallet.chain_id != expected_chain:
        st.warning(
            f"Your wallet is on chain {wallet.chain_id}; this app uses chain {expected_chain}.",
            icon=":material/swap_horiz:",
        )
        if st.button("Switch network", key=f"{page}_switch_chain"):
            st.session_state["wallet_request"] = WalletRequest.switch_chain(
                expected_chain, rpc_url=services.public_rpc_url(), chain_name="microcred"
            )
            st.rerun()
        return None
    st.caption(f"Connected: {wallet.wallet or 'wallet'} {wallet.account}")
    return Sender(address=str(wallet.account), demo=False)


def transaction_flow(
    flow: str, sender: Sender, wallet: WalletState, txs: Sequence[dict[str, Any]], *, label: str
) -> list[dict[str, Any]] | None:
    """Send ``txs`` one after another from ``sender``; returns the confirmed receipts when all
    are done, None while waiting (for the wallet, or for the user to start)."""
    state_key = f"{flow}_tx_state"
    state = st.session_state.get(state_key)
    if state is None or state["txs"] != list(txs):
        state = {"txs": list(txs), "done": [], "request": None}
        st.session_state[state_key] = state
    done: list[dict[str, Any]] = state["done"]
    total = len(state["txs"])
    if len(done) == total:
        return done
    progress = st.progress(len(done) / total, text=f"{label}: {len(done)} of {total} transactions")
    if sender.demo:
        if not st.button(label, key=f"{flow}_send", type="primary"):
            return None
        for index in range(len(done), total):
            try:
                done.append(services.send_with_demo_signer(state["txs"][index]))
            except services.UserFacingError as err:
                error(str(err))
                return None
            progress.progress((index + 1) / total, text=f"{label}: {index + 1} of {total}")
        return done
    request: WalletRequest | None = state["request"]
    if request is not None and (reply := wallet.reply_to(request)):
        state["request"] = None
        st.session_state["wallet_request"] = None
        if not reply.ok:
            error(reply.message)
            return None
        try:
            done.append(services.confirm_sent(str(reply.result), state["txs"][len(done)]))
        except services.UserFacingError as err:
            error(str(err))
            return None
        if len(done) == total:
            progress.progress(1.0, text=f"{label}: {total} of {total} transactions")
            return done
        request = None
    if request is None:
        next_label = label if not done else f"Sign transaction {len(done) + 1} of {total}"
        if st.button(next_label, key=f"{flow}_send_{len(done)}", type="primary"):
            tx = dict(state["txs"][len(done)]) | {"from": sender.address}
            state["request"] = WalletRequest.send_transaction(tx, chain_id=services.chain_id())
            st.session_state["wallet_request"] = state["request"]
            st.rerun()
    else:
        st.info(
            md("Waiting for your wallet: confirm the transaction there."),
            icon=":material/hourglass_top:",
        )
    return None


def reset_flow(flow: str) -> None:
    st.session_state.pop(f"{flow}_tx_state", None)
