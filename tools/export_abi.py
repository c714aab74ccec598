"""Copy the ABIs of the deployable contracts from Ape's build into the Python package.

The library talks to the chain with web3 and must not need Ape or a compile step at run time, so
`make compile` runs this after `ape compile` and the ABIs are committed under src/microcred/abi/.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / ".build" / "__local__.json"
TARGET = ROOT / "src" / "microcred" / "abi"
CONTRACTS = ("IssuerRegistry", "Credential")


def main() -> int:
    if not BUILD.is_file():
        print(f"{BUILD} is missing: run `ape compile` first", file=sys.stderr)
        return 1
    contract_types = json.loads(BUILD.read_text())["contractTypes"]
    TARGET.mkdir(parents=True, exist_ok=True)
    for name in CONTRACTS:
        abi = contract_types[name]["abi"]
        (TARGET / f"{name}.json").write_text(json.dumps(abi, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
