"""My credentials: a learner's skills wallet: share links, QR codes, LinkedIn, renouncing, and
claiming the credentials an issuer anchored for this wallet into it."""

from __future__ import annotations

import json

import services
import streamlit as st
from components.wallet import WalletRequest
from tx_flow import choose_sender, reset_flow, transaction_flow, wallet_state
from ui import error, md, verdict_badge, when


def waiting_card(credential: dict) -> None:
    """An anchored credential not claimed yet: verifiable now, claimable into the wallet."""
    token_id = credential["tokenId"]
    proof = credential["proof"]
    st.caption(
        "Anchored by the issuer in a batch: it checks out now, from its proof. Claim it to hold "
        "it in your wallet as a token, like any other credential."
    )
    actions = st.columns(3)
    if credential["status"] == "anchored" and actions[0].button(
        "Claim to wallet", key=f"wallet_claim_{token_id}", type="primary"
    ):
        try:
            tx = services.claim_tx(proof)
        except services.UserFacingError as err:
            error(str(err))
        else:
            reset_flow("wallet_claim_send")
            st.session_state["wallet_claim"] = {
                "tokenId": token_id,
                "recipient": proof["recipient"],
                "achievement": credential.get("achievement") or "the credential",
                "tx": tx,
            }
            st.rerun()
    actions[1].download_button(
        "Download proof file",
        data=json.dumps(proof, indent=2),
        file_name=f"proof-{token_id[2:14]}.json",
        mime="application/json",
        key=f"wallet_download_proof_{token_id}",
    )


st.title("My credentials")
st.caption(
    "Your skills wallet: every credential issued to your wallet address, with a link and a QR "
    "code to share each one, or the whole collection."
)

wallet = wallet_state()
pending = st.session_state.get("wallet_request")
if pending is not None and pending.method == "connect" and (reply := wallet.reply_to(pending)):
    st.session_state["wallet_request"] = None
    if not reply.ok:
        error(reply.message)

left, right = st.columns([3, 1], vertical_alignment="bottom")
typed = left.text_input(
    "Wallet address", key="wallet_address", placeholder="0x… (or connect your wallet)"
)
if not wallet.connected and right.button("Connect wallet", key="wallet_connect"):
    st.session_state["wallet_request"] = WalletRequest.connect()
    st.rerun()
address = (typed or "").strip() or (wallet.account or "")
if not address:
    st.stop()

try:
    report = services.verify(address)
except services.UserFacingError as err:
    error(str(err))
    st.stop()

credentials = report["credentials"]
for warning in report.get("warnings") or []:
    st.warning(f"Not checked: {md(warning)}", icon=":material/cloud_off:")
collection_link = services.share_link(address=report["subject"])
if claimed := st.session_state.pop("wallet_claimed", None):
    st.success(
        f"Claimed: {md(claimed['achievement'])} is in the wallet {claimed['recipient']} now.",
        icon=":material/task_alt:",
    )
with st.container(border=True, key="wallet_collection"):
    cols = st.columns([3, 1])
    waiting = sum(1 for c in credentials if c.get("proof") is not None and not c.get("holder"))
    cols[0].markdown(
        f"**{len(credentials)} credential{'s' if len(credentials) != 1 else ''}** "
        f"in `{report['subject']}`" + (f" ({waiting} waiting to be claimed)" if waiting else "")
    )
    cols[0].markdown("Share your whole collection:")
    cols[0].code(collection_link, language=None)
    cols[1].image(services.qr_png(collection_link), caption="Scan to verify", width=140)

claim = st.session_state.get("wallet_claim")
if claim:
    with st.container(border=True, key="wallet_claim_box"):
        st.markdown(
            f"**Claim {md(claim['achievement'])}** into the wallet `{claim['recipient']}`. Any "
            "wallet may send the claim and pay its gas: the credential always goes to the wallet "
            "the issuer named."
        )
        if wallet.connected or services.demo_signer_address():
            claim_sender = choose_sender("wallet_claim", wallet)
        else:
            st.info("Connect a wallet (above) to send the claim.", icon=":material/wallet:")
            claim_sender = None
        if claim_sender is not None and transaction_flow(
            "wallet_claim_send", claim_sender, wallet, [claim["tx"]], label="Claim"
        ):
            reset_flow("wallet_claim_send")
            st.session_state["wallet_claim"] = None
            st.session_state["wallet_claimed"] = claim
            st.rerun()

if not credentials:
    st.info("No credentials in this wallet yet.", icon=":material/inbox:")
    st.stop()


for credential in credentials:
    token_id = credential["tokenId"]
    issuer = credential.get("issuer") or {}
    waiting = credential.get("proof") is not None and not credential.get("holder")
    link = services.share_link(credential=token_id)
    with st.container(border=True, key=f"wallet_card_{token_id}"):
        head = st.columns([4, 2])
        head[0].markdown(f"### {md(credential.get('achievement') or 'Credential')}")
        head[0].markdown(
            f"{md(issuer.get('name') or 'Unknown issuer')}"
            f" · {'anchored' if waiting else 'issued'} {when(credential.get('issuedAt'))}"
            f" · expires {when(credential.get('expiresAt'))}"
        )
        with head[1]:
            verdict_badge(credential["status"])
        if waiting:
            waiting_card(credential)
            continue
        body = st.columns([3, 1])
        with body[0]:
            st.code(link, language=None)
            actions = st.columns(3)
            linkedin = services.linkedin_link(credential, share=link)
            if linkedin:
                actions[0].link_button("Add to LinkedIn profile", linkedin)
            document = credential.get("document")
            if document is not None:
                actions[1].download_button(
                    "Download (Open Badges 3.0 JSON)",
                    data=json.dumps(document, indent=2, ensure_ascii=False),
                    file_name=f"credential-{token_id[2:14]}.json",
                    mime="application/json",
                    key=f"wallet_download_{token_id}",
                )
            holder = credential.get("holder")
            # Only the holder's own connected wallet can renounce: offer it to nobody else.
            if holder and wallet.account == holder:
                with actions[2].popover("Renounce…"):
                    st.markdown(
                        "Renouncing burns this credential from your wallet for good. It cannot be "
                        "undone, and the issuer cannot issue the same document again."
                    )
                    confirmed = st.checkbox(
                        "I understand, renounce it", key=f"wallet_confirm_burn_{token_id}"
                    )
                    if confirmed:
                        sender = choose_sender(f"wallet_burn_{token_id[2:10]}", wallet)
                        if sender is not None and sender.address == holder:
                            receipts = transaction_flow(
                                f"wallet_burn_{token_id}",
                                sender,
                                wallet,
                                [services.burn_tx(int(token_id, 16))],
                                label="Renounce credential",
                            )
                            if receipts:
                                reset_flow(f"wallet_burn_{token_id}")
                                st.success("Renounced. It no longer appears in your wallet.")
                        elif sender is not None:
                            st.warning(
                                "Only the wallet that holds this credential can renounce it."
                            )
        body[1].image(services.qr_png(link), caption="Scan to verify", width=140)
