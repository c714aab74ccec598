"""Fixtures shared by the library's chain tests (Ape's EthTester chain, real contracts).

Imported by the test modules (``from _chain_fixtures import *``): roles are named, deployments are
session-scoped, and Ape's isolation reverts the chain after every test.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from eth_account import Account

from microcred.assertion_keys import register_assertion_key
from microcred.chain import Chain
from microcred.deployment import ContractDeployment, Deployment
from microcred.issuance import create_template, signing_key_of
from microcred.storage import LocalStore

__all__ = [
    "admin",
    "create_credential",
    "deployed",
    "holder",
    "issuer_id",
    "issuer_key",
    "mc",
    "other_holder",
    "registrar_key",
    "store",
    "stranger_key",
    "template",
    "w3",
]


_serial = itertools.count(1)


def _key(account):
    return Account.from_key(account.private_key)


def issuer_signing_key(mc):
    """The Ed25519 key the session's issuer (``issuer_key``, test account 1) signs with, as
    issuance derives it: for tests that build documents by hand and want them honestly signed."""
    from ape import accounts

    account = _key(accounts.test_accounts[1])
    issuer_id, _ = mc.issuer_of(account.address)
    return signing_key_of(mc, account, issuer_id)


@pytest.fixture(scope="session")
def admin(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def registrar_key(admin):
    return _key(admin)


@pytest.fixture(scope="session")
def issuer_key(accounts):
    return _key(accounts[1])


@pytest.fixture(scope="session")
def holder(accounts):
    return accounts[2].address


@pytest.fixture(scope="session")
def other_holder(accounts):
    return accounts[3].address


@pytest.fixture(scope="session")
def stranger_key(accounts):
    return _key(accounts[4])


@pytest.fixture(scope="session")
def w3(chain):
    return chain.provider.web3


@pytest.fixture(scope="session")
def deployed(project, chain, admin):
    registry = project.IssuerRegistry.deploy(admin, sender=admin)
    credential = project.Credential.deploy(registry, "microcred", "CRED", sender=admin)

    def record(contract):
        receipt = chain.get_receipt(contract.txn_hash)
        return ContractDeployment(
            address=contract.address, block=receipt.block_number, tx=receipt.txn_hash
        )

    return Deployment(
        chain_id=chain.chain_id, registry=record(registry), credential=record(credential)
    )


@pytest.fixture(scope="session")
def mc(w3, deployed):
    return Chain.connect(w3, deployed)


@pytest.fixture(scope="session")
def store(tmp_path_factory):
    return LocalStore(tmp_path_factory.mktemp("ipfs"))


@pytest.fixture(scope="session")
def issuer_id(mc, registrar_key, issuer_key):
    issuer_id = mc.register_issuer(
        registrar_key, name="Example University", signers=[issuer_key.address]
    )
    # Its signing key registered once, as the first issue of a real signer does (that first
    # transaction is tested on its own): tests that count transactions count only theirs.
    key = signing_key_of(mc, issuer_key, issuer_id)
    register_assertion_key(mc, issuer_key, key.public_key)
    return issuer_id


@pytest.fixture(scope="session")
def template(mc, store, issuer_key, issuer_id):
    return create_template(
        mc,
        store,
        issuer_key,
        name="Solidity basics",
        description="Writes and tests a simple contract.",
        criteria="Passed the final assessment.",
        skills=["Solidity", "Testing"],
    )


@pytest.fixture
def create_credential(mc, store, issuer_key, template):
    """``create_credential(to, **kwargs) -> IssueResult``: one credential issued for real."""
    from microcred.issuance import issue_one

    def create(to, **kwargs):
        # Distinct evidence per credential: Ape reverts the chain between tests, so two tests could
        # otherwise build the very same document (same time, same wallet) and share its file.
        kwargs.setdefault("evidence", [f"https://example.org/evidence/{next(_serial)}"])
        return issue_one(
            mc, store, issuer_key, template_id=template.template_id, recipient=to, **kwargs
        )

    return create


def in_days(mc, days: int) -> datetime:
    """A date ``days`` after the chain's latest block."""
    return datetime.fromtimestamp(mc.latest_timestamp(), UTC) + timedelta(days=days)


def travel(chain, seconds: int) -> None:
    """Move the test chain's clock forward and mine a block at the new time."""
    chain.mine(timestamp=chain.pending_timestamp + seconds)
