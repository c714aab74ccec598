"""Fixtures of the index tests (defined in the _index_*.py modules, where tests import helpers)."""

from _index_chain import engine, history, index_url, postgres, proxy  # noqa: F401
from _index_long import long_chain  # noqa: F401
from _index_many import many_batches  # noqa: F401
