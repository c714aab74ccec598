"""Anchored batches in the library: the Merkle tree, anchor_bulk (validate, store, manifest,
proof files, one transaction, resumable), claim, and verification's ``anchored`` status."""

from __future__ import annotations

import itertools
import json
import random

import pytest
from _chain_fixtures import *  # noqa: F403
from _chain_fixtures import in_days, travel
from _lookups import anchored_batches, waiting_for
from _page_signing import page_plan
from eth_account import Account

from microcred import anchoring
from microcred.anchoring import (
    AnchoredCredential,
    claim,
    find_proof,
    load_proof,
)
from microcred.errors import InputError
from microcred.index import CredentialIndex
from microcred.issuance import Recipient, anchor_bulk, journal_key
from microcred.merkle import Leaf, MerkleTree, hash_pair, leaf_hash, verify
from microcred.storage import LocalStore
from microcred.verification import STATUSES, verify_anchored, verify_token, verify_wallet

_serial = itertools.count(1)


class Interrupted(Exception):
    pass


def _recipients(count, **kwargs):
    return [
        Recipient(
            address=Account.create().address,
            evidence=(f"https://example.org/anchored/{next(_serial)}",),
            **kwargs,
        )
        for _ in range(count)
    ]


@pytest.fixture
def anchor(mc, store, issuer_key, template, tmp_path):
    def run(recipients, **kwargs):
        return anchor_bulk(
            mc,
            store,
            issuer_key,
            template_id=template.template_id,
            recipients=recipients,
            journal_dir=tmp_path / "journal",
            proofs_dir=tmp_path / "proofs",
            **kwargs,
        )

    return run


def _proofs(result):
    return sorted(result.proofs_dir.glob("0x*.json"))


# ------------------------------------------------------------------ the tree


def _leaves(count, rng):
    return [
        Leaf(Account.create().address, rng.getrandbits(256), rng.choice([0, 2**32 - 1]))
        for _ in range(count)
    ]


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 6, 7, 8, 9, 31, 32, 33, 100])
def test_every_proof_of_a_tree_verifies_and_no_other(size):
    rng = random.Random(size)
    leaves = _leaves(size, rng)
    tree = MerkleTree(leaves)
    assert len(tree) == size
    for leaf in leaves:
        assert verify(tree.root, leaf, tree.proof(leaf))
    stranger = Leaf(leaves[0].recipient, leaves[0].token_id + 1, leaves[0].expires_at)
    assert not verify(tree.root, stranger, tree.proof(leaves[0]))
    with pytest.raises(KeyError):
        tree.proof(stranger)


def test_root_does_not_depend_on_the_order_of_leaves():
    leaves = _leaves(11, random.Random(1))
    assert MerkleTree(leaves).root == MerkleTree(list(reversed(leaves))).root


def test_single_leaf_tree_is_its_leaf_with_an_empty_proof():
    leaf = _leaves(1, random.Random(2))[0]
    tree = MerkleTree([leaf])
    assert tree.root == leaf.hash() and tree.proof(leaf) == []


def test_leaf_hash_is_openzeppelins_double_keccak_of_the_abi_encoding():
    from eth_abi import encode
    from eth_utils import keccak

    address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    encoded = encode(["address", "uint256", "uint64"], [address, 7, 9])
    assert leaf_hash(address, 7, 9) == keccak(keccak(encoded))
    a, b = keccak(b"a"), keccak(b"b")
    assert hash_pair(a, b) == hash_pair(b, a) == keccak(min(a, b) + max(a, b))


def test_empty_and_duplicate_leaves_are_refused():
    leaf = _leaves(1, random.Random(3))[0]
    with pytest.raises(ValueError):
        MerkleTree([])
    with pytest.raises(ValueError):
        MerkleTree([leaf, leaf])


# ------------------------------------------------------------------ anchoring a batch


