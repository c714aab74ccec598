"""Who can do what: every state-changing function of both contracts against every role.

Each cell of the table is either ``ok`` (the transaction succeeds) or the custom error it reverts
with. When that error names an ``account``, the test also checks that it names the caller.

The target of each call is Acme (issuer 1, signers ``issuer_signer`` and ``second_signer``), a
credential Acme issued to ``holder``, or a template Acme published; see conftest.py.

Rows ending in ``+copy`` are what a hostile accredited issuer (column ``other``) can do with an id
it read in Acme's published batch manifest: anchor a batch of its own holding Acme's leaf and
revoke it there, anchor and claim a copy to its own wallet, or issue the id directly. Each of them
is then checked to be harmless: Acme's learner still claims the entry, as Acme's, not revoked.
``registerKey+copy`` is the same for a signing key: the other issuer copies the Ed25519 key of
Acme's documents (public in each credential's did:key) and calls ``registerAssertionKey`` with it.
That succeeds, for the other issuer only (records are per issuer, so nobody can squat a key):
Acme's record of its key is then checked to be exactly what it was.
"""

from __future__ import annotations

import ape
import pytest
from ape.contracts.base import ContractTransactionHandler
from eth_account import Account

from microcred.merkle import Leaf, MerkleTree

ACME, SUSPENDED = 1, 3
NEVER = 0

ROLES = ["admin", "registrar", "issuer", "other", "suspended", "holder", "stranger"]

# Role column -> fixture name.
ROLE_FIXTURES = {
    "admin": "admin",
    "registrar": "registrar",
    "issuer": "issuer_signer",
    "other": "other_issuer_signer",
    "suspended": "suspended_signer",
    "holder": "holder",
    "stranger": "stranger",
}

ERRORS = {
    "AccessCtl": "AccessControlUnauthorizedAccount",
    "BadConfirm": "AccessControlBadConfirmation",
    "RegSigner": "IssuerRegistryUnauthorizedSigner",
    "NotActive": "IssuerRegistryIssuerNotActive",
    "KeyTaken": "IssuerRegistryAssertionKeyTaken",
    "CredSigner": "CredentialUnauthorizedSigner",
    "NotIssuer": "CredentialNotIssuerSigner",
    "NotHolder": "CredentialNotHolder",
    "NoTransfer": "CredentialNonTransferable",
    "NoApprove": "CredentialApprovalDisabled",
}

# fmt: off
MATRIX = """
function              admin      registrar  issuer     other      suspended  holder     stranger
registerIssuer        ok         ok         AccessCtl  AccessCtl  AccessCtl  AccessCtl  AccessCtl
renameIssuer          ok         ok         AccessCtl  AccessCtl  AccessCtl  AccessCtl  AccessCtl
updateIssuerProfile   ok         ok         ok         RegSigner  RegSigner  RegSigner  RegSigner
suspendIssuer         ok         ok         AccessCtl  AccessCtl  AccessCtl  AccessCtl  AccessCtl
reinstateIssuer       ok         ok         AccessCtl  AccessCtl  AccessCtl  AccessCtl  AccessCtl
addSigner             ok         ok         ok         RegSigner  RegSigner  RegSigner  RegSigner
removeSigner          ok         ok         ok         RegSigner  RegSigner  RegSigner  RegSigner
publishTemplate       RegSigner  RegSigner  ok         ok         NotActive  RegSigner  RegSigner
retireTemplate        RegSigner  RegSigner  ok         RegSigner  NotActive  RegSigner  RegSigner
registerAssertionKey  RegSigner  RegSigner  ok         ok         NotActive  RegSigner  RegSigner
registerKey+copy      RegSigner  RegSigner  KeyTaken   ok         NotActive  RegSigner  RegSigner
revokeAssertionKey    ok         ok         ok         RegSigner  RegSigner  RegSigner  RegSigner
grantRole             ok         AccessCtl  AccessCtl  AccessCtl  AccessCtl  AccessCtl  AccessCtl
revokeRole            ok         AccessCtl  AccessCtl  AccessCtl  AccessCtl  AccessCtl  AccessCtl
renounceRole          BadConfirm ok         BadConfirm BadConfirm BadConfirm BadConfirm BadConfirm
issue                 CredSigner CredSigner ok         ok         CredSigner CredSigner CredSigner
issueBatch            CredSigner CredSigner ok         ok         CredSigner CredSigner CredSigner
reissue               NotIssuer  NotIssuer  ok         NotIssuer  NotIssuer  NotIssuer  NotIssuer
revoke                NotIssuer  NotIssuer  ok         NotIssuer  NotIssuer  NotIssuer  NotIssuer
revokeBatch           CredSigner CredSigner ok         NotIssuer  CredSigner CredSigner CredSigner
burn                  NotHolder  NotHolder  NotHolder  NotHolder  NotHolder  ok         NotHolder
anchor                CredSigner CredSigner ok         ok         CredSigner CredSigner CredSigner
claim                 ok         ok         ok         ok         ok         ok         ok
revokeAnchored        NotIssuer  NotIssuer  ok         NotIssuer  NotIssuer  NotIssuer  NotIssuer
revokeAnchored+copy   CredSigner CredSigner ok         ok         CredSigner CredSigner CredSigner
claim+copy            CredSigner CredSigner ok         ok         CredSigner CredSigner CredSigner
issue+copy            CredSigner CredSigner ok         ok         CredSigner CredSigner CredSigner
transferFrom          NoTransfer NoTransfer NoTransfer NoTransfer NoTransfer NoTransfer NoTransfer
safeTransferFrom      NoTransfer NoTransfer NoTransfer NoTransfer NoTransfer NoTransfer NoTransfer
safeTransferFrom+data NoTransfer NoTransfer NoTransfer NoTransfer NoTransfer NoTransfer NoTransfer
approve               NoApprove  NoApprove  NoApprove  NoApprove  NoApprove  NoApprove  NoApprove
setApprovalForAll     NoApprove  NoApprove  NoApprove  NoApprove  NoApprove  NoApprove  NoApprove
"""
# fmt: on


