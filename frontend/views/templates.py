"""Templates: the skills an institution recognises. Staff publish them; anyone can browse them."""

from __future__ import annotations

import services
import streamlit as st
from tx_flow import choose_sender, reset_flow, transaction_flow, wallet_state
from ui import error, md, when
from upload_limits import BADGE_IMAGE, IMAGE_EXTENSIONS, UploadRefused, help_text, read_upload

st.title("Achievement templates")
st.caption(
    "A template describes one skill an institution recognises: what it is, the criteria a learner "
    "must meet, the evidence required and how long it stays valid. Every credential cites one."
)

wallet = wallet_state()
try:
    issuers = services.issuers()
except services.UserFacingError as err:
    error(str(err))
    st.stop()
if not issuers:
    st.info("No institution is accredited yet: a registrar adds them on the Registry page.")
    st.stop()

names = {issuer["id"]: f"{issuer['name']} (#{issuer['id']})" for issuer in issuers}
chosen = st.selectbox(
    "Institution", options=list(names), format_func=lambda i: names[i], key="templates_issuer"
)
templates = services.templates_of(chosen)
if templates:
    st.dataframe(
        [
            {
                "name": t["name"],
                "skills": ", ".join(t["skills"]),
                "valid for": f"{t['valid_days']} days" if t["valid_days"] else "no limit",
                "status": t["status"],
                "published": when(t["published_at"]),
                "id": t["id"],
            }
            for t in templates
        ],
        hide_index=True,
        width="stretch",
        key="templates_table",
    )
else:
    st.info("This institution has not published a template yet.")

st.divider()
st.subheader("Publish a template")
sender = choose_sender("templates", wallet, sign_in=True)
if sender is None:
    st.stop()
signer = services.signer_status(sender.address)
if signer is None:
    st.warning(f"{sender.address} is not a signer of any institution: it cannot publish templates.")
    st.stop()
if not signer["active"]:
    st.warning(f"{md(signer['name'])} is suspended: it cannot publish templates.")
    st.stop()
st.markdown(f"Publishing for **{md(signer['name'])}**.")

with st.form("templates_form"):
    name = st.text_input("Skill name", key="templates_name", max_chars=200)
    description = st.text_area("Description", key="templates_description", max_chars=4000)
    criteria = st.text_area("Criteria: what a learner must show", key="templates_criteria")
    skills = st.text_input(
        "Skills (comma separated, e.g. ESCO or O*NET terms)", key="templates_skills"
    )
    evidence = st.text_input("Evidence required (optional)", key="templates_evidence")
    valid_days = st.number_input(
        "Valid for (days, 0 = no limit)",
        min_value=0,
        max_value=36500,
        step=30,
        key="templates_days",
    )
    image = st.file_uploader(
        "Badge image (optional, PNG or JPEG, stored on IPFS)",
        type=IMAGE_EXTENSIONS,
        key="templates_image",
        help=f"{help_text(BADGE_IMAGE)} SVG is not accepted: it can carry scripts.",
    )
    submitted = st.form_submit_button("Prepare template", type="primary")
if submitted:
    try:
        st.session_state["templates_prepared"] = services.prepare_template(
            signer=sender.address,
            issuer_id=signer["id"],
            name=name,
            description=description,
            criteria=criteria,
            skills=[s.strip() for s in skills.split(",") if s.strip()],
            evidence_required=evidence or None,
            valid_days=int(valid_days) or None,
            image=read_upload(image, BADGE_IMAGE) if image else None,
        )
        reset_flow("templates_publish")
    except (services.UserFacingError, UploadRefused) as err:
        error(str(err))
prepared = st.session_state.get("templates_prepared")
if prepared:
    st.markdown(f"Template **{md(prepared['name'])}** stored on IPFS as `{prepared['cid']}`.")
    receipts = transaction_flow(
        "templates_publish", sender, wallet, [prepared["tx"]], label="Publish template"
    )
    if receipts:
        st.success(f"Published: every staff member and verifier now sees {md(prepared['name'])}.")
        st.session_state["templates_prepared"] = None