def test_anchor_bulk_stores_documents_manifest_and_proofs_in_one_transaction(
    mc, store, issuer_key, issuer_id, anchor
):
    recipients = _recipients(5)
    nonce = mc.w3.eth.get_transaction_count(issuer_key.address)
    result = anchor(recipients)

    assert mc.w3.eth.get_transaction_count(issuer_key.address) == nonce + 1
    anchored = mc.anchor_of(result.root)
    assert (anchored.issuer_id, anchored.count) == (issuer_id, 5)
    # Nothing is minted: each learner claims.
    assert not any(s.exists for s in mc.credentials(result.token_ids))
    proofs = [load_proof(p) for p in _proofs(result)]
    assert sorted(p.token_id for p in proofs) == sorted(result.token_ids)
    by_recipient = {p.recipient for p in proofs}
    assert by_recipient == {r.address for r in recipients}
    for item in proofs:
        assert item.proves() and item.root == result.root and item.issuer_id == issuer_id
        assert store.has(f"{item.manifest}")
    manifest = json.loads(store.get(result.manifest))
    assert manifest["root"] == result.root_hex and manifest["count"] == 5
    assert manifest["issuerId"] == issuer_id and manifest["chainId"] == mc.chain_id
    pages = manifest["pages"]
    entries = [e for p in pages for e in json.loads(store.get(p["cid"]))["entries"]]
    assert sorted(int(e["tokenId"], 16) for e in entries) == sorted(result.token_ids)
    # Sorted by recipient, each page naming its range: a wallet's entries are on one page.
    assert [e["recipient"].lower() for e in entries] == sorted(
        r.address.lower() for r in recipients
    )
    assert pages[0]["first"] == entries[0]["recipient"].lower()
    assert pages[-1]["last"] == entries[-1]["recipient"].lower()


def test_every_anchored_credential_verifies_as_anchored_then_valid_once_claimed(
    mc, store, stranger_key, anchor
):
    result = anchor(_recipients(3))
    item = load_proof(_proofs(result)[1])
    report = verify_anchored(mc, store, item)
    [entry] = report.credentials
    assert entry.status == "anchored" and report.all_valid
    assert [c.name for c in entry.checks][:2] == ["root_anchored", "in_batch"]
    assert all(c.ok for c in entry.checks)
    assert entry.to_json()["status"] == "anchored" and "anchored" in STATUSES
    assert entry.issued_at == mc.anchor_of(result.root).anchored_at

    claim(mc, stranger_key, item)  # a relayer pays; the learner gets the token
    status = mc.credential_status(item.token_id)
    assert status.holder == item.recipient and status.valid
    assert status.issued_at == mc.anchor_of(result.root).anchored_at
    assert verify_token(mc, store, item.token_id).credentials[0].status == "valid"
    assert verify_anchored(mc, store, item).credentials[0].status == "valid"
    with pytest.raises(InputError, match="in a wallet already"):
        claim(mc, stranger_key, item)


def test_find_proof_by_token_id(anchor, tmp_path):
    result = anchor(_recipients(2))
    token_id = result.token_ids[0]
    assert load_proof(find_proof(token_id, tmp_path / "proofs")).token_id == token_id
    with pytest.raises(InputError, match="No proof file"):
        find_proof(token_id + 1, tmp_path / "proofs")


def test_bad_rows_send_nothing(mc, issuer_key, anchor):
    nonce = mc.w3.eth.get_transaction_count(issuer_key.address)
    past = Recipient(address=Account.create().address, expires=in_days(mc, -2), line=3)
    with pytest.raises(InputError, match="line 3"):
        anchor([*_recipients(2), past])
    assert mc.w3.eth.get_transaction_count(issuer_key.address) == nonce


def test_run_started_again_sends_nothing_and_gives_the_same_root(mc, issuer_key, anchor):
    recipients = _recipients(4)
    first = anchor(recipients)
    nonce = mc.w3.eth.get_transaction_count(issuer_key.address)
    again = anchor(recipients)
    assert again.root == first.root and again.tx_hash is None
    assert mc.w3.eth.get_transaction_count(issuer_key.address) == nonce


def test_run_killed_before_broadcast_resumes_and_anchors_once(mc, issuer_key, anchor, monkeypatch):
    recipients = _recipients(3)
    original = type(mc).broadcast

    def killed(self, tx):
        raise Interrupted

    monkeypatch.setattr(type(mc), "broadcast", killed)
    with pytest.raises(Interrupted):
        anchor(recipients)
    monkeypatch.setattr(type(mc), "broadcast", original)
    result = anchor(recipients)
    assert mc.anchor_of(result.root).exists and result.tx_hash is not None
    assert anchor(recipients).tx_hash is None


