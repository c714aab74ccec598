"""IssuerRegistry's assertion keys: which Ed25519 keys speak for which issuer, through rotation.

An active signer binds a raw 32-byte Ed25519 public key to its own issuer
(``registerAssertionKey``); the issuer's signers or the registrar revoke that issuer's record of it
(``revokeAssertionKey(issuerId, key, reason)``). Records are per (issuer, key): once per issuer,
revoked or not, and what another issuer registers is its own record and moves nothing of anyone
else's (a public key is public: first come, first served across issuers would let a hostile issuer
squat another's key). Nothing is deleted: a key rotated out keeps what it signed before valid. The
last part drives the same contract through the Python client (:mod:`microcred.assertion_keys`),
on EthTester and on anvil (JSON-RPC batches there).
"""

from __future__ import annotations

import os

import ape
import pytest
from eth_account import Account

from microcred.assertion_keys import (
    KEYS_PER_CALL,
    AssertionKey,
    assertion_keys_call_data,
    decode_assertion_keys,
    register_assertion_key,
    revoke_assertion_key,
)
from microcred.chain import Chain
from microcred.deployment import ContractDeployment, Deployment
from microcred.errors import ChainError, InputError
from microcred.vc.didkey import Ed25519SigningKey, public_key_of

# Issuer ids as the session fixtures register them (see conftest.py).
ACME, OTHER, SUSPENDED = 1, 2, 3
NEVER_REGISTERED_ISSUER = 99
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
MAX_TEXT_LENGTH = 256


def only_event(receipt, event_type):
    events = receipt.events.filter(event_type)
    assert len(events) == 1, events
    return events[0]


def block_time(receipt) -> int:
    return ape.chain.blocks[receipt.block_number].timestamp


def later(seconds: int = 5) -> None:
    """The next transactions come strictly later (anvil gives the blocks of one second one time)."""
    ape.chain.pending_timestamp = ape.chain.pending_timestamp + seconds


def fields(record) -> tuple:
    return (record.issuerId, record.signer, record.registeredAt, record.revokedAt)


@pytest.fixture
def create_public_key():
    """The raw public key of a fresh Ed25519 key, as its did:key encodes it."""

    def create() -> bytes:
        key = Ed25519SigningKey.from_seed(os.urandom(32))
        assert public_key_of(key.did) == key.public_key  # the bytes the registry binds
        return key.public_key

    return create


@pytest.fixture
def acme_key(registry, issuer_signer, create_public_key) -> bytes:
    """A key Acme's ``issuer_signer`` registered."""
    public_key = create_public_key()
    registry.registerAssertionKey(public_key, sender=issuer_signer)
    return public_key


# ------------------------------------------------------------------ registering


def test_signer_registers_a_key_for_its_issuer_with_event(
    registry, issuer_signer, create_public_key
):
    public_key = create_public_key()
    receipt = registry.registerAssertionKey(public_key, sender=issuer_signer)
    event = only_event(receipt, registry.AssertionKeyRegistered)
    assert (event.issuerId, event.signer, bytes(event.publicKey)) == (
        ACME,
        issuer_signer.address,
        public_key,
    )
    record = registry.assertionKey(ACME, public_key)
    assert (record.issuerId, record.signer, record.revokedAt) == (ACME, issuer_signer.address, 0)
    assert record.registeredAt == block_time(receipt)


def test_an_issuer_may_have_many_keys_each_bound_to_its_own_signer(
    registry, issuer_signer, second_signer, create_public_key
):
    keys = [create_public_key() for _ in range(3)]
    registry.registerAssertionKey(keys[0], sender=issuer_signer)
    registry.registerAssertionKey(keys[1], sender=issuer_signer)
    registry.registerAssertionKey(keys[2], sender=second_signer)
    records = registry.assertionKeys([ACME] * 3, keys)
    assert [(r.issuerId, r.signer) for r in records] == [
        (ACME, issuer_signer.address),
        (ACME, issuer_signer.address),
        (ACME, second_signer.address),
    ]


