"""Sending a transaction that the library built: through the user's wallet, or (local chain only)
the clearly labelled demo signer. One flow for every page, so every page behaves the same way:

    result = transaction_flow("issue", prepared_txs, label="Issue 3 credentials")
    if result: st.success(...)

Before that, documents are signed the same way on every page (:func:`document_signatures`): the
wallet signs the key message once per page session, the page derives the credential signing key
and keeps it, and signs the hash data the library computed; Python sees the key's public key and
the signatures, never the key.

Each step survives reruns: the pending request lives in session state under the flow's key, a
wallet reply is acted on once, and success is only declared after the library has read the
transaction and receipt back from the chain and checked sender, target and calldata.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import services
import streamlit as st
from components.wallet import WalletReply, WalletRequest, WalletState, wallet_bridge
from ui import error, md

from microcred.issuance import SigningRequest

WALLET_KEY = "wallet"


@dataclass(frozen=True)
class Sender:
    """Who signs: the browser wallet's account, or the demo key on a local chain."""

    address: str
    demo: bool


SIGN_IN_NOTICE_KEY = "signin_notice"


def wallet_state() -> WalletState:
    """The wallet bridge with any pending request carried along. Call it once per page run and
    pass the state on (the component may be mounted only once per run). An account change in the
    wallet ends the session's sign-in: the new account has proven nothing yet."""
    wallet = wallet_bridge(key=WALLET_KEY, request=st.session_state.get("wallet_request"))
    signed = services.signed_in()
    if signed is not None and wallet.account and wallet.account != signed.address:
        services.sign_out()
        st.session_state[SIGN_IN_NOTICE_KEY] = (
            f"Your wallet switched to {wallet.account}: you are signed out as {signed.address}. "
            "Sign in again to prepare credentials."
        )
    return wallet


def choose_sender(page: str, wallet: WalletState, *, sign_in: bool = False) -> Sender | None:
    """Connect a wallet (or pick the demo signer) and return who will sign, or None for now.
    With ``sign_in``, a wallet account must also sign in (once per session) before it is
    returned: pages that make the server store documents ask for it."""
    pending: WalletRequest | None = st.session_state.get("wallet_request")
    # Transaction replies belong to transaction_flow, signing replies to document_signatures;
    # connect, switch and sign-in replies are handled here.
    if (
        pending is not None
        and pending.method in ("connect", "switch_chain", "personal_sign")
        and (reply := wallet.reply_to(pending))
    ):
        st.session_state["wallet_request"] = None
        if not reply.ok:
            if pending.method == "personal_sign":
                services.sign_out()  # the challenge is spent either way
                st.session_state[SIGN_IN_NOTICE_KEY] = f"Not signed in: {reply.message}"
            else:
                error(reply.message)
        elif pending.method == "personal_sign":
            try:
                services.complete_sign_in(str(reply.result))
                st.session_state[SIGN_IN_NOTICE_KEY] = None
            except services.UserFacingError as err:
                st.session_state[SIGN_IN_NOTICE_KEY] = f"Not signed in: {err}"
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
    account = str(wallet.account)
    if sign_in and not _signed_in_as(page, account):
        return None
    return Sender(address=account, demo=False)


def _signed_in_as(page: str, account: str) -> bool:
    """Whether the session is signed in as ``account``; if not, the sign-in step (a button, then
    the wallet's prompt) is shown instead."""
    signed = services.signed_in()
    if signed is not None and signed.address == account:
        st.caption(f"Signed in as {account} until {signed.expires_at:%H:%M} UTC.")
        return True
    if notice := st.session_state.get(SIGN_IN_NOTICE_KEY):
        error(notice)
    pending: WalletRequest | None = st.session_state.get("wallet_request")
    if pending is not None and pending.method == "personal_sign":
        st.info(
            md("Waiting for your wallet: sign the sign-in message there."),
            icon=":material/hourglass_top:",
        )
        return False
    st.info(
        "Sign in once for this session: your wallet signs a message (no transaction, no fee) "
        f"that proves you hold the key of {account}. Nothing is stored before that.",
        icon=":material/login:",
    )
    if st.button("Sign in with your wallet", key=f"{page}_sign_in", type="primary"):
        try:
            challenge = services.start_sign_in(account)
        except services.UserFacingError as err:
            error(str(err))
            return False
        st.session_state[SIGN_IN_NOTICE_KEY] = None
        st.session_state["wallet_request"] = WalletRequest.personal_sign(
            challenge.message, account=account
        )
        st.rerun()
    return False


# ---------------------------------------------------------------------------- signing documents

#: Session key of the page's signing key as Python knows it (:class:`PageKey`).
SIGNING_KEY = "page_signing_key"


@dataclass(frozen=True)
class PageKey:
    """The credential signing key the browser page holds for ``account``: derived from the
    wallet's signature of ``message``; Python knows only its public key (hex)."""

    account: str
    message: str
    public_key: str


