"""Credential: issuing, batches, expiry, re-issue, revocation, burning, views, soulbound ERC-721,
ERC-165 and the on-chain CID."""

from __future__ import annotations

import os
from functools import reduce

import ape
import pytest
from ape.contracts.base import ContractTransactionHandler
from eth_utils import keccak

from microcred.cid import cid_of, ipfs_uri, token_id_of

# Issuer ids as the session fixtures register them (see conftest.py).
ACME, OTHER, SUSPENDED = 1, 2, 3
NEVER = 0
ONE_YEAR = 365 * 24 * 3600
UINT32_MAX = 2**32 - 1
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
EMPTY_DOCUMENT_URI = "ipfs://bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"


def only_event(receipt, event_type):
    events = receipt.events.filter(event_type)
    assert len(events) == 1, events
    return events[0]


def overload(contract, signature: str) -> ContractTransactionHandler:
    """One overload of a method, sent as a transaction (not a call) even if it is pure."""
    name = signature.split("(")[0]
    abis = [abi for abi in getattr(contract, name).abis if abi.selector == signature]
    assert len(abis) == 1, signature
    return ContractTransactionHandler(contract, abis)


def now() -> int:
    return ape.chain.pending_timestamp


# ------------------------------------------------------------------ issue


def test_signer_issues_credential_with_events(credential, issuer_signer, holder, create_token_id):
    token_id = create_token_id()
    expires_at = now() + ONE_YEAR
    receipt = credential.issue(holder, token_id, expires_at, sender=issuer_signer)

    transfer = only_event(receipt, credential.Transfer)
    assert (transfer["from"], transfer.to, transfer.tokenId) == (
        ZERO_ADDRESS,
        holder.address,
        token_id,
    )
    assert only_event(receipt, credential.Locked).tokenId == token_id
    issued = only_event(receipt, credential.CredentialIssued)
    assert (issued.tokenId, issued.issuerId, issued.signer, issued.expiresAt) == (
        token_id,
        ACME,
        issuer_signer.address,
        expires_at,
    )
    # Event order: Transfer (ERC-721), Locked (ERC-5192), CredentialIssued.
    assert [log.event_name for log in receipt.events] == [
        "Transfer",
        "Locked",
        "CredentialIssued",
    ]

    assert credential.ownerOf(token_id) == holder.address
    assert credential.balanceOf(holder) == 1
    status = credential.credential(token_id)
    assert status.tokenId == token_id
    assert status.holder == holder.address
    assert status.issuerId == ACME
    assert status.issuedAt == ape.chain.blocks[receipt.block_number].timestamp
    assert status.expiresAt == expires_at
    assert (status.revokedAt, status.replaces, status.replacedBy) == (0, 0, 0)
    assert status.issuerActive and status.valid
    assert credential.isValid(token_id)


def test_locked_event_token_id_is_not_indexed(credential):
    abi = next(e for e in credential.contract_type.events if e.name == "Locked")
    assert [(i.name, i.type, i.indexed) for i in abi.inputs] == [("tokenId", "uint256", False)]
    abi = next(e for e in credential.contract_type.events if e.name == "Unlocked")
    assert [(i.name, i.type, i.indexed) for i in abi.inputs] == [("tokenId", "uint256", False)]


def test_locked_log_carries_token_id_in_data_not_topics(credential, create_credential):
    token_id = create_credential()
    log = next(
        log
        for log in ape.chain.provider.web3.eth.get_logs(
            {"address": credential.address, "fromBlock": ape.chain.blocks.head.number}
        )
        if bytes(log["topics"][0]) == keccak(text="Locked(uint256)")
    )
    assert len(log["topics"]) == 1
    assert int.from_bytes(bytes(log["data"]), "big") == token_id


def test_second_signer_issues_for_same_issuer(credential, second_signer, create_credential):
    token_id = create_credential(signer=second_signer)
    assert credential.credential(token_id).issuerId == ACME