def test_the_zero_key_is_refused(registry, issuer_signer):
    with ape.reverts(registry.IssuerRegistryInvalidAssertionKey):
        registry.registerAssertionKey(bytes(32), sender=issuer_signer)


def test_a_key_cannot_be_registered_twice_by_its_own_issuer(
    registry, issuer_signer, second_signer, acme_key
):
    for signer in (issuer_signer, second_signer):
        with ape.reverts(
            registry.IssuerRegistryAssertionKeyTaken, publicKey=acme_key, issuerId=ACME
        ):
            registry.registerAssertionKey(acme_key, sender=signer)


def test_a_key_registered_first_by_another_issuer_does_not_lock_its_owner_out(
    registry, issuer_signer, other_issuer_signer, create_public_key
):
    """Squatting: a public key is public (in its owner's registration transaction while it waits
    in the mempool, and in every document), so a hostile accredited issuer can register it first.
    That binds it to the hostile issuer only: the owner still registers it, and its record is its
    own."""
    public_key = create_public_key()
    squatted = registry.registerAssertionKey(public_key, sender=other_issuer_signer)
    assert only_event(squatted, registry.AssertionKeyRegistered).issuerId == OTHER
    assert registry.assertionKey(ACME, public_key).issuerId == 0  # nothing of Acme's moved

    later()
    receipt = registry.registerAssertionKey(public_key, sender=issuer_signer)
    event = only_event(receipt, registry.AssertionKeyRegistered)
    assert (event.issuerId, event.signer) == (ACME, issuer_signer.address)
    acme, other = registry.assertionKeys([ACME, OTHER], [public_key, public_key])
    assert fields(acme) == (ACME, issuer_signer.address, block_time(receipt), 0)
    assert fields(other) == (OTHER, other_issuer_signer.address, block_time(squatted), 0)


def test_a_hostile_issuers_copy_of_a_registered_key_changes_nothing_for_its_owner(
    registry, issuer_signer, other_issuer_signer, acme_key
):
    before = fields(registry.assertionKey(ACME, acme_key))
    receipt = registry.registerAssertionKey(acme_key, sender=other_issuer_signer)
    assert only_event(receipt, registry.AssertionKeyRegistered).issuerId == OTHER
    assert fields(registry.assertionKey(ACME, acme_key)) == before
    # Even revoking its copy touches only its own record.
    registry.revokeAssertionKey(OTHER, acme_key, "copied", sender=other_issuer_signer)
    assert fields(registry.assertionKey(ACME, acme_key)) == before
    assert registry.assertionKey(OTHER, acme_key).revokedAt != 0


def test_suspended_issuers_signer_cannot_register_a_key(
    registry, suspended_signer, create_public_key
):
    with ape.reverts(registry.IssuerRegistryIssuerNotActive, issuerId=SUSPENDED):
        registry.registerAssertionKey(create_public_key(), sender=suspended_signer)


@pytest.mark.parametrize("role", ["registrar", "admin", "holder", "stranger"])
def test_only_a_signer_of_an_active_issuer_registers_a_key(
    request, registry, create_public_key, role
):
    account = request.getfixturevalue(role)
    with ape.reverts(
        registry.IssuerRegistryUnauthorizedSigner, account=account.address, issuerId=0
    ):
        registry.registerAssertionKey(create_public_key(), sender=account)


def test_removed_signer_cannot_register_a_key(
    registry, issuer_signer, second_signer, create_public_key
):
    registry.removeSigner(ACME, second_signer, sender=issuer_signer)
    with ape.reverts(
        registry.IssuerRegistryUnauthorizedSigner, account=second_signer.address, issuerId=0
    ):
        registry.registerAssertionKey(create_public_key(), sender=second_signer)


# ------------------------------------------------------------------ revoking


