"""Stuck transactions: how long one may stay pending, and its fee-bumped replacement.

A transaction can sit in the mempool for good: its ``maxFeePerGas`` fell below a base fee that
rose, or a node evicted its peers' copies. Waiting cannot fix that; re-signing the *same* call
with the *same* nonce and higher fees can. Nodes accept a replacement only if both fees rise by
at least 10% (geth's and anvil's rule), and exactly one transaction per nonce can ever be mined,
so a replacement can never issue anything twice: whichever of the two is mined, the other is void.

==============================  ==========================================  ==========
environment                     what                                        default
==============================  ==========================================  ==========
``MICROCRED_RECEIPT_TIMEOUT``   seconds a transaction may stay pending      120
                                before it is replaced (then again, each)
``MICROCRED_MAX_FEE_GWEI``      no replacement pays more per gas than this  100
==============================  ==========================================  ==========

>>> old = {"maxFeePerGas": 2_000, "maxPriorityFeePerGas": 1_000}
>>> new = bumped_fees(old, base_fee=100, tip=1, policy=FeePolicy(max_fee=10**9))
>>> new["maxFeePerGas"], new["maxPriorityFeePerGas"]
(2500, 1250)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3.types import HexStr

from .chain import RECEIPT_TIMEOUT, Chain, SentTransaction, _reaching_node
from .errors import ChainError, ConfigError

__all__ = ["GWEI", "FeePolicy", "bumped_fees", "sign_replacement"]

GWEI = 10**9
#: Nodes refuse a replacement whose fees are not at least 10% above the one it replaces.
MIN_BUMP_PERCENT = 10


@dataclass(frozen=True)
class FeePolicy:
    """How long to wait for a receipt, and how far a stuck transaction's fee may be raised."""

    wait: float = RECEIPT_TIMEOUT  # seconds pending before a replacement is sent
    bump_percent: int = 25  # each replacement raises both fees by this much (at least 10)
    max_fee: int = 100 * GWEI  # wei per gas: the cap no replacement crosses
    replacements: int = 3  # per nonce and per run; then the run stops and says so
    poll: float = 0.1  # seconds between two looks at the chain

    def __post_init__(self) -> None:
        if self.bump_percent < MIN_BUMP_PERCENT:
            raise ConfigError(
                f"A replacement must raise fees by at least {MIN_BUMP_PERCENT}% "
                f"(nodes refuse less), not {self.bump_percent}%."
            )
        if self.wait <= 0 or self.max_fee <= 0 or self.replacements < 0:
            raise ConfigError("The receipt timeout and the fee cap must be positive.")

    @classmethod
    def from_env(cls) -> FeePolicy:
        """The policy from ``MICROCRED_RECEIPT_TIMEOUT`` and ``MICROCRED_MAX_FEE_GWEI``."""
        values: dict[str, Any] = {}
        for name, field, scale in (
            ("MICROCRED_RECEIPT_TIMEOUT", "wait", None),
            ("MICROCRED_MAX_FEE_GWEI", "max_fee", GWEI),
        ):
            text = os.environ.get(name, "").strip()
            if not text:
                continue
            try:
                number = float(text)
            except ValueError:
                raise ConfigError(f"{name} must be a number, not {text!r}.") from None
            if number <= 0:
                raise ConfigError(f"{name} must be positive, not {text!r}.")
            values[field] = int(number * scale) if scale else number
        return cls(**values)

    def raised(self, fee: int) -> int:
        """``fee`` raised by :attr:`bump_percent`, and always strictly above the nodes' 10%."""
        return max(fee * (100 + self.bump_percent) // 100, _floor(fee))


def _floor(fee: int) -> int:
    return fee * (100 + MIN_BUMP_PERCENT) // 100 + 1


def _gwei(wei: int) -> str:
    return f"{wei / GWEI:.9g} gwei"


def bumped_fees(
    tx: Mapping[str, Any], *, base_fee: int, tip: int, policy: FeePolicy, tx_hash: str = ""
) -> dict[str, int]:
    """The fee fields of a replacement for ``tx``: both fees raised by the policy's percentage,
    and at least what the chain asks now (twice the ``base_fee`` plus the suggested ``tip``),
    never above ``policy.max_fee``. :class:`ChainError` naming the cap if even the nodes'
    minimum (10% more) would cross it."""
    what = f"the stuck transaction {tx_hash}".rstrip()
    if "maxFeePerGas" not in tx:  # a legacy (type 0) transaction: one gas price
        old = int(tx["gasPrice"])
        if _floor(old) > policy.max_fee:
            raise _over_cap(what, _floor(old), policy)
        return {"gasPrice": min(max(policy.raised(old), tip + base_fee), policy.max_fee)}
    old_max, old_tip = int(tx["maxFeePerGas"]), int(tx["maxPriorityFeePerGas"])
    if _floor(old_max) > policy.max_fee:
        raise _over_cap(what, _floor(old_max), policy)
    new_tip = max(policy.raised(old_tip), tip)
    new_max = min(max(policy.raised(old_max), 2 * base_fee + new_tip), policy.max_fee)
    new_tip = max(min(new_tip, new_max), _floor(old_tip))
    return {"maxFeePerGas": new_max, "maxPriorityFeePerGas": new_tip}


def _over_cap(what: str, needed: int, policy: FeePolicy) -> ChainError:
    return ChainError(
        f"Replacing {what} needs a fee of at least {_gwei(needed)} per gas, above the cap of "
        f"{_gwei(policy.max_fee)} (MICROCRED_MAX_FEE_GWEI): nothing was sent; raise the cap or "
        "wait for the network, then run the command again."
    )


def sign_replacement(
    chain: Chain, signer: LocalAccount, tx_hash: str, policy: FeePolicy
) -> tuple[SentTransaction, dict[str, int]] | None:
    """``tx_hash`` (pending, sent by ``signer``) re-signed: the same call (recipient contract,
    calldata, value, gas limit) and the same nonce, with :func:`bumped_fees`. Nothing is sent.
    None if the node no longer knows the transaction (then there is nothing to replace)."""
    try:
        with _reaching_node("read the stuck transaction"):
            pending = chain.w3.eth.get_transaction(HexStr(tx_hash))
    except ChainError:
        raise
    except Exception:  # noqa: BLE001 - TransactionNotFound and provider variants
        return None
    if str(pending["from"]).lower() != signer.address.lower():
        raise ChainError(f"Transaction {tx_hash} was not sent by {signer.address}: not replaced.")
    with _reaching_node("price the replacement"):
        base_fee = int(chain.w3.eth.get_block("latest").get("baseFeePerGas", 0))
        tip = int(chain.w3.eth.max_priority_fee)
    fees = bumped_fees(pending, base_fee=base_fee, tip=tip, policy=policy, tx_hash=tx_hash)
    data = pending["input"]
    fields: dict[str, Any] = {
        "to": pending["to"],
        "data": HexBytes(data),
        "value": int(pending["value"]),
        "gas": int(pending["gas"]),
        "nonce": int(pending["nonce"]),
        "chainId": chain.chain_id,
        **fees,
    }
    if "maxFeePerGas" in fees:
        fields["type"] = 2
        fields["accessList"] = list(pending.get("accessList") or [])
    signed = signer.sign_transaction(fields)
    sent = SentTransaction(
        hash="0x" + bytes(signed.hash).hex(),
        raw=bytes(signed.raw_transaction),
        nonce=int(pending["nonce"]),
    )
    return sent, fees