@pytest.mark.parametrize("role", ["stranger", "holder", "admin", "registrar"])
def test_non_signer_cannot_issue(request, credential, holder, create_token_id, role):
    account = request.getfixturevalue(role)
    with ape.reverts(credential.CredentialUnauthorizedSigner, account=account.address):
        credential.issue(holder, create_token_id(), NEVER, sender=account)


def test_suspended_issuers_signer_cannot_issue(
    credential, suspended_signer, holder, create_token_id
):
    with ape.reverts(credential.CredentialUnauthorizedSigner, account=suspended_signer.address):
        credential.issue(holder, create_token_id(), NEVER, sender=suspended_signer)


def test_issuer_signer_cannot_issue_once_suspended_and_can_again_once_reinstated(
    credential, registry, registrar, issuer_signer, holder, create_token_id
):
    registry.suspendIssuer(ACME, "audit", sender=registrar)
    with ape.reverts(credential.CredentialUnauthorizedSigner, account=issuer_signer.address):
        credential.issue(holder, create_token_id(), NEVER, sender=issuer_signer)
    registry.reinstateIssuer(ACME, sender=registrar)
    credential.issue(holder, create_token_id(), NEVER, sender=issuer_signer)


def test_credential_cannot_be_issued_to_zero_address(credential, issuer_signer, create_token_id):
    with ape.reverts(credential.ERC721InvalidReceiver, receiver=ZERO_ADDRESS):
        credential.issue(ZERO_ADDRESS, create_token_id(), NEVER, sender=issuer_signer)


def test_id_cannot_be_issued_twice_even_by_another_issuer(
    credential, other_issuer_signer, other_holder, create_credential
):
    token_id = create_credential()
    with ape.reverts(credential.CredentialAlreadyIssued, tokenId=token_id):
        credential.issue(other_holder, token_id, NEVER, sender=other_issuer_signer)


# ------------------------------------------------------------------ expiry


def test_expiry_zero_means_never(credential, create_credential):
    token_id = create_credential(expires_at=NEVER)
    ape.chain.mine(timestamp=now() + 50 * ONE_YEAR)
    assert credential.isValid(token_id)
    assert credential.credential(token_id).expiresAt == 0


def test_expiry_in_the_past_reverts(credential, issuer_signer, holder, create_token_id):
    token_id = create_token_id()
    past = ape.chain.blocks.head.timestamp - 1
    with ape.reverts(credential.CredentialInvalidExpiry, tokenId=token_id, expiresAt=past):
        credential.issue(holder, token_id, past, sender=issuer_signer)


def test_expiry_beyond_uint32_reverts(credential, issuer_signer, holder, create_token_id):
    token_id = create_token_id()
    with ape.reverts(credential.CredentialInvalidExpiry, tokenId=token_id, expiresAt=2**32):
        credential.issue(holder, token_id, 2**32, sender=issuer_signer)


def test_expiry_at_uint32_max_is_accepted(credential, create_credential):
    token_id = create_credential(expires_at=UINT32_MAX)
    assert credential.credential(token_id).expiresAt == UINT32_MAX


def test_credential_expires_but_stays_visible(credential, holder, create_credential):
    expires_at = now() + 1000
    token_id = create_credential(expires_at=expires_at)
    assert credential.isValid(token_id)
    ape.chain.mine(timestamp=expires_at + 10)
    assert not credential.isValid(token_id)
    status = credential.credential(token_id)
    assert not status.valid
    assert status.holder == holder.address
    assert status.issuerActive
    assert credential.ownerOf(token_id) == holder.address


# ------------------------------------------------------------------ batches