def test_another_signer_of_the_issuer_revokes_a_key_with_event(
    registry, second_signer, issuer_signer, acme_key
):
    registered = registry.assertionKey(ACME, acme_key)
    later()
    receipt = registry.revokeAssertionKey(ACME, acme_key, "rotated", sender=second_signer)
    event = only_event(receipt, registry.AssertionKeyRevoked)
    assert (event.issuerId, bytes(event.publicKey), event.by, event.reason) == (
        ACME,
        acme_key,
        second_signer.address,
        "rotated",
    )
    record = registry.assertionKey(ACME, acme_key)
    # Nothing else moves: the record still says whose key it was, who bound it, and when.
    assert (record.issuerId, record.signer, record.registeredAt) == (
        ACME,
        issuer_signer.address,
        registered.registeredAt,
    )
    assert record.revokedAt == block_time(receipt) > record.registeredAt


def test_registrar_revokes_a_leaked_key_of_a_suspended_issuer(
    registry, registrar, issuer_signer, acme_key
):
    registry.suspendIssuer(ACME, "key leaked", sender=registrar)
    with ape.reverts(registry.IssuerRegistryIssuerNotActive, issuerId=ACME):
        registry.revokeAssertionKey(ACME, acme_key, "leaked", sender=issuer_signer)
    receipt = registry.revokeAssertionKey(ACME, acme_key, "leaked", sender=registrar)
    assert only_event(receipt, registry.AssertionKeyRevoked).by == registrar.address
    assert registry.assertionKey(ACME, acme_key).revokedAt != 0


def test_a_hostile_accredited_issuer_cannot_revoke_another_issuers_key(
    registry, other_issuer_signer, acme_key
):
    with ape.reverts(
        registry.IssuerRegistryUnauthorizedSigner,
        account=other_issuer_signer.address,
        issuerId=ACME,
    ):
        registry.revokeAssertionKey(ACME, acme_key, "fraud", sender=other_issuer_signer)
    # Naming its own issuer reaches only its own records, where Acme's key is not.
    with ape.reverts(registry.IssuerRegistryUnknownAssertionKey, publicKey=acme_key):
        registry.revokeAssertionKey(OTHER, acme_key, "fraud", sender=other_issuer_signer)
    assert registry.assertionKey(ACME, acme_key).revokedAt == 0


@pytest.mark.parametrize("role", ["holder", "stranger", "suspended_signer"])
def test_outsiders_cannot_revoke_a_key(request, registry, acme_key, role):
    account = request.getfixturevalue(role)
    with ape.reverts(
        registry.IssuerRegistryUnauthorizedSigner, account=account.address, issuerId=ACME
    ):
        registry.revokeAssertionKey(ACME, acme_key, "reason", sender=account)


def test_revoking_an_unknown_key_reverts(registry, issuer_signer, create_public_key):
    public_key = create_public_key()
    with ape.reverts(registry.IssuerRegistryUnknownAssertionKey, publicKey=public_key):
        registry.revokeAssertionKey(ACME, public_key, "reason", sender=issuer_signer)


def test_revoking_a_key_of_an_issuer_that_does_not_exist_reverts(registry, registrar, acme_key):
    for issuer_id in (0, NEVER_REGISTERED_ISSUER):
        with ape.reverts(registry.IssuerRegistryUnknownIssuer, issuerId=issuer_id):
            registry.revokeAssertionKey(issuer_id, acme_key, "reason", sender=registrar)


def test_revocation_is_final(registry, issuer_signer, registrar, acme_key):
    receipt = registry.revokeAssertionKey(ACME, acme_key, "rotated", sender=issuer_signer)
    revoked_at = block_time(receipt)
    for account in (issuer_signer, registrar):
        with ape.reverts(
            registry.IssuerRegistryAssertionKeyAlreadyRevoked,
            publicKey=acme_key,
            revokedAt=revoked_at,
        ):
            registry.revokeAssertionKey(ACME, acme_key, "again", sender=account)
    # And a revoked key cannot come back for its issuer by being registered again.
    with ape.reverts(registry.IssuerRegistryAssertionKeyTaken, publicKey=acme_key, issuerId=ACME):
        registry.registerAssertionKey(acme_key, sender=issuer_signer)
    assert registry.assertionKey(ACME, acme_key).revokedAt == revoked_at


