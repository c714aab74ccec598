"""Sign-In with Ethereum (microcred.signin): the EIP-4361 message, the nonce, and the server-side
check that a signature proves control of the account, with real secp256k1 keys (eth_account)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from microcred.errors import MicrocredError
from microcred.signin import (
    SIGN_IN_LIFETIME,
    Challenge,
    SignInError,
    new_challenge,
    new_nonce,
    parse_message,
    verify_sign_in,
)

NOW = datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC)
STAFF = Account.from_key("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d")
OTHER = Account.from_key("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a")


def challenge_for(address: str = STAFF.address, **kwargs: object) -> Challenge:
    options: dict[str, object] = {
        "domain": "verify.example.org",
        "uri": "https://verify.example.org",
        "address": address,
        "chain_id": 31337,
        "now": NOW,
    }
    options.update(kwargs)
    return new_challenge(**options)  # type: ignore[arg-type]


def sign(account: object, text: str) -> str:
    return account.sign_message(encode_defunct(text=text)).signature.to_0x_hex()  # type: ignore[attr-defined]


def test_the_message_is_eip_4361_text_with_every_field() -> None:
    challenge = challenge_for(STAFF.address.lower())
    lines = challenge.message.split("\n")
    assert lines[0] == "verify.example.org wants you to sign in with your Ethereum account:"
    assert lines[1] == STAFF.address  # EIP-55 checksummed, whatever the input's case
    assert lines[2] == "" and lines[4] == ""
    assert "microcred" in lines[3] and "\n" not in lines[3]
    assert lines[5:] == [
        "URI: https://verify.example.org",
        "Version: 1",
        "Chain ID: 31337",
        f"Nonce: {challenge.nonce}",
        "Issued At: 2026-12-01T09:30:15Z",
        f"Expiration Time: {(NOW.replace(microsecond=0) + SIGN_IN_LIFETIME):%Y-%m-%dT%H:%M:%SZ}",
    ]


def test_the_message_reads_back_as_the_challenge() -> None:
    challenge = challenge_for()
    assert parse_message(challenge.message) == challenge


@pytest.mark.parametrize(
    "text",
    [
        "hello",
        "evil.example wants you to sign in with your Ethereum account:\n0xabc\n\nx\n\n"
        "URI: a\nVersion: 1\nChain ID: 1\nNonce: 12345678\nIssued At: x\nExpiration Time: y",
    ],
)
def test_text_that_is_not_a_microcred_sign_in_message_is_refused(text: str) -> None:
    with pytest.raises(SignInError):
        parse_message(text)


def test_nonces_are_fresh_alphanumeric_and_long() -> None:
    nonces = {new_nonce() for _ in range(100)}
    assert len(nonces) == 100
    assert all(n.isalnum() and len(n) >= 8 for n in nonces)
    assert challenge_for().nonce != challenge_for().nonce


def test_a_signature_by_the_account_signs_it_in() -> None:
    challenge = challenge_for()
    signed = verify_sign_in(challenge, sign(STAFF, challenge.message), now=NOW)
    assert signed.address == STAFF.address
    assert signed.chain_id == 31337 and signed.domain == "verify.example.org"
    assert signed.valid_at(NOW) and not signed.valid_at(challenge.expires_at)


def test_a_signature_by_another_key_does_not_sign_in_the_claimed_account() -> None:
    challenge = challenge_for()  # the browser claims STAFF's public address
    with pytest.raises(SignInError, match=f"was not made by {STAFF.address}"):
        verify_sign_in(challenge, sign(OTHER, challenge.message), now=NOW)


@pytest.mark.parametrize(
    "changed",
    [
        {"nonce": "0" * 32},  # a signature for another session's nonce
        {"domain": "evil.example.org"},  # a message some other site had signed
        {"chain_id": 1},
    ],
)
def test_a_signature_of_any_other_message_is_refused(changed: dict[str, object]) -> None:
    challenge = challenge_for()
    other = replace(challenge, **changed)  # type: ignore[arg-type]
    with pytest.raises(SignInError):
        verify_sign_in(challenge, sign(STAFF, other.message), now=NOW)


def test_an_expired_challenge_is_refused_even_with_a_good_signature() -> None:
    challenge = challenge_for()
    signature = sign(STAFF, challenge.message)
    with pytest.raises(SignInError, match="expired"):
        verify_sign_in(challenge, signature, now=challenge.expires_at)
    with pytest.raises(SignInError, match="expired"):
        verify_sign_in(challenge, signature, now=NOW + SIGN_IN_LIFETIME + timedelta(seconds=1))


@pytest.mark.parametrize("signature", ["", "0x", "0x1234", "not hex", "0x" + "00" * 65])
def test_garbage_instead_of_a_signature_is_one_sentence(signature: str) -> None:
    with pytest.raises(SignInError, match="not a valid signature") as caught:
        verify_sign_in(challenge_for(), signature, now=NOW)
    assert isinstance(caught.value, MicrocredError)


def test_a_host_name_with_a_path_is_not_a_domain() -> None:
    with pytest.raises(SignInError):
        challenge_for(domain="example.org/evil")
