"""Logs of the two contracts decoded with their ABIs (``src/microcred/abi/*.json``).

Decoding is generic: whatever event the ABI declares is decoded by web3 into its arguments,
normalised to JSON-friendly values (uint256 and bytes32 as ``0x`` + 64 hex digits, addresses in
lower case), so a new event in a contract needs no code here to be decoded and kept; only a
specific table (see :mod:`.sync`) needs a handler.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.datastructures import AttributeDict

from ..chain import load_abi
from ..deployment import Deployment

__all__ = ["DecodedLog", "EventDecoder"]


def _hex32(value: int | bytes) -> str:
    if isinstance(value, int):
        return f"0x{value:064x}"
    return "0x" + bytes(value).hex().rjust(64, "0")


def _plain(value: Any, abi_type: str) -> Any:
    if abi_type.endswith("]"):
        inner = abi_type[: abi_type.rindex("[")]
        return [_plain(item, inner) for item in value]
    if abi_type == "address":
        return str(value).lower()
    if abi_type in ("uint256", "int256") or abi_type.startswith("bytes") and abi_type != "bytes":
        return _hex32(value)
    if abi_type == "bytes":
        return "0x" + bytes(value).hex()
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


@dataclass(frozen=True)
class DecodedLog:
    block: int
    log_index: int
    tx_hash: str
    block_hash: str
    emitter: str  # the contract that emitted it, lower case
    name: str  # the event's name, or "unknown:<topic0>" for a log the ABI does not declare
    args: dict[str, Any]


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _hex(value: Any) -> str:
    return value.lower() if isinstance(value, str) else "0x" + bytes(value).hex()


class EventDecoder:
    """Decodes the logs of a deployment's IssuerRegistry and Credential contracts."""

    def __init__(self, deployment: Deployment) -> None:
        w3 = Web3()
        self._events: dict[tuple[str, str], tuple[Any, dict[str, Any]]] = {}
        for name, address in (
            ("IssuerRegistry", deployment.registry.address),
            ("Credential", deployment.credential.address),
        ):
            abi = load_abi(name)
            contract = w3.eth.contract(address=Web3.to_checksum_address(address), abi=abi)
            for item in abi:
                if item.get("type") != "event" or item.get("anonymous"):
                    continue
                signature = f"{item['name']}({','.join(_type(i) for i in item['inputs'])})"
                topic = "0x" + keccak(text=signature).hex()
                self._events[(address.lower(), topic)] = (
                    contract.events[item["name"]](),
                    {i["name"]: _type(i) for i in item["inputs"]},
                )

    @property
    def names(self) -> set[str]:
        """Every event name the ABIs declare."""
        return {event.event_name for event, _ in self._events.values()}

    def decode(self, log: dict[str, Any]) -> DecodedLog:
        """One raw JSON-RPC log (hex strings) or web3 log (bytes), decoded."""
        topics = [_hex(t) for t in log["topics"]]
        emitter = str(log["address"]).lower()
        base: dict[str, Any] = {
            "block": _int(log["blockNumber"]),
            "log_index": _int(log["logIndex"]),
            "tx_hash": _hex(log["transactionHash"]),
            "block_hash": _hex(log["blockHash"]),
            "emitter": emitter,
        }
        known = self._events.get((emitter, topics[0])) if topics else None
        if known is None:
            data = _hex(log["data"]) if log.get("data") else "0x"
            return DecodedLog(
                **base,
                name=f"unknown:{topics[0] if topics else 'anonymous'}",
                args={"topics": topics, "data": data},
            )
        event, types = known
        entry = AttributeDict(
            {
                "address": Web3.to_checksum_address(emitter),
                "topics": [HexBytes(t) for t in topics],
                "data": HexBytes(log.get("data") or "0x"),
                "blockNumber": base["block"],
                "logIndex": base["log_index"],
                "transactionIndex": _int(log.get("transactionIndex", 0)),
                "transactionHash": HexBytes(base["tx_hash"]),
                "blockHash": HexBytes(base["block_hash"]),
            }
        )
        decoded = event.process_log(entry)
        args = {key: _plain(value, types[key]) for key, value in decoded["args"].items()}
        return DecodedLog(**base, name=decoded["event"], args=args)


def _type(abi_input: dict[str, Any]) -> str:
    if abi_input["type"].startswith("tuple"):
        inner = ",".join(_type(c) for c in abi_input["components"])
        return f"({inner}){abi_input['type'][5:]}"
    return str(abi_input["type"])