def test_batch_of_200_recipients_is_issued(credential, issuer_signer, accounts, create_token_id):
    recipients = [accounts[i % 10] for i in range(200)]
    token_ids = [create_token_id() for _ in range(200)]
    expiries = [NEVER if i % 2 else now() + ONE_YEAR for i in range(200)]
    receipt = credential.issueBatch(recipients, token_ids, expiries, sender=issuer_signer)
    issued = receipt.events.filter(credential.CredentialIssued)
    assert [e.tokenId for e in issued] == token_ids
    assert len(receipt.events.filter(credential.Locked)) == 200
    statuses = credential.credentials(token_ids)
    assert [s.holder for s in statuses] == [r.address for r in recipients]
    assert [s.expiresAt for s in statuses] == expiries
    assert all(s.valid for s in statuses)
    assert all(credential.balanceOf(accounts[i]) == 20 for i in range(10))


def test_empty_batch_reverts(credential, issuer_signer):
    with ape.reverts(credential.CredentialEmptyBatch):
        credential.issueBatch([], [], [], sender=issuer_signer)


@pytest.mark.parametrize(
    "ids, expiries", [(2, 3), (3, 2), (1, 3)], ids=["ids-short", "expiries-short", "both"]
)
def test_batch_length_mismatch_reverts(
    credential, issuer_signer, holder, create_token_id, ids, expiries
):
    with ape.reverts(
        credential.CredentialBatchLengthMismatch, recipients=3, tokenIds=ids, expiries=expiries
    ):
        credential.issueBatch(
            [holder] * 3,
            [create_token_id() for _ in range(ids)],
            [NEVER] * expiries,
            sender=issuer_signer,
        )


def test_duplicate_id_inside_batch_reverts_whole_batch(
    credential, issuer_signer, holder, other_holder, create_token_id
):
    first, duplicate = create_token_id(), create_token_id()
    with ape.reverts(credential.CredentialAlreadyIssued, tokenId=duplicate):
        credential.issueBatch(
            [holder, other_holder, holder],
            [first, duplicate, duplicate],
            [NEVER] * 3,
            sender=issuer_signer,
        )
    assert credential.credential(first).issuedAt == 0
    assert credential.balanceOf(holder) == 0


def test_batch_with_an_already_issued_id_reverts(
    credential, issuer_signer, holder, create_credential, create_token_id
):
    existing = create_credential()
    fresh = create_token_id()
    with ape.reverts(credential.CredentialAlreadyIssued, tokenId=existing):
        credential.issueBatch(
            [holder, holder], [fresh, existing], [NEVER] * 2, sender=issuer_signer
        )
    assert credential.credential(fresh).issuedAt == 0


def test_batch_with_an_invalid_expiry_reverts(credential, issuer_signer, holder, create_token_id):
    ids = [create_token_id(), create_token_id()]
    with ape.reverts(credential.CredentialInvalidExpiry, tokenId=ids[1], expiresAt=2**40):
        credential.issueBatch([holder, holder], ids, [NEVER, 2**40], sender=issuer_signer)


@pytest.mark.parametrize("role", ["stranger", "suspended_signer"])
def test_non_active_signer_cannot_issue_batch(request, credential, holder, create_token_id, role):
    account = request.getfixturevalue(role)
    with ape.reverts(credential.CredentialUnauthorizedSigner, account=account.address):
        credential.issueBatch([holder], [create_token_id()], [NEVER], sender=account)


# ------------------------------------------------------------------ reissue


def test_reissue_links_both_ways_and_supersedes_old(
    credential, second_signer, holder, other_holder, create_credential, create_token_id
):
    old = create_credential()
    new = create_token_id()
    receipt = credential.reissue(other_holder, new, NEVER, old, sender=second_signer)

    replaced = only_event(receipt, credential.CredentialReplaced)
    assert (replaced.oldTokenId, replaced.newTokenId) == (old, new)
    revoked = only_event(receipt, credential.CredentialRevoked)
    assert (revoked.tokenId, revoked.issuerId, revoked.by, revoked.reason) == (
        old,
        ACME,
        second_signer.address,
        "superseded",
    )
    issued = only_event(receipt, credential.CredentialIssued)
    assert (issued.tokenId, issued.signer) == (new, second_signer.address)

    old_status, new_status = credential.credentials([old, new])
    assert old_status.replacedBy == new and old_status.replaces == 0
    assert new_status.replaces == old and new_status.replacedBy == 0
    assert old_status.revokedAt != 0 and not old_status.valid
    assert old_status.holder == holder.address  # revoked, not moved
    assert new_status.holder == other_holder.address and new_status.valid


