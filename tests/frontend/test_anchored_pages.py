"""Anchored batches in the pages (AppTest, real chain and store; see conftest.py): the verdict of a
credential waiting in a batch, a proof file on Verify, anchoring a CSV on Issue, claiming on My
credentials and revoking before anyone claims."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _apptest import open_page, token_hex
from _lookups import minted_to
from eth_account import Account
from streamlit.testing.v1 import AppTest

from microcred.anchoring import AnchoredCredential
from microcred.verification import verify_anchored, verify_wallet

# anvil's default key 1, Example University's signer as seeded by conftest.py.
ISSUER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
ANCHORED = "Anchored, not yet in wallet]"  # the badge as st.badge writes it in Markdown
World = Any  # conftest.World
Batch = Any  # conftest.Batch


def texts(at: AppTest) -> str:
    parts: list[Any] = [m.value for m in at.markdown]
    parts += [e.value for e in (*at.error, *at.warning, *at.info, *at.success, *at.caption)]
    return "\n".join(str(p) for p in parts)


def checks_of(at: AppTest) -> dict[str, str]:
    rows = [row for frame in at.dataframe for row in frame.value.to_dict("records")]
    return {row["check"]: row["result"] for row in rows}


def upload_proof(at: AppTest, data: bytes) -> AppTest:
    at.file_uploader(key="verify_proof").set_value(("proof.json", data, "application/json")).run()
    assert not at.exception, at.exception
    return at


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


# --- Verify ----------------------------------------------------------------------------------


def test_a_proof_file_on_verify_shows_anchored_with_its_checks(
    app_env: World, anchored_batch: Batch
) -> None:
    item = anchored_batch.items[0]
    at = upload_proof(open_page(), json.dumps(item.to_json()).encode())
    shown = texts(at)
    assert ANCHORED in shown
    assert "Solidity basics" in shown
    assert "not claimed to the wallet yet" in shown
    checks = checks_of(at)
    assert list(checks)[:2] == ["root_anchored", "in_batch"]
    assert set(checks.values()) == {"passed"}


def test_an_altered_proof_file_is_not_anchored(app_env: World, anchored_batch: Batch) -> None:
    data = anchored_batch.items[0].to_json()
    data["expiresAt"] = 4102444800  # the learner gives it a longer life: the leaf changes
    at = upload_proof(open_page(), json.dumps(data).encode())
    assert ANCHORED not in texts(at)
    assert "Tampered]" in texts(at)
    assert checks_of(at)["in_batch"] == "failed"


def test_a_file_that_is_not_a_proof_file_says_so(app_env: World) -> None:
    at = upload_proof(open_page(), b"\x89PNG not json")
    assert "not a proof file" in at.error[0].value


def test_a_wallet_lists_its_credentials_waiting_in_a_batch(
    app_env: World, anchored_batch: Batch
) -> None:
    at = open_page()
    at.text_input(key="verify_subject").set_value(anchored_batch.recipients[0])
    click(at, "verify_submit")
    assert at.subheader[0].value == "1 credential: 1 anchored"
    assert ANCHORED in texts(at)


# --- My credentials: claim -------------------------------------------------------------------


def test_a_learner_claims_an_anchored_credential_into_the_wallet(
    app_env: World, anchored_batch: Batch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MICROCRED_DEMO_SIGNER_KEY", ISSUER_KEY)  # anyone may pay for a claim
    learner, item = anchored_batch.recipients[1], anchored_batch.items[1]
    at = open_page("my_credentials")
    at.text_input(key="wallet_address").set_value(learner).run()
    assert not at.exception, at.exception
    assert "(1 waiting to be claimed)" in texts(at)
    assert ANCHORED in texts(at)
    click(at, f"wallet_claim_{token_hex(item.token_id)}")
    click(at, "wallet_claim_send_send")
    shown = texts(at)
    assert f"is in the wallet {learner} now." in shown
    assert "Valid]" in shown and ANCHORED not in shown
    assert "waiting to be claimed" not in shown
    assert app_env.chain.credential_status(item.token_id).holder == learner


# --- Issue: anchor a CSV, revoke before a claim ----------------------------------------------


def test_the_issue_page_anchors_a_csv_in_one_transaction(
    app_env: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MICROCRED_DEMO_SIGNER_KEY", ISSUER_KEY)
    signer = Account.from_key(ISSUER_KEY).address
    cohort = [Account.create().address for _ in range(3)]
    at = open_page("issue")
    csv = "address\n" + "".join(f"{a}\n" for a in cohort)
    at.file_uploader(key="issue_csv").set_value(("cohort.csv", csv.encode(), "text/csv")).run()
    at.radio(key="issue_csv_mode").set_value("anchor").run()
    click(at, "issue_csv_prepare")
    assert not at.error, [e.value for e in at.error]
    # The demo signer's signing key for this app is new to the registry: registered first, once.
    assert "The first transaction registers the key that signed these credentials" in texts(at)
    nonce = app_env.chain.w3.eth.get_transaction_count(signer)
    click(at, "issue_anchor_send_send")
    assert "Anchored 3 credential(s) in one transaction." in texts(at)
    assert app_env.chain.w3.eth.get_transaction_count(signer) == nonce + 2
    root = next(m.value for m in at.markdown if "Merkle root:" in m.value)
    root_hex = root.split("`")[1]
    anchor = app_env.chain.anchor_of(bytes.fromhex(root_hex[2:]))
    assert anchor.exists and anchor.issuer_id == app_env.issuer_id and anchor.count == 3
    # The demo's store is this server's own: the manifest is offered as a download, never as a
    # link to a public gateway that could not find it.
    assert "/ipfs/" not in root
    [manifest] = [d for d in at.get("download_button") if "manifest" in d.proto.label]
    assert manifest.proto.label == "Download the batch manifest (JSON)"
    assert "My credentials" in texts(at)
    for learner in cohort:
        assert minted_to(app_env.chain, learner) == []
        report = verify_wallet(app_env.chain, app_env.store, learner)
        assert [c.status for c in report.credentials] == ["anchored"]


def test_staff_revoke_a_credential_nobody_has_claimed(
    app_env: World, anchored_batch: Batch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MICROCRED_DEMO_SIGNER_KEY", ISSUER_KEY)
    item: AnchoredCredential = anchored_batch.items[2]
    at = open_page("issue")
    at.text_input(key="issue_revoke_token").set_value(token_hex(item.token_id))
    at.text_input(key="issue_revoke_reason").set_value("Failed the resit")
    next(b for b in at.button if b.label == "Prepare revocation").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    [confirm] = [c for c in at.checkbox if c.key.startswith("issue_revoke_confirm_")]
    confirm.check().run()
    click(at, "issue_revoke_send_send")
    assert "Revoked: verifiers now see it as revoked" in texts(at)
    (report,) = verify_anchored(app_env.chain, app_env.store, item).credentials
    assert report.status == "revoked" and report.revocation_reason == "Failed the resit"


def test_manifest_links_go_to_a_gateway_only_when_one_can_serve_them(
    app_env: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "frontend"))
    import services

    cid = app_env.store.put(b'{"format": "microcred-batch/1"}')
    monkeypatch.delenv("MICROCRED_IPFS_GATEWAYS", raising=False)
    assert services.ipfs_url(cid) is None  # only in the embedded store
    assert services.stored_object(cid) == b'{"format": "microcred-batch/1"}'
    monkeypatch.setenv("MICROCRED_IPFS_GATEWAYS", "https://gateway.example.org")
    assert services.ipfs_url(cid) == f"https://gateway.example.org/ipfs/{cid}"
