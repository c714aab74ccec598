"""Issuance: validation before any transaction, single and bulk issue, resuming a killed run."""

from __future__ import annotations

import io

import pytest
from _chain_fixtures import *  # noqa: F403
from _chain_fixtures import in_days
from _lookups import minted_to
from eth_account import Account

from microcred.errors import ChainError, InputError
from microcred.issuance import (
    Journal,
    Recipient,
    create_template,
    issue_bulk,
    issue_one,
    read_csv,
)
from microcred.verification import verify_wallet


class Interrupted(Exception):
    """Stands in for a kill at a chosen point of a bulk run."""


def _nonce(mc, key):
    return mc.w3.eth.get_transaction_count(key.address)


def _minted(mc, wallet):
    return minted_to(mc, wallet)


def test_one_credential_is_issued_stored_and_valid(mc, store, holder, create_credential):
    result = create_credential(holder, name="Ada Lovelace")
    assert store.has(result.cid)
    status = mc.credential_status(result.token_id)
    assert status.holder == holder and status.valid
    assert verify_wallet(mc, store, holder).all_valid


def test_template_valid_days_become_the_on_chain_expiry(mc, store, issuer_key, issuer_id, holder):
    template = create_template(
        mc,
        store,
        issuer_key,
        name="First aid",
        description="Basic first aid.",
        criteria="Attended the course.",
        valid_days=365,
    )
    result = issue_one(mc, store, issuer_key, template_id=template.template_id, recipient=holder)
    status = mc.credential_status(result.token_id)
    assert status.expires_at - status.issued_at == pytest.approx(365 * 86400, abs=60)


def test_expiry_in_the_past_is_refused_before_sending(mc, store, issuer_key, holder, template):
    before = _nonce(mc, issuer_key)
    with pytest.raises(InputError, match="not in the future"):
        issue_one(
            mc,
            store,
            issuer_key,
            template_id=template.template_id,
            recipient=holder,
            expires=in_days(mc, -1),
        )
    assert _nonce(mc, issuer_key) == before


def test_a_stranger_cannot_issue(mc, store, stranger_key, holder, template):
    with pytest.raises(InputError, match="not a signer of any issuer"):
        issue_one(mc, store, stranger_key, template_id=template.template_id, recipient=holder)


def test_a_suspended_issuers_signer_cannot_issue(
    mc, store, registrar_key, issuer_key, issuer_id, holder, template
):
    mc.suspend_issuer(registrar_key, issuer_id, "audit")
    with pytest.raises(InputError, match="suspended"):
        issue_one(mc, store, issuer_key, template_id=template.template_id, recipient=holder)


def test_unknown_and_retired_templates_are_refused(mc, store, issuer_key, holder, template):
    with pytest.raises(InputError, match="No template"):
        issue_one(mc, store, issuer_key, template_id=7, recipient=holder)
    mc.retire_template(issuer_key, template.template_id)
    with pytest.raises(InputError, match="retired"):
        issue_one(mc, store, issuer_key, template_id=template.template_id, recipient=holder)


def test_a_bad_recipient_address_is_named(mc, store, issuer_key, template):
    bad = "0x70997970C51812dc3A010C7d01b50e0d17dc79c8"
    with pytest.raises(InputError, match="wrong checksum"):
        issue_one(mc, store, issuer_key, template_id=template.template_id, recipient=bad)


def test_reissue_replaces_and_revokes_the_old_credential(
    mc, store, issuer_key, holder, other_holder, template, create_credential
):
    old = create_credential(holder).token_id
    new = issue_one(
        mc,
        store,
        issuer_key,
        template_id=template.template_id,
        recipient=other_holder,
        replaces=old,
    )
    assert mc.credential_status(old).replaced_by == new.token_id
    assert mc.credential_status(old).revoked
    [report] = verify_wallet(mc, store, other_holder).credentials
    assert report.status == "valid" and report.document.replaces == old


def test_csv_reports_every_bad_row_with_its_line(accounts):
    good = accounts[5].address
    text = (
        "address,expires,name\n"
        f"{good},2099-01-01,Ada\n"
        "0x1234,,\n"
        f"{good.lower()},not-a-date,\n"
        f"{good[:-1] + ('A' if good[-1] != 'A' else 'B')},,\n"
        f"{good},2099-01-01,Ada\n"
    )
    with pytest.raises(InputError) as err:
        read_csv(io.StringIO(text))
    message = str(err.value)
    assert "4 bad row(s)" in message
    for line in ("line 3", "line 4", "line 5", "line 6: repeats line 2"):
        assert line in message


def test_csv_with_unknown_columns_is_refused():
    with pytest.raises(InputError, match="unknown column"):
        read_csv(io.StringIO("address,email\n0x70997970C51812dc3A010C7d01b50e0d17dc79C8,a@b.c\n"))


def _recipients(accounts, count):
    wallets = [a.address for a in accounts]
    return [
        Recipient(
            address=wallets[n % len(wallets)],
            evidence=(f"https://example.org/bulk/{n}",),
            line=n + 2,
        )
        for n in range(count)
    ]


