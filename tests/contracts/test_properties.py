"""Property test: random actions by random actors keep the registry's and credentials' invariants.

A Hypothesis state machine drives both contracts on the real local chain and keeps a model of what
should have happened; each action's outcome (success or the exact custom error) is predicted from
the model, and after every step the chain is compared with the model:

- only signers of active issuers ever issue (every issue the model forbids reverts);
- no credential ever changes holder, except to zero when its holder burns it;
- revoked stays revoked;
- balanceOf equals the number of live credentials each account holds;
- a removed signer can do nothing (it signs for no issuer, and issuing or revoking reverts);
- an issuer always has at least one signer;
- anchored batches: only signers of active issuers anchor; a claim, sent by anyone, mints to the
  recipient named in the leaf (then every invariant above holds for it); an entry is claimed at
  most once; an entry revoked before its claim is never minted;
- a hostile accredited issuer (issuer 2) goes after issuer 1's entries with what their manifest
  publishes: it anchors a batch of its own holding the leaf and revokes it there, anchors and claims
  a copy to its own wallet, or issues the id directly. Whatever it does, every unrevoked entry of
  issuer 1's batches stays claimable by its learner (a copy is displaced by the claim, with the
  balances following), and issuer 1's per-batch revocations are exactly the model's;
- assertion keys (the Ed25519 keys that sign documents), one record per (issuer, key): only
  signers of active issuers register one, for their own issuer, bound to the signer that did,
  forever (registering it again for the same issuer, revoked or not, reverts); another issuer
  registering the same key (a hostile copy) gets a record of its own and moves nothing of anyone
  else's, so no pair that was never registered ever shows a record (no squatting); only the
  named issuer's signers (while active) or the registrar revoke its record; revoked stays
  revoked, at the same time; removing a signer leaves its keys as they were.

Each example starts from the session fixtures' state and is rolled back by chain snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass

import ape
import pytest
from ape.contracts.base import ContractTransactionHandler
from eth_utils import keccak
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from microcred.cid import token_id_of
from microcred.merkle import Leaf, MerkleTree

NEVER = 0
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ACTIVE, SUSPENDED = 1, 2
TRANSFER_SIGNATURES = [
    "transferFrom(address,address,uint256)",
    "safeTransferFrom(address,address,uint256)",
    "safeTransferFrom(address,address,uint256,bytes)",
]

actors = st.integers(min_value=0, max_value=9)  # index into the ten test accounts
picks = st.integers(min_value=0, max_value=10_000)  # index (modulo) into the issued credentials


@dataclass
class Token:
    token_id: int
    issuer_id: int
    holder: str  # the address it was issued to; never changes
    burned: bool = False
    revoked: bool = False


@dataclass
class Entry:
    """One leaf of an anchored batch, as the model knows it."""

    root: bytes
    issuer_id: int
    leaf: Leaf
    proof: list[bytes]
    claimed: bool = False
    revoked_unclaimed: bool = False
    copy_holder: str | None = None  # a hostile issuer's copy of this id, not displaced yet


@dataclass
class Key:
    """An issuer's record of an assertion key, as the model knows it."""

    public_key: bytes
    issuer_id: int
    signer: str  # the signer key that registered it
    revoked_at: int = 0  # as the chain said when it was revoked


def overload(contract, signature: str) -> ContractTransactionHandler:
    name = signature.split("(")[0]
    abis = [abi for abi in getattr(contract, name).abis if abi.selector == signature]
    return ContractTransactionHandler(contract, abis)


