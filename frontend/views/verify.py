"""Verify: anyone checks the credentials of a wallet, a token id or a share link, walletless; or
an anchored credential not claimed yet, from its proof file."""

from __future__ import annotations

import json
from types import ModuleType

import streamlit as st
from ui import checks_table, error, link, md, revoked_on, upload_label, verdict_badge, when
from upload_limits import PROOF_FILE, UploadRefused, help_text, read_upload


def _services() -> ModuleType:
    """The library door, imported when first needed: it pulls in web3 and the chain clients
    (~2 s on a cold start), and the landing page draws its form without them."""
    import services

    return services


def _subject_from_query() -> str:
    params = st.query_params
    return params.get("credential") or params.get("address") or ""


def render() -> None:
    st.title("Verify credentials")
    st.caption(
        "Paste a learner's wallet address, a credential id or a share link. The result is computed "
        "here from the blockchain and the document's own hash: nobody needs to be asked."
    )
    initial = _subject_from_query()
    with st.form("verify_form", border=False):
        subject = st.text_input(
            "Wallet address, credential id or share link",
            value=initial,
            key="verify_subject",
            placeholder="0x…",
        )
        submitted = st.form_submit_button("Verify", type="primary", key="verify_submit")
    proof_file = st.file_uploader(
        upload_label(
            "…or the proof file of an anchored credential not yet in a wallet (JSON)", PROOF_FILE
        ),
        type=["json"],
        key="verify_proof",
        help=help_text(PROOF_FILE),
    )
    if proof_file is not None:
        services = _services()
        try:
            with st.spinner("Checking the proof, the chain and the document…"):
                proof = services.read_proof_file(read_upload(proof_file, PROOF_FILE))
                render_report(services.verify_proof(proof), source="proof")
        except (services.UserFacingError, UploadRefused) as err:
            error(str(err))
    subject = (subject or "").strip()
    if not subject or not (submitted or initial):
        return
    services = _services()
    try:
        with st.spinner("Checking the chain and the documents…"):
            report = services.verify(subject)
    except services.UserFacingError as err:
        error(str(err))
        return
    render_report(report)


def render_report(report: dict, *, source: str = "subject") -> None:
    credentials = report["credentials"]
    for warning in report.get("warnings") or []:
        st.warning(f"Not checked: {md(warning)}", icon=":material/cloud_off:")
    if not credentials:
        st.info(f"No credentials found for {md(report['subject'])}.", icon=":material/search_off:")
        return
    if source == "subject" and all(never_issued(c) for c in credentials):
        # Asked about one id that the chain never saw: there is nothing to show a card about.
        st.info(
            f"No credential with this id on this chain: {md(report['subject'])}. Check the id "
            "(or the share link) with whoever sent it.",
            icon=":material/search_off:",
        )
        return
    counts: dict[str, int] = {}
    for credential in credentials:
        counts[credential["status"]] = counts.get(credential["status"], 0) + 1
    summary = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in sorted(counts.items()))
    st.subheader(f"{len(credentials)} credential{'s' if len(credentials) != 1 else ''}: {summary}")
    for credential in credentials:
        credential_card(credential, chain_id=report["chainId"], source=source)


def never_issued(credential: dict) -> bool:
    """The chain has no record of this id at all (not revoked, not burned: never issued)."""
    first = next(iter(credential.get("checks") or []), None)
    return (
        credential["status"] == "not_found"
        and not credential.get("proof")
        and first is not None
        and first["name"] == "token_exists"
        and not first["ok"]
    )


def credential_card(credential: dict, *, chain_id: int, source: str) -> None:
    services = _services()
    token_id = credential["tokenId"]
    issuer = credential.get("issuer") or {}
    # An anchored credential not claimed yet: nobody holds it, its proof names the recipient.
    waiting = (credential.get("proof") or {}).get("recipient")
    recipient = credential.get("holder") or waiting or "nobody"
    with st.container(border=True, key=f"verify_card_{source}_{token_id}"):
        top = st.columns([4, 2])
        with top[0]:
            st.markdown(f"### {md(credential.get('achievement') or 'Unknown achievement')}")
            st.markdown(
                f"Issued by **{md(issuer.get('name') or 'unknown issuer')}** "
                f"(issuer #{issuer.get('id', '?')}) to `{recipient}`"
                + (" (anchored in a batch; not claimed to the wallet yet)" if waiting else "")
            )
        with top[1]:
            verdict_badge(credential["status"])
            if revoked := revoked_on(credential):
                st.markdown(f"Revoked on {revoked}")
            if credential.get("revocationReason"):
                st.markdown(f"Reason: {md(credential['revocationReason'])}")
        cols = st.columns(2)
        cols[0].metric("Issued", when(credential.get("issuedAt")))
        cols[1].metric("Expires", when(credential.get("expiresAt")))
        st.caption(f"Credential id `{token_id}`")
        with st.expander("Checks behind this verdict"):
            checks_table(credential.get("checks") or [])
        document = credential.get("document")
        if document:
            evidence = document.get("evidence") or []
            if evidence:
                st.markdown("**Evidence**")
                for item in evidence:
                    url = item.get("id") if isinstance(item, dict) else item
                    st.markdown(f"- {link(url)}")
            with st.expander("Credential document (Open Badges 3.0 JSON)"):
                st.code(json.dumps(document, indent=2, ensure_ascii=False), language="json")
        # Until it is claimed, only the recipient's wallet link finds it (through the batch).
        share = (
            services.share_link(address=waiting)
            if waiting
            else services.share_link(credential=token_id)
        )
        st.caption(f"Share link: {md(share)}")
        explorer = services.explorer_tx_url(chain_id, credential.get("issueTx"))
        if explorer:
            st.link_button("View the transaction", explorer)


render()