def test_another_issuer_registering_a_revoked_key_does_not_revive_it(
    registry, issuer_signer, other_issuer_signer, acme_key
):
    receipt = registry.revokeAssertionKey(ACME, acme_key, "leaked", sender=issuer_signer)
    registry.registerAssertionKey(acme_key, sender=other_issuer_signer)  # its own record
    record = registry.assertionKey(ACME, acme_key)
    assert (record.issuerId, record.revokedAt) == (ACME, block_time(receipt))


def test_a_revocation_needs_a_reason(registry, issuer_signer, acme_key):
    with ape.reverts(registry.IssuerRegistryEmptyReason):
        registry.revokeAssertionKey(ACME, acme_key, "", sender=issuer_signer)


def test_a_revocation_reason_is_bounded(registry, issuer_signer, acme_key):
    with ape.reverts(
        registry.IssuerRegistryTextTooLong, length=MAX_TEXT_LENGTH + 1, max=MAX_TEXT_LENGTH
    ):
        registry.revokeAssertionKey(
            ACME, acme_key, "x" * (MAX_TEXT_LENGTH + 1), sender=issuer_signer
        )
    registry.revokeAssertionKey(ACME, acme_key, "x" * MAX_TEXT_LENGTH, sender=issuer_signer)


# ------------------------------------------------------------------ rotation


def test_removing_a_signer_leaves_its_keys_bound_to_the_issuer(
    registry, issuer_signer, second_signer, create_public_key
):
    public_key = create_public_key()
    registry.registerAssertionKey(public_key, sender=second_signer)
    registry.removeSigner(ACME, second_signer, sender=issuer_signer)
    record = registry.assertionKey(ACME, public_key)
    assert (record.issuerId, record.signer, record.revokedAt) == (ACME, second_signer.address, 0)


def test_rotation_keeps_the_old_key_record_and_its_credentials(
    registry,
    credential,
    registrar,
    issuer_signer,
    second_signer,
    spare_key,
    create_public_key,
    create_credential,
):
    """Staff change: the old signer's key is rotated out, the new signer's key comes in. What the
    old key signed before its revocation still speaks for Acme; nothing it signs afterwards does."""
    old_key = create_public_key()
    registry.registerAssertionKey(old_key, sender=second_signer)
    signed_before = credential.credential(create_credential()).issuedAt

    registry.addSigner(ACME, spare_key, sender=issuer_signer)
    registry.removeSigner(ACME, second_signer, sender=issuer_signer)
    new_key = create_public_key()
    registry.registerAssertionKey(new_key, sender=spare_key)
    later()
    registry.revokeAssertionKey(ACME, old_key, "staff change", sender=spare_key)
    signed_after = credential.credential(create_credential(signer=spare_key)).issuedAt

    old, new = registry.assertionKeys([ACME, ACME], [old_key, new_key])
    assert (old.issuerId, old.signer) == (ACME, second_signer.address)  # the record stays
    assert (new.issuerId, new.signer, new.revokedAt) == (ACME, spare_key.address, 0)
    # The verification rule, from chain data alone.
    assert signed_before < old.revokedAt <= signed_after
    # The departed signer, now at another institution, may bring its old key along: for that
    # institution only. Acme's record of it stays revoked.
    registry.addSigner(OTHER, second_signer, sender=registrar)
    registry.registerAssertionKey(old_key, sender=second_signer)
    acme, other = registry.assertionKeys([ACME, OTHER], [old_key, old_key])
    assert fields(acme) == fields(old)
    assert (other.issuerId, other.signer, other.revokedAt) == (OTHER, second_signer.address, 0)


# ------------------------------------------------------------------ views


