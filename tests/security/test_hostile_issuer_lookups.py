"""A hostile second issuer against a learner of the first, through the library (security issue 12,
findings 2 and 8), on anvil with real documents, manifests and proofs in the embedded store.

"Hostile" is an accredited institution whose key went bad. From the first issuer's published
batch manifest it learns the learner's token id, leaf and proof, and then tries everything that
needs no race with the first issuer's own transactions: a batch of its own holding the learner's
leaf (listed in its own manifest, so the learner's wallet lookup reads it) revoked there "for
fraud", a copy of the id claimed to its own wallet, a copy issued directly into the learner's
wallet. None of it changes what ``verify_wallet`` shows the learner, nor stops the claim.
"""

from __future__ import annotations

import itertools

import pytest
from _lookups import waiting_for
from eth_account import Account
from eth_utils import function_abi_to_4byte_selector

from microcred import anchoring
from microcred.chain import Chain, load_abi
from microcred.config import web3_for
from microcred.issuance import Recipient, anchor_bulk, create_template
from microcred.merkle import Leaf, MerkleTree
from microcred.verification import verify_wallet

_serial = itertools.count(1)


def _new_issuer(net, name):
    key = Account.create()
    net.rpc("anvil_setBalance", key.address, hex(10**21))
    issuer_id = net.chain.register_issuer(net.keys[0], name=name, signers=[key.address])
    template = create_template(
        net.chain,
        net.store,
        key,
        name=f"Incident response {next(_serial)}",
        description="Leads the response to a security incident.",
        criteria="Passed the tabletop exercise.",
        skills=["Incident response"],
    )
    return issuer_id, key, template


@pytest.fixture
def cohort(net, tmp_path):
    """The first issuer anchors a cohort of three; returns (issuer id, learner, their entry)."""
    issuer_id, key, template = _new_issuer(net, f"Honest College {next(_serial)}")
    learner = Account.create().address
    others = [Account.create().address for _ in range(2)]
    recipients = [Recipient(address=address) for address in (learner, *others)]
    anchor_bulk(
        net.chain,
        net.store,
        key,
        template_id=template.template_id,
        recipients=recipients,
        journal_dir=tmp_path / "journal",
        proofs_dir=tmp_path / "proofs",
    )
    [entry] = waiting_for(net.chain, net.store, learner)
    # The hostile issuer acts after the anchor is mined (anvil gives the blocks of one second one
    # timestamp: what a same-second copy does is the documented limit, tested in tests/contracts).
    net.rpc("evm_increaseTime", 5)
    return issuer_id, learner, entry


@pytest.fixture
def hostile(net):
    issuer_id, key, template = _new_issuer(net, f"Hostile Institute {next(_serial)}")
    return issuer_id, key, template


def _hostile_batch(net, hostile, leaves):
    """The hostile issuer anchors ``leaves`` with a real manifest; returns the tree."""
    issuer_id, key, template = hostile
    tree = MerkleTree(leaves)
    manifest = anchoring.store_manifest(
        net.store,
        tree=tree,
        leaves=leaves,
        chain=net.chain,
        issuer_id=issuer_id,
        template_id=template.template_id,
    )
    net.chain.transact(
        net.chain.anchor_call(tree.root, len(leaves), manifest), key, action="anchor"
    )
    return tree


def _shown(net, learner):
    return verify_wallet(net.chain, net.store, learner).to_json()


def test_a_hostile_batch_revocation_and_a_copy_change_nothing_for_the_learner(net, cohort, hostile):
    issuer_id, learner, entry = cohort
    before = _shown(net, learner)
    assert [c["status"] for c in before["credentials"]] == ["anchored"]
    _, key, _ = hostile

    # 1. Its own batch holding the learner's very leaf, listed for the learner, revoked "for fraud".
    leaf = Leaf(learner, entry.token_id, entry.expires_at)
    theirs = _hostile_batch(net, hostile, [leaf, Leaf(Account.create().address, 1, 0)])
    fn = net.chain.revoke_anchored_call(
        root=theirs.root,
        recipient=learner,
        token_id=entry.token_id,
        expires_at=entry.expires_at,
        proof=theirs.proof(leaf),
        reason="fraud",
    )
    net.chain.transact(fn, key, action="revoke in its own batch")
    # 2. A copy of the id claimed to its own wallet.
    wallet = Account.create().address
    copy = Leaf(wallet, entry.token_id, entry.expires_at)
    batch = _hostile_batch(net, hostile, [copy, Leaf(Account.create().address, 2, 0)])
    fn = net.chain.claim_call(
        batch.root, wallet, entry.token_id, entry.expires_at, batch.proof(copy)
    )
    net.chain.transact(fn, key, action="claim a copy")
    assert net.chain.credential_status(entry.token_id).issuer_id == hostile[0]

    assert _shown(net, learner) == before

    # The learner's claim displaces the copy: the credential is theirs, from their issuer.
    [waiting] = verify_wallet(net.chain, net.store, learner).credentials
    anchoring.claim(net.chain, net.keys[3], waiting.proof)
    after = verify_wallet(net.chain, net.store, learner)
    [mine] = after.credentials
    assert (mine.status, mine.holder, mine.issuer_id) == ("valid", learner, issuer_id)
    assert mine.issuer_name == before["credentials"][0]["issuer"]["name"]


def test_a_copy_issued_into_the_learners_wallet_is_not_shown_and_does_not_stop_the_claim(
    net, cohort, hostile
):
    issuer_id, learner, entry = cohort
    before = _shown(net, learner)
    _, key, _ = hostile
    fn = net.chain.issue_call(learner, entry.token_id, entry.expires_at)
    net.chain.transact(fn, key, action="issue a copy")

    assert _shown(net, learner) == before

    anchoring.claim(net.chain, net.keys[3], entry)
    [mine] = verify_wallet(net.chain, net.store, learner).credentials
    assert (mine.status, mine.issuer_id) == ("valid", issuer_id)


def test_verification_never_reads_the_signer_lists_of_the_registry(net, cohort, hostile):
    """Finding 8: ``issuers()`` (every signer of every issuer) is not on the verification path,
    so no issuer can make it exceed a node's gas cap by adding keys; with the cap of 64 keys the
    hostile issuer fills its list and the learner's verification does not notice."""
    _, learner, _ = cohort
    _, key, _ = hostile
    for n in range(63):
        net.chain.add_signer(key, hostile[0], f"0x{0xBAD000 + n + 1000 * next(_serial):040x}")
    chain = Chain.connect(web3_for(net.rpc_url), net.deployment)  # as the CLI connects
    sent: list[str] = []
    provider = chain.w3.provider
    batch, single = provider.make_batch_request, provider.make_request

    def record(params):
        for param in params:
            if isinstance(param, dict) and "data" in param:
                sent.append(str(param["data"])[:10])

    def batch_spy(requests):
        for _, params in requests:
            record(params)
        return batch(requests)

    def single_spy(method, params):
        record(params)
        return single(method, params)

    provider.make_batch_request, provider.make_request = batch_spy, single_spy
    try:
        report = verify_wallet(chain, net.store, learner)
    finally:
        provider.make_batch_request, provider.make_request = batch, single
    assert [c.status for c in report.credentials] == ["anchored"]
    issuers_selector = next(
        "0x" + function_abi_to_4byte_selector(e).hex()
        for e in load_abi("IssuerRegistry")
        if e.get("type") == "function" and e["name"] == "issuers"
    )
    assert sent and issuers_selector not in sent