def test_reissue_of_a_revoked_credential_does_not_revoke_again(
    credential, issuer_signer, holder, create_credential, create_token_id
):
    old = create_credential()
    credential.revoke(old, "typo in name", sender=issuer_signer)
    revoked_at = credential.credential(old).revokedAt
    new = create_token_id()
    receipt = credential.reissue(holder, new, NEVER, old, sender=issuer_signer)
    assert len(receipt.events.filter(credential.CredentialRevoked)) == 0
    assert credential.credential(old).revokedAt == revoked_at
    assert credential.credential(old).replacedBy == new


def test_credential_cannot_be_reissued_twice(
    credential, issuer_signer, holder, create_credential, create_token_id
):
    old = create_credential()
    first = create_token_id()
    credential.reissue(holder, first, NEVER, old, sender=issuer_signer)
    with ape.reverts(credential.CredentialAlreadyReplaced, tokenId=old, replacedBy=first):
        credential.reissue(holder, create_token_id(), NEVER, old, sender=issuer_signer)


def test_another_issuer_cannot_reissue(
    credential, other_issuer_signer, holder, create_credential, create_token_id
):
    old = create_credential()
    with ape.reverts(
        credential.CredentialNotIssuerSigner, account=other_issuer_signer.address, tokenId=old
    ):
        credential.reissue(holder, create_token_id(), NEVER, old, sender=other_issuer_signer)


def test_unknown_credential_cannot_be_reissued(credential, issuer_signer, holder, create_token_id):
    unknown = create_token_id()
    with ape.reverts(credential.ERC721NonexistentToken, tokenId=unknown):
        credential.reissue(holder, create_token_id(), NEVER, unknown, sender=issuer_signer)


def test_reissue_cannot_reuse_an_existing_id(credential, issuer_signer, holder, create_credential):
    old, existing = create_credential(), create_credential()
    with ape.reverts(credential.CredentialAlreadyIssued, tokenId=existing):
        credential.reissue(holder, existing, NEVER, old, sender=issuer_signer)
    with ape.reverts(credential.CredentialAlreadyIssued, tokenId=old):
        credential.reissue(holder, old, NEVER, old, sender=issuer_signer)


def test_suspended_issuer_cannot_reissue(
    credential, registry, registrar, suspended_signer, holder, create_credential, create_token_id
):
    registry.reinstateIssuer(SUSPENDED, sender=registrar)
    old = create_credential(signer=suspended_signer)
    registry.suspendIssuer(SUSPENDED, "again", sender=registrar)
    with ape.reverts(
        credential.CredentialNotIssuerSigner, account=suspended_signer.address, tokenId=old
    ):
        credential.reissue(holder, create_token_id(), NEVER, old, sender=suspended_signer)


# ------------------------------------------------------------------ revoke


def test_any_current_signer_revokes_with_reason(credential, second_signer, create_credential):
    token_id = create_credential()  # issued by issuer_signer
    receipt = credential.revoke(token_id, "plagiarism", sender=second_signer)
    event = only_event(receipt, credential.CredentialRevoked)
    assert (event.tokenId, event.issuerId, event.by, event.reason) == (
        token_id,
        ACME,
        second_signer.address,
        "plagiarism",
    )
    status = credential.credential(token_id)
    assert status.revokedAt == ape.chain.blocks[receipt.block_number].timestamp
    assert not status.valid and not credential.isValid(token_id)


def test_revocation_needs_a_reason(credential, issuer_signer, create_credential):
    token_id = create_credential()
    with ape.reverts(credential.CredentialEmptyReason):
        credential.revoke(token_id, "", sender=issuer_signer)


