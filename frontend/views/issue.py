"""Issue: staff issue credentials (one, or a CSV) and revoke them, signing in their wallet.

Every prepared action is kept under a digest of the inputs it was prepared from (page_state):
change an input, or fail a Prepare, and it is gone; once sent it is finished, so no button under
an error, or left from an earlier run, can send anything.

A Prepare that passed its checks is first signed (slot ``SIGNING``): the wallet signs the key
message once per page session, this browser signs each document's hash data with the key derived
from it (tx_flow.document_signatures), and only then are the signed documents stored and the
transactions built (slot ``ISSUING``)."""

from __future__ import annotations

import hashlib
from typing import Any

import page_state
import services
import streamlit as st
from tx_flow import (
    choose_sender,
    document_signatures,
    reset_flow,
    reset_signing,
    transaction_flow,
    wallet_state,
)
from ui import error, link, md, upload_label, when
from upload_limits import RECIPIENTS_CSV, UploadRefused, read_upload

from microcred.issuance import Recipient, end_of_day

CSV_MODES = {
    "mint": "Mint each credential into its learner's wallet now (one transaction per 200 learners)",
    "anchor": "Anchor as one batch (one transaction for the whole cohort; learners claim later)",
}
DUPLICATE_CHOICES = {
    "skip": "Skip them (nothing is issued to these rows)",
    "issue": "Issue anyway (the learner gets another credential of this template)",
}
# One issuance is prepared at a time, from either tab (a Prepare in one drops the other's): first
# signed (SIGNING), then stored and ready to send (ISSUING).
SIGNING, ISSUING, REVOKE = "issue_signing", "issue_prepared", "issue_prepared_revoke"
RESULTS = "issue_results"

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


def new_run() -> None:
    """A Prepare starts: the previous run's results leave the page with it."""
    st.session_state.pop(RESULTS, None)


def show_results() -> None:
    """The last run's results: one row per learner, links clickable, and the CSV to send on."""
    done = st.session_state.get(RESULTS)
    if not done:
        return
    with st.container(border=True, key="issue_results_box"):
        st.success(done["summary"], icon=":material/task_alt:")  # our words: no document text
        st.dataframe(
            done["rows"],
            hide_index=True,
            width="stretch",
            key="issue_results_table",
            column_order=["line", "learner", "name", "credential", "status", "share_link"]
            + (["proof_file"] if done.get("anchored") else []),
            column_config={
                "share_link": st.column_config.LinkColumn("share link"),
                "proof_file": st.column_config.TextColumn("proof file (in the zip)"),
            },
        )
        st.download_button(
            "Download the results (CSV)",
            data=services.results_csv(done["rows"]),
            file_name=done["file_name"],
            mime="text/csv",
            key="issue_results_download",
        )
        if done.get("anchored"):
            manifest_url = services.ipfs_url(done["manifest"])
            st.markdown(
                f"- Merkle root: `{done['root']}`\n"
                f"- Credentials: {len(done['rows'])}\n"
                f"- Batch manifest: `{done['manifest']}`"
                + (f" ({link(manifest_url)})" if manifest_url else "")
            )
            if manifest_url is None:  # only in this server's store: no gateway can serve it
                st.download_button(
                    "Download the batch manifest (JSON)",
                    data=services.stored_object(done["manifest"]),
                    file_name=f"manifest-{done['manifest']}.json",
                    mime="application/json",
                    key="issue_anchor_manifest",
                )
            st.markdown(
                "Every learner finds theirs on **My credentials** (by their wallet address), "
                "already verifiable as *anchored, not yet in wallet*, and claims it to their "
                "wallet there (anyone may pay the gas; it is always minted to the learner)."
            )
            st.download_button(
                "Download the proof files (zip)",
                data=done["proofs_zip"],
                file_name=f"proofs-{done['root'][:18]}.zip",
                mime="application/zip",
                key="issue_anchor_proofs",
            )


def send_prepared(prepared: dict[str, Any]) -> None:
    """The prepared issuance's one button, then its results."""
    for note in prepared.get("notes") or ():
        st.info(md(note))
    if prepared["kind"] == "anchor":
        facts = batch = prepared["batch"]
        flow = "issue_anchor_send"
        st.markdown(
            f"**{batch['count']} credential(s)** ready to anchor in one transaction, under the "
            f"Merkle root `{batch['root']}`."
        )
        label = "Anchor"
    else:
        facts = plan = prepared["plan"]
        flow = "issue_send"
        count, already = len(plan["token_ids"]), len(plan["already"])
        if already:
            st.info(f"{already} of {count} credentials were issued already; they are skipped.")
        if plan["txs"]:
            st.markdown(
                f"**{count - already} credential(s)** ready, in {len(plan['txs'])} transaction(s)."
            )
        label = "Issue"
    txs = facts["txs"]
    if facts["registers_key"]:
        st.info(
            md(
                "The first transaction registers the key that signed these credentials for "
                f"{signer['name']}, once: verifiers learn from the registry that it speaks for "
                "your institution. Later issues from this account need no registration."
            ),
            icon=":material/key:",
        )
    if txs and not transaction_flow(
        flow, sender, wallet, txs, label=label, action=prepared["digest"]
    ):
        return
    page_state.finish(ISSUING)
    reset_flow(flow)
    st.session_state[RESULTS] = results_of(prepared)
    st.rerun()


