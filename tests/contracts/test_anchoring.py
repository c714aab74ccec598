"""Merkle-anchored batches: anchor, claim, revokeAnchored, anchorOf, against the tree that
microcred.merkle builds in Python (OpenZeppelin's MerkleProof on chain)."""

from __future__ import annotations

import random

import ape
import pytest
from eth_account import Account

from microcred.merkle import Leaf, MerkleTree

ACME, OTHER, SUSPENDED = 1, 2, 3
NEVER = 0
ONE_YEAR = 365 * 24 * 3600
ZERO_ROOT = b"\x00" * 32
MANIFEST = bytes.fromhex("ab" * 32)  # a batch manifest digest: emitted, never checked


def only_event(receipt, event_type):
    events = receipt.events.filter(event_type)
    assert len(events) == 1, events
    return events[0]


@pytest.fixture
def create_batch(credential, issuer_signer, create_token_id):
    """Anchors a batch of ``size`` credentials to fresh wallets (or ``recipients``); returns
    ``(tree, leaves, receipt)``."""

    def create(size=3, *, recipients=None, signer=None, expires_at=NEVER, anchor=True):
        recipients = recipients or [Account.create().address for _ in range(size)]
        leaves = [Leaf(r, create_token_id(), expires_at) for r in recipients]
        tree = MerkleTree(leaves)
        receipt = None
        if anchor:
            receipt = credential.anchor(
                tree.root, len(leaves), MANIFEST, sender=signer or issuer_signer
            )
        return tree, leaves, receipt

    return create


def claim(credential, tree, leaf, sender, *, root=None, proof=None):
    return credential.claim(
        root if root is not None else tree.root,
        leaf.recipient,
        leaf.token_id,
        leaf.expires_at,
        proof if proof is not None else tree.proof(leaf),
        sender=sender,
    )


# ------------------------------------------------------------------ anchor


def test_signer_anchors_a_root_with_event_and_view(credential, issuer_signer, create_batch):
    tree, leaves, receipt = create_batch(5)
    event = only_event(receipt, credential.BatchAnchored)
    assert (event.root, event.issuerId, event.signer, event.count, event.manifest) == (
        tree.root,
        ACME,
        issuer_signer.address,
        5,
        MANIFEST,
    )
    anchored = credential.anchorOf(tree.root)
    assert anchored.issuerId == ACME
    assert anchored.count == 5
    assert anchored.anchoredAt == ape.chain.blocks[receipt.block_number].timestamp


def test_anchor_of_unknown_root_is_all_zero(credential):
    anchored = credential.anchorOf(b"\x01" * 32)
    assert (anchored.issuerId, anchored.anchoredAt, anchored.count) == (0, 0, 0)


def test_anchor_gas_does_not_depend_on_batch_size(credential, create_batch):
    _, _, small = create_batch(1)
    _, _, large = create_batch(300)
    assert large.gas_used - small.gas_used < 200  # calldata of the count only
    assert large.gas_used < 100_000


def test_anchor_rejects_zero_root_zero_count_and_repeated_root(
    credential, issuer_signer, other_issuer_signer, create_batch
):
    with ape.reverts(credential.CredentialEmptyRoot):
        credential.anchor(ZERO_ROOT, 1, MANIFEST, sender=issuer_signer)
    tree, _, _ = create_batch(2, anchor=False)
    with ape.reverts(credential.CredentialEmptyBatch):
        credential.anchor(tree.root, 0, MANIFEST, sender=issuer_signer)
    credential.anchor(tree.root, 2, MANIFEST, sender=issuer_signer)
    with ape.reverts(credential.CredentialRootExists, root=tree.root):
        credential.anchor(tree.root, 2, MANIFEST, sender=issuer_signer)
    # Another issuer cannot take over a root either.
    with ape.reverts(credential.CredentialRootExists, root=tree.root):
        credential.anchor(tree.root, 2, MANIFEST, sender=other_issuer_signer)


def test_stranger_and_suspended_issuer_cannot_anchor(
    credential, stranger, suspended_signer, create_batch
):
    tree, _, _ = create_batch(2, anchor=False)
    with ape.reverts(credential.CredentialUnauthorizedSigner, account=stranger.address):
        credential.anchor(tree.root, 2, MANIFEST, sender=stranger)
    with ape.reverts(credential.CredentialUnauthorizedSigner, account=suspended_signer.address):
        credential.anchor(tree.root, 2, MANIFEST, sender=suspended_signer)


# ------------------------------------------------------------------ the tree against OpenZeppelin


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 8, 9, 16, 17])
def test_every_leaf_of_a_python_tree_claims_on_chain(credential, stranger, create_batch, size):
    tree, leaves, _ = create_batch(size)
    for leaf in leaves:
        claim(credential, tree, leaf, stranger)
        assert credential.ownerOf(leaf.token_id) == leaf.recipient
    assert credential.anchorOf(tree.root).count == size


