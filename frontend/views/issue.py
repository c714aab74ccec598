"""Issue: staff issue credentials (one, or a CSV) and revoke them, signing in their wallet."""

from __future__ import annotations

from datetime import UTC, datetime, time

import services
import streamlit as st
from tx_flow import choose_sender, reset_flow, transaction_flow, wallet_state
from ui import error, link, md
from upload_limits import RECIPIENTS_CSV, UploadRefused, help_text, read_upload

from microcred.issuance import Recipient

CSV_MODES = {
    "mint": "Mint each credential into its learner's wallet now (one transaction per 200 learners)",
    "anchor": "Anchor as one batch (one transaction for the whole cohort; learners claim later)",
}

st.title("Issue credentials")
st.caption(
    "Choose a template, name the learners' wallets, and sign. The documents go to IPFS first; "
    "the chain then records each credential's fingerprint. Nothing is sent until every row is "
    "valid."
)

wallet = wallet_state()
sender = choose_sender("issue", wallet, sign_in=True)
if sender is None:
    st.stop()
try:
    signer = services.signer_status(sender.address)
except services.UserFacingError as err:
    error(str(err))
    st.stop()
if signer is None:
    st.warning(
        f"{sender.address} does not sign for any institution, so it cannot issue. Ask your "
        "institution's staff to add this address as a signer.",
        icon=":material/person_off:",
    )
    st.stop()
if not signer["active"]:
    st.error(f"{md(signer['name'])} is suspended: it cannot issue or revoke until reinstated.")
    st.stop()
st.success(
    f"Signing for **{md(signer['name'])}** (issuer #{signer['id']}).", icon=":material/badge:"
)

templates = [t for t in services.templates_of(signer["id"]) if t["status"] == "published"]
if not templates:
    st.info("Publish a template first (Templates page): every credential awards one.")
    st.stop()
by_id = {t["id"]: t for t in templates}
template_id = st.selectbox(
    "Template", options=list(by_id), format_func=lambda i: by_id[i]["name"], key="issue_template"
)
template = by_id[template_id]
if template["description"]:
    st.caption(md(template["description"]))

single, bulk, revoke = st.tabs(["One learner", "Many learners (CSV)", "Revoke"])

with single, st.form("issue_single_form"):
    address = st.text_input("Recipient wallet", key="issue_recipient", placeholder="0x…")
    expires = st.date_input("Expires (optional)", value=None, key="issue_expires")
    evidence = st.text_input("Evidence link (optional)", key="issue_evidence")
    name = st.text_input(
        "Learner's name (optional: public forever, only with the learner's consent)",
        key="issue_name",
    )
    if st.form_submit_button("Prepare credential", type="primary"):
        try:
            recipient = Recipient(
                address=address.strip(),
                expires=datetime.combine(expires, time(23, 59, 59), UTC) if expires else None,
                evidence=(evidence.strip(),) if evidence.strip() else (),
                name=name.strip() or None,
            )
            st.session_state["issue_plan"] = services.prepare_issue(
                signer=sender.address, template_id=int(template_id, 16), recipients=[recipient]
            )
            st.session_state["issue_anchor"] = None
            reset_flow("issue_send")
        except (services.UserFacingError, ValueError) as err:
            error(str(err))

with bulk:
    st.markdown(
        "A CSV with a header row: `address` (required), and optionally `expires` (YYYY-MM-DD), "
        "`evidence` (a link), `name` (public: only with consent)."
    )
    upload = st.file_uploader(
        "Recipients CSV", type=["csv"], key="issue_csv", help=help_text(RECIPIENTS_CSV)
    )
    if upload is not None:
        try:
            recipients = services.read_recipients_csv(read_upload(upload, RECIPIENTS_CSV))
        except (services.UserFacingError, UploadRefused) as err:
            error(str(err))
        else:
            st.dataframe(
                [
                    {
                        "line": r.line,
                        "address": r.address,
                        "expires": r.expires.date().isoformat() if r.expires else "",
                        "evidence": " ".join(r.evidence),
                        "name": r.name or "",
                    }
                    for r in recipients
                ],
                hide_index=True,
                width="stretch",
                key="issue_csv_preview",
            )
            mode = st.radio(
                "How to issue",
                options=list(CSV_MODES),
                format_func=CSV_MODES.__getitem__,
                key="issue_csv_mode",
            )
            if st.button(
                f"Prepare {len(recipients)} credentials",
                key="issue_csv_prepare",
                type="primary",
            ):
                try:
                    with st.spinner("Building and storing the documents…"):
                        if mode == "anchor":
                            st.session_state["issue_anchor"] = services.prepare_anchor(
                                signer=sender.address,
                                template_id=int(template_id, 16),
                                recipients=recipients,
                            )
                            st.session_state["issue_plan"] = None
                            st.session_state["issue_anchor_done"] = None
                            reset_flow("issue_anchor_send")
                        else:
                            st.session_state["issue_plan"] = services.prepare_issue(
                                signer=sender.address,
                                template_id=int(template_id, 16),
                                recipients=recipients,
                            )
                            st.session_state["issue_anchor"] = None
                            reset_flow("issue_send")
                except services.UserFacingError as err:
                    error(str(err))