class CredentialMachine(RuleBasedStateMachine):
    # Set by the test before the machine runs.
    registry = None
    credential = None
    accounts: list = []
    registrars: set[str] = set()
    outcomes: list[str] = []  # every predicted outcome, across examples
    claims = 0  # anchored credentials claimed, across examples
    displaced = 0  # hostile copies displaced by a rightful claim, across examples
    key_outcomes: list[str] = []  # predicted outcomes of the assertion-key rules, across examples

    @initialize()
    def start(self):
        self.snapshot = ape.chain.snapshot()
        self.nonce = 0
        self.status: dict[int, int] = {}
        self.signers: dict[int, set[str]] = {}
        for issuer in self.registry.issuers():
            self.status[issuer.id] = issuer.status
            self.signers[issuer.id] = set(issuer.signers)
        self.tokens: list[Token] = []
        self.entries: list[Entry] = []  # leaves of anchored batches
        self.removed: set[str] = set()  # keys removed from an issuer and not signing since
        self.hostile_roots = 0
        # A few credentials from the start, so revoking, burning and transfers have targets.
        for issuer_id in (1, 2):
            signer = self.account(min(self.signers[issuer_id]))
            recipients = [self.accounts[6], self.accounts[9], self.accounts[issuer_id + 6]]
            ids = [self.fresh_id() for _ in recipients]
            receipt = self.credential.issueBatch(recipients, ids, [NEVER] * 3, sender=signer)
            self.record_issue(receipt, signer.address, [r.address for r in recipients], ids)
        # And an anchored batch of each, so claims and revocations of entries have targets.
        for issuer_id in (1, 2):
            signer = self.account(min(self.signers[issuer_id]))
            leaves = [Leaf(self.accounts[i].address, self.fresh_id(), NEVER) for i in (6, 7, 9)]
            tree = MerkleTree(leaves)
            self.credential.anchor(tree.root, len(leaves), bytes(32), sender=signer)
            self.entries += [Entry(tree.root, issuer_id, f, tree.proof(f)) for f in leaves]
        # And an assertion key of each, so revoking keys and registering copies have targets.
        self.keys: list[Key] = []
        for issuer_id in (1, 2):
            signer = self.account(min(self.signers[issuer_id]))
            public_key = self.fresh_key()
            self.registry.registerAssertionKey(public_key, sender=signer)
            self.keys.append(Key(public_key, issuer_id, signer.address))

    def teardown(self):
        if hasattr(self, "snapshot"):
            ape.chain.restore(self.snapshot)

    # ------------------------------------------------------------------ model helpers

    def issuer_of(self, address: str) -> int:
        return next((i for i, keys in self.signers.items() if address in keys), 0)

    def can_issue(self, address: str) -> bool:
        issuer_id = self.issuer_of(address)
        return issuer_id != 0 and self.status[issuer_id] == ACTIVE

    def account(self, address: str):
        return next(a for a in self.accounts if a.address == address)

    def fresh_id(self) -> int:
        self.nonce += 1
        return token_id_of(b"property-document-%d" % self.nonce)

    def fresh_key(self) -> bytes:
        self.nonce += 1
        return keccak(b"property-key-%d" % self.nonce)

    def key_record(self, issuer_id: int, public_key: bytes) -> Key | None:
        return next(
            (k for k in self.keys if (k.issuer_id, k.public_key) == (issuer_id, public_key)), None
        )

    def expect(self, contract, error: str | None, call):
        self.outcomes.append(error or "ok")
        if error is None:
            return call()
        with ape.reverts(getattr(contract, error)):
            call()
        return None

    def manage_error(self, actor: str, issuer_id: int) -> str | None:
        """What IssuerRegistry._checkCanManage says for `actor` managing `issuer_id`."""
        if actor in self.registrars:
            return None
        if self.issuer_of(actor) != issuer_id:
            return "IssuerRegistryUnauthorizedSigner"
        if self.status[issuer_id] != ACTIVE:
            return "IssuerRegistryIssuerNotActive"
        return None

    def record_issue(self, receipt, actor: str, recipients: list[str], ids: list[int]):
        issuer_id = self.issuer_of(actor)
        events = receipt.events.filter(self.credential.CredentialIssued)
        assert [(e.tokenId, e.issuerId, e.signer) for e in events] == [
            (token_id, issuer_id, actor) for token_id in ids
        ]
        for token_id, recipient in zip(ids, recipients, strict=True):
            self.tokens.append(Token(token_id, issuer_id, recipient))

    # ------------------------------------------------------------------ credentials

    @rule(actor=actors, recipient=actors)
    def issue(self, actor, recipient):
        signer, to = self.accounts[actor], self.accounts[recipient]
        token_id = self.fresh_id()
        allowed = self.can_issue(signer.address)
        receipt = self.expect(
            self.credential,
            None if allowed else "CredentialUnauthorizedSigner",
            lambda: self.credential.issue(to, token_id, NEVER, sender=signer),
        )
        if allowed:
            self.record_issue(receipt, signer.address, [to.address], [token_id])

    @rule(actor=actors, recipients=st.lists(actors, min_size=1, max_size=4))
    def issue_batch(self, actor, recipients):
        signer = self.accounts[actor]
        to = [self.accounts[r] for r in recipients]
        ids = [self.fresh_id() for _ in recipients]
        allowed = self.can_issue(signer.address)
        receipt = self.expect(
            self.credential,
            None if allowed else "CredentialUnauthorizedSigner",
            lambda: self.credential.issueBatch(to, ids, [NEVER] * len(ids), sender=signer),
        )
        if allowed:
            self.record_issue(receipt, signer.address, [a.address for a in to], ids)

    @precondition(lambda self: self.tokens)
    @rule(actor=actors, pick=picks, by_its_issuer=st.booleans())
    def revoke(self, actor, pick, by_its_issuer):
        token = self.tokens[pick % len(self.tokens)]
        signer = self.accounts[actor]
        if by_its_issuer:  # half the time, a current signer of the credential's issuer tries
            signer = self.account(min(self.signers[token.issuer_id]))
        if not (
            self.issuer_of(signer.address) == token.issuer_id and self.can_issue(signer.address)
        ):
            error = "CredentialNotIssuerSigner"
        elif token.revoked:
            error = "CredentialAlreadyRevoked"
        else:
            error = None
        self.expect(
            self.credential,
            error,
            lambda: self.credential.revoke(token.token_id, "property test", sender=signer),
        )
        if error is None:
            token.revoked = True

    @precondition(lambda self: self.tokens)
    @rule(actor=actors, pick=picks, by_holder=st.booleans())
    def burn(self, actor, pick, by_holder):
        token = self.tokens[pick % len(self.tokens)]
        account = self.account(token.holder) if by_holder else self.accounts[actor]
        if token.burned:
            error = "ERC721NonexistentToken"
        elif token.holder != account.address:
            error = "CredentialNotHolder"
        else:
            error = None
        self.expect(
            self.credential, error, lambda: self.credential.burn(token.token_id, sender=account)
        )
        if error is None:
            token.burned = True

    @precondition(lambda self: self.tokens)
    @rule(actor=actors, to=actors, pick=picks, kind=st.sampled_from(TRANSFER_SIGNATURES))
    def attempt_transfer(self, actor, to, pick, kind):
        token = self.tokens[pick % len(self.tokens)]
        method = overload(self.credential, kind)
        args = [token.holder, self.accounts[to], token.token_id]
        if kind.endswith("bytes)"):
            args.append(b"")
        with ape.reverts(self.credential.CredentialNonTransferable, tokenId=token.token_id):
            method(*args, sender=self.accounts[actor])

    # ------------------------------------------------------------------ anchored batches

    @rule(
        actor=actors, recipients=st.lists(actors, min_size=1, max_size=5), by_a_signer=st.booleans()
    )
    def anchor(self, actor, recipients, by_a_signer):
        signer = self.accounts[actor]
        if by_a_signer:  # half the time, a current signer of some issuer tries
            issuer_id = sorted(self.signers)[actor % len(self.signers)]
            signer = self.account(min(self.signers[issuer_id]))
        leaves = [Leaf(self.accounts[r].address, self.fresh_id(), NEVER) for r in recipients]
        tree = MerkleTree(leaves)
        manifest = bytes(32)
        allowed = self.can_issue(signer.address)
        self.expect(
            self.credential,
            None if allowed else "CredentialUnauthorizedSigner",
            lambda: self.credential.anchor(tree.root, len(leaves), manifest, sender=signer),
        )
        if allowed:
            issuer_id = self.issuer_of(signer.address)
            self.entries += [Entry(tree.root, issuer_id, leaf, tree.proof(leaf)) for leaf in leaves]

    @precondition(lambda self: self.entries)
    @rule(actor=actors, pick=picks)
    def claim(self, actor, pick):
        entry = self.entries[pick % len(self.entries)]
        sender = self.accounts[actor]  # anyone: the token goes to the leaf's recipient
        if entry.revoked_unclaimed:
            error = "CredentialAlreadyRevoked"
        elif self.status[entry.issuer_id] != ACTIVE:
            error = "CredentialIssuerNotActive"
        elif entry.claimed:
            error = "CredentialAlreadyIssued"
        else:
            error = None
        leaf = entry.leaf
        receipt = self.expect(
            self.credential,
            error,
            lambda: self.credential.claim(
                entry.root, leaf.recipient, leaf.token_id, leaf.expires_at, entry.proof,
                sender=sender,
            ),
        )  # fmt: skip
        if error is None:
            displaced = receipt.events.filter(self.credential.CredentialDisplaced)
            assert len(displaced) == (entry.copy_holder is not None)
            type(self).displaced += len(displaced)
            entry.copy_holder = None
            entry.claimed = True
            type(self).claims += 1
            self.tokens.append(Token(leaf.token_id, entry.issuer_id, leaf.recipient))

    @precondition(lambda self: self.entries)
    @rule(actor=actors, pick=picks, by_its_issuer=st.booleans())
    def revoke_anchored(self, actor, pick, by_its_issuer):
        entry = self.entries[pick % len(self.entries)]
        signer = self.accounts[actor]
        if by_its_issuer:
            signer = self.account(min(self.signers[entry.issuer_id]))
        if not (
            self.issuer_of(signer.address) == entry.issuer_id and self.can_issue(signer.address)
        ):
            error = "CredentialNotIssuerSigner"
        elif entry.claimed:
            error = "CredentialAlreadyIssued"
        elif entry.revoked_unclaimed:
            error = "CredentialAlreadyRevoked"
        else:
            error = None
        leaf = entry.leaf
        self.expect(
            self.credential,
            error,
            lambda: self.credential.revokeAnchored(
                entry.root, leaf.recipient, leaf.token_id, leaf.expires_at, entry.proof,
                "property test", sender=signer,
            ),
        )  # fmt: skip
        if error is None:
            entry.revoked_unclaimed = True

    # ------------------------------------------------------------------ a hostile issuer

    @precondition(lambda self: any(e.issuer_id == 1 for e in self.entries))
    @rule(
        pick=picks,
        how=st.sampled_from(["revoke_in_own_batch", "claim_a_copy", "issue_a_copy"]),
        then_the_learner_claims=st.booleans(),
    )
    def hostile_issuer_goes_after_issuer_1(self, pick, how, then_the_learner_claims):
        targets = [e for e in self.entries if e.issuer_id == 1]
        entry = targets[pick % len(targets)]
        self.hostile_act(entry, how)
        if then_the_learner_claims:  # and the model predicts that claim like any other
            self.claim(actor=6, pick=self.entries.index(entry))

    def hostile_act(self, entry, how):
        leaf = entry.leaf
        hostile = self.account(min(self.signers[2]))
        wallet = self.accounts[7]  # the hostile issuer's own wallet
        # Everything it does comes after the anchor it read (on anvil, blocks of one second
        # share a timestamp: the same-second case is the documented limit, tested on its own).
        ape.chain.pending_timestamp = ape.chain.pending_timestamp + 1
        active = self.status[2] == ACTIVE
        taken = entry.claimed or entry.copy_holder is not None
        if how == "issue_a_copy":
            error = None if active else "CredentialUnauthorizedSigner"
            error = error or ("CredentialAlreadyIssued" if taken else None)
            self.expect(
                self.credential,
                error,
                lambda: self.credential.issue(wallet, leaf.token_id, NEVER, sender=hostile),
            )
        else:
            copy = leaf if how == "revoke_in_own_batch" else Leaf(wallet.address, leaf.token_id, 0)
            self.hostile_roots += 1
            # A second leaf makes each hostile root new (a root is anchored once, ever).
            filler = Leaf(wallet.address, self.fresh_id(), NEVER)
            tree = MerkleTree([copy, filler])
            self.expect(
                self.credential,
                None if active else "CredentialUnauthorizedSigner",
                lambda: self.credential.anchor(tree.root, 2, bytes(32), sender=hostile),
            )
            if not active:
                return
            args = (tree.root, copy.recipient, copy.token_id, NEVER, tree.proof(copy))
            if how == "revoke_in_own_batch":
                # Its own copy is its own minted credential: `revoke` applies, not revokeAnchored.
                self.expect(
                    self.credential,
                    "CredentialAlreadyIssued" if entry.copy_holder else None,
                    lambda: self.credential.revokeAnchored(*args, "fraud", sender=hostile),
                )
                return
            self.expect(
                self.credential,
                "CredentialAlreadyIssued" if taken else None,
                lambda: self.credential.claim(*args, sender=wallet),
            )
        if not taken and active:
            entry.copy_holder = wallet.address

    # ------------------------------------------------------------------ assertion keys

    @rule(
        actor=actors,
        by=st.sampled_from(["a_signer", "a_signer", "anyone"]),
        which=st.sampled_from(["fresh", "fresh", "known", "known", "zero"]),
        pick=picks,
    )
    def register_key(self, actor, by, which, pick):
        signer = self.accounts[actor]
        if by == "a_signer":  # mostly, a current signer of some issuer tries
            issuer_id = sorted(self.signers)[actor % len(self.signers)]
            signer = self.account(min(self.signers[issuer_id]))
        known = self.keys[pick % len(self.keys)] if which == "known" else None
        public_key = (
            bytes(32) if which == "zero" else known.public_key if known else self.fresh_key()
        )
        issuer_id = self.issuer_of(signer.address)
        if issuer_id == 0:
            error = "IssuerRegistryUnauthorizedSigner"
        elif self.status[issuer_id] != ACTIVE:
            error = "IssuerRegistryIssuerNotActive"
        elif which == "zero":
            error = "IssuerRegistryInvalidAssertionKey"
        elif self.key_record(issuer_id, public_key):  # its own issuer has it, revoked or not
            error = "IssuerRegistryAssertionKeyTaken"
        else:  # a fresh key, or another issuer's (a copy: a record of this issuer's own)
            error = None
        self.key_outcomes.append(error or "ok")
        self.expect(
            self.registry,
            error,
            lambda: self.registry.registerAssertionKey(public_key, sender=signer),
        )
        if error is None:
            self.keys.append(Key(public_key, issuer_id, signer.address))

    @rule(
        actor=actors,
        pick=picks,
        by=st.sampled_from(["its_issuer", "registrar", "its_issuer", "anyone"]),
        which=st.sampled_from(["live", "live", "any", "unknown", "elsewhere"]),
        reason=st.sampled_from(["rotated", "leaked", "rotated", ""]),
    )
    def revoke_key(self, actor, pick, by, which, reason):
        """Revoke the record of a pair (issuer named, key): one the model knows, or a fresh key,
        or a known key under another issuer (which may or may not have a copy of its own)."""
        live = [k for k in self.keys if not k.revoked_at]
        targets = live if which == "live" and live else self.keys
        target = targets[pick % len(targets)]
        issuers = sorted(self.status)
        if which == "unknown":
            issuer_id, public_key = issuers[pick % len(issuers)], self.fresh_key()
        elif which == "elsewhere":
            others = [i for i in issuers if i != target.issuer_id]
            issuer_id, public_key = others[pick % len(others)], target.public_key
        else:
            issuer_id, public_key = target.issuer_id, target.public_key
        key = self.key_record(issuer_id, public_key)
        account = self.accounts[actor]
        if by == "registrar":
            account = self.account(min(self.registrars))
        elif by == "its_issuer":
            account = self.account(min(self.signers[issuer_id]))
        error = self.manage_error(account.address, issuer_id)
        if error is None and key is None:
            error = "IssuerRegistryUnknownAssertionKey"
        elif error is None and key.revoked_at:
            error = "IssuerRegistryAssertionKeyAlreadyRevoked"
        elif error is None and not reason:
            error = "IssuerRegistryEmptyReason"
        self.key_outcomes.append(error or "ok")
        receipt = self.expect(
            self.registry,
            error,
            lambda: self.registry.revokeAssertionKey(issuer_id, public_key, reason, sender=account),
        )
        if error is None:
            [event] = receipt.events.filter(self.registry.AssertionKeyRevoked)
            assert (event.issuerId, event.by) == (issuer_id, account.address)
            key.revoked_at = self.registry.assertionKey(issuer_id, public_key).revokedAt
            assert key.revoked_at != 0

    # ------------------------------------------------------------------ issuers

    @rule(actor=actors, issuer_id=st.sampled_from([1, 2, 3]))
    def suspend(self, actor, issuer_id):
        account = self.accounts[actor]
        if account.address not in self.registrars:
            error = "AccessControlUnauthorizedAccount"
        elif self.status[issuer_id] != ACTIVE:
            error = "IssuerRegistryIssuerNotActive"
        else:
            error = None
        self.expect(
            self.registry,
            error,
            lambda: self.registry.suspendIssuer(issuer_id, "property test", sender=account),
        )
        if error is None:
            self.status[issuer_id] = SUSPENDED

    @rule(actor=actors, issuer_id=st.sampled_from([1, 2, 3]))
    def reinstate(self, actor, issuer_id):
        account = self.accounts[actor]
        if account.address not in self.registrars:
            error = "AccessControlUnauthorizedAccount"
        elif self.status[issuer_id] != SUSPENDED:
            error = "IssuerRegistryIssuerNotSuspended"
        else:
            error = None
        self.expect(
            self.registry, error, lambda: self.registry.reinstateIssuer(issuer_id, sender=account)
        )
        if error is None:
            self.status[issuer_id] = ACTIVE

    @rule(actor=actors, issuer_id=st.sampled_from([1, 2, 3]), key=actors)
    def add_signer(self, actor, issuer_id, key):
        account, new_key = self.accounts[actor], self.accounts[key].address
        error = self.manage_error(account.address, issuer_id)
        if error is None and self.issuer_of(new_key) != 0:
            error = "IssuerRegistrySignerTaken"
        self.expect(
            self.registry,
            error,
            lambda: self.registry.addSigner(issuer_id, new_key, sender=account),
        )
        if error is None:
            self.signers[issuer_id].add(new_key)
            self.removed.discard(new_key)

    @rule(actor=actors, issuer_id=st.sampled_from([1, 2, 3]), key=actors)
    def remove_signer(self, actor, issuer_id, key):
        account, old_key = self.accounts[actor], self.accounts[key].address
        error = self.manage_error(account.address, issuer_id)
        if error is None and old_key not in self.signers[issuer_id]:
            error = "IssuerRegistryNotASigner"
        elif error is None and len(self.signers[issuer_id]) == 1:
            error = "IssuerRegistryLastSigner"
        self.expect(
            self.registry,
            error,
            lambda: self.registry.removeSigner(issuer_id, old_key, sender=account),
        )
        if error is None:
            self.signers[issuer_id].discard(old_key)
            self.removed.add(old_key)

    @precondition(lambda self: self.removed)
    @rule(pick=picks)
    def removed_signer_can_do_nothing(self, pick):
        key = sorted(self.removed)[pick % len(self.removed)]
        account = self.account(key)
        assert self.registry.issuerOf(key) == (0, False)
        with ape.reverts(self.credential.CredentialUnauthorizedSigner, account=key):
            self.credential.issue(account, self.fresh_id(), NEVER, sender=account)
        if self.tokens:
            token = self.tokens[pick % len(self.tokens)]
            with ape.reverts(self.credential.CredentialNotIssuerSigner, account=key):
                self.credential.revoke(token.token_id, "removed key", sender=account)
        if key not in self.registrars:
            issuer_id = pick % 3 + 1
            with ape.reverts(self.registry.IssuerRegistryUnauthorizedSigner, account=key):
                self.registry.addSigner(issuer_id, key, sender=account)
        with ape.reverts(self.registry.IssuerRegistryUnauthorizedSigner, account=key):
            self.registry.registerAssertionKey(self.fresh_key(), sender=account)

    # ------------------------------------------------------------------ invariants

    @invariant()
    def credentials_match_the_model(self):
        if not hasattr(self, "tokens") or not self.tokens:
            return
        statuses = self.credential.credentials([t.token_id for t in self.tokens])
        for token, status in zip(self.tokens, statuses, strict=True):
            # The holder never changes; it only becomes zero when its holder burned it.
            assert status.holder == (ZERO_ADDRESS if token.burned else token.holder)
            assert status.issuerId == token.issuer_id
            # Revoked stays revoked.
            assert (status.revokedAt != 0) == token.revoked
            assert status.valid == (
                not token.burned and not token.revoked and self.status[token.issuer_id] == ACTIVE
            )

    @invariant()
    def unclaimed_entries_are_not_minted(self):
        if not getattr(self, "entries", None):
            return
        waiting = [e for e in self.entries if not e.claimed]
        if not waiting:
            return
        statuses = self.credential.credentials([e.leaf.token_id for e in waiting])
        revoked = self.credential.anchoredRevokedAt(
            [e.root for e in waiting], [e.leaf.token_id for e in waiting]
        )
        for entry, status, revoked_at in zip(waiting, statuses, revoked, strict=True):
            # Revoked in its own batch exactly when the model says: no other issuer changes that.
            assert (revoked_at != 0) == entry.revoked_unclaimed
            if entry.copy_holder is None:
                assert status.holder == ZERO_ADDRESS and status.issuedAt == 0
                assert status.revokedAt == 0  # only minted ids are ever revoked by id
            else:
                # A hostile copy: minted by issuer 2 after the anchor, so a claim displaces it.
                assert status.issuerId == 2 and status.holder == entry.copy_holder
                assert status.issuedAt > self.credential.anchorOf(entry.root).anchoredAt

    @invariant()
    def issuer_1_learners_can_always_claim_their_unrevoked_entries(self):
        if not getattr(self, "entries", None) or self.status.get(1) != ACTIVE:
            return
        for entry in self.entries:
            if entry.issuer_id != 1 or entry.claimed or entry.revoked_unclaimed:
                continue
            leaf = entry.leaf
            # As a call: what the learner's claim would do now, without doing it.
            self.credential.claim.call(
                entry.root, leaf.recipient, leaf.token_id, leaf.expires_at, entry.proof
            )

    @invariant()
    def balances_count_live_credentials(self):
        if not hasattr(self, "tokens"):
            return
        copies = [e.copy_holder for e in getattr(self, "entries", []) if e.copy_holder]
        for account in self.accounts:
            live = sum(1 for t in self.tokens if t.holder == account.address and not t.burned)
            live += copies.count(account.address)
            assert self.credential.balanceOf(account) == live

    @invariant()
    def assertion_keys_match_the_model(self):
        """Every (issuer, key) pair: bound to the issuer and signer that registered it, whoever
        has left since; revoked exactly when the model says, at the time it was revoked. A pair
        the model never registered has no record, whatever other issuers did with the key."""
        if not getattr(self, "keys", None):
            return
        keys = list(dict.fromkeys(k.public_key for k in self.keys))
        pairs = [(issuer_id, key) for issuer_id in sorted(self.status) for key in keys]
        records = self.registry.assertionKeys([i for i, _ in pairs], [k for _, k in pairs])
        for (issuer_id, public_key), record in zip(pairs, records, strict=True):
            key = self.key_record(issuer_id, public_key)
            if key is None:
                assert (record.issuerId, record.signer, record.registeredAt) == (0, ZERO_ADDRESS, 0)
                assert record.revokedAt == 0
                continue
            assert (record.issuerId, record.signer) == (issuer_id, key.signer)
            assert record.revokedAt == key.revoked_at
            assert record.registeredAt != 0

    @invariant()
    def every_issuer_has_a_signer_and_matches_the_model(self):
        if not hasattr(self, "signers"):
            return
        for issuer in self.registry.issuers():
            assert len(issuer.signers) >= 1
            assert set(issuer.signers) == self.signers[issuer.id]
            assert issuer.status == self.status[issuer.id]