def parse_matrix() -> list[tuple[str, str, str]]:
    lines = [line.split() for line in MATRIX.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    assert header[1:] == ROLES
    return [(row[0], role, cell) for row in rows for role, cell in zip(ROLES, row[1:], strict=True)]


CELLS = parse_matrix()


def test_matrix_covers_every_state_changing_function(registry, credential):
    """A new external function must get a row in the table."""
    functions = {function for function, _, _ in CELLS}
    for contract in (registry, credential):
        for abi in contract.contract_type.mutable_methods:
            assert abi.name in functions, f"{abi.name} has no row in the access matrix"
    # Pure functions the contract could never change state in still belong to ERC-721's surface.
    for name in ("transferFrom", "safeTransferFrom", "approve", "setApprovalForAll"):
        assert name in functions


def overload(contract, signature: str) -> ContractTransactionHandler:
    """One overload of a method, sent as a transaction (not a call) even if it is pure."""
    name = signature.split("(")[0]
    abis = [abi for abi in getattr(contract, name).abis if abi.selector == signature]
    assert len(abis) == 1, signature
    return ContractTransactionHandler(contract, abis)


@pytest.fixture
def act(
    registry,
    credential,
    issuer_signer,
    second_signer,
    holder,
    stranger,
    spare_key,
    registrar,
    create_credential,
    create_template,
    create_token_id,
):
    """The call each row of the table makes, against a credential and a template of Acme."""
    token_id = create_credential()
    template_id = create_template()
    acme_key = create_token_id().to_bytes(32, "big")  # an Ed25519 key of Acme's documents
    registry.registerAssertionKey(acme_key, sender=issuer_signer)
    registrar_role = registry.REGISTRAR_ROLE()
    # A batch Acme anchored; anyone may claim a leaf of it (minted to the leaf's recipient).
    leaves = [Leaf(Account.create().address, create_token_id(), NEVER) for _ in range(2)]
    tree = MerkleTree(leaves)
    credential.anchor(tree.root, len(leaves), bytes(32), sender=issuer_signer)
    # Whatever comes next is later than the anchor (anvil gives the blocks of one second one time).
    ape.chain.pending_timestamp = ape.chain.pending_timestamp + 5
    leaf = leaves[0]
    in_batch = (tree.root, leaf.recipient, leaf.token_id, leaf.expires_at, tree.proof(leaf))
    target = leaves[1]  # the entry the +copy rows go after, read from Acme's manifest

    def revoke_a_copy(sender):
        own = MerkleTree([target])
        credential.anchor(own.root, 1, bytes(32), sender=sender)
        return credential.revokeAnchored(
            own.root, target.recipient, target.token_id, NEVER, [], "fraud", sender=sender
        )

    def claim_a_copy(sender):
        own = MerkleTree([Leaf(sender.address, target.token_id, NEVER)])
        credential.anchor(own.root, 1, bytes(32), sender=sender)
        return credential.claim(own.root, sender, target.token_id, NEVER, [], sender=sender)

    calls = {
        "registerIssuer": lambda s: registry.registerIssuer("New", "", [spare_key], sender=s),
        "renameIssuer": lambda s: registry.renameIssuer(ACME, "Renamed", sender=s),
        "updateIssuerProfile": lambda s: registry.updateIssuerProfile(ACME, "ipfs://p", sender=s),
        "suspendIssuer": lambda s: registry.suspendIssuer(ACME, "audit", sender=s),
        "reinstateIssuer": lambda s: registry.reinstateIssuer(SUSPENDED, sender=s),
        "addSigner": lambda s: registry.addSigner(ACME, spare_key, sender=s),
        "removeSigner": lambda s: registry.removeSigner(ACME, second_signer, sender=s),
        "publishTemplate": lambda s: registry.publishTemplate(create_token_id(), sender=s),
        "retireTemplate": lambda s: registry.retireTemplate(template_id, sender=s),
        "registerAssertionKey": lambda s: registry.registerAssertionKey(
            create_token_id().to_bytes(32, "big"), sender=s
        ),
        "registerKey+copy": lambda s: registry.registerAssertionKey(acme_key, sender=s),
        "revokeAssertionKey": lambda s: registry.revokeAssertionKey(
            ACME, acme_key, "rotated", sender=s
        ),
        "grantRole": lambda s: registry.grantRole(registrar_role, spare_key, sender=s),
        "revokeRole": lambda s: registry.revokeRole(registrar_role, registrar, sender=s),
        "renounceRole": lambda s: registry.renounceRole(registrar_role, registrar, sender=s),
        "issue": lambda s: credential.issue(holder, create_token_id(), NEVER, sender=s),
        "issueBatch": lambda s: credential.issueBatch(
            [holder], [create_token_id()], [NEVER], sender=s
        ),
        "reissue": lambda s: credential.reissue(
            holder, create_token_id(), NEVER, token_id, sender=s
        ),
        "revoke": lambda s: credential.revoke(token_id, "reason", sender=s),
        "revokeBatch": lambda s: credential.revokeBatch([token_id], "reason", sender=s),
        "burn": lambda s: credential.burn(token_id, sender=s),
        "anchor": lambda s: credential.anchor(
            create_token_id().to_bytes(32, "big"), 1, bytes(32), sender=s
        ),
        "claim": lambda s: credential.claim(*in_batch, sender=s),
        "revokeAnchored": lambda s: credential.revokeAnchored(*in_batch, "reason", sender=s),
        "revokeAnchored+copy": revoke_a_copy,
        "claim+copy": claim_a_copy,
        "issue+copy": lambda s: credential.issue(s, target.token_id, NEVER, sender=s),
        "transferFrom": lambda s: overload(credential, "transferFrom(address,address,uint256)")(
            holder, stranger, token_id, sender=s
        ),
        "safeTransferFrom": lambda s: overload(
            credential, "safeTransferFrom(address,address,uint256)"
        )(holder, stranger, token_id, sender=s),
        "safeTransferFrom+data": lambda s: overload(
            credential, "safeTransferFrom(address,address,uint256,bytes)"
        )(holder, stranger, token_id, b"", sender=s),
        "approve": lambda s: overload(credential, "approve(address,uint256)")(
            stranger, token_id, sender=s
        ),
        "setApprovalForAll": lambda s: overload(credential, "setApprovalForAll(address,bool)")(
            stranger, True, sender=s
        ),
    }

    def rightful_claim_still_works():
        proof = tree.proof(target)
        credential.claim(tree.root, target.recipient, target.token_id, NEVER, proof, sender=holder)
        status = credential.credential(target.token_id)
        assert (status.holder, status.issuerId, status.revokedAt) == (target.recipient, ACME, 0)

    def acme_key_record():
        r = registry.assertionKey(ACME, acme_key)
        return (r.issuerId, r.signer, r.registeredAt, r.revokedAt)

    registered = acme_key_record()

    def acme_key_record_unchanged():
        assert acme_key_record() == registered

    calls["check harmless"] = rightful_claim_still_works
    calls["check harmless registerKey+copy"] = acme_key_record_unchanged
    return calls


@pytest.mark.parametrize("function, role, expected", CELLS, ids=[f"{f}-{r}" for f, r, _ in CELLS])
def test_access_matrix(request, registry, credential, act, function, role, expected):
    sender = request.getfixturevalue(ROLE_FIXTURES[role])
    call = act[function]
    if expected == "ok":
        receipt = call(sender)
        assert not receipt.failed
        if function.endswith("+copy") and role != "issuer":
            act.get(f"check harmless {function}", act["check harmless"])()
        return
    contract = registry if ERRORS[expected].startswith(("IssuerRegistry", "Access")) else credential
    error = getattr(contract, ERRORS[expected])
    expected_args = (
        {"account": sender.address} if "account" in [i.name for i in error.abi.inputs] else {}
    )
    with ape.reverts(error, **expected_args):
        call(sender)