plan = st.session_state.get("issue_plan")
if plan:
    count, already = len(plan["token_ids"]), len(plan["already"])
    if already:
        st.info(f"{already} of {count} credentials were issued already; they are skipped.")
    if plan["txs"]:
        st.markdown(
            f"**{count - already} credential(s)** ready, in {len(plan['txs'])} transaction(s)."
        )
        receipts = transaction_flow("issue_send", sender, wallet, plan["txs"], label="Issue")
        if receipts:
            st.success(f"Issued {count - already} credential(s).", icon=":material/task_alt:")
            st.session_state["issue_done"] = plan["token_ids"]
            st.session_state["issue_plan"] = None
    else:
        st.session_state["issue_done"] = plan["token_ids"]
        st.session_state["issue_plan"] = None
for token_id in st.session_state.get("issue_done") or []:
    st.markdown(f"- Issued `{token_id}`: {md(services.share_link(credential=token_id))}")

batch = st.session_state.get("issue_anchor")
if batch:
    st.markdown(
        f"**{batch['count']} credential(s)** ready to anchor in one transaction, under the Merkle "
        f"root `{batch['root']}`."
    )
    if batch["tx"] is None:
        st.info("This batch was anchored already: nothing to send.")
        st.session_state["issue_anchor_done"] = batch
        st.session_state["issue_anchor"] = None
    elif transaction_flow("issue_anchor_send", sender, wallet, [batch["tx"]], label="Anchor"):
        st.session_state["issue_anchor_done"] = batch
        st.session_state["issue_anchor"] = None
if anchored := st.session_state.get("issue_anchor_done"):
    with st.container(border=True, key="issue_anchor_result"):
        st.success(
            f"Anchored {anchored['count']} credential(s) in one transaction.",
            icon=":material/task_alt:",
        )
        st.markdown(
            f"- Merkle root: `{anchored['root']}`\n"
            f"- Credentials: {anchored['count']}\n"
            f"- Batch manifest: `{anchored['manifest']}` "
            f"({link(services.ipfs_url(anchored['manifest']))})"
        )
        st.markdown(
            "Every learner finds theirs on **My credentials** (by their wallet address), already "
            "verifiable as *anchored, not yet in wallet*, and claims it to their wallet there "
            "(anyone may pay the gas; it is always minted to the learner)."
        )
        st.download_button(
            "Download the proof files (zip)",
            data=anchored["proofs_zip"],
            file_name=f"proofs-{anchored['root'][:18]}.zip",
            mime="application/zip",
            key="issue_anchor_proofs",
        )

with revoke, st.form("issue_revoke_form"):
    st.caption(
        "A credential still waiting in an anchored batch (not claimed yet) is revoked by its id "
        "too: it can then never be claimed."
    )
    token = st.text_input("Credential id (0x + 64 hex)", key="issue_revoke_token")
    reason = st.text_input("Reason (public)", key="issue_revoke_reason")
    if st.form_submit_button("Prepare revocation"):
        text = token.strip()
        if len(text) != 66 or not text.startswith("0x"):
            error(f"{text!r} is not a credential id (0x followed by 64 hex digits).")
        elif not reason.strip():
            error("A revocation needs a reason: it is shown to everyone who verifies.")
        else:
            try:
                st.session_state["issue_revoke"] = services.revoke_tx(
                    int(text, 16), reason.strip(), issuer_id=signer["id"]
                )
                reset_flow("issue_revoke_send")
            except (services.UserFacingError, ValueError) as err:
                error(str(err))
if revoke_tx := st.session_state.get("issue_revoke"):
    with revoke:
        if transaction_flow("issue_revoke_send", sender, wallet, [revoke_tx], label="Revoke"):
            st.success("Revoked: verifiers now see it as revoked, with your reason.")
            st.session_state["issue_revoke"] = None
