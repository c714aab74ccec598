"""Duplicates and results (issue 11, problems 2, 3, 4 and 10's expiry rule): a learner named twice
in a file, or already holding a valid credential of the template, is flagged and skipped by
default; every run has a results list naming each learner. Real contracts on Ape's EthTester."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from _chain_fixtures import *  # noqa: F403
from _lookups import minted_to
from eth_account import Account

from microcred.duplicates import find_duplicates, holders_of_template, repeated_addresses
from microcred.issuance import (
    Journal,
    Recipient,
    anchor_bulk,
    create_template,
    issue_bulk,
    parse_date,
    read_csv,
    review_csv,
)
from microcred.results import results_csv, run_results

BASE = "https://verify.example.org"


def _fresh() -> str:
    return Account.create().address


def test_an_expiry_date_means_the_end_of_that_day_utc():
    assert parse_date("2027-06-30") == datetime(2027, 6, 30, 23, 59, 59, tzinfo=UTC)


def test_the_same_address_on_two_lines_with_other_cells_is_a_duplicate_not_a_bad_row():
    learner = _fresh()
    text = f"address,name\n{learner},Ada\n{learner.lower()},Ada L.\n"
    recipients = read_csv(io.StringIO(text))  # not refused: both rows are well-formed
    [duplicate] = repeated_addresses(recipients).values()
    assert duplicate.index == 1 and duplicate.first_line == 2
    assert duplicate.reason == "the same learner as line 2"


def test_review_shows_every_row_with_its_problem_beside_it():
    good, other = _fresh(), _fresh()
    text = f"address,expires\n{good},\n0x1234,\n{other},31/12/2030\n{good},\n{other},\n"
    rows = review_csv(io.StringIO(text))
    assert [row.line for row in rows] == [2, 3, 4, 5, 6]
    problems = {row.line: row.problem for row in rows}
    assert problems[2] is None and problems[6] is None
    assert "0x1234" in problems[3]
    assert "31/12/2030" in problems[4]
    assert problems[5] == "repeats line 2 (the same credential twice)"
    assert rows[2].cells["expires"] == "31/12/2030"  # the cell as written, for the preview


def test_a_holder_of_the_template_is_found_by_verifying_their_wallet(
    mc, store, issuer_key, issuer_id, template, create_credential
):
    holder, revoked_holder, nobody = _fresh(), _fresh(), _fresh()
    held = create_credential(holder).token_id
    mc.revoke(issuer_key, create_credential(revoked_holder).token_id, "Issued in error")
    other_template = create_template(
        mc, store, issuer_key, name="Other skill", description="Else.", criteria="Passed."
    )

    found = holders_of_template(
        mc,
        store,
        template_id=template.template_id,
        issuer_id=issuer_id,
        wallets=[holder, revoked_holder, nobody],
    )
    assert found == {holder: held}  # a revoked credential is no reason to skip
    assert (
        holders_of_template(
            mc, store, template_id=other_template.template_id, issuer_id=issuer_id, wallets=[holder]
        )
        == {}
    )


def test_a_learner_waiting_in_an_anchored_batch_holds_the_template(
    mc, store, issuer_key, issuer_id, template, tmp_path
):
    learner = _fresh()
    anchor_bulk(
        mc,
        store,
        issuer_key,
        template_id=template.template_id,
        recipients=[Recipient(address=learner)],
        journal_dir=tmp_path / "journal",
        proofs_dir=tmp_path / "proofs",
    )
    found = holders_of_template(
        mc, store, template_id=template.template_id, issuer_id=issuer_id, wallets=[learner]
    )
    assert list(found) == [learner]


def test_a_bulk_run_told_to_skip_leaves_duplicates_out_and_lists_them(
    mc, store, issuer_key, issuer_id, template, create_credential, tmp_path
):
    holder, learner, repeated = _fresh(), _fresh(), _fresh()
    create_credential(holder)
    recipients = read_csv(
        io.StringIO(
            "address,name\n"
            f"{holder},Holder\n{learner},Learner\n{repeated},First\n{repeated},Second\n"
        )
    )
    assert set(
        find_duplicates(
            mc, store, template_id=template.template_id, issuer_id=issuer_id, recipients=recipients
        )
    ) == {0, 3}

    result = issue_bulk(
        mc,
        store,
        issuer_key,
        template_id=template.template_id,
        recipients=recipients,
        journal_dir=tmp_path,
        duplicates="skip",
    )
    assert [r.address for r in result.recipients] == [learner, repeated]
    assert len(result.issued) == 2
    assert [(d.index, d.kind) for d in result.skipped] == [(0, "holder"), (3, "repeat")]
    assert len(minted_to(mc, holder)) == 1 and len(minted_to(mc, repeated)) == 1

    # Started again (the learners it issued to now hold the template): the same rows, not more.
    again = issue_bulk(
        mc,
        store,
        issuer_key,
        template_id=template.template_id,
        recipients=recipients,
        journal_dir=tmp_path,
        duplicates="skip",
    )
    assert again.token_ids == result.token_ids and again.already == result.token_ids
    assert [d.index for d in again.skipped] == [0, 3]
    assert Journal(result.journal).header["skipped"][0]["kind"] == "holder"


def test_issue_anyway_issues_every_row(
    mc, store, issuer_key, template, create_credential, tmp_path
):
    holder, repeated = _fresh(), _fresh()
    create_credential(holder)
    recipients = [
        Recipient(address=holder, line=2),
        Recipient(address=repeated, name="A", line=3),
        Recipient(address=repeated, name="B", line=4),
    ]
    result = issue_bulk(
        mc,
        store,
        issuer_key,
        template_id=template.template_id,
        recipients=recipients,
        journal_dir=tmp_path,
        duplicates="issue",
    )
    assert len(result.issued) == 3 and result.skipped == []
    assert len(minted_to(mc, holder)) == 2 and len(minted_to(mc, repeated)) == 2


def test_the_results_name_each_learner_with_their_credential_status_and_link(
    mc, store, issuer_key, template, create_credential, tmp_path
):
    holder, learner = _fresh(), _fresh()
    held = create_credential(holder).token_id
    recipients = [
        Recipient(address=holder, name="Holder", line=2),
        Recipient(address=learner, name="=HYPERLINK(1)", line=3),
    ]
    result = issue_bulk(
        mc,
        store,
        issuer_key,
        template_id=template.template_id,
        recipients=recipients,
        journal_dir=tmp_path,
        duplicates="skip",
    )
    rows = run_results(
        BASE,
        recipients=result.recipients,
        token_ids=result.token_ids,
        already=result.already,
        skipped=result.skipped,
        skipped_recipients=result.skipped_recipients,
    )
    table = list(csv.DictReader(io.StringIO(results_csv(rows))))
    assert [r["learner"] for r in table] == [holder, learner]
    assert table[0]["status"].startswith("skipped: already holds a valid credential")
    assert table[0]["share_link"] == f"{BASE}/verify?credential=0x{held:064x}"
    [token] = result.token_ids
    assert table[1]["credential"] == f"0x{token:064x}" and table[1]["status"] == "issued"
    assert table[1]["share_link"] == f"{BASE}/verify?credential=0x{token:064x}"
    assert table[1]["name"] == "'=HYPERLINK(1)"  # a spreadsheet shows it as text


def test_anchored_results_link_the_wallet_and_name_the_proof_file(
    mc, store, issuer_key, template, tmp_path
):
    learner = _fresh()
    batch = anchor_bulk(
        mc,
        store,
        issuer_key,
        template_id=template.template_id,
        recipients=[Recipient(address=learner, line=2)],
        journal_dir=tmp_path / "journal",
        proofs_dir=tmp_path / "proofs",
    )
    [row] = run_results(BASE, recipients=batch.recipients, token_ids=batch.token_ids, anchored=True)
    [token] = batch.token_ids
    assert row.status == "anchored, not yet in wallet"
    assert row.share_link == f"{BASE}/verify?address={learner}"
    assert (batch.proofs_dir / row.proof_file).exists() and f"{token:064x}" in row.proof_file


@pytest.mark.parametrize("policy", ["skip"])
def test_anchoring_only_duplicates_is_refused_with_a_sentence(
    mc, store, issuer_key, template, create_credential, tmp_path, policy
):
    from microcred.errors import InputError

    holder = _fresh()
    create_credential(holder)
    with pytest.raises(InputError, match="All 1 row\\(s\\) are duplicates"):
        anchor_bulk(
            mc,
            store,
            issuer_key,
            template_id=template.template_id,
            recipients=[Recipient(address=holder)],
            journal_dir=tmp_path / "journal",
            proofs_dir=tmp_path / "proofs",
            duplicates=policy,
        )
