"""The defaults the command line shows in its help, in a module that imports nothing heavy, so
that ``microcred --help`` answers without loading web3 (the modules that use them import them from
here; each is defined once)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

__all__ = [
    "BATCH_SIZE",
    "DEFAULT_JOURNAL_DIR",
    "DEFAULT_POLICY",
    "DEFAULT_PROOFS_DIR",
    "DEFAULT_PUBLIC_URL",
    "DEFAULT_RPC_URL",
    "DEFAULT_STORE",
    "POLICIES",
    "Policy",
]

DEFAULT_RPC_URL = "http://127.0.0.1:8545"
DEFAULT_STORE = "local:.microcred/ipfs"
#: Credentials per issueBatch transaction: ~55k gas each, so ~11M gas, well under a 30M block.
BATCH_SIZE = 200
DEFAULT_JOURNAL_DIR = Path(".microcred") / "journal"
DEFAULT_PROOFS_DIR = Path(".microcred") / "proofs"
#: What a bulk run does with a learner named twice, or who already holds the template's credential.
Policy = Literal["skip", "issue"]
POLICIES: tuple[Policy, ...] = ("skip", "issue")
DEFAULT_POLICY: Policy = "skip"
#: Where share links point when no public address is configured (the app's default port).
DEFAULT_PUBLIC_URL = "http://localhost:8501"
