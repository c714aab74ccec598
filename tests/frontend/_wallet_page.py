"""The browser side of the wallet bridge, played in Python for AppTest (which runs no JavaScript):
a wallet holding ``account``'s key, and the page's memory of the signing keys it derived.

It answers each request the way wallet.js does, from the request's own wire params: the key
message is signed with ``personal_sign`` (EIP-191, deterministic), the seed is HKDF-SHA256 of that
signature written here independently of microcred.vc.keyderivation (so a drift on either side
shows), and ``sign_hashes`` signs each 64-byte hash with the key kept under its public key.
``forget()`` is a reload: the page's keys are gone.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from eth_account.messages import encode_defunct

from microcred.signin import SignedIn, new_challenge, verify_sign_in

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
if str(FRONTEND) not in sys.path:
    sys.path.insert(0, str(FRONTEND))

from components.wallet import (  # noqa: E402
    KEY_NOT_IN_PAGE,
    USER_REJECTED,
    WalletReply,
    WalletRequest,
    WalletState,
)

SALT = b"microcred/eddsa-rdfc-2022/signing-key/v1"
PUBLIC_URL = "https://verify.example.org"  # conftest.app_env's MICROCRED_PUBLIC_URL


def signed_in_as(account: Any) -> SignedIn:
    """What a verified sign-in leaves in the session: made by the real check, with a real
    signature by ``account``'s key, for the domain and chain the app uses."""
    now = datetime.now(UTC)
    challenge = new_challenge(
        domain="verify.example.org", uri=PUBLIC_URL, address=account.address, chain_id=31337,
        now=now,
    )  # fmt: skip
    signature = account.sign_message(encode_defunct(text=challenge.message)).signature
    return verify_sign_in(challenge, signature.to_0x_hex(), now=now)


def wallet_snapshot(account: str, reply: WalletReply | None = None) -> dict[str, Any]:
    """The bridge's component value for a connected wallet on anvil's chain, with ``reply``."""
    state = WalletState(
        account=account, chain_id=31337, available=True, wallet="Test Wallet", reply=reply
    )
    return {"snapshot": state.to_snapshot()}


@dataclass
class PageWallet:
    """A wallet on ``account`` (a LocalAccount) in one browser page."""

    account: Any
    keys: dict[str, Ed25519PrivateKey] = field(default_factory=dict)  # public hex -> key
    reject: bool = False  # the user declines every prompt
    prompts: int = 0  # wallet prompts shown (key messages signed or declined)

    def forget(self) -> None:
        """The page was reloaded: its memory, and the keys in it, are gone."""
        self.keys.clear()

    def answer(self, request: WalletRequest) -> WalletReply:
        if request.method == "derive_signing_key":
            self.prompts += 1
            if self.reject:
                return WalletReply(
                    id=request.id,
                    ok=False,
                    error_code=USER_REJECTED,
                    error_message="User rejected the request.",
                )
            message = bytes.fromhex(request.params["message"][2:])
            signed = self.account.sign_message(encode_defunct(primitive=message))
            hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=SALT, info=message)
            seed = hkdf.derive(bytes(signed.signature))
            key = Ed25519PrivateKey.from_private_bytes(seed)
            public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
            self.keys[public] = key
            return WalletReply(id=request.id, ok=True, result=public)
        if request.method == "sign_hashes":
            key = self.keys.get(request.params["public_key"])
            if key is None:
                return WalletReply(
                    id=request.id,
                    ok=False,
                    error_code=KEY_NOT_IN_PAGE,
                    error_message="This page no longer holds your signing key.",
                )
            data = bytes.fromhex(request.params["hashes"])
            size = request.params["size"]
            signed = b"".join(key.sign(data[i : i + size]) for i in range(0, len(data), size))
            return WalletReply(id=request.id, ok=True, result=signed.hex())
        raise AssertionError(f"the page does not play {request.method!r}")
