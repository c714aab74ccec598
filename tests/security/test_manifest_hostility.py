"""Finding 3 of issue 12: a wallet lookup survives any manifest an issuer anchors.

A hostile accredited issuer anchors roots whose manifests are wrong in every way a reader can
meet (wrong types, wrong root, a page of another batch, entries that are not objects, deep
nesting, not JSON, nobody serving it). An honest issuer anchors a cohort for a learner. Whatever
the hostile manifest is, the learner's lookup shows the honest credential and one warning for
the hostile batch; a suspended issuer's batches are not even fetched; a manifest nobody serves
costs one timeout, not one per lookup. Against anvil and LocalStore, like the rest of the suite.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest
from _lookups import waiting_for
from eth_account import Account

from microcred import anchoring
from microcred.anchoring import MANIFEST_FORMAT, PAGE_FORMAT
from microcred.index import CredentialIndex, IndexSettings
from microcred.issuance import Recipient, anchor_bulk, create_template
from microcred.storage import LocalStore, open_store
from microcred.verification import parse_subject, verify

_serial = itertools.count(1)


@pytest.fixture
def restored(net):
    """The chain as it was before the test: hostile batches must not reach other tests' lookups."""
    snapshot = net.rpc("evm_snapshot")
    anchoring.UNREACHABLE.clear()
    yield
    net.rpc("evm_revert", snapshot)
    anchoring.UNREACHABLE.clear()


def _new_issuer(net, label):
    key = Account.create()
    net.rpc("anvil_setBalance", key.address, hex(10**21))
    number = next(_serial)
    issuer_id = net.chain.register_issuer(
        net.keys[0], name=f"{label} {number}", signers=[key.address]
    )
    return issuer_id, key


@pytest.fixture
def honest(net, restored, tmp_path):
    """An issuer that anchored one credential for a learner; returns (learner, token id)."""
    issuer_id, key = _new_issuer(net, "Honest College")
    template = create_template(
        net.chain,
        net.store,
        key,
        name=f"Secure coding {next(_serial)}",
        description="Writes code that survives hostile input.",
        criteria="Passed the review.",
        skills=["Secure coding"],
    )
    learner = Account.create().address
    anchor_bulk(
        net.chain,
        net.store,
        key,
        template_id=template.template_id,
        recipients=[Recipient(address=learner)],
        journal_dir=tmp_path / "journal",
        proofs_dir=tmp_path / "proofs",
    )
    [item] = waiting_for(net.chain, net.store, learner)
    return learner, item.token_id


def _anchor_raw(net, key, manifest_cid, count=1):
    root = os.urandom(32)
    net.chain.transact(
        net.chain.anchor_call(root, count, manifest_cid), key, action="anchor a hostile batch"
    )
    return "0x" + root.hex()


def _hostile(net, key, make, count=1):
    """Anchor a root whose manifest is ``make(root_hex)`` (bytes, or JSON to serialise); each
    manifest is made unique (trailing spaces) so that no earlier read is cached."""
    root = "0x" + os.urandom(32).hex()
    content = make(root)
    raw = content if isinstance(content, bytes) else json.dumps(content).encode()
    cid = net.store.put(raw + b" " * next(_serial))
    net.chain.transact(
        net.chain.anchor_call(bytes.fromhex(root[2:]), count, cid),
        key,
        action="anchor a hostile batch",
    )
    return root, cid


def _index(root, pages):
    return {"format": MANIFEST_FORMAT, "root": root, "pages": pages}


def _page_stored(net, root, entries):
    page = {"format": PAGE_FORMAT, "root": root, "entries": entries}
    return net.store.put(json.dumps(page).encode() + b" " * next(_serial))


def _everyone(cid):
    return {"cid": cid, "first": "0x" + "0" * 40, "last": "0x" + "f" * 40}