def test_bulk_run_issues_everything_in_batches(mc, store, issuer_key, template, accounts, tmp_path):
    recipients = _recipients(accounts, 7)
    result = issue_bulk(
        mc,
        store,
        issuer_key,
        template_id=template.template_id,
        recipients=recipients,
        journal_dir=tmp_path,
        batch_size=3,
    )
    assert len(result.transactions) == 3 and len(result.issued) == 7 and not result.already
    assert all(s.valid for s in mc.credentials(result.token_ids))
    again = issue_bulk(
        mc,
        store,
        issuer_key,
        template_id=template.template_id,
        recipients=recipients,
        journal_dir=tmp_path,
        batch_size=3,
    )
    assert again.issued == [] and sorted(again.already) == sorted(result.token_ids)


def test_bulk_run_with_an_expired_row_sends_nothing(
    mc, store, issuer_key, template, accounts, tmp_path
):
    recipients = _recipients(accounts, 3)
    recipients[1] = Recipient(address=recipients[1].address, expires=in_days(mc, -3), line=3)
    before = _nonce(mc, issuer_key)
    with pytest.raises(InputError, match="line 3"):
        issue_bulk(
            mc,
            store,
            issuer_key,
            template_id=template.template_id,
            recipients=recipients,
            journal_dir=tmp_path,
        )
    assert _nonce(mc, issuer_key) == before


def _every_credential_once(mc, result, recipients):
    minted = [t for w in sorted({r.address for r in recipients}) for t in _minted(mc, w)]
    assert sorted(minted) == sorted(result.token_ids)  # each issued, none twice
    assert len(set(result.token_ids)) == len(recipients)


def test_bulk_run_killed_after_a_batch_resumes_without_duplicates(
    mc, store, issuer_key, template, accounts, tmp_path, chain
):
    recipients = _recipients(accounts, 10)

    def kill_after_second(number, tx):
        if number == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        issue_bulk(
            mc,
            store,
            issuer_key,
            template_id=template.template_id,
            recipients=recipients,
            journal_dir=tmp_path,
            batch_size=3,
            after_batch=kill_after_second,
        )
    chain.mine(timestamp=chain.pending_timestamp + 600)  # the restart happens later: same documents
    result = issue_bulk(
        mc,
        store,
        issuer_key,
        template_id=template.template_id,
        recipients=recipients,
        journal_dir=tmp_path,
        batch_size=3,
    )
    assert len(result.already) == 6 and len(result.issued) == 4
    _every_credential_once(mc, result, recipients)


def test_bulk_run_killed_between_signing_and_sending_resumes(
    mc, store, issuer_key, template, accounts, tmp_path, monkeypatch
):
    recipients = _recipients(accounts, 5)
    real_broadcast = type(mc).broadcast
    sent = []

    def broadcast_then_die(self, tx):
        if sent:
            raise Interrupted  # the second batch is journaled as sent but never reaches the node
        sent.append(tx.hash)
        real_broadcast(self, tx)

    monkeypatch.setattr(type(mc), "broadcast", broadcast_then_die)
    with pytest.raises(Interrupted):
        issue_bulk(
            mc,
            store,
            issuer_key,
            template_id=template.template_id,
            recipients=recipients,
            journal_dir=tmp_path,
            batch_size=2,
        )
    monkeypatch.setattr(type(mc), "broadcast", real_broadcast)
    journal = Journal(next(tmp_path.glob("*.jsonl")))
    assert len(journal.in_flight()) == 1
    result = issue_bulk(
        mc,
        store,
        issuer_key,
        template_id=template.template_id,
        recipients=recipients,
        journal_dir=tmp_path,
        batch_size=2,
    )
    assert len(result.already) == 2 and len(result.issued) == 3
    _every_credential_once(mc, result, recipients)
    kinds = [e["kind"] for e in Journal(journal.path).entries]
    assert "dropped" in kinds and kinds[-1] == "done"


def test_a_resumed_run_does_not_count_another_issuers_copy_as_done(
    mc, store, issuer_key, registrar_key, template, accounts, tmp_path, monkeypatch, chain
):
    """An id another accredited issuer minted before this run's transaction (seen in the mempool,
    or leaked) is not work done: the resumed run stops with a sentence naming it instead of
    reporting the learner's credential as issued."""
    copycat = Account.create()
    accounts[0].transfer(copycat.address, 10**18)
    mc.register_issuer(registrar_key, name="Copycat College", signers=[copycat.address])
    recipients = _recipients(accounts, 2)
    real_broadcast = type(mc).broadcast

    def front_run(self, tx):
        monkeypatch.setattr(type(mc), "broadcast", real_broadcast)
        sent = Journal(next(tmp_path.glob("*.jsonl"))).in_flight()[-1]
        victim = int(sent["tokens"][0], 16)
        mc.transact(mc.issue_call(copycat.address, victim, 0), copycat, action="copy an id")
        real_broadcast(self, tx)  # the rightful batch now reverts: the id is taken

    monkeypatch.setattr(type(mc), "broadcast", front_run)
    kwargs = dict(template_id=template.template_id, recipients=recipients, journal_dir=tmp_path)
    with pytest.raises(ChainError):
        issue_bulk(mc, store, issuer_key, **kwargs)
    with pytest.raises(ChainError, match=r"minted by issuer \d+, not by issuer \d+: its id leaked"):
        issue_bulk(mc, store, issuer_key, **kwargs)
