"""Every custom error of both contracts has a sentence: the test walks the compiled ABIs, so a new
error cannot ship without one. Then real reverts on a real chain come back as those sentences."""

from __future__ import annotations

import re

import pytest
from eth_abi import encode as abi_encode
from eth_utils import function_abi_to_4byte_selector

from microcred.chain import describe_revert, load_abi
from microcred.revert_reasons import EXPLANATIONS

SAMPLES = {
    "address": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "uint256": 2**200 + 7,
    "uint64": 1_700_000_000,
    "uint32": 3,
    "bytes32": b"\x11" * 32,
}


def _errors() -> list[dict]:
    seen: dict[str, dict] = {}
    for contract in ("IssuerRegistry", "Credential"):
        for entry in load_abi(contract):
            if entry["type"] == "error":
                seen[entry["name"]] = entry
    return sorted(seen.values(), key=lambda e: e["name"])


ERRORS = _errors()


def test_the_abis_have_errors_to_walk() -> None:
    assert len(ERRORS) >= 40  # both contracts' own errors plus OpenZeppelin's


@pytest.mark.parametrize("error", ERRORS, ids=[e["name"] for e in ERRORS])
def test_every_custom_error_has_a_sentence(error: dict) -> None:
    assert error["name"] in EXPLANATIONS, f"add a sentence for {error['name']} in revert_reasons"
    types = [i["type"] for i in error["inputs"]]
    data = function_abi_to_4byte_selector(error) + abi_encode(types, [SAMPLES[t] for t in types])
    described = describe_revert(data)
    assert described is not None
    sentence, name = re.fullmatch(r"(.+) \((\w+)\)", described).groups()
    assert name == error["name"]
    # A sentence, not contract words: no argument syntax or braces; no capital (a colon precedes).
    assert "=" not in sentence and "{" not in sentence and not sentence[0].isupper()
    # It names what the user needs: each address, key, root and id it was given.
    for item in error["inputs"]:
        if item["type"] == "address":
            assert SAMPLES["address"] in sentence, item
        if item["type"] == "bytes32":
            assert "0x" + SAMPLES["bytes32"].hex() in sentence, item
        if item["type"] == "uint256" and item["name"] == "tokenId":
            assert f"0x{SAMPLES['uint256']:064x}" in sentence


def test_no_sentence_is_left_for_an_error_that_no_longer_exists() -> None:
    assert set(EXPLANATIONS) == {e["name"] for e in ERRORS}


def test_the_registrar_role_is_named_not_hashed() -> None:
    [error] = [e for e in ERRORS if e["name"] == "AccessControlUnauthorizedAccount"]
    from eth_utils import keccak

    data = function_abi_to_4byte_selector(error) + abi_encode(
        ["address", "bytes32"], [SAMPLES["address"], keccak(text="REGISTRAR_ROLE")]
    )
    assert "does not hold the registrar role" in describe_revert(data)