def test_random_sizes_claim_a_random_sample(credential, stranger, create_batch):
    rng = random.Random(6)
    for size in (rng.randrange(2, 300) | 1, rng.randrange(2, 300), 255, 257):
        tree, leaves, _ = create_batch(size)
        for leaf in rng.sample(leaves, 3):
            claim(credential, tree, leaf, stranger)
            assert credential.ownerOf(leaf.token_id) == leaf.recipient


def test_proof_of_another_leaf_or_a_changed_leaf_fails(credential, stranger, create_batch):
    tree, leaves, _ = create_batch(6)
    first, second = leaves[0], leaves[1]
    with ape.reverts(credential.CredentialInvalidProof, root=tree.root, tokenId=first.token_id):
        claim(credential, tree, first, stranger, proof=tree.proof(second))
    for changed in (
        Leaf(stranger.address, first.token_id, first.expires_at),  # another recipient
        Leaf(first.recipient, first.token_id, ape.chain.pending_timestamp + ONE_YEAR),
        Leaf(first.recipient, second.token_id, first.expires_at),
    ):
        with ape.reverts(credential.CredentialInvalidProof):
            claim(credential, tree, changed, stranger, proof=tree.proof(first))
    with ape.reverts(credential.CredentialInvalidProof):
        claim(credential, tree, first, stranger, proof=[])
    # An inner node is not a leaf: leaves are hashed twice.
    with ape.reverts(credential.CredentialInvalidProof):
        claim(credential, tree, first, stranger, proof=tree.proof(first)[1:])


def test_proof_for_another_issuers_root_fails(
    credential, stranger, other_issuer_signer, create_batch
):
    acme_tree, acme_leaves, _ = create_batch(4)
    other_tree, _, _ = create_batch(4, signer=other_issuer_signer)
    leaf = acme_leaves[0]
    with ape.reverts(credential.CredentialInvalidProof):
        claim(credential, acme_tree, leaf, stranger, root=other_tree.root)
    with ape.reverts(credential.CredentialUnknownRoot, root=b"\x07" * 32):
        claim(credential, acme_tree, leaf, stranger, root=b"\x07" * 32)


# ------------------------------------------------------------------ claim


def test_stranger_claims_to_the_rightful_recipient(credential, holder, stranger, create_batch):
    tree, leaves, anchored = create_batch(recipients=[holder.address, stranger.address])
    leaf = leaves[0]
    receipt = claim(credential, tree, leaf, stranger)

    assert credential.ownerOf(leaf.token_id) == holder.address
    assert credential.balanceOf(holder) == 1
    assert credential.balanceOf(stranger) == 0
    assert [log.event_name for log in receipt.events] == ["Transfer", "Locked", "CredentialClaimed"]
    transfer = only_event(receipt, credential.Transfer)
    assert (transfer.to, transfer.tokenId) == (holder.address, leaf.token_id)
    claimed = only_event(receipt, credential.CredentialClaimed)
    assert (claimed.tokenId, claimed.root) == (leaf.token_id, tree.root)
    status = credential.credential(leaf.token_id)
    assert status.issuerId == ACME
    assert status.issuedAt == ape.chain.blocks[anchored.block_number].timestamp
    assert status.valid


def test_double_claim_reverts(credential, holder, stranger, create_batch):
    tree, leaves, _ = create_batch(3)
    claim(credential, tree, leaves[1], holder)
    with ape.reverts(credential.CredentialAlreadyIssued, tokenId=leaves[1].token_id):
        claim(credential, tree, leaves[1], stranger)


def test_claim_of_an_id_issued_directly_reverts(credential, issuer_signer, holder, create_batch):
    tree, leaves, _ = create_batch(recipients=[holder.address])
    credential.issue(holder, leaves[0].token_id, NEVER, sender=issuer_signer)
    with ape.reverts(credential.CredentialAlreadyIssued):
        claim(credential, tree, leaves[0], holder)


def test_claimed_credential_keeps_its_expiry_and_expires(credential, holder, create_batch):
    expires_at = ape.chain.pending_timestamp + ONE_YEAR
    tree, leaves, _ = create_batch(2, expires_at=expires_at)
    claim(credential, tree, leaves[0], holder)
    assert credential.credential(leaves[0].token_id).expiresAt == expires_at
    assert credential.isValid(leaves[0].token_id)
    ape.chain.pending_timestamp = expires_at + 1
    ape.chain.mine()
    assert not credential.isValid(leaves[0].token_id)
    # An entry past its expiry is not minted (the same rule as issue).
    with ape.reverts(credential.CredentialInvalidExpiry):
        claim(credential, tree, leaves[1], holder)


def test_claim_to_the_zero_address_reverts(credential, holder, create_batch):
    zero = "0x" + "0" * 40
    tree, leaves, _ = create_batch(recipients=[zero, holder.address])
    with ape.reverts(credential.ERC721InvalidReceiver):
        claim(credential, tree, leaves[0], holder)


