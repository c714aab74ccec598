"""Anchored batches (issue 6) under the issue-5 lens: what a batch publishes, what a forged or
altered manifest can do (nothing), what happens when IPFS is out of reach, and refusals that send
nothing. Against anvil and the embedded store, like the rest of tests/security."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from _lookups import anchored_batches, waiting_for
from eth_account import Account
from test_faults import _congested
from test_privacy import _personal

from microcred import anchoring
from microcred.anchoring import claim
from microcred.documents import build_credential
from microcred.errors import InputError, StorageError
from microcred.issuance import Journal, Recipient, anchor_bulk, issuer_profile
from microcred.merkle import Leaf, MerkleTree
from microcred.replacement import FeePolicy
from microcred.storage import LocalStore, open_store
from microcred.verification import verify_wallet


def _anchor(net, issuer, tmp_path, recipients, store=None):
    return anchor_bulk(
        net.chain,
        store or net.store,
        issuer.key,
        template_id=issuer.template.template_id,
        recipients=recipients,
        journal_dir=tmp_path / "journal",
        proofs_dir=tmp_path / "proofs",
    )


def test_a_batch_manifest_holds_addresses_ids_and_proofs_only(net, issuer, tmp_path):
    """Even when the issuer opts in a learner's name, it goes into that learner's document only:
    the manifest (public forever, and readable by anyone) lists wallets, ids, expiries, proofs."""
    named = Recipient(address=Account.create().address, name="Ada Lovelace")
    result = _anchor(net, issuer, tmp_path, [named, Recipient(address=Account.create().address)])
    index = json.loads(net.store.get(result.manifest))
    pages = [json.loads(net.store.get(p["cid"])) for p in index["pages"]]
    assert _personal(index) == [] and all(_personal(page) == [] for page in pages)
    assert {key for page in pages for e in page["entries"] for key in e} == {
        "recipient",
        "tokenId",
        "expiresAt",
        "proof",
    }


def test_a_forged_proof_file_cannot_make_a_credential_verify(net, issuer, tmp_path):
    """A proof file built from a forged entry (another id, the same proof) fails the Merkle check
    and cannot be claimed; the wallet lookup still shows the one real credential."""
    learner = Account.create().address
    result = _anchor(net, issuer, tmp_path, [Recipient(address=learner)])
    [item] = waiting_for(net.chain, net.store, learner)
    forged = anchoring.AnchoredCredential.from_json(
        {**item.to_json(), "tokenId": f"0x{item.token_id ^ 1:064x}"}  # another id, same proof
    )
    assert not forged.proves()
    with pytest.raises(InputError, match="does not lead to its root"):
        claim(net.chain, net.keys[7], forged)
    report = verify_wallet(net.chain, net.store, learner)
    assert [c.token_id for c in report.credentials] == [item.token_id]
    assert report.credentials[0].status == "anchored"
    assert result.root == item.root


# --------------------------------------------------------------------------------------------------
# Forged manifests, stored and anchored for real: an accredited issuer (the forger) anchors a root
# whose manifest lists what is not under that root. A wallet lookup reads the forged manifest (the
# event names it) and must never show its entries as anchored or valid.
# --------------------------------------------------------------------------------------------------


def _entry(recipient: str, token_id: int, expires_at: int, proof) -> dict:
    hexes = [p if isinstance(p, str) else "0x" + bytes(p).hex() for p in proof]
    return {"recipient": recipient, "tokenId": f"0x{token_id:064x}", "expiresAt": expires_at,
            "proof": hexes}  # fmt: skip


def _canonical(data) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def _anchor_forged_manifest(net, forger, tree: MerkleTree, entries: list[dict]) -> bytes:
    """As ``forger``: store a manifest (index and one page, in the real format) listing
    ``entries`` for the root of ``tree``, and anchor that root with it. Returns the root."""
    root = "0x" + tree.root.hex()
    entries = sorted(entries, key=lambda e: e["recipient"].lower())
    page = net.store.put(_canonical({"format": anchoring.PAGE_FORMAT, "root": root,
                                     "entries": entries}))  # fmt: skip
    index = {
        "format": anchoring.MANIFEST_FORMAT, "root": root, "chainId": net.chain.chain_id,
        "credential": net.deployment.credential.address, "registry": net.chain.registry_address,
        "issuerId": forger.id, "template": f"0x{forger.template.template_id:064x}",
        "count": len(tree), "pages": [{"cid": page, "first": entries[0]["recipient"].lower(),
                                       "last": entries[-1]["recipient"].lower()}],
    }  # fmt: skip
    manifest = net.store.put(_canonical(index))
    net.chain.transact(
        net.chain.anchor_call(tree.root, len(tree), manifest), forger.key, action="anchor"
    )
    return tree.root


def _forged_document(net, forger, recipient: str, issuer_named) -> int:
    """A credential document built by the library for ``recipient``, naming ``issuer_named`` as
    its issuer, stored; returns its token id."""
    profile = issuer_profile(net.chain, issuer_named.id)
    document = build_credential(
        template=issuer_named.template,
        issuer=profile,
        recipient=recipient,
        valid_from=datetime.fromtimestamp(net.chain.latest_timestamp(), UTC),
        evidence=[f"https://example.org/forged/{Account.create().address}"],
    )
    net.store.put(document.bytes)
    return document.token_id


FORGERIES = [
    "entries copied from another issuer's batch",
    "a page listing a leaf that is not under the root",
    "a page naming another wallet than the leaf's",
    "a leaf under the root whose document names another issuer",
]


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_forged_manifest_anchored_for_real_never_verifies(
    net, issuer, other_issuer, tmp_path, forgery
):
    learner = Account.create().address
    real = _anchor(net, issuer, tmp_path, [Recipient(address=learner)])
    [item] = waiting_for(net.chain, net.store, learner)
    forger = other_issuer
    wallet = Account.create().address  # one of the forger's own learners
    own = Leaf(wallet, _forged_document(net, forger, wallet, forger), 0)
    if forgery == FORGERIES[0]:
        # The learner's real entry (the victim's leaf and proof) under the forger's root.
        tree = MerkleTree([own])
        entry = _entry(learner, item.token_id, item.expires_at, item.proof)
        failing = "in_batch"
    elif forgery == FORGERIES[1]:
        tree = MerkleTree([own, Leaf(Account.create().address, own.token_id ^ 1, 0)])
        entry = _entry(learner, own.token_id ^ 2, 0, tree.proof(own))
        failing = "in_batch"
    elif forgery == FORGERIES[2]:
        tree = MerkleTree([own])  # the leaf is the forger's wallet; the page names the learner
        entry = _entry(learner, own.token_id, 0, tree.proof(own))
        failing = "in_batch"
    else:
        # A genuine leaf for the learner under the forger's root, but its document says it comes
        # from the learner's real institution.
        token = _forged_document(net, forger, learner, issuer)
        leaf = Leaf(learner, token, 0)
        tree = MerkleTree([own, leaf])
        entry = _entry(learner, token, 0, tree.proof(leaf))
        failing = "document_matches_chain"
    forged_root = _anchor_forged_manifest(net, forger, tree, [entry])
    assert net.chain.anchor_of(forged_root).issuer_id == forger.id

    anchoring._OBJECTS.clear()
    report = verify_wallet(net.chain, net.store, learner)
    from_forgery = [c for c in report.credentials if c.proof and c.proof.root == forged_root]
    # The forged entry may be left out, or shown: then as tampered, the failing check named.
    assert len(from_forgery) <= 1
    for judged in from_forgery:
        assert judged.status == "tampered" and not judged.verified
        assert {c.name: c.ok for c in judged.checks}[failing] is False
    # The learner's real credential is still there, and still the only good one.
    good = [c for c in report.credentials if c.verified]
    assert [(c.token_id, c.proof.root) for c in good] == [(item.token_id, real.root)]
    if failing == "in_batch":  # a proof that does not hold cannot be claimed either
        forged = anchoring.AnchoredCredential.from_json(
            {**item.to_json(), **entry, "root": "0x" + forged_root.hex(), "issuerId": forger.id}
        )
        with pytest.raises(InputError, match="does not lead to its root"):
            claim(net.chain, net.keys[7], forged)


def test_anchoring_refuses_to_send_when_the_store_is_down(net, issuer, tmp_path, closed_port_url):
    """The documents and the manifest must be stored before the root goes on chain: with the
    IPFS node of a mirrored store down (the template still reads from the local copy), nothing is
    sent (the signer's nonce says so)."""
    before = net.nonce(issuer.key.address)
    down = open_store(f"local:{net.store_dir},kubo:{closed_port_url}", timeout=2)
    with pytest.raises(StorageError) as raised:
        _anchor(net, issuer, tmp_path, [Recipient(address=Account.create().address)], down)
    assert closed_port_url.removeprefix("http://") in str(raised.value)
    assert net.nonce(issuer.key.address) == before


def test_a_wallet_lookup_with_ipfs_out_of_reach_warns_instead_of_saying_none(net, issuer, tmp_path):
    learner = Account.create().address
    _anchor(net, issuer, tmp_path, [Recipient(address=learner)])
    anchoring._OBJECTS.clear()  # nothing cached: only the (empty) store below can answer
    report = verify_wallet(net.chain, LocalStore(tmp_path / "elsewhere"), learner)
    assert report.credentials == ()  # ...but never a silent "no credentials":
    [root] = [
        b.root for b in anchored_batches(net.chain, net.store) if b.signer == issuer.key.address
    ]
    assert any(f"0x{root.hex()}" in w for w in report.warnings)


def test_a_stuck_anchor_is_replaced_by_its_run(net, issuer, tmp_path):
    """The one anchor transaction, outbid for good, is re-signed with higher fees (same call and
    nonce) by the run that sent it; the journal names both, and the root is anchored once."""
    base_fee = int(net.w3.eth.get_block("latest")["baseFeePerGas"])
    tip = int(net.w3.eth.max_priority_fee)
    # What the run pays (web3's default: twice the base fee plus the tip) for ~56k gas.
    paid = {"gas": 60_000, "max_fee": 2 * base_fee + tip, "tip": tip}
    net.rpc("evm_setAutomine", False)
    try:
        with _congested(net, **paid):
            result = anchor_bulk(
                net.chain,
                net.store,
                issuer.key,
                template_id=issuer.template.template_id,
                recipients=[Recipient(address=Account.create().address) for _ in range(3)],
                journal_dir=tmp_path / "journal",
                proofs_dir=tmp_path / "proofs",
                fees=FeePolicy(wait=0.5),
            )
    finally:
        net.rpc("evm_setAutomine", True)
    entries = Journal(result.journal).entries
    [first] = [e for e in entries if e["kind"] == "sent" and "replaces" not in e]
    [replacement] = [e for e in entries if e.get("replaces") == first["tx"]]
    assert result.tx_hash == replacement["tx"]
    assert {"kind": "replaced", "tx": first["tx"], "by": replacement["tx"]} in entries
    assert net.chain.anchor_of(result.root).exists
