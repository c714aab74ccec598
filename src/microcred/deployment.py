"""Where microcred's contracts live on a network: ``deployments/<chainId>.json``.

Written by ``ape run deploy`` and read by the library, the CLI and the front end::

    {
      "chainId": 31337,
      "IssuerRegistry": {"address": "0x...", "block": 1, "tx": "0x..."},
      "Credential": {"address": "0x...", "block": 2, "tx": "0x..."}
    }

``block`` is where a client starts scanning logs (a wallet's credentials are found through their
``Transfer`` events from that block on).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from eth_utils import is_checksum_address

from .errors import ConfigError

__all__ = ["CONTRACT_NAMES", "ContractDeployment", "Deployment", "default_path"]

CONTRACT_NAMES = ("IssuerRegistry", "Credential")


@dataclass(frozen=True)
class ContractDeployment:
    """One deployed contract: its address, the block it was deployed in and the deploying tx."""

    address: str
    block: int
    tx: str


@dataclass(frozen=True)
class Deployment:
    """The microcred contracts of one chain."""

    chain_id: int
    registry: ContractDeployment
    credential: ContractDeployment

    @property
    def start_block(self) -> int:
        """The first block that can hold a microcred event."""
        return min(self.registry.block, self.credential.block)

    def to_json(self) -> str:
        data = {
            "chainId": self.chain_id,
            "IssuerRegistry": asdict(self.registry),
            "Credential": asdict(self.credential),
        }
        return json.dumps(data, indent=2) + "\n"

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(self.to_json())
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Deployment:
        try:
            data = json.loads(Path(path).read_text())
        except FileNotFoundError:
            raise ConfigError(
                f"No deployment file at {path}: deploy first (`ape run deploy`) "
                "or point MICROCRED_DEPLOYMENT at the file for this network."
            ) from None
        except json.JSONDecodeError as err:
            raise ConfigError(f"Deployment file {path} is not valid JSON: {err}.") from None
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: dict, *, source: str = "deployment") -> Deployment:
        try:
            chain_id = int(data["chainId"])
            parts = [data[name] for name in CONTRACT_NAMES]
            contracts = [
                ContractDeployment(address=p["address"], block=int(p["block"]), tx=p["tx"])
                for p in parts
            ]
        except (KeyError, TypeError, ValueError) as err:
            raise ConfigError(
                f"{source} lacks a field microcred needs ({err}); "
                "expected chainId and address/block/tx for IssuerRegistry and Credential."
            ) from None
        for name, contract in zip(CONTRACT_NAMES, contracts, strict=True):
            if not is_checksum_address(contract.address):
                raise ConfigError(f"{source}: {name} address {contract.address!r} is not valid.")
        return cls(chain_id=chain_id, registry=contracts[0], credential=contracts[1])


def default_path(chain_id: int, root: Path | None = None) -> Path:
    """``deployments/<chainId>.json`` under ``root`` (the current folder by default)."""
    return (root or Path.cwd()) / "deployments" / f"{chain_id}.json"
