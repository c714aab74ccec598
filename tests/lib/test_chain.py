"""The web3 chain client against the real contracts on Ape's EthTester chain."""

from __future__ import annotations

import pytest
from _chain_fixtures import *  # noqa: F403

from microcred.chain import Chain, RequestCounter, checksum
from microcred.deployment import ContractDeployment, Deployment
from microcred.errors import ChainError, ConfigError, InputError
from microcred.index import CredentialIndex


def test_connect_refuses_a_deployment_for_another_chain(w3, deployed):
    wrong = Deployment(
        chain_id=deployed.chain_id + 1, registry=deployed.registry, credential=deployed.credential
    )
    with pytest.raises(ConfigError, match="deployment file is for chain"):
        Chain.connect(w3, wrong)


def test_connect_refuses_addresses_without_code(w3, deployed):
    empty = ContractDeployment(
        address="0x000000000000000000000000000000000000dEaD", block=0, tx="0x"
    )
    with pytest.raises(ConfigError, match="no contract at the Credential address"):
        Chain.connect(
            w3, Deployment(chain_id=deployed.chain_id, registry=deployed.registry, credential=empty)
        )


def test_registered_issuer_is_listed_with_its_signers(mc, issuer_id, issuer_key):
    issuers = mc.issuers()
    assert [i.id for i in issuers] == [issuer_id]
    assert issuers[0].status == "active" and issuers[0].signers == (issuer_key.address,)
    assert mc.issuer_of(issuer_key.address) == (issuer_id, True)


def test_stranger_cannot_register_issuer_and_the_error_is_named(mc, stranger_key):
    expected = (
        rf"{stranger_key.address} does not hold the registrar role this needs "
        r"\(AccessControlUnauthorizedAccount\)"
    )
    with pytest.raises(ChainError, match=expected):
        mc.register_issuer(stranger_key, name="Fake", signers=[stranger_key.address])


def test_published_template_is_readable(mc, template, issuer_id):
    record = mc.template(template.template_id)
    assert record.status == "published" and record.issuer_id == issuer_id
    assert [t.id for t in mc.templates_of(issuer_id)] == [template.template_id]
    assert mc.template(12345).status == "none"


def test_statuses_take_one_round_trip_whatever_the_number(mc, w3, holder, create_credential):
    issued = [
        create_credential(holder, evidence=[f"https://example.org/{n}"]).token_id for n in range(5)
    ]
    counter = RequestCounter.install(w3)
    try:
        statuses = mc.credentials(issued)
    finally:
        counter.remove()
    assert [s.token_id for s in statuses] == issued
    assert all(s.holder == holder and s.valid for s in statuses)
    # eth-tester's in-process default-fields middleware adds eth_chainId/eth_accounts look-ups that
    # never reach a real node (the CLI tests count real HTTP requests to anvil exactly).
    node_requests = [m for m in counter.methods if m not in ("eth_chainId", "eth_accounts")]
    assert node_requests == ["eth_call"]


def test_revocation_reason_comes_from_the_event(mc, store, issuer_key, holder, create_credential):
    token = create_credential(holder).token_id
    mc.revoke(issuer_key, token, "issued by mistake")
    assert mc.credential_status(token).revoked
    by_token, _ = CredentialIndex.throwaway(mc, store).revocation_reasons([token])
    assert by_token == {token: "issued by mistake"}


def test_revoking_twice_says_so_in_a_sentence_naming_the_error(
    mc, issuer_key, holder, create_credential
):
    token = create_credential(holder).token_id
    mc.revoke(issuer_key, token, "first")
    expected = rf"credential 0x{token:064x} is already revoked \(CredentialAlreadyRevoked\)\.$"
    with pytest.raises(ChainError, match=expected):
        mc.revoke(issuer_key, token, "second")


@pytest.mark.parametrize(
    "address",
    ["0x1234", "alice.eth", "0x70997970C51812dc3A010C7d01b50e0d17dc79c8"],  # last: bad checksum
)
def test_bad_addresses_are_named(address):
    with pytest.raises(InputError, match="0x1234|alice.eth|wrong checksum"):
        checksum(address)
