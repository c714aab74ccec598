"""Fixtures for the contract tests: a real local chain (EthTester, or anvil with
``--network ethereum:local:foundry``), the two contracts deployed once per session, and the roles
every test speaks of.

State after the session fixtures (ape isolates each test by snapshot, so tests see exactly this):

- issuer 1 "Acme Academy": ``issuer_signer`` and ``second_signer``, active
- issuer 2 "Other Institute": ``other_issuer_signer``, active
- issuer 3 "Suspended School": ``suspended_signer``, suspended
- ``registrar`` holds REGISTRAR_ROLE only; ``admin`` (the deployer) holds both roles
- ``holder``, ``stranger``, ``spare_key`` (a fresh key for rotations) and ``other_holder``
  hold nothing
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from microcred.cid import token_id_of

ACME = 1
OTHER = 2
SUSPENDED = 3
NEVER = 0  # expiresAt: never expires
ONE_YEAR = 365 * 24 * 3600


@pytest.fixture(scope="session")
def admin(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def registrar(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def issuer_signer(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def second_signer(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def other_issuer_signer(accounts):
    return accounts[4]


@pytest.fixture(scope="session")
def suspended_signer(accounts):
    return accounts[5]


@pytest.fixture(scope="session")
def holder(accounts):
    return accounts[6]


@pytest.fixture(scope="session")
def stranger(accounts):
    return accounts[7]


@pytest.fixture(scope="session")
def spare_key(accounts):
    """A key no issuer uses yet: the new key of a rotation."""
    return accounts[8]


@pytest.fixture(scope="session")
def other_holder(accounts):
    return accounts[9]


@pytest.fixture(scope="session")
def registry(
    project, admin, registrar, issuer_signer, second_signer, other_issuer_signer, suspended_signer
):
    contract = project.IssuerRegistry.deploy(admin, sender=admin)
    contract.grantRole(contract.REGISTRAR_ROLE(), registrar, sender=admin)
    contract.registerIssuer(
        "Acme Academy", "ipfs://acme-profile", [issuer_signer, second_signer], sender=registrar
    )
    contract.registerIssuer(
        "Other Institute", "ipfs://other-profile", [other_issuer_signer], sender=registrar
    )
    contract.registerIssuer(
        "Suspended School", "ipfs://suspended-profile", [suspended_signer], sender=registrar
    )
    contract.suspendIssuer(SUSPENDED, "key leaked", sender=registrar)
    return contract


@pytest.fixture(scope="session")
def credential(project, admin, registry):
    return project.Credential.deploy(registry, "microcred", "CRED", sender=admin)


@pytest.fixture
def create_document() -> Callable[[], bytes]:
    """Random document bytes (stand-ins for canonical credential JSON)."""

    def create() -> bytes:
        return os.urandom(64)

    return create


@pytest.fixture
def create_token_id(create_document) -> Callable[[], int]:
    """A fresh token id: the sha256 of a random document, as microcred.cid computes it."""

    def create() -> int:
        return token_id_of(create_document())

    return create


@pytest.fixture
def create_credential(credential, issuer_signer, holder, create_token_id):
    """Issues a credential (default: Acme's signer, to ``holder``, no expiry); returns its id."""

    def create(*, to=None, signer=None, expires_at: int = NEVER) -> int:
        token_id = create_token_id()
        credential.issue(to or holder, token_id, expires_at, sender=signer or issuer_signer)
        return token_id

    return create


@pytest.fixture
def create_template(registry, issuer_signer, create_token_id):
    """Publishes a template for the signer's issuer (Acme by default); returns its id."""

    def create(*, signer=None) -> int:
        template_id = create_token_id()
        registry.publishTemplate(template_id, sender=signer or issuer_signer)
        return template_id

    return create
