"""The issuer's Ed25519 signing key, derived from a wallet signature: no new secret to keep.

Institution staff only have a wallet (MetaMask) and its secp256k1 key, which Open Badges
verifiers do not accept. So the Ed25519 key that signs credentials is derived from the wallet's
signature of one fixed, human-readable message: secp256k1 signatures by eth-account, MetaMask and
hardware wallets are deterministic (RFC 6979), so the same account signing the same message gets
the same signature, and HKDF-SHA256 turns it into the same 32-byte Ed25519 seed, in the browser or
in the CLI alike.

The message is a Sign-In with Ethereum (EIP-4361) message, so that a wallet shows the domain
that asks and warns when another site asks for it; it names the purpose, the chain, the registry,
the issuer, and a key generation (a new generation is a new key, for when one is exposed)::

    {domain} wants you to sign in with your Ethereum account:
    {address}

    Create the key that signs Open Badges credentials for issuer {issuer_id} of the microcred …

    URI: {app_url}
    Version: 1
    Chain ID: {chain_id}
    Nonce: microcredSigningKey{generation}
    Issued At: 2026-01-01T00:00:00Z
    Resources:
    - urn:microcred:signing-key:{chain_id}:{registry}:{issuer_id}:{generation}

(the statement, one line in the message: "Create the key that signs Open Badges credentials for
issuer {issuer_id} of the microcred registry {registry} on chain {chain_id}, key generation
{generation}. Anyone who has this signature can sign credentials as your institution: sign it
only on {domain}.") Nonce and Issued At are constants because the message must be the same
every time; the domain is the app's public origin, so the CLI must be given the same origin
(``MICROCRED_PUBLIC_URL``) as the web app to derive the same key.

seed = HKDF-SHA256(input key material = the 65-byte signature r || s || v (v as 27 or 28), salt =
``b"microcred/eddsa-rdfc-2022/signing-key/v1"``, info = the message in UTF-8, length 32).

>>> from eth_account import Account
>>> staff = Account.from_key("0x" + "11" * 32)
>>> facts = dict(app_url="https://badges.example.org", chain_id=31337, issuer_id=1,
...              registry="0x5FbDB2315678afecb367f032d93F642f64180aa3")
>>> key = derive_signing_key_with_account(staff, **facts)
>>> key.did == derive_signing_key_with_account(staff, **facts).did
True
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils import is_address, to_checksum_address

from ..errors import MicrocredError
from .didkey import Ed25519SigningKey

__all__ = [
    "HKDF_SALT",
    "ISSUED_AT",
    "KeyDerivationError",
    "SigningKeyRequest",
    "derive_signing_key",
    "derive_signing_key_with_account",
]

HKDF_SALT = b"microcred/eddsa-rdfc-2022/signing-key/v1"
ISSUED_AT = "2026-01-01T00:00:00Z"


class KeyDerivationError(MicrocredError):
    """A signature that cannot give the issuer's signing key (wrong account, not a signature)."""


@dataclass(frozen=True)
class SigningKeyRequest:
    """The facts the key-derivation message names; :attr:`message` is the text to sign."""

    app_url: str
    address: str
    chain_id: int
    registry: str
    issuer_id: int
    generation: int = 1

    def __post_init__(self) -> None:
        parts = urlsplit(self.app_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
            raise ValueError(
                f"app_url must be the app's origin, like https://host[:port]: {self.app_url!r}"
            )
        for name in ("address", "registry"):
            if not is_address(getattr(self, name)):
                raise ValueError(f"{name} is not an Ethereum address")
            object.__setattr__(self, name, to_checksum_address(getattr(self, name)))
        if self.chain_id < 1 or self.issuer_id < 1 or self.generation < 1:
            raise ValueError("chain_id, issuer_id and generation are positive integers")

    @property
    def domain(self) -> str:
        """The app's host (and port): what a wallet compares with the site asking."""
        return urlsplit(self.app_url).netloc

    @property
    def message(self) -> str:
        """The EIP-4361 message whose signature gives the key (see the module's docstring)."""
        uri = self.app_url.rstrip("/")
        return (
            f"{self.domain} wants you to sign in with your Ethereum account:\n"
            f"{self.address}\n\n"
            f"Create the key that signs Open Badges credentials for issuer {self.issuer_id} of "
            f"the microcred registry {self.registry} on chain {self.chain_id}, key generation "
            f"{self.generation}. Anyone who has this signature can sign credentials as your "
            f"institution: sign it only on {self.domain}.\n\n"
            f"URI: {uri}\n"
            "Version: 1\n"
            f"Chain ID: {self.chain_id}\n"
            f"Nonce: microcredSigningKey{self.generation}\n"
            f"Issued At: {ISSUED_AT}\n"
            "Resources:\n"
            f"- urn:microcred:signing-key:{self.chain_id}:{self.registry}:{self.issuer_id}:"
            f"{self.generation}"
        )


def derive_signing_key(request: SigningKeyRequest, signature: bytes | str) -> Ed25519SigningKey:
    """The Ed25519 key of ``request.address``'s EIP-191 signature of ``request.message``.

    Raises :class:`KeyDerivationError` unless the signature is that account's: a signature by
    another account (or of another message) would give a key that speaks for no one.
    """
    try:
        raw = (
            bytes.fromhex(signature.removeprefix("0x")) if isinstance(signature, str) else signature
        )
        if len(raw) == 65 and raw[64] in (0, 1):
            # Some wallets write v as 0/1, MetaMask as 27/28: the same signature, the same key.
            raw = raw[:64] + bytes([raw[64] + 27])
        signer = Account.recover_message(encode_defunct(text=request.message), signature=raw)
    except Exception:  # eth-account raises several types for a malformed signature
        raise KeyDerivationError(
            "The signature is not a valid Ethereum signature: sign the key message again."
        ) from None
    if signer != request.address:
        raise KeyDerivationError(
            f"The key message was signed by {signer}, not {request.address}: sign it with the "
            "account that acts for the institution."
        )
    seed = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=HKDF_SALT, info=request.message.encode("utf-8")
    ).derive(raw)
    return Ed25519SigningKey.from_seed(seed)


def derive_signing_key_with_account(
    account: LocalAccount,
    *,
    app_url: str,
    chain_id: int,
    registry: str,
    issuer_id: int,
    generation: int = 1,
) -> Ed25519SigningKey:
    """The signing key of an account whose private key is in this process (the CLI)."""
    request = SigningKeyRequest(
        app_url=app_url,
        address=account.address,
        chain_id=chain_id,
        registry=registry,
        issuer_id=issuer_id,
        generation=generation,
    )
    signed = account.sign_message(encode_defunct(text=request.message))
    return derive_signing_key(request, bytes(signed.signature))
