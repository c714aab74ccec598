"""A hostile accredited issuer against another issuer's credentials (security issue 12, finding 2).

Token ids are global and a batch manifest publishes every unclaimed id, so "Other Institute"
(issuer 2, ``other_issuer_signer``) learns the ids of Acme's (issuer 1) unclaimed entries as soon as
Acme's anchor is mined. With that it must not be able to revoke, take, block or pre-revoke any of
them: each attack below either reverts or changes nothing for Acme's learner (``holder``).

What is left (SECURITY.md): a copy minted in the same second as Acme's anchor is not displaced
(`test_a_copy_in_the_same_second_as_the_anchor_is_not_displaced`).
"""

from __future__ import annotations

import json
from pathlib import Path

import ape
import pytest
from ape.contracts import ContractContainer
from ethpm_types import ContractType

from microcred.merkle import Leaf, MerkleTree

ACME, OTHER = 1, 2
NEVER = 0
ZERO_ADDRESS = "0x" + "0" * 40


def compiled(name: str) -> ContractContainer:
    """A contract of this project from the build artifact. `project.Relay` is not enough: with
    the npm dependency's sources in contracts/.cache (a fresh install), Ape lists only the
    contracts at the top of contracts/ and misses contracts/test/."""
    artifact = json.loads((Path(__file__).parents[2] / ".build" / "__local__.json").read_text())
    return ContractContainer(ContractType.model_validate(artifact["contractTypes"][name]))


def later(seconds: int = 5) -> None:
    """The next block comes ``seconds`` later (anvil gives blocks of one second one timestamp)."""
    ape.chain.pending_timestamp = ape.chain.pending_timestamp + seconds


@pytest.fixture
def acme_batch(credential, issuer_signer, holder, create_token_id):
    """Acme anchors a batch of three; the first entry is ``holder``'s. Returns (tree, leaf)."""
    leaves = [Leaf(holder.address, create_token_id(), NEVER)]
    leaves += [Leaf(f"0x{n:040x}", create_token_id(), NEVER) for n in (7, 8)]
    tree = MerkleTree(leaves)
    credential.anchor(tree.root, len(leaves), bytes(32), sender=issuer_signer)
    later()
    return tree, leaves[0]


def claim(credential, tree, leaf, sender):
    return credential.claim(
        tree.root, leaf.recipient, leaf.token_id, leaf.expires_at, tree.proof(leaf), sender=sender
    )


def hostile_batch(credential, other_issuer_signer, leaf):
    """Other Institute anchors a one-leaf root holding ``leaf`` (proof ``[]``)."""
    tree = MerkleTree([leaf])
    credential.anchor(tree.root, 1, bytes(32), sender=other_issuer_signer)
    later()
    return tree


def test_a_hostile_revocation_in_its_own_batch_leaves_the_rightful_entry_claimable(
    credential, other_issuer_signer, holder, stranger, acme_batch
):
    tree, leaf = acme_batch
    theirs = hostile_batch(credential, other_issuer_signer, leaf)
    receipt = credential.revokeAnchored(
        theirs.root, leaf.recipient, leaf.token_id, NEVER, [], "fraud", sender=other_issuer_signer
    )
    # It revoked its own batch's entry, and nothing else.
    assert receipt.events.filter(credential.AnchoredCredentialRevoked)[0].root == theirs.root
    assert credential.anchoredRevokedAt([tree.root, theirs.root], [leaf.token_id] * 2)[0] == 0
    assert credential.credential(leaf.token_id).revokedAt == 0
    claim(credential, tree, leaf, stranger)
    status = credential.credential(leaf.token_id)
    assert (status.holder, status.issuerId, status.revokedAt, status.valid) == (
        holder.address,
        ACME,
        0,
        True,
    )