def test_views_give_zero_records_for_unknown_pairs_in_order(
    registry, acme_key, issuer_signer, create_public_key
):
    unknown = create_public_key()
    records = registry.assertionKeys(
        [ACME, ACME, OTHER, NEVER_REGISTERED_ISSUER, 0, ACME],
        [unknown, acme_key, acme_key, acme_key, acme_key, unknown],
    )
    assert fields(records[0]) == (0, ZERO_ADDRESS, 0, 0)
    assert [r.issuerId for r in records] == [0, ACME, 0, 0, 0, 0]
    assert records[1].signer == issuer_signer.address
    assert registry.assertionKey(ACME, unknown).issuerId == 0
    assert fields(registry.assertionKey(OTHER, acme_key)) == (0, ZERO_ADDRESS, 0, 0)
    assert registry.assertionKeys([], []) == []


def test_the_batched_view_wants_parallel_arrays(registry, acme_key):
    with ape.reverts(registry.IssuerRegistryAssertionKeysLengthMismatch, issuerIds=2, publicKeys=1):
        registry.assertionKeys([ACME, OTHER], [acme_key])
    with ape.reverts(registry.IssuerRegistryAssertionKeysLengthMismatch, issuerIds=0, publicKeys=1):
        registry.assertionKeys([], [acme_key])


# ------------------------------------------------------------------ the Python client


@pytest.fixture
def mc(registry, credential) -> Chain:
    def record(contract):
        receipt = ape.chain.get_receipt(contract.txn_hash)
        return ContractDeployment(
            address=contract.address, block=receipt.block_number, tx=receipt.txn_hash
        )

    deployment = Deployment(
        chain_id=ape.chain.chain_id, registry=record(registry), credential=record(credential)
    )
    return Chain(ape.chain.provider.web3, deployment)


def local(account):
    return Account.from_key(account.private_key)


def test_client_registers_reads_and_revokes(mc, issuer_signer, second_signer, create_public_key):
    public_key, unknown = create_public_key(), create_public_key()
    register_assertion_key(mc, local(issuer_signer), public_key)
    later()
    mc.transact(
        mc.revoke_assertion_key_call(ACME, public_key, "rotated"),
        local(second_signer),
        action="revoke an assertion key",
    )
    pairs = [(ACME, public_key), (ACME, unknown), (ACME, public_key), (OTHER, public_key)]
    records = mc.assertion_keys(pairs)
    # Distinct, in first-seen order.
    assert list(records) == [(ACME, public_key), (ACME, unknown), (OTHER, public_key)]
    record = records[(ACME, public_key)]
    assert (record.issuer_id, record.signer, record.revoked) == (ACME, issuer_signer.address, True)
    assert record.public_key == public_key
    assert record.registered_at < record.revoked_at
    assert records[(ACME, unknown)] == AssertionKey(unknown, 0, None, 0, 0)
    assert records[(OTHER, public_key)] == AssertionKey(public_key, 0, None, 0, 0)
    assert not records[(ACME, unknown)].speaks_for(0, issued_at=1)
    assert record.speaks_for(ACME, issued_at=record.revoked_at - 1)
    assert not record.speaks_for(ACME, issued_at=record.revoked_at)
    assert not record.speaks_for(OTHER, issued_at=record.registered_at)


def test_client_reads_a_hostile_copy_as_the_copiers_record_only(
    mc, acme_key, issuer_signer, other_issuer_signer
):
    """What a verifier asks is the pair (the credential's issuer on chain, the key that signed):
    another issuer's copy of the key is another pair."""
    register_assertion_key(mc, local(other_issuer_signer), acme_key)
    revoke_assertion_key(mc, local(other_issuer_signer), OTHER, acme_key, "a copy")
    records = mc.assertion_keys([(ACME, acme_key), (OTHER, acme_key)])
    acme, other = records[(ACME, acme_key)], records[(OTHER, acme_key)]
    assert (acme.issuer_id, acme.signer, acme.revoked) == (ACME, issuer_signer.address, False)
    assert (other.issuer_id, other.signer, other.revoked) == (
        OTHER,
        other_issuer_signer.address,
        True,
    )
    assert acme.speaks_for(ACME, issued_at=other.revoked_at + 1)
    assert not other.speaks_for(ACME, issued_at=other.registered_at)


