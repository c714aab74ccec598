"""Fixtures of the index tests (defined in _index_chain.py, where the tests import helpers from)."""

from _index_chain import engine, history, index_url, postgres, proxy  # noqa: F401
