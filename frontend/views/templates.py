"""Templates: the skills an institution recognises. Staff publish them; anyone can browse them."""

from __future__ import annotations

import services
import streamlit as st
from tx_flow import choose_sender, reset_flow, transaction_flow, wallet_state
from ui import error, md, upload_label, when
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

if notice := st.session_state.pop("templates_notice", None):
    st.success(notice, icon=":material/task_alt:")

names = {issuer["id"]: f"{issuer['name']} (#{issuer['id']})" for issuer in issuers}
chosen = st.selectbox(
    "Institution", options=list(names), format_func=lambda i: names[i], key="templates_issuer"
)
templates = services.templates_of(chosen)
if templates:
    published = sum(1 for t in templates if t["status"] == "published")
    retired = len(templates) - published
    st.caption(f"{len(templates)} template(s), {published} published, {retired} retired.")
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
        upload_label("Badge image (optional, PNG or JPEG, stored on IPFS)", BADGE_IMAGE),
        type=IMAGE_EXTENSIONS,
        key="templates_image",
        help=f"{help_text(BADGE_IMAGE)} SVG is not accepted: it can carry scripts.",
    )
    submitted = st.form_submit_button("Prepare template", type="primary")
missing = [
    label
    for label, value in (
        ("skill name", name),
        ("description", description),
        ("criteria", criteria),
    )
    if not value.strip()
]
if submitted:
    st.session_state.pop("templates_prepared", None)  # a new Prepare: the last one is gone
    reset_flow("templates_publish")
if submitted and missing:
    error(f"Fill in the {', '.join(missing)}: every template needs them.")
elif submitted:
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
        st.session_state["templates_prepared"] = None
        reset_flow("templates_publish")
        # Run the page again so the table above lists it; the notice waits for that run.
        st.session_state["templates_notice"] = (
            f"Published: every staff member and verifier now sees {md(prepared['name'])}."
        )
        st.rerun()

# ---------------------------------------------------------------------------------- retire
own = [t for t in services.templates_of(signer["id"]) if t["status"] == "published"]
if own:
    st.divider()
    st.subheader("Retire a template")
    st.caption(
        "A retired template awards nothing new; every credential already issued with it stays "
        "valid and keeps citing it. Retiring cannot be undone."
    )
    names_by_id = {t["id"]: t["name"] for t in own}
    with st.form("templates_retire_form"):
        target = st.selectbox(
            "Template to retire",
            list(names_by_id),
            format_func=lambda i: f"{names_by_id[i]} ({i[:10]}…)",
            key="templates_retire_target",
        )
        sure = st.checkbox(
            "Yes, retire it: staff can no longer issue this template", key="templates_retire_sure"
        )
        asked = st.form_submit_button("Prepare retirement")
    if asked:
        st.session_state.pop("templates_retire", None)
        reset_flow("templates_retire_send")
        if not sure:
            error("Tick the box to confirm the retirement first: nothing was prepared.")
        else:
            try:
                st.session_state["templates_retire"] = {
                    "id": target,
                    "name": names_by_id[target],
                    "tx": services.retire_template_tx(int(target, 16), issuer_id=signer["id"]),
                }
            except services.UserFacingError as err:
                error(str(err))
    retiring = st.session_state.get("templates_retire")
    if retiring and retiring["id"] != target:
        st.session_state.pop("templates_retire", None)  # another template is chosen now
        retiring = None
    if retiring and transaction_flow(
        "templates_retire_send", sender, wallet, [retiring["tx"]], label="Retire template"
    ):
        st.session_state.pop("templates_retire", None)
        reset_flow("templates_retire_send")
        st.session_state["templates_notice"] = f"Retired {md(retiring['name'])}."
        st.rerun()