def document_signatures(
    flow: str,
    sender: Sender,
    wallet: WalletState,
    *,
    count: int,
    make_request: Callable[[str], SigningRequest],
    action: str,
) -> tuple[SigningRequest, list[bytes]] | None:
    """The signatures of ``count`` documents by the sender's credential signing key, with the
    request they answer; None while the page or the wallet is at work (call again next run).

    ``make_request(public_key_hex)`` is the server's signing request for the documents
    (``services.signing_request``). For a wallet: the key is derived in the page once per page
    session (the wallet's one prompt: the key message), the hash data is signed in the page; a
    page that lost its key (reloaded) derives it again. The demo signer's key is the server's.
    ``action`` names what is signed, as in :func:`transaction_flow`.

    Raises :class:`services.UserFacingError` when it cannot go on (the key message declined, a
    row that does not validate, the page unable to sign): the flow starts over next time, and the
    caller drops what it was preparing. Once signed, the same signatures are returned until the
    caller ends the flow (:func:`reset_signing`), so a run cut short while storing goes on."""
    if sender.demo:
        signing = make_request(services.demo_signing_public_key())
        return signing, services.demo_signatures(signing)
    state_key = f"{flow}_sign_state"
    state = st.session_state.get(state_key)
    if state is None or state["action"] != action:
        state = {"action": action, "request": None, "signing": None, "notice": None}
        st.session_state[state_key] = state
    if state.get("signatures") is not None:
        # Signed already: a run that stored them was cut short (a click elsewhere reran the page).
        return state["signing"], state["signatures"]
    try:
        return _signing_step(state, sender, wallet, count=count, make_request=make_request)
    except services.UserFacingError:
        reset_signing(flow)
        raise


def _signing_step(
    state: dict[str, Any],
    sender: Sender,
    wallet: WalletState,
    *,
    count: int,
    make_request: Callable[[str], SigningRequest],
) -> tuple[SigningRequest, list[bytes]] | None:
    request: WalletRequest | None = state["request"]
    if request is not None:
        reply = wallet.reply_to(request)
        if reply is None:
            _show_signing_wait(request, count, state["notice"])
            return None
        state["request"] = None
        _forget_wallet_request(request)
        if request.method == "derive_signing_key":
            st.session_state[SIGNING_KEY] = PageKey(
                account=sender.address,
                message=bytes.fromhex(request.params["message"][2:]).decode("utf-8"),
                public_key=_derived_public_key(reply),
            )
        elif reply.ok:
            try:
                state["signatures"] = reply.signatures(len(state["signing"].hashes))
            except ValueError as err:
                raise services.UserFacingError(
                    f"The page's signatures are not usable ({err}): nothing was stored. "
                    "Prepare again."
                ) from None
            return state["signing"], state["signatures"]
        elif reply.key_not_in_page:
            st.session_state.pop(SIGNING_KEY, None)  # derived again just below
            state["notice"] = (
                "This page no longer holds your signing key (it was reloaded): your wallet asks "
                "for the key message again."
            )
        else:
            raise services.UserFacingError(
                f"This browser could not sign the documents: {reply.message} Nothing was stored."
            )
    message = services.signing_key_message(sender.address)
    key = st.session_state.get(SIGNING_KEY)
    if not isinstance(key, PageKey) or key.account != sender.address or key.message != message:
        state["request"] = WalletRequest.derive_signing_key(message, account=sender.address)
    else:
        signing: SigningRequest | None = state["signing"]
        if signing is None or state.get("signed_by") != key.public_key:
            with st.spinner(f"Building {count} document(s) to sign…"):
                signing = state["signing"] = make_request(key.public_key)
            state["signed_by"] = key.public_key
        state["request"] = WalletRequest.sign_hashes(key.public_key, signing.hashes)
    st.session_state["wallet_request"] = state["request"]
    st.rerun()


def _derived_public_key(reply: WalletReply) -> str:
    if not reply.ok:
        if reply.rejected:
            raise services.UserFacingError(
                "You declined the key message in your wallet, so nothing was signed or stored. "
                "Its signature makes the key that signs your institution's credentials in this "
                "browser (no transaction, no fee): prepare again and sign it to issue."
            )
        raise services.UserFacingError(
            f"No signing key was made: {reply.message} Nothing was signed or stored."
        )
    public_key = (reply.result or "").lower().removeprefix("0x")
    if not re.fullmatch(r"[0-9a-f]{64}", public_key):
        raise services.UserFacingError(
            "The page returned no usable signing key: reload the page and prepare again."
        )
    return public_key


def _show_signing_wait(request: WalletRequest, count: int, notice: str | None) -> None:
    if notice:
        st.info(notice, icon=":material/key:")
    if request.method == "derive_signing_key":
        st.info(
            md(
                "Waiting for your wallet: sign the key message there. Its signature makes the "
                "key that signs your institution's credentials in this browser, once per "
                "session (no transaction, no fee)."
            ),
            icon=":material/hourglass_top:",
        )
    else:
        st.info(f"Signing {count} documents in this browser…", icon=":material/hourglass_top:")


def _forget_wallet_request(request: WalletRequest) -> None:
    pending = st.session_state.get("wallet_request")
    if pending is not None and pending.id == request.id:
        st.session_state["wallet_request"] = None


def reset_signing(flow: str) -> None:
    st.session_state.pop(f"{flow}_sign_state", None)


def transaction_flow(
    flow: str,
    sender: Sender,
    wallet: WalletState,
    txs: Sequence[dict[str, Any]],
    *,
    label: str,
    action: str = "",
) -> list[dict[str, Any]] | None:
    """Send ``txs`` one after another from ``sender``; returns the confirmed receipts when all
    are done, None while waiting (for the wallet, or for the user to start).

    ``action`` names what is sent (a page passes the digest of the inputs it prepared from): the
    flow starts over, its wallet request forgotten, when it changes, so a reply or a click meant
    for one prepared action is never taken for another's."""
    state_key = f"{flow}_tx_state"
    state = st.session_state.get(state_key)
    if state is None or state["txs"] != list(txs) or state.get("action") != action:
        state = {"txs": list(txs), "done": [], "request": None, "action": action}
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
