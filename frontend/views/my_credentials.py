"""My credentials: a learner's skills wallet: share links, QR codes, LinkedIn, renouncing."""

from __future__ import annotations

import json

import services
import streamlit as st
from components.wallet import WalletRequest
from tx_flow import choose_sender, reset_flow, transaction_flow, wallet_state
from ui import error, md, verdict_badge, when

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
collection_link = services.share_link(address=report["subject"])
with st.container(border=True, key="wallet_collection"):
    cols = st.columns([3, 1])
    cols[0].markdown(
        f"**{len(credentials)} credential{'s' if len(credentials) != 1 else ''}** "
        f"in `{report['subject']}`"
    )
    cols[0].markdown("Share your whole collection:")
    cols[0].code(collection_link, language=None)
    cols[1].image(services.qr_png(collection_link), caption="Scan to verify", width=140)

if not credentials:
    st.info("No credentials in this wallet yet.", icon=":material/inbox:")
    st.stop()

for credential in credentials:
    token_id = credential["tokenId"]
    issuer = credential.get("issuer") or {}
    link = services.share_link(credential=token_id)
    with st.container(border=True, key=f"wallet_card_{token_id}"):
        head = st.columns([4, 1])
        head[0].markdown(f"### {md(credential.get('achievement') or 'Credential')}")
        head[0].markdown(
            f"{md(issuer.get('name') or 'Unknown issuer')}"
            f" · issued {when(credential.get('issuedAt'))}"
            f" · expires {when(credential.get('expiresAt'))}"
        )
        with head[1]:
            verdict_badge(credential["status"])
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