def test_ids_on_chain_already_are_refused_before_anchoring(
    mc, store, issuer_key, template, anchor, tmp_path
):
    recipients = _recipients(2)
    first = anchor(recipients)
    item = load_proof(_proofs(first)[0])
    claim(mc, issuer_key, item)
    # Another batch holding one of the same documents: its journal pins the same issue time.
    subset = [r for r in recipients if r.address == item.recipient]
    start = first.journal.read_text().splitlines()[0]
    key = journal_key(mc, issuer_key.address, template.template_id, subset)
    (first.journal.parent / f"anchor-{key}.jsonl").write_text(start + "\n")
    nonce = mc.w3.eth.get_transaction_count(issuer_key.address)
    with pytest.raises(InputError, match="on chain already"):
        anchor(subset)
    assert mc.w3.eth.get_transaction_count(issuer_key.address) == nonce


# ------------------------------------------------------------------ verification verdicts


def test_revoked_unclaimed_entry_verifies_revoked_and_cannot_be_claimed(
    mc, store, issuer_key, stranger_key, anchor
):
    result = anchor(_recipients(2))
    item = load_proof(_proofs(result)[0])
    mc.revoke_anchored(
        issuer_key,
        root=item.root,
        recipient=item.recipient,
        token_id=item.token_id,
        expires_at=item.expires_at,
        proof=item.proof,
        reason="withdrawn",
    )
    [entry] = verify_anchored(mc, store, item).credentials
    assert entry.status == "revoked" and entry.revocation_reason == "withdrawn"
    with pytest.raises(InputError, match="revoked"):
        claim(mc, stranger_key, item)


def test_altered_proof_file_is_tampered_and_refused(mc, store, stranger_key, anchor):
    result = anchor(_recipients(2))
    item = load_proof(_proofs(result)[0])
    altered = AnchoredCredential(**{**item.__dict__, "recipient": Account.create().address})
    [entry] = verify_anchored(mc, store, altered).credentials
    assert entry.status == "tampered"
    assert not next(c for c in entry.checks if c.name == "in_batch").ok
    with pytest.raises(InputError, match="altered"):
        claim(mc, stranger_key, altered)


def test_unknown_root_is_not_found(mc, store, anchor):
    result = anchor(_recipients(1))
    item = load_proof(_proofs(result)[0])
    other = AnchoredCredential(**{**item.__dict__, "root": b"\x09" * 32, "proof": ()})
    assert verify_anchored(mc, store, other).credentials[0].status == "not_found"


def test_suspended_issuer_gives_issuer_suspended(mc, store, registrar_key, issuer_id, anchor):
    result = anchor(_recipients(1))
    item = load_proof(_proofs(result)[0])
    mc.suspend_issuer(registrar_key, issuer_id, "audit")
    assert verify_anchored(mc, store, item).credentials[0].status == "issuer_suspended"
    assert not verify_anchored(mc, store, item).all_valid


def test_expired_entry_gives_expired(mc, store, chain, anchor):
    result = anchor(_recipients(1, expires=in_days(mc, 2)))
    item = load_proof(_proofs(result)[0])
    travel(chain, 3 * 86400)
    assert verify_anchored(mc, store, item).credentials[0].status == "expired"


def test_activity_counts_an_anchored_batch_as_issued(mc, store, issuer_id, anchor):
    def issued() -> int:
        index = CredentialIndex.throwaway(mc, store)
        return sum(a.issued for a in index.activity() if a.issuer_id == issuer_id)

    before = issued()
    anchor(_recipients(4))
    after = issued()
    assert after == before + 4


def test_plan_anchor_builds_the_call_a_browser_wallet_signs(
    mc, store, issuer_key, template, tmp_path
):
    plan = page_plan(
        mc,
        store,
        issuer_key,
        template_id=template.template_id,
        recipients=_recipients(3),
        anchor=True,
        proofs_dir=tmp_path / "proofs",
    )
    assert plan.call is not None and not mc.anchor_of(plan.batch.root).exists
    assert plan.register_call is None  # the fixture's issuer registered the same key already
    mc.send_unsigned(mc.unsigned(plan.call), issuer_key)  # what the wallet would send
    assert mc.anchor_of(plan.batch.root).count == 3
    item = load_proof(_proofs(plan.batch)[0])
    assert verify_anchored(mc, store, item).credentials[0].status == "anchored"


