"""microcred: blockchain-backed micro-credentials."""

__version__ = "0.1.0"