def current_issuing(tab: str, inputs: str, slot: str = ISSUING) -> dict[str, Any] | None:
    """The issuance being signed (``slot`` SIGNING) or prepared (ISSUING) in ``tab`` from exactly
    ``inputs``; one in the other tab is that tab's business (it checks its own inputs)."""
    prepared = st.session_state.get(slot)
    if prepared is None or prepared.get("tab") != tab:
        return None
    return page_state.current(slot, inputs)


def drop_issuing(tab: str) -> None:
    """The inputs ``tab`` prepared from are gone (the file removed, unreadable)."""
    for slot in (SIGNING, ISSUING):
        if (st.session_state.get(slot) or {}).get("tab") == tab:
            page_state.start(slot)


def start_issuing() -> None:
    page_state.start(SIGNING)
    page_state.start(ISSUING)
    reset_signing("issue_sign")
    reset_flow("issue_send")
    reset_flow("issue_anchor_send")
    new_run()


def sign_and_prepare(pending: dict[str, Any]) -> None:
    """Carry a checked issuance through signing (the key once per page session, then every
    document in this browser) to stored documents and the transactions to send."""
    recipients: list[Recipient] = pending["recipients"]
    anchored = pending["kind"] == "anchor"
    common: dict[str, Any] = {
        "signer": sender.address,
        "template_id": pending["template_id"],
        "recipients": recipients,
    }
    try:
        signed = document_signatures(
            "issue_sign",
            sender,
            wallet,
            count=len(recipients),
            make_request=lambda public_key: services.signing_request(
                public_key=public_key, anchored=anchored, **common
            ),
            action=pending["digest"],
        )
        if signed is None:
            return  # the wallet or the page is at work: the next run goes on
        signing, signatures = signed
        signed_by = {"signing": signing, "signatures": signatures, **common}
        with st.spinner(f"Storing {len(recipients)} signed document(s)…"):
            action: dict[str, Any] = (
                {"batch": services.prepare_anchor(**signed_by)}
                if anchored
                else {"plan": services.prepare_issue(**signed_by)}
            )
    except services.UserFacingError as err:
        page_state.finish(SIGNING)
        reset_signing("issue_sign")
        error(str(err))
        return
    # Only now is the signing over: a run cut short before this line signs nothing again.
    page_state.finish(SIGNING)
    reset_signing("issue_sign")
    kept = {k: v for k, v in pending.items() if k != "digest"}
    page_state.keep(ISSUING, pending["digest"], **kept, **action)


def results_of(prepared: dict[str, Any]) -> dict[str, Any]:
    recipients: list[Recipient] = prepared["recipients"]
    skipped = prepared.get("skipped") or []
    skipped_recipients = prepared.get("skipped_recipients") or []
    if prepared["kind"] == "anchor":
        batch = prepared["batch"]
        rows = services.run_results(
            recipients=recipients,
            token_ids=batch["token_ids"],
            skipped=skipped,
            skipped_recipients=skipped_recipients,
            anchored=True,
        )
        return {
            "summary": f"Anchored {batch['count']} credential(s) in one transaction"
            + (f"; {len(skipped)} duplicate(s) skipped." if skipped else "."),
            "rows": rows,
            "file_name": f"results-{batch['root'][:18]}.csv",
            "anchored": True,
            "manifest": batch["manifest"],
            "root": batch["root"],
            "proofs_zip": batch["proofs_zip"],
        }
    plan = prepared["plan"]
    rows = services.run_results(
        recipients=recipients,
        token_ids=plan["token_ids"],
        already=plan["already"],
        skipped=skipped,
        skipped_recipients=skipped_recipients,
    )
    issued = len(plan["token_ids"]) - len(plan["already"])
    return {
        "summary": f"Issued {issued} credential(s)."
        + (f" {len(skipped)} duplicate(s) skipped." if skipped else ""),
        "rows": rows,
        "file_name": f"results-{prepared['digest'][:12]}.csv",
    }


def duplicates_choice(key: str, count: int) -> str:
    return str(
        st.radio(
            f"Duplicates ({count} row(s) flagged): what to do with them",
            options=list(DUPLICATE_CHOICES),
            format_func=DUPLICATE_CHOICES.__getitem__,
            key=key,
            help="A learner on an earlier line of the file, or one who already holds a valid "
            "credential of this template. Skipped unless you choose otherwise.",
        )
    )