HOSTILE = {
    # The finding itself: `verify` of ANY wallet raised AttributeError.
    "pages-of-numbers": lambda net, root: _index(root, [1]),
    "pages-not-a-list": lambda net, root: _index(root, {"cid": "x"}),
    "page-fields-of-wrong-types": lambda net, root: _index(
        root, [{"cid": 7, "first": [], "last": {"a": 1}}]
    ),
    "page-cid-that-is-no-cid": lambda net, root: _index(
        root, [{"cid": "not-a-cid", "first": "0x", "last": "0xg"}]
    ),
    "wrong-root": lambda net, root: _index("0x" + "11" * 32, []),
    "wrong-format": lambda net, root: {**_index(root, []), "format": "microcred-batch/999"},
    "a-list-not-an-object": lambda net, root: [root],
    "huge-nesting": lambda net, root: b"[" * 200_000,
    "not-json": lambda net, root: b"\x89PNG\r\n\x1a\n not a manifest",
    "repeated-keys": lambda net, root: (
        b'{"format":"microcred-batch/1","root":"' + root.encode() + b'","pages":[],"pages":[]}'
    ),
    "page-of-another-batch": lambda net, root: _index(
        root, [_everyone(_page_stored(net, "0x" + "22" * 32, []))]
    ),
    "entries-that-are-not-objects": lambda net, root: _index(
        root, [_everyone(_page_stored(net, root, [1, "two", None]))]
    ),
    "entries-not-a-list": lambda net, root: _index(
        root, [_everyone(_page_stored(net, root, {"recipient": 1}))]
    ),
    "entry-fields-of-wrong-types": lambda net, root: _index(
        root,
        [
            _everyone(
                _page_stored(
                    net,
                    root,
                    [{"recipient": [], "tokenId": 1e400, "expiresAt": "x", "proof": 5}],
                )
            )
        ],
    ),
    "entry-claiming-another-root": lambda net, root: _index(
        root,
        [
            _everyone(
                _page_stored(
                    net,
                    root,
                    [
                        {
                            "recipient": "0x" + "ab" * 20,
                            "tokenId": "0x" + "01" * 32,
                            "expiresAt": 0,
                            "proof": [],
                            "root": "0x" + "33" * 32,
                        }
                    ],
                )
            )
        ],
    ),
    "unsorted-pages": lambda net, root: _index(
        root,
        [
            {"cid": _page_stored(net, root, []), "first": "0xf", "last": "0xf"},
            {"cid": _page_stored(net, root, []), "first": "0x0", "last": "0x1"},
        ],
    ),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_manifest_is_one_batch_warning_and_the_other_credentials_still_show(
    net, honest, case
):
    learner, token_id = honest
    _, key = _new_issuer(net, "Hostile Academy")
    root, cid = _hostile(net, key, lambda root: HOSTILE[case](net, root))

    for wallet in (learner, Account.create().address):  # the learner, and any other wallet
        report = verify(net.chain, net.store, parse_subject(wallet))
        hostile = [w for w in report.warnings if root in w or cid in w]
        assert len(hostile) == 1, report.warnings
        assert cid in hostile[0]
    report = verify(net.chain, net.store, parse_subject(learner))
    assert [c.token_id for c in report.credentials] == [token_id]


def test_a_wallet_claimed_by_every_page_costs_one_read_of_each_page_not_one_per_lookup(
    net, honest, tmp_path
):
    """Pages that all claim exactly the learner's address (sorted, so allowed: a wallet with
    hundreds of entries spans pages) are read once, when the index syncs their batch; the
    lookups that follow read no manifest at all, however many there are."""
    learner, token_id = honest
    _, key = _new_issuer(net, "Hostile Academy")
    store = _CountingStore(net.store_dir)
    pages = []

    def many(root):
        pages.extend(_page_stored(net, root, []) for _ in range(50))
        only = learner.lower()
        return _index(root, [{"cid": cid, "first": only, "last": only} for cid in pages])

    _hostile(net, key, many, count=10_000)
    index = CredentialIndex.open(
        net.chain, store, IndexSettings(f"sqlite:///{tmp_path / 'kept.sqlite'}", 100_000, 0)
    )
    index.sync()  # as the CLI does on first use, and the web app's writer in the background
    for _ in range(3):
        report = verify(net.chain, store, parse_subject(learner), index=index)
        assert [c.token_id for c in report.credentials] == [token_id]
    assert sorted(cid for cid in store.reads if cid in pages) == sorted(pages)


class _CountingStore(LocalStore):
    """The real embedded store, recording which objects are read."""

    def __init__(self, directory):
        super().__init__(directory)
        self.reads = []
        self._lock = threading.Lock()

    def get(self, cid, *, timeout=None):
        with self._lock:
            self.reads.append(cid)
        return super().get(cid, timeout=timeout)


def test_a_suspended_issuers_batches_are_not_fetched(net, honest):
    """Suspension stops whatever an issuer's manifests do to lookups: they are not read at all
    (the finding: `{"pages": [1]}` broke every lookup, also after the issuer was suspended)."""
    learner, token_id = honest
    hostile_id, key = _new_issuer(net, "Hostile Academy")
    _, cid = _hostile(net, key, lambda root: _index(root, [1]))
    net.chain.suspend_issuer(net.keys[0], hostile_id, "anchors broken manifests")
    store = _CountingStore(net.store_dir)

    report = verify(net.chain, store, parse_subject(learner))
    assert cid not in store.reads
    assert [c.token_id for c in report.credentials] == [token_id]
    assert not [w for w in report.warnings if cid in w]


def test_a_suspended_issuers_batch_is_read_when_the_issuer_is_reinstated(net, tmp_path):
    """Suspension puts an issuer's manifests aside (not read, no warning); reinstatement brings
    them back: the next sync of the same index reads them, and the learner's entry shows."""
    issuer_id, key = _new_issuer(net, "Paused College")
    template = create_template(
        net.chain,
        net.store,
        key,
        name=f"Paused course {next(_serial)}",
        description="A course.",
        criteria="Passed.",
    )
    learner = Account.create().address
    anchor_bulk(
        net.chain,
        net.store,
        key,
        template_id=template.template_id,
        recipients=[Recipient(address=learner)],
        journal_dir=tmp_path / "journal",
        proofs_dir=tmp_path / "proofs",
    )
    net.chain.suspend_issuer(net.keys[0], issuer_id, "under review")
    store = _CountingStore(net.store_dir)
    index = CredentialIndex.open(
        net.chain, store, IndexSettings(f"sqlite:///{tmp_path / 'kept.sqlite'}", 100_000, 0)
    )
    index.sync()
    found = index.wallet(learner)
    assert found.anchored == () and found.warnings == ()
    assert store.reads == []  # the suspended issuer's manifest was not even fetched

    net.chain.reinstate_issuer(net.keys[0], issuer_id)
    index.sync()
    [entry] = index.wallet(learner).anchored
    assert entry.recipient == learner and entry.issuer_id == issuer_id
    report = verify(net.chain, store, parse_subject(learner), index=index)
    assert [c.status for c in report.credentials] == ["anchored"]


def test_issuers_active_reads_each_issuer_once(net, honest):
    hostile_id, _ = _new_issuer(net, "Hostile Academy")
    active_id, _ = _new_issuer(net, "Quiet Institute")
    net.chain.suspend_issuer(net.keys[0], hostile_id, "suspended for the test")
    assert net.chain.issuers_active([active_id, hostile_id, active_id, 999_999]) == {
        active_id: True,
        hostile_id: False,
        999_999: False,
    }
    assert net.chain.issuers_active([]) == {}


@pytest.mark.parametrize(("retry_seconds", "asked_times"), [(None, 1), ("0", 3)])
def test_an_unreachable_manifest_costs_one_timeout_not_one_per_lookup(
    net, honest, serve, monkeypatch, retry_seconds, asked_times
):
    """A manifest CID nobody serves (the only gateway hangs): the first lookup waits out the
    fetch timeout and says so; the next lookups within the retry window do not ask again, and
    their warning says when it will be retried. ``MICROCRED_MANIFEST_RETRY_SECONDS=0`` turns the
    memory off."""
    if retry_seconds is None:
        monkeypatch.delenv("MICROCRED_MANIFEST_RETRY_SECONDS", raising=False)
    else:
        monkeypatch.setenv("MICROCRED_MANIFEST_RETRY_SECONDS", retry_seconds)
    learner, token_id = honest
    _, key = _new_issuer(net, "Hostile Academy")
    missing = LocalStore(net.store_dir.parent / f"elsewhere-{next(_serial)}").put(os.urandom(64))
    _anchor_raw(net, key, missing)
    asked = []

    class Hanging(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            asked.append(self.path)
            time.sleep(3)
            self.send_response(504)
            self.end_headers()

        def log_message(self, *args):
            pass

    store = open_store(f"local:{net.store_dir}", gateways=[serve(Hanging)], timeout=1)
    warnings = []
    for _ in range(3):
        report = verify(net.chain, store, parse_subject(learner), fetch_timeout=1)
        assert [c.token_id for c in report.credentials] == [token_id]
        warnings.append([w for w in report.warnings if missing in w])
    assert [p for p in asked if missing in p] == [f"/ipfs/{missing}"] * asked_times
    assert all(len(w) == 1 for w in warnings), warnings
    if asked_times == 1:
        assert "Not retried until" in warnings[0][0]
        assert "could not be fetched at" in warnings[1][0]
        assert "not retried until" in warnings[2][0]


def test_a_manifest_a_store_says_it_lacks_is_asked_again_and_read_once_stored(net, honest):
    """ "Not here" is a fast answer, so it is not remembered: once the manifest is pushed to the
    store, the next lookup reads it."""
    learner, token_id = honest
    _, key = _new_issuer(net, "Late Academy")
    root = "0x" + os.urandom(32).hex()
    manifest = json.dumps(_index(root, [])).encode()
    cid = LocalStore(net.store_dir.parent / f"elsewhere-{next(_serial)}").put(manifest)
    net.chain.transact(
        net.chain.anchor_call(bytes.fromhex(root[2:]), 1, cid), key, action="anchor a batch"
    )
    first = verify(net.chain, net.store, parse_subject(learner))
    assert [w for w in first.warnings if cid in w]
    net.store.put(manifest)
    second = verify(net.chain, net.store, parse_subject(learner))
    assert not [w for w in second.warnings if cid in w]
    assert [c.token_id for c in second.credentials] == [token_id]
