"""Sign-In with Ethereum (EIP-4361): a wallet proves it controls an account, and nothing more.

The server writes documents to storage for an institution's staff only after the account they
act as has signed a sign-in message: the browser reports an account, but only a signature shows
that the person at the keyboard holds its key. The flow, all of it server-side but the signing:

>>> from datetime import UTC, datetime
>>> from eth_account import Account
>>> from eth_account.messages import encode_defunct
>>> staff = Account.create()
>>> now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
>>> challenge = new_challenge(
...     domain="verify.example.org", uri="https://verify.example.org",
...     address=staff.address, chain_id=31337, now=now)
>>> signature = staff.sign_message(encode_defunct(text=challenge.message)).signature
>>> verify_sign_in(challenge, signature.to_0x_hex(), now=now).address == staff.address
True

The nonce is made here, kept by the server (in the visitor's session) and used once: the caller
forgets the challenge before verifying, so a signature can never be submitted twice. What a
signature is good for is bounded by the message itself: one domain, one chain, one nonce that only
the session that asked for it knows, and an expiry.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import is_checksum_address, to_checksum_address

from .errors import MicrocredError

__all__ = [
    "SIGN_IN_LIFETIME",
    "STATEMENT",
    "Challenge",
    "SignInError",
    "SignedIn",
    "new_challenge",
    "new_nonce",
    "parse_message",
    "verify_sign_in",
]

STATEMENT = (
    "Sign in to microcred to prepare credentials for your institution. This proves that you "
    "control this account; it sends no transaction and costs nothing."
)
# A working day: long enough to sign in once per shift, short enough that a forgotten browser
# session does not stay able to store for days.
SIGN_IN_LIFETIME = timedelta(hours=8)
VERSION = "1"

_HEADER = " wants you to sign in with your Ethereum account:"
_FIELDS = ("URI", "Version", "Chain ID", "Nonce", "Issued At", "Expiration Time")
_NONCE = re.compile(r"^[A-Za-z0-9]{8,}$")


class SignInError(MicrocredError):
    """A sign-in signature or message that does not prove control of the account."""


@dataclass(frozen=True)
class Challenge:
    """A sign-in message the server made and waits to see signed (keep it server-side)."""

    domain: str
    address: str
    uri: str
    chain_id: int
    nonce: str
    issued_at: datetime
    expires_at: datetime
    statement: str = STATEMENT

    @property
    def message(self) -> str:
        """The EIP-4361 text the wallet shows and signs (``personal_sign``)."""
        return (
            f"{self.domain}{_HEADER}\n"
            f"{self.address}\n"
            "\n"
            f"{self.statement}\n"
            "\n"
            f"URI: {self.uri}\n"
            f"Version: {VERSION}\n"
            f"Chain ID: {self.chain_id}\n"
            f"Nonce: {self.nonce}\n"
            f"Issued At: {_timestamp(self.issued_at)}\n"
            f"Expiration Time: {_timestamp(self.expires_at)}"
        )


@dataclass(frozen=True)
class SignedIn:
    """An account whose control was proven by a verified sign-in, until ``expires_at``."""

    address: str
    chain_id: int
    domain: str
    expires_at: datetime

    def valid_at(self, now: datetime) -> bool:
        return now < self.expires_at


def new_nonce() -> str:
    """128 random bits as 32 hex characters (EIP-4361: at least 8 alphanumeric characters)."""
    return secrets.token_hex(16)


def new_challenge(
    *,
    domain: str,
    uri: str,
    address: str,
    chain_id: int,
    now: datetime,
    lifetime: timedelta = SIGN_IN_LIFETIME,
) -> Challenge:
    """A fresh sign-in message for ``address`` on ``domain`` (the app's host, as people reach
    it: the wallet compares it with the page's origin) with a new nonce."""
    if not domain or any(c in domain for c in "/ \n"):
        raise SignInError(f"{domain!r} is not a host name to sign in to.")
    issued = now.astimezone(UTC).replace(microsecond=0)
    return Challenge(
        domain=domain,
        address=to_checksum_address(address),
        uri=uri,
        chain_id=int(chain_id),
        nonce=new_nonce(),
        issued_at=issued,
        expires_at=issued + lifetime,
    )


def parse_message(text: str) -> Challenge:
    """An EIP-4361 message (the fields microcred writes) read back; :class:`SignInError` if it is
    not one."""
    lines = text.split("\n")
    if len(lines) != 11 or not lines[0].endswith(_HEADER) or lines[2] or lines[4]:
        raise SignInError("This is not a sign-in message microcred wrote.")
    fields: dict[str, str] = {}
    for line, name in zip(lines[5:], _FIELDS, strict=True):
        prefix = f"{name}: "
        if not line.startswith(prefix):
            raise SignInError(f"The sign-in message has no {name!r} line where expected.")
        fields[name] = line[len(prefix) :]
    address = lines[1]
    if not is_checksum_address(address):
        raise SignInError(f"{address!r} in the sign-in message is not a checksummed address.")
    if fields["Version"] != VERSION or not _NONCE.match(fields["Nonce"]):
        raise SignInError("The sign-in message has an unknown version or a malformed nonce.")
    try:
        chain_id = int(fields["Chain ID"])
        issued = _parse_timestamp(fields["Issued At"])
        expires = _parse_timestamp(fields["Expiration Time"])
    except ValueError:
        raise SignInError("The sign-in message has a malformed chain id or date.") from None
    return Challenge(
        domain=lines[0][: -len(_HEADER)],
        address=address,
        uri=fields["URI"],
        chain_id=chain_id,
        nonce=fields["Nonce"],
        issued_at=issued,
        expires_at=expires,
        statement=lines[3],
    )


def verify_sign_in(challenge: Challenge, signature: str, *, now: datetime) -> SignedIn:
    """Check that ``signature`` is ``challenge.address`` signing exactly ``challenge.message``
    (EIP-191 ``personal_sign``) before it expires. The caller has already forgotten the challenge,
    so this runs at most once per nonce. Only externally owned accounts can sign in (a smart
    contract wallet's EIP-1271 signature is not checked here)."""
    if not now < challenge.expires_at:
        raise SignInError("This sign-in request has expired: sign in again.")
    try:
        raw = bytes.fromhex(signature.removeprefix("0x"))
        signer = Account.recover_message(encode_defunct(text=challenge.message), signature=raw)
    except Exception:  # noqa: BLE001 - any malformed signature is one answer: not a proof
        raise SignInError(
            "The wallet's answer is not a valid signature: sign in again with your wallet."
        ) from None
    if signer != challenge.address:
        raise SignInError(
            f"The signature was not made by {challenge.address}: this wallet cannot sign for the "
            "account it reports, so nothing is stored. Sign in with the wallet that holds its key."
        )
    return SignedIn(
        address=challenge.address,
        chain_id=challenge.chain_id,
        domain=challenge.domain,
        expires_at=challenge.expires_at,
    )


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
