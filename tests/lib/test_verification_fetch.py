"""How verification reads documents: in the calling thread while they come from this machine's
disk, through threads once a read waits on something; parsed once per distinct document, and yet
fetched and hashed at every verification (on the real contracts, Ape's EthTester)."""

from __future__ import annotations

import hashlib
import threading

import pytest
from _chain_fixtures import *  # noqa: F403
from eth_account import Account

import microcred.verification as verification
from microcred.chain import CredentialStatus
from microcred.storage import Store
from microcred.verification import Evidence, verify_wallet


class RecordingStore:
    """A real store, recording which thread read which object."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.name = inner.name
        self.reads: list[tuple[str, int]] = []
        self._lock = threading.Lock()

    def put(self, data: bytes) -> str:
        return self.inner.put(data)

    def has(self, cid: str) -> bool:
        return self.inner.has(cid)

    def get(self, cid: str, *, timeout: float | None = None) -> bytes:
        with self._lock:
            self.reads.append((cid, threading.get_ident()))
        return self.inner.get(cid, timeout=timeout)


@pytest.fixture
def filled_wallet(create_credential):
    wallet = Account.create().address
    for _ in range(5):
        create_credential(wallet)
    return wallet


def test_documents_from_the_local_disk_are_read_in_the_calling_thread(
    mc, store, filled_wallet, monkeypatch
):
    monkeypatch.setattr(verification, "LOCAL_READ_SECONDS", 3600.0)  # every read counts as local
    recording = RecordingStore(store)
    report = verify_wallet(mc, recording, filled_wallet)
    assert len(report.credentials) == 5 and report.all_valid
    assert {thread for _, thread in recording.reads} == {threading.get_ident()}


def test_after_one_read_that_waited_the_rest_are_read_by_other_threads(
    mc, store, filled_wallet, monkeypatch
):
    monkeypatch.setattr(verification, "LOCAL_READ_SECONDS", 0.0)  # every read counts as slow
    recording = RecordingStore(store)
    report = verify_wallet(mc, recording, filled_wallet)
    assert len(report.credentials) == 5 and report.all_valid
    threads = [thread for _, thread in recording.reads]
    assert len(threads) == 5
    assert threads[0] == threading.get_ident()
    assert threading.get_ident() not in threads[1:]


def test_a_document_verified_again_is_fetched_again_and_given_its_own_copy(
    mc, store, create_credential
):
    wallet = Account.create().address
    token = create_credential(wallet).token_id
    recording = RecordingStore(store)
    [first] = verify_wallet(mc, recording, wallet).credentials
    [again] = verify_wallet(mc, recording, wallet).credentials
    assert first.status == again.status == "valid"
    assert [c.ok for c in again.checks] == [c.ok for c in first.checks]
    assert [cid for cid, _ in recording.reads].count(verification.cid_of_token_id(token)) == 2
    assert again.document is not None and first.document is not None
    assert again.document.data == first.document.data
    assert again.document.data is not first.document.data  # a caller may change its own


def test_bytes_that_do_not_parse_are_not_remembered():
    raw = b'{"not":"a credential"}'
    evidence = Evidence(
        token_id=int.from_bytes(hashlib.sha256(raw).digest(), "big"),
        status=CredentialStatus(
            token_id=0,
            holder=None,
            issuer_id=0,
            issued_at=0,
            expires_at=0,
            revoked_at=0,
            replaces=0,
            replaced_by=0,
            issuer_active=False,
            valid=False,
        ),
        wallet=None,
        issuer=None,
        now=0,
        chain_id=1,
        registry="0x" + "0" * 40,
        raw=raw,
    )
    verification._parse(evidence)
    assert evidence.document is None and evidence.document_error
    assert hashlib.sha256(raw).digest() not in verification._parsed
