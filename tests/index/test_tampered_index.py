"""The index is for discovery only: a wrong or tampered row can hide or delay a credential, never
make a false one verify. Each test syncs a real index, edits its rows as an attacker with write
access to the database would, and looks up through it: the verdicts are still the chain's and
the documents'.

Wrong holder, wrong token id, an anchored entry with a forged proof, one naming another wallet,
one of another issuer's batch, and one whose made-up root is consistent with its own proof."""

from __future__ import annotations

import pytest
from _index_lookup import CountingStore, open_through
from eth_account import Account
from sqlalchemy import insert, select, update

from microcred.index import schema as t
from microcred.merkle import Leaf
from microcred.verification import GOOD_STATUSES, Subject, verify

STRANGER = Account.create().address


@pytest.fixture
def looked_up(many_batches, index_url):
    """(chain, index) synced for the many-batches world, and a lookup function."""
    store = CountingStore(many_batches.store_dir)
    chain, index = open_through(many_batches.url, many_batches.deployment_path, store, index_url)
    assert index.sync() is not None

    def lookup(wallet):
        return verify(chain, store, Subject(address=wallet), index=index)

    return index, lookup


def _key(index):
    return {
        "chain_id": index.deployment.chain_id,
        "contract": index.deployment.credential.address.lower(),
    }


def _good(report):
    return {c.token_id for c in report.credentials if c.status in GOOD_STATUSES}


def _hex(value):
    return f"0x{value:064x}" if isinstance(value, int) else "0x" + bytes(value).hex()


def test_a_minted_row_moved_to_another_wallet_verifies_for_neither_wrongly(looked_up, many_batches):
    index, lookup = looked_up
    with index.engine.begin() as conn:
        conn.execute(
            update(t.minted)
            .where(t.minted.c.token_id == _hex(many_batches.minted))
            .values(holder=STRANGER.lower())
        )
    assert _good(lookup(STRANGER)) == set()  # the chain says the wallet holds it, not STRANGER
    # The real holder's lookup no longer finds it: hidden, never false.
    assert many_batches.minted not in _good(lookup(many_batches.wallet))


def test_a_row_with_a_wrong_token_id_adds_nothing(looked_up, many_batches):
    index, lookup = looked_up
    with index.engine.begin() as conn:
        conn.execute(
            insert(t.minted).values(
                **_key(index),
                block=1,
                log_index=999,
                token_id=_hex(12345),
                holder=many_batches.wallet.lower(),
                tx_hash=_hex(1),
            )
        )
    report = lookup(many_batches.wallet)
    assert {c.token_id for c in report.credentials} == {many_batches.minted, many_batches.anchored}


def _entry_row(index, many_batches):
    with index.engine.connect() as conn:
        return (
            conn.execute(
                select(t.anchored_entries).where(
                    t.anchored_entries.c.token_id == _hex(many_batches.anchored),
                    t.anchored_entries.c.root == _hex(many_batches.anchored_root),
                )
            )
            .one()
            ._asdict()
        )


def test_an_anchored_entry_with_a_forged_proof_is_not_offered(looked_up, many_batches):
    index, lookup = looked_up
    row = _entry_row(index, many_batches)
    with index.engine.begin() as conn:
        conn.execute(
            update(t.anchored_entries)
            .where(t.anchored_entries.c.token_id == row["token_id"])
            .values(proof=_hex(7) + "," + _hex(8))
        )
    assert many_batches.anchored not in _good(lookup(many_batches.wallet))


def test_an_anchored_entry_given_to_another_wallet_does_not_verify_for_it(looked_up, many_batches):
    index, lookup = looked_up
    row = _entry_row(index, many_batches)
    with index.engine.begin() as conn:
        conn.execute(
            update(t.anchored_entries)
            .where(t.anchored_entries.c.token_id == row["token_id"])
            .values(recipient=STRANGER.lower())
        )
    # The leaf names the wallet, not STRANGER: the proof cannot lead from STRANGER's leaf.
    assert _good(lookup(STRANGER)) == set()


def test_an_entry_credited_to_another_issuer_does_not_verify(looked_up, many_batches):
    index, lookup = looked_up
    row = _entry_row(index, many_batches)
    with index.engine.begin() as conn:
        conn.execute(
            update(t.anchored_entries)
            .where(t.anchored_entries.c.token_id == row["token_id"])
            .values(issuer_id=many_batches.other_issuer)
        )
    report = lookup(many_batches.wallet)
    assert all(c.issuer_id != many_batches.other_issuer for c in report.credentials)
    assert many_batches.anchored not in _good(report)


def test_a_made_up_root_with_a_consistent_proof_is_not_offered(looked_up, many_batches):
    """A one-leaf "batch" whose root is the leaf itself: its proof holds, but the chain never
    anchored that root, so nothing is shown for it."""
    index, lookup = looked_up
    leaf = Leaf(STRANGER, many_batches.minted, 0)  # even reusing a real credential's id
    with index.engine.begin() as conn:
        conn.execute(
            insert(t.anchored_entries).values(
                **_key(index),
                root=_hex(leaf.hash()),
                token_id=_hex(many_batches.minted),
                recipient=STRANGER.lower(),
                expires_at=0,
                issuer_id=1,
                proof="",
                manifest="bafkforged",
                block=1,
            )
        )
    report = lookup(STRANGER)
    assert report.credentials == ()