def test_random_actions_keep_the_invariants(registry, credential, accounts, admin, registrar):
    CredentialMachine.registry = registry
    CredentialMachine.credential = credential
    CredentialMachine.accounts = [accounts[i] for i in range(10)]
    CredentialMachine.registrars = {admin.address, registrar.address}
    CredentialMachine.outcomes = []
    CredentialMachine.claims = 0
    CredentialMachine.displaced = 0
    CredentialMachine.key_outcomes = []
    run_state_machine_as_test(
        CredentialMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=15,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    # Not vacuous: credentials were issued, and forbidden actions were tried and reverted.
    assert "ok" in CredentialMachine.outcomes
    assert "CredentialUnauthorizedSigner" in CredentialMachine.outcomes
    assert CredentialMachine.claims > 0  # and anchored credentials were claimed
    # Whether a hostile copy meets its rightful claim within 15 random examples varies (it missed
    # 1 run in 4, with or without a fixed seed): when it does, the rule above asserts the
    # displacement; tests/contracts/test_hostile_issuer.py displaces copies deterministically.
    # And the assertion-key rules ran (how often each succeeds varies too much from run to run
    # to require it: test_assertion_keys.py covers every outcome of both functions).
    assert CredentialMachine.key_outcomes


@pytest.fixture(autouse=True)
def _forget_contracts():
    yield
    CredentialMachine.registry = CredentialMachine.credential = None
