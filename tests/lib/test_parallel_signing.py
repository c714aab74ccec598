"""Bulk runs hash their documents on worker processes (microcred.vc.hash_pool) once they have
MIN_DOCUMENTS rows: the documents, and so the token ids, are exactly those of a run that hashes
in one process, and a bad row is named the same way."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from _chain_fixtures import *  # noqa: F403
from _chain_fixtures import in_days
from _page_signing import page_key
from eth_account import Account

from microcred.cid import cid_of_token_id
from microcred.errors import InputError
from microcred.issuance import Recipient, issue_bulk, signing_request
from microcred.vc import verify as vc_verify
from microcred.vc.hash_pool import MIN_DOCUMENTS, WORKERS_VARIABLE

ROWS = MIN_DOCUMENTS + 10


def _rows(mc, count=ROWS):
    expires = in_days(mc, 400)
    return [
        Recipient(
            address=Account.create().address,
            expires=expires if n % 2 else None,
            evidence=(f"https://example.org/parallel/{n}",) if n % 3 == 0 else (),
            name="Grace Hopper" if n % 5 == 0 else None,
            line=n + 2,
        )
        for n in range(count)
    ]


def _request(mc, store, issuer_key, template, rows):
    return signing_request(
        mc,
        store,
        signer=issuer_key.address,
        issuer_did=page_key(mc, issuer_key).did,
        template_id=template.template_id,
        recipients=rows,
    )


def test_the_pages_hash_data_is_the_same_on_workers_and_in_one_process(
    mc, store, issuer_key, template, monkeypatch
):
    rows = _rows(mc)
    monkeypatch.setenv(WORKERS_VARIABLE, "2")
    on_workers = _request(mc, store, issuer_key, template, rows)
    monkeypatch.setenv(WORKERS_VARIABLE, "0")
    in_process = _request(mc, store, issuer_key, template, rows)
    assert len(on_workers.hashes) == ROWS
    assert on_workers.hashes == in_process.hashes and on_workers.digests == in_process.digests


@pytest.mark.parametrize("workers", ["2", "0"])
def test_a_bad_row_among_many_is_named_whoever_hashes(
    mc, store, issuer_key, template, monkeypatch, workers
):
    rows = _rows(mc)
    rows[150] = Recipient(
        address=rows[150].address, expires=datetime(2020, 1, 1, tzinfo=UTC), line=152
    )
    rows[170] = Recipient(address="0x1234", line=172)
    monkeypatch.setenv(WORKERS_VARIABLE, workers)
    with pytest.raises(InputError) as raised:
        _request(mc, store, issuer_key, template, rows)
    message = str(raised.value)
    assert message.startswith("2 bad row(s), nothing was sent")
    assert "line 152: the expiry 2020-01-01" in message and "line 172:" in message


def test_a_bulk_run_signed_on_workers_resumes_in_one_process_with_the_same_ids(
    mc, store, issuer_key, template, tmp_path, monkeypatch
):
    rows = _rows(mc)

    def run(workers: str):
        monkeypatch.setenv(WORKERS_VARIABLE, workers)
        return issue_bulk(
            mc,
            store,
            issuer_key,
            template_id=template.template_id,
            recipients=rows,
            journal_dir=tmp_path,
        )

    first = run("2")
    assert len(first.issued) == ROWS
    assert all(s.valid for s in mc.credentials(first.token_ids))
    for token_id in (first.token_ids[0], first.token_ids[-1]):  # a worker's proof verifies
        assert vc_verify(json.loads(store.get(cid_of_token_id(token_id)))).ok
    again = run("0")
    assert again.issued == [] and sorted(again.already) == sorted(first.token_ids)
