"""What the Streamlit AppTest suites share: the app, its timeout, opening a page (with share-link
query parameters) and token ids as pages show them. On the tests' import path (pyproject)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

TIMEOUT = 30
APP = Path(__file__).resolve().parents[1] / "frontend" / "app.py"


def token_hex(token_id: int) -> str:
    return f"0x{token_id:064x}"


def open_page(page: str | None = None, **query: str) -> AppTest:
    """The app run once, then switched to ``views/<page>.py``; no exception on the way."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    if page is not None:
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, at.exception
    return at