def test_a_copy_claimed_by_another_issuer_is_displaced_by_the_rightful_claim(
    credential, other_issuer_signer, holder, stranger, acme_batch
):
    tree, leaf = acme_batch
    copy = Leaf(stranger.address, leaf.token_id, NEVER)
    theirs = hostile_batch(credential, other_issuer_signer, copy)
    credential.claim(theirs.root, stranger, leaf.token_id, NEVER, [], sender=stranger)
    assert credential.ownerOf(leaf.token_id) == stranger.address
    stranger_balance, holder_balance = credential.balanceOf(stranger), credential.balanceOf(holder)

    receipt = claim(credential, tree, leaf, holder)

    displaced = receipt.events.filter(credential.CredentialDisplaced)
    assert [(e.tokenId, e.fromIssuerId, e.root) for e in displaced] == [
        (leaf.token_id, OTHER, tree.root)
    ]
    transfers = receipt.events.filter(credential.Transfer)
    assert [(t.event_arguments["from"], t.to, t.tokenId) for t in transfers] == [
        (stranger.address, ZERO_ADDRESS, leaf.token_id),
        (ZERO_ADDRESS, holder.address, leaf.token_id),
    ]
    assert receipt.events.filter(credential.CredentialClaimed)[0].root == tree.root
    assert credential.balanceOf(stranger) == stranger_balance - 1
    assert credential.balanceOf(holder) == holder_balance + 1
    status = credential.credential(leaf.token_id)
    assert (status.holder, status.issuerId, status.revokedAt, status.valid) == (
        holder.address,
        ACME,
        0,
        True,
    )
    assert status.issuedAt == credential.anchorOf(tree.root).anchoredAt
    # And the hostile issuer cannot take it back: its batch is later than Acme's claim's anchor.
    with ape.reverts(credential.CredentialAlreadyIssued, tokenId=leaf.token_id):
        credential.claim(theirs.root, stranger, leaf.token_id, NEVER, [], sender=stranger)


def test_a_revoked_and_relinked_direct_copy_is_displaced_with_every_link(
    credential, other_issuer_signer, holder, stranger, acme_batch, create_token_id
):
    tree, leaf = acme_batch
    x = leaf.token_id
    older, newer = create_token_id(), create_token_id()
    # The copy X re-issues one of Other's credentials and is itself re-issued, then revoked.
    credential.issue(stranger, older, NEVER, sender=other_issuer_signer)
    credential.reissue(stranger, x, NEVER, older, sender=other_issuer_signer)
    credential.reissue(stranger, newer, NEVER, x, sender=other_issuer_signer)
    assert credential.credential(x).revokedAt != 0  # superseded
    balance = credential.balanceOf(stranger)
    later()

    claim(credential, tree, leaf, holder)

    status = credential.credential(x)
    assert (status.holder, status.issuerId, status.revokedAt) == (holder.address, ACME, 0)
    assert (status.replaces, status.replacedBy) == (0, 0)
    assert credential.credential(older).replacedBy == 0
    assert credential.credential(newer).replaces == 0
    assert credential.balanceOf(stranger) == balance - 1


def test_a_burned_copy_is_displaced_without_touching_any_balance(
    credential, other_issuer_signer, holder, stranger, acme_batch
):
    tree, leaf = acme_batch
    credential.issue(stranger, leaf.token_id, NEVER, sender=other_issuer_signer)
    credential.burn(leaf.token_id, sender=stranger)
    balance = credential.balanceOf(stranger)
    later()
    receipt = claim(credential, tree, leaf, holder)
    assert [t.event_arguments["from"] for t in receipt.events.filter(credential.Transfer)] == [
        ZERO_ADDRESS
    ]
    assert len(receipt.events.filter(credential.CredentialDisplaced)) == 1
    assert credential.balanceOf(stranger) == balance
    assert credential.ownerOf(leaf.token_id) == holder.address


def test_a_pre_revocation_cannot_make_a_direct_issue_born_revoked(
    credential, issuer_signer, other_issuer_signer, holder, create_token_id
):
    token_id = create_token_id()
    theirs = hostile_batch(credential, other_issuer_signer, Leaf(holder.address, token_id, NEVER))
    credential.revokeAnchored(
        theirs.root, holder, token_id, NEVER, [], "pre-revoked", sender=other_issuer_signer
    )
    credential.issue(holder, token_id, NEVER, sender=issuer_signer)
    status = credential.credential(token_id)
    assert status.revokedAt == 0 and status.valid and status.issuerId == ACME


