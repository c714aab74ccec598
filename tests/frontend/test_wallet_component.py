"""The Python side of the wallet bridge, without a browser (the browser side: tests/e2e)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
if str(FRONTEND) not in sys.path:
    sys.path.insert(0, str(FRONTEND))

from components.wallet import (  # noqa: E402
    KEY_NOT_IN_PAGE,
    NO_WALLET,
    USER_REJECTED,
    WRONG_CHAIN,
    WalletInfo,
    WalletReply,
    WalletRequest,
    WalletState,
)

ACCOUNT = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"

PAGE = f"""
import sys
sys.path.insert(0, {str(FRONTEND)!r})
import streamlit as st
from components.wallet import wallet_bridge

pending = st.session_state.get("page_request")
wallet = wallet_bridge(key="wallet", request=pending)
st.session_state.setdefault("page_handled", 0)
if (reply := wallet.reply_to(pending)) is not None:
    st.session_state["page_request"] = None
    st.session_state["page_handled"] += 1
st.markdown(f"account={{wallet.account}} chain={{wallet.chain_id}} connected={{wallet.connected}}")
"""


def test_transaction_quantities_travel_as_hex() -> None:
    request = WalletRequest.send_transaction(
        {"from": ACCOUNT, "to": ACCOUNT, "data": b"\x12\x34", "value": 10**18, "gas": 21000},
        chain_id=31337,
    )
    assert request.method == "send_transaction"
    assert request.params == {
        "tx": {
            "from": ACCOUNT,
            "to": ACCOUNT,
            "data": "0x1234",
            "value": "0xde0b6b3a7640000",
            "gas": "0x5208",
        },
        "chain_id": 31337,
    }


def test_every_request_has_its_own_id() -> None:
    assert WalletRequest.connect().id != WalletRequest.connect().id


def test_switching_to_the_local_chain_offers_to_add_it() -> None:
    request = WalletRequest.switch_to_local_chain("http://127.0.0.1:9999")
    assert request.params["chain_id"] == 31337
    assert request.params["add"]["rpcUrls"] == ["http://127.0.0.1:9999"]


def test_a_reply_answers_only_its_own_request() -> None:
    asked = WalletRequest.connect()
    reply = WalletReply(id=asked.id, ok=True, result=ACCOUNT)
    state = WalletState(account=ACCOUNT, reply=reply)
    assert state.reply_to(asked) == reply
    assert state.reply_to(WalletRequest.connect()) is None
    assert state.reply_to(None) is None


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (USER_REJECTED, "You declined the request in your wallet. Nothing was sent."),
        (WRONG_CHAIN, "wrong network"),
        (NO_WALLET, "No wallet"),
        (-32603, "(-32603)"),
    ],
)
def test_failed_replies_explain_themselves(code: int, words: str) -> None:
    reply = WalletReply(id="1", ok=False, error_code=code, error_message="No wallet here.")
    assert words in reply.message


def test_snapshot_round_trip_checksums_the_account() -> None:
    state = WalletState(
        account=ACCOUNT,
        chain_id=31337,
        available=True,
        wallet="MetaMask",
        wallets=(WalletInfo(name="MetaMask", rdns="io.metamask"),),
        reply=WalletReply(id="7", ok=False, error_code=USER_REJECTED, error_message="no"),
    )
    assert WalletState.from_snapshot(state.to_snapshot()) == state
    lower = {**state.to_snapshot(), "account": ACCOUNT.lower()}
    assert WalletState.from_snapshot(lower).account == ACCOUNT


def test_an_empty_snapshot_is_a_browser_without_a_wallet() -> None:
    state = WalletState.from_snapshot(None)
    assert not state.connected and not state.available and state.reply is None


def test_a_page_under_apptest_sees_the_seeded_wallet_and_acts_once() -> None:
    app = AppTest.from_string(PAGE)
    app.run()
    assert app.markdown[0].value == "account=None chain=None connected=False"

    request = WalletRequest.connect()
    reply = WalletReply(id=request.id, ok=True, result=ACCOUNT)
    app.session_state["page_request"] = request
    app.session_state["wallet"] = {
        "snapshot": WalletState(account=ACCOUNT, chain_id=31337, reply=reply).to_snapshot()
    }
    app.run()
    app.run()

    assert not app.exception
    assert app.markdown[0].value == f"account={ACCOUNT} chain=31337 connected=True"
    assert app.session_state["page_handled"] == 1
    assert app.session_state["page_request"] is None


def test_a_sign_in_message_travels_hex_encoded_for_its_account() -> None:
    message = "verify.example.org wants you to sign in with your Ethereum account:\nJosé ✓"
    request = WalletRequest.personal_sign(message, account=ACCOUNT)
    assert request.method == "personal_sign"
    assert request.params["account"] == ACCOUNT
    assert bytes.fromhex(request.params["message"][2:]).decode("utf-8") == message
    assert request.to_wire()["params"]["message"].startswith("0x")


def test_a_key_message_travels_hex_encoded_and_nothing_else_is_asked() -> None:
    message = "verify.example.org wants you to sign in with your Ethereum account:\nCreate the key"
    request = WalletRequest.derive_signing_key(message, account=ACCOUNT)
    assert request.method == "derive_signing_key"
    assert request.params == {"message": "0x" + message.encode().hex(), "account": ACCOUNT}


def test_hashes_to_sign_travel_as_one_hex_string_of_64_byte_items() -> None:
    hashes = [bytes([n]) * 64 for n in range(3)]
    request = WalletRequest.sign_hashes("0x" + "AB" * 32, [hashes[0], hashes[1].hex(), hashes[2]])
    assert request.params == {
        "public_key": "ab" * 32,
        "hashes": b"".join(hashes).hex(),
        "size": 64,
    }
    with pytest.raises(ValueError, match="64 bytes"):
        WalletRequest.sign_hashes("ab" * 32, [b"\x00" * 32])


def test_signatures_come_back_in_order_and_exactly_as_many_as_asked() -> None:
    signatures = [bytes([n]) * 64 for n in range(3)]
    reply = WalletReply(id="1", ok=True, result=b"".join(signatures).hex())
    assert reply.signatures(3) == signatures
    for count in (2, 4):
        with pytest.raises(ValueError, match="not"):
            reply.signatures(count)
    with pytest.raises(ValueError):
        WalletReply(id="1", ok=True, result="0xnothex").signatures(1)


def test_a_page_without_the_key_says_so() -> None:
    reply = WalletReply(
        id="1", ok=False, error_code=KEY_NOT_IN_PAGE, error_message="This page no longer holds it."
    )
    assert reply.key_not_in_page and reply.message == "This page no longer holds it."
