"""Anchored batches (issue 6) under the issue-5 lens: what a batch publishes, what a forged or
altered manifest can do (nothing), what happens when IPFS is out of reach, and refusals that send
nothing. Against anvil and the embedded store, like the rest of tests/security."""

from __future__ import annotations

import json

import pytest
from eth_account import Account
from test_faults import _congested
from test_privacy import _personal

from microcred import anchoring
from microcred.anchoring import claim, waiting_for
from microcred.errors import InputError, StorageError
from microcred.issuance import Journal, Recipient, anchor_bulk
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


def test_a_forged_manifest_cannot_make_a_credential_verify(net, issuer, tmp_path):
    """Someone stores a manifest listing a credential that is not in the anchored tree. Verifying
    the wallet finds it only through the real manifest (the event names it by hash), and a proof
    file built from the forgery fails the Merkle check and cannot be claimed."""
    learner = Account.create().address
    result = _anchor(net, issuer, tmp_path, [Recipient(address=learner)])
    [item] = [i for b in waiting_for(net.chain, net.store, learner) for i in b.credentials]
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
    [root] = [b.root for b in net.chain.anchored_batches() if b.signer == issuer.key.address]
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