def test_revoked_stays_revoked(credential, issuer_signer, create_credential):
    token_id = create_credential()
    credential.revoke(token_id, "error", sender=issuer_signer)
    with ape.reverts(credential.CredentialAlreadyRevoked, tokenId=token_id):
        credential.revoke(token_id, "again", sender=issuer_signer)
    assert not credential.isValid(token_id)


@pytest.mark.parametrize("role", ["stranger", "holder", "registrar", "other_issuer_signer"])
def test_only_the_issuers_signers_can_revoke(request, credential, create_credential, role):
    account = request.getfixturevalue(role)
    token_id = create_credential()
    with ape.reverts(
        credential.CredentialNotIssuerSigner, account=account.address, tokenId=token_id
    ):
        credential.revoke(token_id, "not mine", sender=account)


def test_suspended_issuer_cannot_revoke(
    credential, registry, registrar, issuer_signer, create_credential
):
    token_id = create_credential()
    registry.suspendIssuer(ACME, "audit", sender=registrar)
    with ape.reverts(
        credential.CredentialNotIssuerSigner, account=issuer_signer.address, tokenId=token_id
    ):
        credential.revoke(token_id, "before audit ends", sender=issuer_signer)


def test_unknown_credential_cannot_be_revoked(credential, issuer_signer, create_token_id):
    unknown = create_token_id()
    with ape.reverts(credential.ERC721NonexistentToken, tokenId=unknown):
        credential.revoke(unknown, "who?", sender=issuer_signer)


def test_revoke_batch_revokes_all_with_one_reason(credential, second_signer, create_credential):
    ids = [create_credential() for _ in range(3)]
    receipt = credential.revokeBatch(ids, "course withdrawn", sender=second_signer)
    events = receipt.events.filter(credential.CredentialRevoked)
    assert [(e.tokenId, e.issuerId, e.by, e.reason) for e in events] == [
        (i, ACME, second_signer.address, "course withdrawn") for i in ids
    ]
    assert not any(s.valid for s in credential.credentials(ids))


def test_revoke_batch_is_all_or_nothing(
    credential, issuer_signer, other_issuer_signer, create_credential, create_token_id
):
    mine = create_credential()
    foreign = create_credential(signer=other_issuer_signer)
    unknown = create_token_id()
    with ape.reverts(
        credential.CredentialNotIssuerSigner, account=issuer_signer.address, tokenId=foreign
    ):
        credential.revokeBatch([mine, foreign], "mixed", sender=issuer_signer)
    with ape.reverts(credential.ERC721NonexistentToken, tokenId=unknown):
        credential.revokeBatch([mine, unknown], "mixed", sender=issuer_signer)
    with ape.reverts(credential.CredentialAlreadyRevoked, tokenId=mine):
        credential.revokeBatch([mine, mine], "twice", sender=issuer_signer)
    assert credential.isValid(mine)


def test_revoke_batch_edge_cases(
    credential, issuer_signer, stranger, suspended_signer, create_credential
):
    token_id = create_credential()
    with ape.reverts(credential.CredentialEmptyBatch):
        credential.revokeBatch([], "nothing", sender=issuer_signer)
    with ape.reverts(credential.CredentialEmptyReason):
        credential.revokeBatch([token_id], "", sender=issuer_signer)
    with ape.reverts(credential.CredentialUnauthorizedSigner, account=stranger.address):
        credential.revokeBatch([token_id], "x", sender=stranger)
    with ape.reverts(credential.CredentialUnauthorizedSigner, account=suspended_signer.address):
        credential.revokeBatch([token_id], "x", sender=suspended_signer)


# ------------------------------------------------------------------ burn