single, bulk, revoke = st.tabs(["One learner", "Many learners (CSV)", "Revoke"])

# ---------------------------------------------------------------------------------- one learner
with single:
    with st.form("issue_single_form"):
        address = st.text_input("Recipient wallet", key="issue_recipient", placeholder="0x…")
        expires = st.date_input(
            "Expires (optional): valid through the end of that day, 23:59:59 UTC",
            value=None,
            key="issue_expires",
        )
        evidence = st.text_input("Evidence link (optional)", key="issue_evidence")
        name = st.text_input(
            "Learner's name (optional: public forever, only with the learner's consent)",
            key="issue_name",
        )
        policy = st.radio(
            "If this learner already holds a valid credential of this template",
            options=list(DUPLICATE_CHOICES),
            format_func={"skip": "Skip: issue nothing", "issue": "Issue another anyway"}.get,
            key="issue_single_duplicates",
            horizontal=True,
        )
        submitted = st.form_submit_button("Prepare credential", type="primary")
    single_inputs = page_state.inputs_digest(
        "single", sender.address, template_id, address, expires, evidence, name, policy
    )
    if submitted:
        start_issuing()
        try:
            recipient = Recipient(
                address=address.strip(),
                expires=end_of_day(expires) if expires else None,
                evidence=(evidence.strip(),) if evidence.strip() else (),
                name=name.strip() or None,
            )
            duplicate = services.duplicates_of(
                issuer_id=signer["id"], template_id=int(template_id, 16), recipients=[recipient]
            ).get(0)
            if duplicate is not None and policy == "skip":
                st.warning(
                    md(
                        f"{duplicate.address} {duplicate.reason}: skipped, nothing was prepared. "
                        "Choose 'Issue another anyway' to give them a second one."
                    ),
                    icon=":material/content_copy:",
                )
            else:
                page_state.keep(
                    SIGNING,
                    single_inputs,
                    tab="single",
                    kind="mint",
                    template_id=int(template_id, 16),
                    recipients=[recipient],
                    notes=[f"{duplicate.address} {duplicate.reason}: issuing another anyway."]
                    if duplicate is not None
                    else [],
                )
        except (services.UserFacingError, ValueError) as err:
            error(str(err))
    if pending := current_issuing("single", single_inputs, SIGNING):
        sign_and_prepare(pending)
    if prepared := current_issuing("single", single_inputs):
        send_prepared(prepared)

# ---------------------------------------------------------------------------------- a CSV
with bulk:
    st.markdown(
        "A CSV with a header row: `address` (required), and optionally `expires` (YYYY-MM-DD: "
        "valid through the end of that day, 23:59:59 UTC), `evidence` (a link), `name` (public: "
        "only with consent)."
    )
    upload = st.file_uploader(
        upload_label("Recipients CSV", RECIPIENTS_CSV),
        type=["csv"],
        key="issue_csv",
    )
    if upload is None:
        drop_issuing("bulk")  # the file it was prepared from is gone
    else:
        rows = None
        try:
            data = read_upload(upload, RECIPIENTS_CSV)
            rows = services.review_recipients_csv(data)
        except (services.UserFacingError, UploadRefused) as err:
            drop_issuing("bulk")
            error(str(err))
        if rows is not None:
            file_digest = hashlib.sha256(data).hexdigest()
            good = [row.recipient for row in rows if row.recipient is not None]
            bad = [row for row in rows if row.problem]
            # Duplicates cost a look at the chain: once per file and template, not per rerun.
            cache_key = (file_digest, template_id)
            cached = st.session_state.get("issue_csv_duplicates")
            if cached is None or cached[0] != cache_key:
                try:
                    found = services.duplicates_of(
                        issuer_id=signer["id"], template_id=int(template_id, 16), recipients=good
                    )
                except services.UserFacingError as err:
                    error(str(err))
                    found = {}
                cached = (cache_key, found)
                st.session_state["issue_csv_duplicates"] = cached
            duplicates = cached[1]
            by_line = {good[i].line: d for i, d in duplicates.items()}
            st.dataframe(
                [
                    {
                        "line": row.line,
                        "address": row.cells.get("address", ""),
                        "expires": row.cells.get("expires", ""),
                        "evidence": row.cells.get("evidence", ""),
                        "name": row.cells.get("name", ""),
                        "problem": row.problem or "",
                        "duplicate": by_line[row.line].reason if row.line in by_line else "",
                    }
                    for row in rows
                ],
                hide_index=True,
                width="stretch",
                key="issue_csv_preview",
            )
            exclude_bad = False
            if bad:
                lines = ", ".join(f"line {row.line}" for row in bad)
                st.error(
                    md(
                        f"{len(bad)} bad row(s) of {len(rows)}: {lines} (each problem is shown "
                        "beside its row). Fix them in the file and upload it again, or leave "
                        "them out."
                    ),
                    icon=":material/error:",
                )
                if good:
                    exclude_bad = st.checkbox(
                        f"Leave out the {len(bad)} bad row(s) and issue the other {len(good)}",
                        key="issue_csv_exclude_bad",
                    )
            policy = duplicates_choice("issue_csv_duplicates_choice", len(duplicates))
            if not duplicates:
                st.caption("No duplicates: no learner is named twice or holds this template.")
            mode = st.radio(
                "How to issue",
                options=list(CSV_MODES),
                format_func=CSV_MODES.__getitem__,
                key="issue_csv_mode",
            )
            keep_rows = [r for i, r in enumerate(good) if policy == "issue" or i not in duplicates]
            skipped = [] if policy == "issue" else [duplicates[i] for i in sorted(duplicates)]
            skipped_rows = [good[d.index] for d in skipped]
            bulk_inputs = page_state.inputs_digest(
                "bulk", sender.address, template_id, file_digest, exclude_bad, policy, mode
            )
            # Nothing is sendable while a bad row stays in: no button to click at all.
            sendable = bool(keep_rows) and (not bad or exclude_bad)
            if not keep_rows and good:
                st.info("Every row is a duplicate and skipped: nothing to issue.")
            if sendable and st.button(
                f"Prepare {len(keep_rows)} credentials", key="issue_csv_prepare", type="primary"
            ):
                start_issuing()
                page_state.keep(
                    SIGNING,
                    bulk_inputs,
                    tab="bulk",
                    kind="anchor" if mode == "anchor" else "mint",
                    template_id=int(template_id, 16),
                    recipients=keep_rows,
                    skipped=skipped,
                    skipped_recipients=skipped_rows,
                )
            if pending := current_issuing("bulk", bulk_inputs, SIGNING):
                sign_and_prepare(pending)
            if prepared := current_issuing("bulk", bulk_inputs):
                send_prepared(prepared)

