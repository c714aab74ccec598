"""The issuer's Ed25519 key, derived from a deterministic wallet signature (issue 10, item 3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from microcred.vc.contexts import OB_CONTEXT, VC_CONTEXT
from microcred.vc.dataintegrity import sign, verify
from microcred.vc.keyderivation import (
    KeyDerivationError,
    SigningKeyRequest,
    derive_signing_key,
    derive_signing_key_with_account,
)

# anvil's accounts 1 and 2: public test keys.
STAFF = Account.from_key("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d")
OTHER = Account.from_key("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a")
FACTS: dict[str, Any] = {
    "app_url": "http://localhost:8501",
    "chain_id": 31337,
    "registry": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    "issuer_id": 1,
}


def test_the_message_is_the_documented_eip4361_text() -> None:
    request = SigningKeyRequest(address=STAFF.address, **FACTS)
    assert request.message == (
        "localhost:8501 wants you to sign in with your Ethereum account:\n"
        "0x70997970C51812dc3A010C7d01b50e0d17dc79C8\n"
        "\n"
        "Create the key that signs Open Badges credentials for issuer 1 of the microcred registry "
        "0x5FbDB2315678afecb367f032d93F642f64180aa3 on chain 31337, key generation 1. Anyone who "
        "has this signature can sign credentials as your institution: sign it only on "
        "localhost:8501.\n"
        "\n"
        "URI: http://localhost:8501\n"
        "Version: 1\n"
        "Chain ID: 31337\n"
        "Nonce: microcredSigningKey1\n"
        "Issued At: 2026-01-01T00:00:00Z\n"
        "Resources:\n"
        "- urn:microcred:signing-key:31337:0x5FbDB2315678afecb367f032d93F642f64180aa3:1:1"
    )


def test_the_same_account_and_facts_always_give_the_same_key() -> None:
    first = derive_signing_key_with_account(STAFF, **FACTS)
    second = derive_signing_key_with_account(Account.from_key(STAFF.key), **FACTS)
    assert first.did == second.did
    assert first.sign(b"x") == second.sign(b"x")


@pytest.mark.parametrize(
    "change",
    [
        {"chain_id": 11155111},
        {"registry": "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"},
        {"issuer_id": 2},
        {"app_url": "https://badges.example.org"},
        {"generation": 2},
    ],
)
def test_any_other_fact_gives_another_key(change: dict[str, Any]) -> None:
    assert (
        derive_signing_key_with_account(STAFF, **{**FACTS, **change}).did
        != derive_signing_key_with_account(STAFF, **FACTS).did
    )


def test_another_account_gives_another_key() -> None:
    assert (
        derive_signing_key_with_account(OTHER, **FACTS).did
        != derive_signing_key_with_account(STAFF, **FACTS).did
    )


def test_a_signature_from_the_browser_gives_the_clis_key() -> None:
    # The page gets the signature from the wallet (personal_sign, EIP-191) and derives the key
    # itself; the same bytes through derive_signing_key give the key the CLI derives.
    request = SigningKeyRequest(address=STAFF.address, **FACTS)
    signature = STAFF.sign_message(encode_defunct(text=request.message)).signature.to_0x_hex()
    assert derive_signing_key(request, signature).did == (
        derive_signing_key_with_account(STAFF, **FACTS).did
    )


def test_a_signature_by_another_account_is_refused_naming_both() -> None:
    request = SigningKeyRequest(address=STAFF.address, **FACTS)
    signature = OTHER.sign_message(encode_defunct(text=request.message)).signature
    with pytest.raises(KeyDerivationError, match=f"signed by {OTHER.address}, not {STAFF.address}"):
        derive_signing_key(request, bytes(signature))


@pytest.mark.parametrize("signature", [b"\x01" * 64, "0xnothex", b""])
def test_a_malformed_signature_is_refused(signature: bytes | str) -> None:
    request = SigningKeyRequest(address=STAFF.address, **FACTS)
    with pytest.raises(KeyDerivationError, match="not a valid Ethereum signature"):
        derive_signing_key(request, signature)


def test_v_written_as_0_or_1_gives_the_same_key_as_27_or_28() -> None:
    request = SigningKeyRequest(address=STAFF.address, **FACTS)
    signature = bytes(STAFF.sign_message(encode_defunct(text=request.message)).signature)
    assert signature[64] in (27, 28)
    low_v = signature[:64] + bytes([signature[64] - 27])
    assert derive_signing_key(request, low_v).did == derive_signing_key(request, signature).did


def test_an_app_url_with_a_path_is_refused() -> None:
    with pytest.raises(ValueError, match="origin"):
        SigningKeyRequest(
            address=STAFF.address, **{**FACTS, "app_url": "http://localhost:8501/issue"}
        )


def test_the_derived_did_key_signs_a_credential_both_verifiers_accept(
    reference_verify: Callable[[dict[str, Any]], dict[str, Any]],
) -> None:
    key = derive_signing_key_with_account(STAFF, **FACTS)
    credential = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": "urn:uuid:5f1a6a4e-0c3b-4f34-9d0e-2f8a4b7c9d10",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": key.did, "type": ["Profile"], "name": "Demo University"},
        "validFrom": "2026-01-01T00:00:00Z",
        "name": "SQL Basics",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "id": "did:pkh:eip155:31337:0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
            "achievement": {
                "id": "urn:uuid:0f8a3c5e-6a55-4f21-8a8e-1b2c3d4e5f60",
                "type": ["Achievement"],
                "name": "SQL Basics",
                "description": "Queries a relational database.",
                "criteria": {"narrative": "Passed the practical test."},
            },
        },
    }
    signed = sign(credential, key, created=datetime(2026, 1, 1, tzinfo=UTC))
    assert verify(signed).ok
    result = reference_verify(signed)
    assert result["verified"], result["errors"]
