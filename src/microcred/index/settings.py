"""Where the index lives and how it reads a network: database URL, starting log range,
confirmations. Environment first, then per-network defaults.

- ``MICROCRED_INDEX_URL``: a SQLAlchemy URL; ``postgresql+psycopg://user:pw@host/db`` when several
  app servers share one index. Default: ``sqlite:///.microcred/index-<chainId>.sqlite``
  (``index-<chainId>-<genesis>.sqlite`` on local chains).
- ``MICROCRED_INDEX_LOG_RANGE``: blocks per ``eth_getLogs`` to start with (the fetcher adapts).
- ``MICROCRED_INDEX_CONFIRMATIONS``: blocks behind the head the index stays (0 on local chains).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError

__all__ = ["IndexSettings", "default_url"]

LOCAL_CHAINS = frozenset({31337, 1337})

#: Blocks per ``eth_getLogs`` to start with, by chain id: what the common hosted providers of
#: that network accept (10,000 at Infura, QuickNode and Chainstack's paid tiers, Ankr), so the
#: first request is rarely refused. A local node answers any range.
STARTING_LOG_RANGE: Mapping[int, int] = {
    1: 10_000,  # Ethereum
    11155111: 10_000,  # Sepolia
    17000: 10_000,  # Holesky
    10: 10_000,  # OP Mainnet
    8453: 10_000,  # Base
    84532: 10_000,  # Base Sepolia
    137: 10_000,  # Polygon
    42161: 10_000,  # Arbitrum One
    31337: 100_000,  # anvil
    1337: 100_000,  # geth --dev, ganache
}
DEFAULT_LOG_RANGE = 2_000

#: Blocks behind the head by default: deep enough that a reorg rarely reaches synced rows on
#: Ethereum (reorgs past 2-3 blocks are rare since the merge); detected and rolled back if it does.
DEFAULT_CONFIRMATIONS = 12


def default_url(chain_id: int, root: Path | None = None, genesis: str | None = None) -> str:
    """``sqlite:///<root>/.microcred/index-<chainId>[-<genesis>].sqlite`` (``root``: the current
    folder; ``genesis``: a tag of the genesis block, given for local chains, which are started
    afresh with the same chain id and contract addresses)."""
    name = f"index-{chain_id}-{genesis}" if genesis else f"index-{chain_id}"
    path = (root or Path.cwd()) / ".microcred" / f"{name}.sqlite"
    return f"sqlite:///{path}"


def _int(environ: Mapping[str, str], name: str, minimum: int) -> int | None:
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number: set it to e.g. 10000.") from None
    if value < minimum:
        raise ConfigError(f"{name}={value} is below {minimum}: set it to {minimum} or more.")
    return value


@dataclass(frozen=True)
class IndexSettings:
    url: str
    log_range: int
    confirmations: int

    @classmethod
    def for_chain(
        cls,
        chain_id: int,
        environ: Mapping[str, str] | None = None,
        root: Path | None = None,
        *,
        genesis: str | None = None,
    ) -> IndexSettings:
        env = os.environ if environ is None else environ
        log_range = _int(env, "MICROCRED_INDEX_LOG_RANGE", 1)
        confirmations = _int(env, "MICROCRED_INDEX_CONFIRMATIONS", 0)
        return cls(
            url=env.get("MICROCRED_INDEX_URL", "").strip() or default_url(chain_id, root, genesis),
            log_range=log_range or STARTING_LOG_RANGE.get(chain_id, DEFAULT_LOG_RANGE),
            confirmations=(
                confirmations
                if confirmations is not None
                else (0 if chain_id in LOCAL_CHAINS else DEFAULT_CONFIRMATIONS)
            ),
        )