# ---------------------------------------------------------------------------------- revoke
with revoke:
    with st.form("issue_revoke_form"):
        st.caption(
            "A credential still waiting in an anchored batch (not claimed yet) is revoked by its "
            "id too: it can then never be claimed."
        )
        token = st.text_input("Credential id (0x + 64 hex)", key="issue_revoke_token")
        reason = st.text_input("Reason (public)", key="issue_revoke_reason")
        asked = st.form_submit_button("Prepare revocation")
    revoke_inputs = page_state.inputs_digest(
        "revoke", sender.address, signer["id"], token.strip(), reason.strip()
    )
    if asked:
        page_state.start(REVOKE)
        reset_flow("issue_revoke_send")
        text = token.strip()
        if len(text) != 66 or not text.startswith("0x"):
            error(f"{text!r} is not a credential id (0x followed by 64 hex digits).")
        elif not reason.strip():
            error("A revocation needs a reason: it is shown to everyone who verifies.")
        else:
            try:
                found = services.revocation(int(text, 16), reason.strip(), issuer_id=signer["id"])
                page_state.keep(REVOKE, revoke_inputs, **found)
            except (services.UserFacingError, ValueError) as err:
                error(str(err))
    if done := st.session_state.pop("issue_revoked", None):
        st.success(
            f"Revoked: verifiers now see it as revoked, with your reason ({done}).",
            icon=":material/task_alt:",
        )
    if prepared := page_state.current(REVOKE, revoke_inputs):
        facts = prepared["credential"]
        with st.container(border=True, key="issue_revoke_card"):
            st.markdown(f"**{md(facts['achievement'] or 'Credential')}**")
            st.markdown(
                f"Learner `{facts['learner']}` · issued {when(facts['issuedAt'])} · expires "
                f"{when(facts['expiresAt'])}"
                + (" · anchored, not claimed yet" if facts["anchored"] else "")
            )
            st.caption(f"Credential id `{facts['tokenId']}` · reason: {md(reason.strip())}")
        # Keyed by what was prepared: a new Prepare always asks again.
        confirmed = st.checkbox(
            "Yes, revoke this credential. A revocation cannot be undone.",
            key=f"issue_revoke_confirm_{prepared['digest'][:16]}",
        )
        if not confirmed:
            st.caption("Check that this is the credential to revoke, then confirm above.")
        elif transaction_flow(
            "issue_revoke_send",
            sender,
            wallet,
            [prepared["tx"]],
            label="Revoke",
            action=prepared["digest"][:16],
        ):
            page_state.finish(REVOKE)
            reset_flow("issue_revoke_send")
            st.session_state["issue_revoked"] = facts["tokenId"]
            st.rerun()

show_results()