def test_client_reads_more_pairs_than_one_call_holds(mc, issuer_signer, create_public_key):
    """Two calls' worth of pairs (one JSON-RPC batch on anvil): every record, in order."""
    public_key = create_public_key()
    mc.transact(mc.register_assertion_key_call(public_key), local(issuer_signer), action="register")
    pairs = [(ACME, create_public_key()) for _ in range(KEYS_PER_CALL)] + [(ACME, public_key)]
    provider, batches = mc.w3.provider, []
    send_batch = getattr(provider, "make_batch_request", None)
    if mc._json_rpc:  # anvil: both calls go in one JSON-RPC batch
        provider.make_batch_request = lambda requests: (
            batches.append(len(requests)) or send_batch(requests)
        )
    try:
        records = mc.assertion_keys(pairs)
    finally:
        if mc._json_rpc:
            provider.make_batch_request = send_batch
    assert batches == ([2] if mc._json_rpc else [])
    assert list(records) == pairs
    assert [r.issuer_id for r in records.values()].count(ACME) == 1
    assert records[(ACME, public_key)].issuer_id == ACME


def test_client_call_rides_in_a_callers_own_request(mc, acme_key, create_public_key):
    """What a verification sends inside its own JSON-RPC batch, decoded the same way."""
    pairs = [(ACME, create_public_key()), (ACME, acme_key), (OTHER, acme_key)]
    result = mc.w3.eth.call(assertion_keys_call_data(mc, pairs))
    records = decode_assertion_keys(mc, pairs, "0x" + bytes(result).hex())
    assert list(records) == pairs
    assert [(r.public_key, r.issuer_id) for r in records.values()] == [
        (pairs[0][1], 0),
        (acme_key, ACME),
        (acme_key, 0),
    ]


def test_client_call_data_holds_one_calls_worth(mc, create_public_key):
    key = create_public_key()
    with pytest.raises(InputError, match=str(KEYS_PER_CALL)):
        assertion_keys_call_data(mc, [(i, key) for i in range(1, KEYS_PER_CALL + 2)])


def test_client_names_the_revert(mc, acme_key, second_signer):
    with pytest.raises(ChainError, match="IssuerRegistryAssertionKeyTaken") as caught:
        mc.transact(
            mc.register_assertion_key_call(acme_key),
            local(second_signer),
            action="register an assertion key",
        )
    assert f"0x{acme_key.hex()}" in str(caught.value)
    assert "issuer 1" in str(caught.value)


@pytest.mark.parametrize("bad", [b"\x01" * 31, b"\x01" * 33, bytes(32), "0x" + "01" * 32])
def test_client_refuses_what_is_not_an_ed25519_public_key(mc, bad):
    with pytest.raises(InputError):
        mc.register_assertion_key_call(bad)
    with pytest.raises(InputError):
        mc.assertion_keys([(ACME, bad)])
    with pytest.raises(InputError):
        mc.revoke_assertion_key_call(ACME, bad, "reason")


@pytest.mark.parametrize("bad", [-1, 2**32, "1", True, None])
def test_client_refuses_what_is_not_an_issuer_id(mc, acme_key, bad):
    with pytest.raises(InputError):
        mc.assertion_keys([(bad, acme_key)])
    with pytest.raises(InputError):
        mc.revoke_assertion_key_call(bad, acme_key, "reason")
    with pytest.raises(InputError):
        assertion_keys_call_data(mc, [(bad, acme_key)])


def test_client_builds_a_wallet_transaction(mc, acme_key):
    tx = mc.unsigned(mc.revoke_assertion_key_call(ACME, acme_key, "rotated"))
    assert tx["to"] == mc.registry.address
    call = mc.registry.functions.revokeAssertionKey(ACME, acme_key, "rotated")
    assert tx["data"] == call._encode_transaction_data()