def test_suspended_issuers_entries_cannot_be_claimed_until_reinstated(
    credential, registry, registrar, holder, create_batch
):
    tree, leaves, _ = create_batch(2)
    registry.suspendIssuer(ACME, "audit", sender=registrar)
    with ape.reverts(credential.CredentialIssuerNotActive, issuerId=ACME):
        claim(credential, tree, leaves[0], holder)
    registry.reinstateIssuer(ACME, sender=registrar)
    claim(credential, tree, leaves[0], holder)
    assert credential.isValid(leaves[0].token_id)


def test_claimed_credential_is_valid_soulbound_and_revoked_normally(
    credential, second_signer, holder, stranger, create_batch
):
    tree, leaves, _ = create_batch(recipients=[holder.address])
    claim(credential, tree, leaves[0], stranger)
    token_id = leaves[0].token_id
    assert credential.isValid(token_id)
    assert credential.locked(token_id)
    with ape.reverts(credential.CredentialNonTransferable):
        credential.transferFrom(holder, stranger, token_id, sender=holder)
    # Any current signer of the issuer revokes it, as any credential.
    receipt = credential.revoke(token_id, "cheated", sender=second_signer)
    assert only_event(receipt, credential.CredentialRevoked).reason == "cheated"
    assert not credential.isValid(token_id)
    with ape.reverts(credential.CredentialAlreadyIssued):
        credential.revokeAnchored(
            tree.root, holder, token_id, NEVER, tree.proof(leaves[0]), "again", sender=second_signer
        )


# ------------------------------------------------------------------ revokeAnchored


def test_signer_revokes_an_unclaimed_entry_and_its_claim_reverts(
    credential, second_signer, holder, create_batch
):
    tree, leaves, _ = create_batch(3)
    leaf = leaves[2]
    receipt = credential.revokeAnchored(
        tree.root, leaf.recipient, leaf.token_id, leaf.expires_at, tree.proof(leaf), "withdrawn",
        sender=second_signer,
    )  # fmt: skip
    revoked = only_event(receipt, credential.AnchoredCredentialRevoked)
    assert (revoked.root, revoked.tokenId, revoked.issuerId, revoked.by, revoked.reason) == (
        tree.root,
        leaf.token_id,
        ACME,
        second_signer.address,
        "withdrawn",
    )
    # Revoked in its batch only: the token id itself is not marked (it was never minted).
    assert not receipt.events.filter(credential.CredentialRevoked)
    assert credential.anchoredRevokedAt(
        [tree.root, tree.root], [leaf.token_id, leaves[0].token_id]
    ) == [
        ape.chain.blocks[receipt.block_number].timestamp,
        0,
    ]
    status = credential.credential(leaf.token_id)
    assert status.revokedAt == 0 and status.issuedAt == 0 and not status.valid
    with ape.reverts(credential.CredentialAlreadyRevoked, tokenId=leaf.token_id):
        claim(credential, tree, leaf, holder)
    with ape.reverts(credential.CredentialAlreadyRevoked):
        credential.revokeAnchored(
            tree.root, leaf.recipient, leaf.token_id, leaf.expires_at, tree.proof(leaf), "again",
            sender=second_signer,
        )  # fmt: skip
    # The rest of the batch is untouched.
    claim(credential, tree, leaves[0], holder)


def test_only_the_anchors_issuer_revokes_unclaimed_entries(
    credential, issuer_signer, other_issuer_signer, stranger, create_batch
):
    tree, leaves, _ = create_batch(2)
    leaf = leaves[0]
    args = (tree.root, leaf.recipient, leaf.token_id, leaf.expires_at, tree.proof(leaf), "no")
    for who in (other_issuer_signer, stranger):
        with ape.reverts(credential.CredentialNotIssuerSigner, account=who.address):
            credential.revokeAnchored(*args, sender=who)
    with ape.reverts(credential.CredentialEmptyReason):
        credential.revokeAnchored(*args[:-1], "", sender=issuer_signer)
    with ape.reverts(credential.CredentialInvalidProof):
        credential.revokeAnchored(
            tree.root, leaf.recipient, leaf.token_id + 1, 0, tree.proof(leaf), "no",
            sender=issuer_signer,
        )  # fmt: skip
    with ape.reverts(credential.CredentialUnknownRoot):
        credential.revokeAnchored(b"\x05" * 32, *args[1:], sender=issuer_signer)


def test_suspended_issuer_cannot_revoke_its_unclaimed_entries(
    credential, registry, registrar, issuer_signer, create_batch
):
    tree, leaves, _ = create_batch(2)
    leaf = leaves[0]
    registry.suspendIssuer(ACME, "audit", sender=registrar)
    with ape.reverts(credential.CredentialNotIssuerSigner):
        credential.revokeAnchored(
            tree.root, leaf.recipient, leaf.token_id, 0, tree.proof(leaf), "no",
            sender=issuer_signer,
        )  # fmt: skip


def test_claim_gas_with_a_deep_proof(credential, stranger, create_batch):
    """A claim to a new holder with a 10-level proof; the figure for 10,000 is in bench/gas.py."""
    tree, leaves, _ = create_batch(1000)
    leaf = leaves[500]
    receipt = claim(credential, tree, leaf, stranger)
    assert len(tree.proof(leaf)) >= 9
    assert receipt.gas_used < 100_000
