"""A bare page that drives the wallet bridge end to end (a test fixture, not a product page).

Connect; switch to the local chain; have the wallet send a registry ``registerIssuer`` call that
Python encodes; read the transaction and receipt back from the chain and check them before
saying it worked. ``probe_handled`` counts the replies acted on, so a test can see that a reply
is acted on once, however many reruns follow.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import streamlit as st
from eth_account import Account
from web3 import Web3

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT / "frontend") not in sys.path:
    sys.path.insert(0, str(ROOT / "frontend"))

from components.wallet import WalletReply, WalletRequest, wallet_bridge  # noqa: E402

from microcred.deployment import Deployment  # noqa: E402


@st.cache_resource
def _chain() -> tuple[Web3, Deployment, Any]:
    w3 = Web3(Web3.HTTPProvider(os.environ["MICROCRED_RPC_URL"]))
    deployment = Deployment.load(Path(os.environ["MICROCRED_DEPLOYMENT"]))
    abi = json.loads((ROOT / "src/microcred/abi/IssuerRegistry.json").read_text())
    address = Web3.to_checksum_address(deployment.registry.address)
    return w3, deployment, w3.eth.contract(address=address, abi=abi)


def _ask(request: WalletRequest) -> None:
    st.session_state["probe_request"] = request


def _register_issuer(account: str) -> None:
    w3, deployment, registry = _chain()
    signer = Account.create().address
    data = registry.encode_abi(
        "registerIssuer", args=["Probe University", "ipfs://probe", [signer]]
    )
    tx = {"from": account, "to": registry.address, "data": data, "value": 0}
    _ask(WalletRequest.send_transaction(tx, chain_id=deployment.chain_id))


def _confirm(request: WalletRequest, reply: WalletReply) -> tuple[str, str]:
    """Trust the chain, not the wallet: the transaction must be the one Python built."""
    w3, _, _ = _chain()
    wanted = request.params["tx"]
    tx_hash = str(reply.result)
    tx = w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
    if (
        tx["from"].lower() != str(wanted["from"]).lower()
        or str(tx["to"]).lower() != str(wanted["to"]).lower()
        or tx["input"].to_0x_hex().lower() != str(wanted["data"]).lower()
    ):
        return "error", f"Transaction {tx_hash} is not the one this page asked for."
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)  # type: ignore[arg-type]
    if receipt["status"] != 1:
        return "error", f"Transaction {tx_hash} reverted."
    return "success", f"Transaction confirmed in block {receipt['blockNumber']}: {tx_hash}"


st.title("Wallet probe")
st.session_state.setdefault("probe_request", None)
st.session_state.setdefault("probe_handled", 0)
st.session_state.setdefault("probe_outcome", None)
st.session_state["probe_runs"] = st.session_state.get("probe_runs", 0) + 1

pending: WalletRequest | None = st.session_state["probe_request"]
wallet = wallet_bridge(key="wallet", request=pending)

if (reply := wallet.reply_to(pending)) is not None and pending is not None:
    st.session_state["probe_request"] = None  # forget it first: this reply is acted on once
    st.session_state["probe_handled"] += 1
    if not reply.ok:
        outcome = ("error", reply.message)
    elif pending.method == "send_transaction":
        outcome = _confirm(pending, reply)
    elif pending.method == "connect":
        outcome = ("success", f"Connected {reply.result}")
    else:
        outcome = ("success", f"Switched to chain {int(str(reply.result), 16)}")
    st.session_state["probe_outcome"] = outcome

st.markdown(f"**Wallet:** {wallet.wallet or 'none found'}")
st.markdown(f"**Wallets announced:** {', '.join(w.name for w in wallet.wallets) or 'none'}")
st.markdown(f"**Account:** {wallet.account or 'not connected'}")
st.markdown(f"**Chain:** {wallet.chain_id if wallet.chain_id is not None else 'unknown'}")
st.markdown(f"**Replies handled:** {st.session_state['probe_handled']}")
waiting: WalletRequest | None = st.session_state["probe_request"]
st.markdown(f"**Waiting for the wallet:** {f'yes ({waiting.method})' if waiting else 'no'}")
st.markdown(f"**Last reply:** {wallet.reply.id if wallet.reply else 'none'}")
st.markdown(f"**Script runs:** {st.session_state['probe_runs']}")

outcome = st.session_state["probe_outcome"]
if outcome:
    kind, text = outcome
    (st.success if kind == "success" else st.error)(text)

columns = st.columns(5)
for wallet_info in wallet.wallets:
    columns[0].button(
        f"Connect {wallet_info.name}",
        key=f"probe_connect_{wallet_info.rdns}",
        on_click=lambda rdns=wallet_info.rdns: _ask(WalletRequest.connect(wallet=rdns)),
    )
if not wallet.wallets:
    columns[0].button(
        "Connect wallet", key="probe_connect", on_click=lambda: _ask(WalletRequest.connect())
    )
columns[1].button(
    "Switch to local chain",
    key="probe_switch",
    on_click=lambda: _ask(WalletRequest.switch_to_local_chain(os.environ["MICROCRED_RPC_URL"])),
)
columns[2].button(
    "Register an issuer",
    key="probe_send",
    disabled=not wallet.connected,
    on_click=lambda: _register_issuer(str(wallet.account)),
)
columns[3].button("Rerun", key="probe_rerun")
