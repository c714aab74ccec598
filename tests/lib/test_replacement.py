"""The fee arithmetic of a stuck transaction's replacement (the chain side is in
``tests/security/test_faults.py``: a real stuck transaction replaced on anvil)."""

from __future__ import annotations

import pytest

from microcred.errors import ChainError, ConfigError
from microcred.replacement import GWEI, FeePolicy, bumped_fees


def test_both_fees_are_raised_by_a_quarter_and_at_least_the_nodes_ten_percent():
    old = {"maxFeePerGas": 4 * GWEI, "maxPriorityFeePerGas": GWEI}
    new = bumped_fees(old, base_fee=GWEI // 10, tip=GWEI // 2, policy=FeePolicy())
    assert new == {"maxFeePerGas": 5 * GWEI, "maxPriorityFeePerGas": GWEI * 5 // 4}
    tiny = bumped_fees({"maxFeePerGas": 3, "maxPriorityFeePerGas": 1}, base_fee=0, tip=0,
                       policy=FeePolicy())  # fmt: skip
    assert tiny["maxFeePerGas"] > 3 * 1.1 and tiny["maxPriorityFeePerGas"] > 1.1


def test_the_replacement_pays_what_the_chain_asks_now_if_that_is_more():
    old = {"maxFeePerGas": 4 * GWEI, "maxPriorityFeePerGas": GWEI}
    new = bumped_fees(old, base_fee=10 * GWEI, tip=2 * GWEI, policy=FeePolicy())
    assert new == {"maxFeePerGas": 22 * GWEI, "maxPriorityFeePerGas": 2 * GWEI}


def test_the_fee_is_capped_and_refused_when_even_ten_percent_would_cross_the_cap():
    old = {"maxFeePerGas": 4 * GWEI, "maxPriorityFeePerGas": GWEI}
    capped = bumped_fees(old, base_fee=10 * GWEI, tip=GWEI, policy=FeePolicy(max_fee=5 * GWEI))
    assert capped["maxFeePerGas"] == 5 * GWEI
    with pytest.raises(ChainError, match=r"above the cap of 4\.2 gwei \(MICROCRED_MAX_FEE_GWEI\)"):
        bumped_fees(old, base_fee=0, tip=0, policy=FeePolicy(max_fee=42 * GWEI // 10),
                    tx_hash="0xabc")  # fmt: skip


def test_a_legacy_gas_price_is_raised_the_same_way():
    assert bumped_fees({"gasPrice": 8}, base_fee=0, tip=0, policy=FeePolicy()) == {"gasPrice": 10}


def test_the_policy_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("MICROCRED_RECEIPT_TIMEOUT", "2.5")
    monkeypatch.setenv("MICROCRED_MAX_FEE_GWEI", "7")
    policy = FeePolicy.from_env()
    assert (policy.wait, policy.max_fee) == (2.5, 7 * GWEI)
    monkeypatch.setenv("MICROCRED_MAX_FEE_GWEI", "lots")
    with pytest.raises(ConfigError, match="MICROCRED_MAX_FEE_GWEI must be a number"):
        FeePolicy.from_env()
    with pytest.raises(ConfigError, match="at least 10%"):
        FeePolicy(bump_percent=5)