def test_holder_burns_credential(credential, holder, create_credential):
    token_id, kept = create_credential(), create_credential()
    assert credential.balanceOf(holder) == 2
    receipt = credential.burn(token_id, sender=holder)
    transfer = only_event(receipt, credential.Transfer)
    assert (transfer["from"], transfer.to, transfer.tokenId) == (
        holder.address,
        ZERO_ADDRESS,
        token_id,
    )
    assert credential.balanceOf(holder) == 1
    assert credential.ownerOf(kept) == holder.address
    with ape.reverts(credential.ERC721NonexistentToken, tokenId=token_id):
        credential.ownerOf(token_id)
    status = credential.credential(token_id)
    assert status.holder == ZERO_ADDRESS and status.issuedAt != 0 and not status.valid
    assert not credential.isValid(token_id)


def test_burned_id_can_never_be_issued_again(
    credential, issuer_signer, holder, create_credential, create_token_id
):
    token_id = create_credential()
    credential.burn(token_id, sender=holder)
    with ape.reverts(credential.CredentialAlreadyIssued, tokenId=token_id):
        credential.issue(holder, token_id, NEVER, sender=issuer_signer)
    with ape.reverts(credential.CredentialAlreadyIssued, tokenId=token_id):
        credential.issueBatch([holder], [token_id], [NEVER], sender=issuer_signer)


def test_revoked_credential_can_be_burned_but_never_reissued_under_same_id(
    credential, issuer_signer, holder, create_credential
):
    token_id = create_credential()
    credential.revoke(token_id, "error", sender=issuer_signer)
    credential.burn(token_id, sender=holder)
    with ape.reverts(credential.CredentialAlreadyIssued, tokenId=token_id):
        credential.issue(holder, token_id, NEVER, sender=issuer_signer)


@pytest.mark.parametrize("role", ["stranger", "issuer_signer", "admin"])
def test_only_the_holder_can_burn(request, credential, create_credential, role):
    account = request.getfixturevalue(role)
    token_id = create_credential()
    with ape.reverts(credential.CredentialNotHolder, account=account.address, tokenId=token_id):
        credential.burn(token_id, sender=account)


def test_burning_unknown_or_burned_credential_reverts(
    credential, holder, create_credential, create_token_id
):
    unknown = create_token_id()
    with ape.reverts(credential.ERC721NonexistentToken, tokenId=unknown):
        credential.burn(unknown, sender=holder)
    token_id = create_credential()
    credential.burn(token_id, sender=holder)
    with ape.reverts(credential.ERC721NonexistentToken, tokenId=token_id):
        credential.burn(token_id, sender=holder)


# ------------------------------------------------------------------ validity and views


def test_is_valid_follows_issuer_suspension(credential, registry, registrar, create_credential):
    token_id = create_credential()
    registry.suspendIssuer(ACME, "audit", sender=registrar)
    assert not credential.isValid(token_id)
    status = credential.credential(token_id)
    assert not status.issuerActive and not status.valid
    registry.reinstateIssuer(ACME, sender=registrar)
    assert credential.isValid(token_id)


def test_is_valid_is_false_for_unknown_id(credential, create_token_id):
    assert not credential.isValid(create_token_id())
    assert not credential.isValid(0)


def test_credentials_view_covers_every_state_and_unknown_ids(
    credential,
    registry,
    registrar,
    issuer_signer,
    other_issuer_signer,
    holder,
    create_credential,
    create_token_id,
):
    valid = create_credential()
    revoked = create_credential()
    credential.revoke(revoked, "error", sender=issuer_signer)
    expiring = create_credential(expires_at=now() + 1000)
    burned = create_credential()
    credential.burn(burned, sender=holder)
    foreign = create_credential(signer=other_issuer_signer)
    registry.suspendIssuer(OTHER, "audit", sender=registrar)
    unknown = create_token_id()
    ape.chain.mine(timestamp=now() + 2000)

    ids = [valid, unknown, revoked, foreign, expiring, valid, burned]
    statuses = credential.credentials(ids)
    assert [s.tokenId for s in statuses[:1]] == [valid]
    assert [s.valid for s in statuses] == [True, False, False, False, False, True, False]
    assert [s.issuerActive for s in statuses] == [True, False, True, False, True, True, True]
    assert [s.issuerId for s in statuses] == [ACME, 0, ACME, OTHER, ACME, ACME, ACME]
    assert statuses[1] == credential.credential(unknown)
    unknown_status = statuses[1]
    assert unknown_status.holder == ZERO_ADDRESS
    assert (
        unknown_status.issuedAt,
        unknown_status.expiresAt,
        unknown_status.revokedAt,
        unknown_status.replaces,
        unknown_status.replacedBy,
    ) == (0, 0, 0, 0, 0)
    for token_id, status in zip(ids, statuses, strict=True):
        assert status == credential.credential(token_id)
        assert status.valid == credential.isValid(token_id)
    assert credential.credentials([]) == []


