"""Registry: who may issue. Everyone sees the accredited institutions; registrars accredit,
suspend and reinstate them; an institution's signers manage its keys."""

from __future__ import annotations

import pandas as pd
import services
import streamlit as st
from tx_flow import choose_sender, reset_flow, transaction_flow, wallet_state
from ui import error, md

st.title("Issuer registry")
st.caption(
    "The institutions accredited to issue credentials on this network, and their staff keys."
)

wallet = wallet_state()
try:
    issuers = services.issuers()
    activity = services.activity()
except services.UserFacingError as err:
    error(str(err))
    st.stop()

if issuers:
    st.dataframe(
        [
            {
                "id": i["id"],
                "institution": i["name"],
                "status": i["status"],
                "signers": len(i["signers"]),
                "profile": i["profile"],
            }
            for i in issuers
        ],
        hide_index=True,
        width="stretch",
        key="registry_table",
    )
else:
    st.info("No institution is accredited yet.")

if activity:
    frame = pd.DataFrame(activity)
    names = {i["id"]: i["name"] for i in issuers}
    frame["institution"] = frame["issuerId"].map(lambda i: names.get(i, f"#{i}"))
    st.subheader("Credentials over time")
    left, right = st.columns(2)
    left.markdown("**Issued per day**")
    left.bar_chart(frame, x="day", y="issued", color="institution")
    right.markdown("**Revoked per day**")
    if frame["revoked"].sum():
        right.bar_chart(frame, x="day", y="revoked", color="institution")
    else:
        right.caption("None revoked so far.")

st.divider()
st.subheader("Manage")
sender = choose_sender("registry", wallet)
if sender is None:
    st.stop()
registrar = services.is_registrar(sender.address)
own = services.signer_status(sender.address)
if not registrar and own is None:
    st.info("This account is neither a registrar nor an institution's signer: nothing to manage.")
    st.stop()


def run(flow: str, tx: dict, label: str, done: str) -> None:
    st.session_state["registry_pending"] = {"flow": flow, "tx": tx, "label": label, "done": done}
    reset_flow(flow)


if registrar:
    accredit, status = st.tabs(["Accredit an institution", "Suspend or reinstate"])
    with accredit, st.form("registry_register_form"):
        name = st.text_input("Institution name", key="registry_name")
        profile = st.text_input(
            "Profile document URI (optional, e.g. ipfs://…)", key="registry_profile"
        )
        signers = st.text_area("Signer addresses (one per line)", key="registry_signers")
        if st.form_submit_button("Prepare accreditation", type="primary"):
            try:
                tx = services.registry_action(
                    "register",
                    name=name.strip(),
                    profile_uri=profile.strip(),
                    signers=[s.strip() for s in signers.splitlines() if s.strip()],
                )
                run("registry_register", tx, "Accredit", f"{name.strip()} is accredited.")
            except services.UserFacingError as err:
                error(str(err))
    with status, st.form("registry_status_form"):
        ids = {i["id"]: f"{i['name']} (#{i['id']}, {i['status']})" for i in issuers}
        target = st.selectbox(
            "Institution", list(ids), format_func=lambda i: ids[i], key="registry_status_target"
        )
        reason = st.text_input("Reason for a suspension (public)", key="registry_reason")
        cols = st.columns(2)
        suspend = cols[0].form_submit_button("Prepare suspension")
        reinstate = cols[1].form_submit_button("Prepare reinstatement")
        try:
            if suspend and target is not None:
                tx = services.registry_action("suspend", issuer_id=target, reason=reason.strip())
                run("registry_status", tx, "Suspend", "Suspended.")
            if reinstate and target is not None:
                tx = services.registry_action("reinstate", issuer_id=target)
                run("registry_status", tx, "Reinstate", "Reinstated.")
        except services.UserFacingError as err:
            error(str(err))

manageable = [i for i in issuers if registrar or (own and i["id"] == own["id"])]
if manageable:
    st.markdown("**Signer keys** (key rotation never touches credentials already issued)")
    with st.form("registry_signer_form"):
        labels = {i["id"]: f"{i['name']} (#{i['id']})" for i in manageable}
        issuer_id = st.selectbox(
            "Institution",
            list(labels),
            format_func=lambda i: labels[i],
            key="registry_signer_issuer",
        )
        chosen = next(i for i in manageable if i["id"] == issuer_id)
        st.caption("Current signers: " + ", ".join(f"`{s}`" for s in chosen["signers"]))
        address = st.text_input("Signer address", key="registry_signer_address")
        cols = st.columns(2)
        add = cols[0].form_submit_button("Prepare: add signer")
        remove = cols[1].form_submit_button("Prepare: remove signer")
        try:
            if add:
                tx = services.registry_action(
                    "add_signer", issuer_id=issuer_id, address=address.strip()
                )
                run("registry_signer", tx, "Add signer", "Signer added.")
            if remove:
                tx = services.registry_action(
                    "remove_signer", issuer_id=issuer_id, address=address.strip()
                )
                run("registry_signer", tx, "Remove signer", "Signer removed.")
        except services.UserFacingError as err:
            error(str(err))

pending = st.session_state.get("registry_pending")
if pending and transaction_flow(
    pending["flow"], sender, wallet, [pending["tx"]], label=pending["label"]
):
    st.success(md(pending["done"]))
    st.session_state["registry_pending"] = None
