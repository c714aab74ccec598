"""Which Ed25519 keys speak for which issuer: the registry's assertion-key records, read and sent.

A credential's ``DataIntegrityProof`` is made by an Ed25519 key (its ``did:key``); the chain says
whether that key speaks for the issuer the credential names on chain. An active signer of an
issuer registers the raw 32-byte public key (``registerAssertionKey``) for its own issuer; the
issuer's signers or the registrar revoke it (``revokeAssertionKey``) when it is rotated out or
leaked. Nothing is deleted, so a key rotated out keeps the credentials it signed before valid:
:meth:`AssertionKey.speaks_for` is the rule, the same one the contract's NatSpec states.

Records are per (issuer id, public key) pair: a public key is public (in its registration
transaction and in every document), so were keys first come, first served across issuers, a
hostile issuer could register another's key first and lock its owner out. Per issuer, the same
bytes registered by another institution are that institution's record and say nothing of ours;
so every read names the pair: the credential's issuer and the key that signed it.

Reading costs one ``assertionKeys(uint32[], bytes32[])`` call per :data:`KEYS_PER_CALL` distinct
pairs (one JSON-RPC batch where the provider can batch), whatever the number of issuers or keys
on chain.

>>> record = AssertionKey(bytes(31) + b"\\x01", issuer_id=1, signer=None, registered_at=10,
...                       revoked_at=50)
>>> record.speaks_for(1, issued_at=49), record.speaks_for(1, issued_at=50)
(True, False)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address

from .errors import InputError

if TYPE_CHECKING:  # chain.py imports this module: no import back at run time
    from .chain import Chain

__all__ = [
    "KEYS_PER_CALL",
    "AssertionKey",
    "KeyPair",
    "assertion_keys_call_data",
    "checked_issuer_id",
    "checked_public_key",
    "decode_assertion_keys",
    "read_assertion_keys",
    "register_assertion_key",
    "register_assertion_key_call",
    "revoke_assertion_key",
    "revoke_assertion_key_call",
]

#: Pairs read per ``eth_call`` (each a cold storage read: 500 cost ~2.2M gas with their calldata,
#: far under the call gas caps of nodes and providers).
KEYS_PER_CALL = 500

#: ``(issuer id, raw 32-byte Ed25519 public key)``: what one registry record is about.
KeyPair = tuple[int, bytes]
_VIEW = "assertionKeys"
_ACTION = "read assertion keys"


@dataclass(frozen=True)
class AssertionKey:
    """An issuer's record of one Ed25519 public key (``issuer_id`` 0: that issuer never registered
    it, whatever other issuers did)."""

    public_key: bytes  # the raw 32-byte Ed25519 public key
    issuer_id: int  # the issuer that registered it (the one asked about); 0: never registered
    signer: str | None  # the signer key (wallet) that registered it; None if never registered
    registered_at: int  # block time of registration
    revoked_at: int  # block time of revocation; 0: not revoked

    @property
    def registered(self) -> bool:
        return self.issuer_id != 0

    @property
    def revoked(self) -> bool:
        return self.revoked_at != 0

    def speaks_for(self, issuer_id: int, *, issued_at: int) -> bool:
        """Whether this key speaks for ``issuer_id`` in a credential issued (or anchored) on chain
        at ``issued_at``: it is that issuer's key, and was not revoked at or before that time. A
        key revoked later keeps what it signed before valid (rotation)."""
        if not self.registered or self.issuer_id != issuer_id:
            return False
        return self.revoked_at == 0 or issued_at < self.revoked_at


def checked_public_key(public_key: bytes) -> bytes:
    """``public_key`` as the contract takes it (32 bytes, not all zero), or :class:`InputError`."""
    if not isinstance(public_key, bytes | bytearray) or len(public_key) != 32:
        raise InputError(
            "An assertion key is the raw 32-byte Ed25519 public key (what its did:key decodes "
            f"to, microcred.vc.didkey.public_key_of): got {public_key!r:.80}."
        )
    if not any(public_key):
        raise InputError("The all-zero assertion key is no Ed25519 public key.")
    return bytes(public_key)


def checked_issuer_id(issuer_id: int) -> int:
    """``issuer_id`` as the contract takes it (a uint32), or :class:`InputError`."""
    if isinstance(issuer_id, bool) or not isinstance(issuer_id, int) or not 0 <= issuer_id < 2**32:
        raise InputError(f"An issuer id is a whole number from 1 to 2^32-1: got {issuer_id!r:.40}.")
    return issuer_id


def _checked_pairs(pairs: Iterable[KeyPair]) -> list[KeyPair]:
    """The distinct ``pairs``, checked, in first-seen order."""
    return list(dict.fromkeys((checked_issuer_id(i), checked_public_key(k)) for i, k in pairs))


def _record(public_key: bytes, raw: Any) -> AssertionKey:
    issuer_id, signer, registered_at, revoked_at = raw
    return AssertionKey(
        public_key=public_key,
        issuer_id=int(issuer_id),
        signer=None if int(issuer_id) == 0 else to_checksum_address(signer),
        registered_at=int(registered_at),
        revoked_at=int(revoked_at),
    )


def _columns(pairs: Sequence[KeyPair]) -> tuple[list[int], list[bytes]]:
    """The view's two parallel arrays."""
    return [i for i, _ in pairs], [k for _, k in pairs]