def test_a_rightful_credential_is_never_displaced_by_a_later_batch(
    credential, issuer_signer, other_issuer_signer, holder, stranger, acme_batch, create_token_id
):
    tree, leaf = acme_batch
    claim(credential, tree, leaf, holder)
    direct = create_token_id()
    credential.issue(holder, direct, NEVER, sender=issuer_signer)
    later()
    for token_id in (leaf.token_id, direct):
        theirs = hostile_batch(credential, other_issuer_signer, Leaf(stranger.address, token_id, 0))
        with ape.reverts(credential.CredentialAlreadyIssued, tokenId=token_id):
            credential.claim(theirs.root, stranger, token_id, NEVER, [], sender=stranger)
        with ape.reverts(credential.CredentialAlreadyIssued, tokenId=token_id):
            credential.issue(stranger, token_id, NEVER, sender=other_issuer_signer)
        with ape.reverts(credential.CredentialNotIssuerSigner):
            credential.revoke(token_id, "fraud", sender=other_issuer_signer)
        assert credential.credential(token_id).holder == holder.address
        assert credential.isValid(token_id)


def test_the_rightful_issuer_still_revokes_its_entry_when_a_copy_exists(
    credential, issuer_signer, other_issuer_signer, holder, stranger, acme_batch
):
    tree, leaf = acme_batch
    credential.issue(stranger, leaf.token_id, NEVER, sender=other_issuer_signer)
    proof = tree.proof(leaf)
    credential.revokeAnchored(
        tree.root, holder, leaf.token_id, NEVER, proof, "withdrawn", sender=issuer_signer
    )
    with ape.reverts(credential.CredentialAlreadyRevoked, tokenId=leaf.token_id):
        claim(credential, tree, leaf, holder)
    assert credential.credential(leaf.token_id).issuerId == OTHER  # the copy is Other's own


def test_a_copy_in_the_same_second_as_the_anchor_is_not_displaced(
    project, credential, registry, registrar, admin, stranger, holder, create_token_id
):
    """The residual limitation: two relays (contract accounts), one a signer of Acme, the other of
    Other Institute, put Acme's anchor and Other's copy in one transaction, so in one block and one
    second (what a mempool watcher, or anyone on a chain whose blocks share a second, can do)."""
    acme_relay = compiled("Relay").deploy(sender=admin)
    other_relay = compiled("Relay").deploy(sender=admin)
    registry.addSigner(ACME, acme_relay, sender=registrar)
    registry.addSigner(OTHER, other_relay, sender=registrar)
    token_id = create_token_id()
    leaves = [Leaf(holder.address, token_id, NEVER), Leaf(stranger.address, create_token_id(), 0)]
    tree = MerkleTree(leaves)
    anchor = credential.anchor.encode_input(tree.root, 2, bytes(32))
    copy = credential.issue.encode_input(stranger, token_id, NEVER)
    copy_through_other = other_relay.run.encode_input([credential.address], [copy])
    acme_relay.run(
        [credential.address, other_relay.address], [anchor, copy_through_other], sender=admin
    )
    record = credential.credential(token_id)
    assert record.issuerId == OTHER
    assert record.issuedAt == credential.anchorOf(tree.root).anchoredAt
    with ape.reverts(credential.CredentialAlreadyIssued, tokenId=token_id):
        claim(credential, tree, leaves[0], holder)


def test_anchored_revoked_at_needs_one_root_per_token_id(credential):
    with ape.reverts(credential.CredentialRootsLengthMismatch):
        credential.anchoredRevokedAt([bytes(32)], [1, 2])
    assert credential.anchoredRevokedAt([], []) == []


def test_credentials_and_issuers_reads_each_issuer_of_the_credentials_once(
    credential, holder, other_holder, create_credential, other_issuer_signer
):
    ours = [create_credential() for _ in range(3)]
    theirs = create_credential(signer=other_issuer_signer, to=other_holder)
    statuses, issuers = credential.credentialsAndIssuers([*ours, theirs, 12345], [3, 1, 0, 99])
    assert [s[0] for s in statuses] == [*ours, theirs, 12345]  # tokenId
    assert [s[2] for s in statuses] == [ACME] * 3 + [OTHER, 0]  # issuerId
    assert [tuple(i)[:3] for i in issuers] == [
        (3, 2, "Suspended School"),
        (1, 1, "Acme Academy"),
        (99, 0, ""),
        (2, 1, "Other Institute"),
    ]