def test_root_and_proof_equal_openzeppelins_standard_merkle_tree():
    """Known vector from @openzeppelin/merkle-tree 1.0.8 (npm): StandardMerkleTree.of(values,
    ["address", "uint256", "uint64"]) for leaf i = (i * 1111, i * 10**70, 0 or 4e9 + i), i = 1..7;
    its root and getProof(3)."""
    leaves = [
        Leaf(f"0x{i * 1111:040x}", i * 10**70, 0 if i % 2 else 4_000_000_000 + i)
        for i in range(1, 8)
    ]
    tree = MerkleTree(leaves)
    assert tree.root_hex == "0x1f981e91b56048ee210a9093179252c1b4ca99e3a5ab5ce5121d6251d6eb9474"
    assert ["0x" + p.hex() for p in tree.proof(leaves[3])] == [
        "0x9b381bb4545d849866786854ec00367871ccf6d5066d98bd06b97660651942e3",
        "0xe16fad9b416f5f252a5a193a3d5d2e8744e91c233fa96917e8fc9b1b7a3d88fe",
        "0x5a85a9c106c54c03264232a1deca7bb62d5ab03db2b8adc3c395a68b56d4a897",
    ]


# ------------------------------------------------------------------ finding by wallet or token id


def test_a_wallet_finds_what_waits_for_it_across_batches_and_pages(
    mc, store, stranger_key, anchor, monkeypatch
):
    monkeypatch.setattr(anchoring, "PAGE_SIZE", 2)  # 7 entries: four pages
    learner = Account.create().address
    first = anchor([*_recipients(3), Recipient(address=learner, evidence=("https://e.org/a",))])
    second = anchor([*_recipients(2), Recipient(address=learner, evidence=("https://e.org/b",))])
    assert len(json.loads(store.get(first.manifest))["pages"]) == 2

    found = {i.token_id: i for i in waiting_for(mc, store, learner)}
    mine = {t for r in (first, second) for t in r.token_ids if t in found}
    assert set(found) == mine and len(mine) == 2
    assert all(item.proves() and item.recipient == learner for item in found.values())

    report = verify_wallet(mc, store, learner)
    assert sorted(c.status for c in report.credentials) == ["anchored", "anchored"]
    assert all(c.holder is None and c.proof is not None for c in report.credentials)
    assert report.all_valid and not report.warnings

    claim(mc, stranger_key, next(iter(found.values())))
    after = verify_wallet(mc, store, learner)
    assert sorted(c.status for c in after.credentials) == ["anchored", "valid"]
    held = [c for c in after.credentials if c.status == "valid"]
    assert held[0].holder == learner and held[0].proof is None


def test_a_manifest_out_of_reach_is_a_warning_not_a_crash(mc, store, anchor, tmp_path):
    learner = Account.create().address
    anchor([Recipient(address=learner, evidence=("https://e.org/c",))])
    anchoring._OBJECTS.clear()  # nothing read before: the empty store below is all there is
    empty = LocalStore(tmp_path / "empty-store")
    report = verify_wallet(mc, empty, learner)
    assert report.credentials == ()  # the learner's credential cannot be found without it...
    assert any(  # ...and the report says which batch was not looked at, rather than "none"
        "manifest" in w and f"0x{b.root.hex()}" in w
        for w in report.warnings
        for b in anchored_batches(mc, store)
    )


def test_staff_find_an_unclaimed_credential_by_token_id(mc, store, anchor, issuer_id):
    result = anchor(_recipients(3))
    wanted = result.token_ids[2]
    index = CredentialIndex.throwaway(mc, store)
    item = index.anchored_entry(wanted, issuer_id=issuer_id)
    assert item is not None
    assert item.token_id == wanted and item.root == result.root and item.proves()
    assert index.anchored_entry(12345, issuer_id=issuer_id) is None
    assert index.anchored_entry(wanted, issuer_id=issuer_id + 1) is None