def assertion_keys_call_data(chain: Chain, pairs: Sequence[KeyPair]) -> dict[str, str]:
    """``{"to", "data"}`` of an ``assertionKeys(issuer_ids, public_keys)`` ``eth_call`` for
    ``pairs`` (at most :data:`KEYS_PER_CALL`, in the order given), for a caller that sends it
    inside a JSON-RPC batch of its own (one round trip for a whole verification); decode its result
    with :func:`decode_assertion_keys` and the same ``pairs``."""
    checked = [(checked_issuer_id(i), checked_public_key(k)) for i, k in pairs]
    if len(checked) > KEYS_PER_CALL:
        raise InputError(f"One assertionKeys call reads at most {KEYS_PER_CALL} pairs.")
    issuer_ids, keys = _columns(checked)
    return chain._call_data(chain.registry, _VIEW, issuer_ids, keys)


def decode_assertion_keys(
    chain: Chain, pairs: Sequence[KeyPair], result_hex: str
) -> dict[KeyPair, AssertionKey]:
    """The records in the hex ``result_hex`` of the ``eth_call`` that
    :func:`assertion_keys_call_data` built for ``pairs``, by pair (in the order of ``pairs``)."""
    raw = chain._decode(chain.registry, _VIEW, result_hex)
    return {(int(i), bytes(k)): _record(bytes(k), r) for (i, k), r in zip(pairs, raw, strict=True)}


def read_assertion_keys(chain: Chain, pairs: Iterable[KeyPair]) -> dict[KeyPair, AssertionKey]:
    """The records of the distinct ``(issuer id, public key)`` ``pairs``, in first-seen order
    (all-zero records for pairs never registered, ``issuer_id`` 0 included): one ``eth_call``
    per :data:`KEYS_PER_CALL` pairs, sent as one JSON-RPC batch where the provider can batch.

    ``records[(issuer_id, key)].speaks_for(issuer_id, issued_at=...)`` is the verifier's question;
    the same key registered by another issuer is not in ``(issuer_id, key)``'s record."""
    wanted = _checked_pairs(pairs)
    if not wanted:
        return {}
    chunks = [wanted[i : i + KEYS_PER_CALL] for i in range(0, len(wanted), KEYS_PER_CALL)]
    records: dict[KeyPair, AssertionKey] = {}
    if not chain._json_rpc or len(chunks) == 1:
        # One call (or a provider that cannot batch): web3's own path, no raw request needed.
        for chunk in chunks:
            fn = chain.registry.functions.assertionKeys(*_columns(chunk))
            raw = chain._call(fn, _ACTION)
            records |= {pair: _record(pair[1], r) for pair, r in zip(chunk, raw, strict=True)}
    else:
        requests: list[tuple[str, list[Any]]] = [
            ("eth_call", [assertion_keys_call_data(chain, chunk), "latest"]) for chunk in chunks
        ]
        for chunk, response in zip(chunks, chain._batch(requests, _ACTION), strict=True):
            records |= decode_assertion_keys(chain, chunk, chain._result(response, _ACTION))
    return records


def register_assertion_key_call(chain: Chain, public_key: bytes) -> Any:
    """The ``registerAssertionKey`` call (sign it with :meth:`Chain.prepare`, or hand
    :meth:`Chain.unsigned` of it to a browser wallet). Only an active signer's succeeds."""
    return chain.registry.functions.registerAssertionKey(checked_public_key(public_key))


def revoke_assertion_key_call(chain: Chain, issuer_id: int, public_key: bytes, reason: str) -> Any:
    """The ``revokeAssertionKey`` call of ``issuer_id``'s record of ``public_key``: by a signer of
    that issuer while it is active, or the registrar. The contract wants a reason (1 to 256 bytes)
    and names what is wrong if it is not one."""
    if not isinstance(reason, str):
        raise InputError("A revocation reason is text.")
    return chain.registry.functions.revokeAssertionKey(
        checked_issuer_id(issuer_id), checked_public_key(public_key), reason
    )


def register_assertion_key(chain: Chain, signer: LocalAccount, public_key: bytes) -> Any:
    """Register ``public_key`` for ``signer``'s issuer and wait: the receipt."""
    fn = register_assertion_key_call(chain, public_key)
    return chain.transact(fn, signer, action=f"register assertion key 0x{public_key.hex()}")


def revoke_assertion_key(
    chain: Chain, signer: LocalAccount, issuer_id: int, public_key: bytes, reason: str
) -> Any:
    """Revoke ``issuer_id``'s ``public_key`` and wait: the receipt."""
    fn = revoke_assertion_key_call(chain, issuer_id, public_key, reason)
    action = f"revoke issuer {issuer_id}'s assertion key 0x{public_key.hex()}"
    return chain.transact(fn, signer, action=action)