def test_registry_and_metadata(credential, registry):
    assert credential.registry() == registry.address
    assert credential.name() == "microcred"
    assert credential.symbol() == "CRED"


def test_balance_of_zero_address_reverts(credential):
    with ape.reverts(credential.ERC721InvalidOwner, owner=ZERO_ADDRESS):
        credential.balanceOf(ZERO_ADDRESS)


def test_owner_of_unknown_reverts(credential, create_token_id):
    unknown = create_token_id()
    with ape.reverts(credential.ERC721NonexistentToken, tokenId=unknown):
        credential.ownerOf(unknown)


# ------------------------------------------------------------------ soulbound


@pytest.mark.parametrize(
    "signature",
    [
        "transferFrom(address,address,uint256)",
        "safeTransferFrom(address,address,uint256)",
        "safeTransferFrom(address,address,uint256,bytes)",
    ],
)
@pytest.mark.parametrize("mover", ["holder", "issuer_signer", "admin"])
def test_nobody_can_transfer_a_credential(
    request, credential, holder, stranger, create_credential, signature, mover
):
    token_id = create_credential()
    method = overload(credential, signature)
    args = [holder, stranger, token_id] + ([b"data"] if signature.endswith("bytes)") else [])
    with ape.reverts(credential.CredentialNonTransferable, tokenId=token_id):
        method(*args, sender=request.getfixturevalue(mover))
    assert credential.ownerOf(token_id) == holder.address
    assert credential.balanceOf(stranger) == 0


def test_approve_and_set_approval_for_all_revert(credential, holder, stranger, create_credential):
    token_id = create_credential()
    with ape.reverts(credential.CredentialApprovalDisabled):
        overload(credential, "approve(address,uint256)")(stranger, token_id, sender=holder)
    for approved in (True, False):
        with ape.reverts(credential.CredentialApprovalDisabled):
            overload(credential, "setApprovalForAll(address,bool)")(
                stranger, approved, sender=holder
            )
    assert not credential.isApprovedForAll(holder, stranger)


def test_get_approved_is_zero_for_existing_and_reverts_for_unknown(
    credential, create_credential, create_token_id
):
    assert credential.getApproved(create_credential()) == ZERO_ADDRESS
    unknown = create_token_id()
    with ape.reverts(credential.ERC721NonexistentToken, tokenId=unknown):
        credential.getApproved(unknown)


def test_locked_is_true_and_reverts_for_unknown_or_burned(
    credential, holder, issuer_signer, create_credential, create_token_id
):
    token_id = create_credential()
    assert credential.locked(token_id) is True
    credential.revoke(token_id, "error", sender=issuer_signer)
    assert credential.locked(token_id) is True  # revoked: still there, still locked
    unknown = create_token_id()
    with ape.reverts(credential.ERC721NonexistentToken, tokenId=unknown):
        credential.locked(unknown)
    credential.burn(token_id, sender=holder)
    with ape.reverts(credential.ERC721NonexistentToken, tokenId=token_id):
        credential.locked(token_id)


# ------------------------------------------------------------------ ERC-165


def selector(signature: str) -> int:
    return int.from_bytes(keccak(text=signature)[:4], "big")


def interface_id(*signatures: str) -> str:
    return f"0x{reduce(lambda acc, sig: acc ^ selector(sig), signatures, 0):08x}"


ERC165 = ["supportsInterface(bytes4)"]
ERC721 = [
    "balanceOf(address)",
    "ownerOf(uint256)",
    "safeTransferFrom(address,address,uint256,bytes)",
    "safeTransferFrom(address,address,uint256)",
    "transferFrom(address,address,uint256)",
    "approve(address,uint256)",
    "setApprovalForAll(address,bool)",
    "getApproved(uint256)",
    "isApprovedForAll(address,address)",
]
ERC721_METADATA = ["name()", "symbol()", "tokenURI(uint256)"]
ERC5192 = ["locked(uint256)"]


@pytest.mark.parametrize(
    "signatures, expected",
    [
        (ERC165, "0x01ffc9a7"),
        (ERC721, "0x80ac58cd"),
        (ERC721_METADATA, "0x5b5e139f"),
        (ERC5192, "0xb45a3c0e"),
    ],
    ids=["ERC-165", "ERC-721", "ERC-721-Metadata", "ERC-5192"],
)
def test_supports_interface_computed_from_selectors(credential, signatures, expected):
    assert interface_id(*signatures) == expected
    abi_selectors = {abi.selector for abi in credential.contract_type.methods}
    assert set(signatures) <= abi_selectors, "the contract must implement every function"
    assert credential.supportsInterface(expected) is True


@pytest.mark.parametrize("unsupported", ["0xffffffff", "0x00000000", "0x49064906"])
def test_does_not_claim_other_interfaces(credential, unsupported):
    # 0x49064906: ERC-4906, pointless here: the document behind tokenURI never changes.
    assert credential.supportsInterface(unsupported) is False


def test_registry_supports_access_control_interfaces(registry):
    access_control = interface_id(
        "hasRole(bytes32,address)",
        "getRoleAdmin(bytes32)",
        "grantRole(bytes32,address)",
        "revokeRole(bytes32,address)",
        "renounceRole(bytes32,address)",
    )
    assert registry.supportsInterface(access_control) is True
    assert registry.supportsInterface("0x01ffc9a7") is True
    assert registry.supportsInterface("0xffffffff") is False


# ------------------------------------------------------------------ tokenURI and CID


def test_token_uri_is_the_cid_python_computes(credential, issuer_signer, holder):
    documents = [os.urandom(n) for n in (1, 31, 32, 33, 100, 1000, 4096)]
    documents.append(b'{"type":["VerifiableCredential","OpenBadgeCredential"]}')
    for document in documents:
        token_id = token_id_of(document)
        credential.issue(holder, token_id, NEVER, sender=issuer_signer)
        assert credential.tokenURI(token_id) == ipfs_uri(token_id)
        assert credential.tokenURI(token_id) == f"ipfs://{cid_of(document)}"


def test_token_uri_of_empty_document_is_kubos_cid(credential, issuer_signer, holder):
    token_id = token_id_of(b"")
    credential.issue(holder, token_id, NEVER, sender=issuer_signer)
    assert credential.tokenURI(token_id) == EMPTY_DOCUMENT_URI


@pytest.mark.parametrize("token_id", [1, 2**255, 2**256 - 1], ids=["one", "high-bit", "max"])
def test_token_uri_at_extreme_ids(credential, issuer_signer, holder, token_id):
    credential.issue(holder, token_id, NEVER, sender=issuer_signer)
    assert credential.tokenURI(token_id) == ipfs_uri(token_id)


def test_token_uri_reverts_for_unknown_and_burned(
    credential, holder, create_credential, create_token_id
):
    unknown = create_token_id()
    with ape.reverts(credential.ERC721NonexistentToken, tokenId=unknown):
        credential.tokenURI(unknown)
    token_id = create_credential()
    credential.burn(token_id, sender=holder)
    with ape.reverts(credential.ERC721NonexistentToken, tokenId=token_id):
        credential.tokenURI(token_id)
