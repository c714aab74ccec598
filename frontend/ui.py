"""Rendering helpers shared by the pages. Everything from a document is untrusted: it is shown as
text (escaped for Markdown) and never as HTML."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import streamlit as st

VERDICTS: dict[str, tuple[str, str, str]] = {
    # status: (label, colour for st.badge, icon)
    "valid": ("Valid", "green", ":material/verified:"),
    "revoked": ("Revoked", "red", ":material/block:"),
    "expired": ("Expired", "orange", ":material/schedule:"),
    "issuer_suspended": ("Issuer suspended", "orange", ":material/gpp_maybe:"),
    "tampered": ("Tampered", "red", ":material/dangerous:"),
    "unavailable": ("Document unavailable", "gray", ":material/cloud_off:"),
    "not_found": ("Not found", "gray", ":material/help:"),
    # Checks out, but still waits in its anchored batch: claiming it mints it to the wallet.
    "anchored": ("Anchored, not yet in wallet", "blue", ":material/pending:"),
}

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~:$])")


def md(text: object) -> str:
    """Escape a value for st.markdown: a document can never inject links, images or formatting."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


_SAFE_URL = re.compile(r"^https?://[^\s()<>\[\]\\\"']+$")


def link(url: object) -> str:
    """A Markdown link for a plain http(s) URL; anything else (ipfs://, javascript:...) as text."""
    text = str(url)
    if _SAFE_URL.match(text):
        return f"[{md(text)}]({text})"
    return md(text)


def short(value: str, keep: int = 6) -> str:
    return value if len(value) <= 2 * keep + 3 else f"{value[: keep + 2]}…{value[-keep:]}"


def when(timestamp: int | str | None, *, never: str = "never") -> str:
    """A Unix time or ISO string as a date people read."""
    if timestamp in (None, 0, ""):
        return never
    if isinstance(timestamp, str):
        try:
            moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
        except ValueError:
            return timestamp
    else:
        moment = datetime.fromtimestamp(int(timestamp), tz=UTC)
    return moment.strftime("%d %b %Y")


def verdict_badge(status: str) -> None:
    label, colour, icon = VERDICTS.get(status, (status, "gray", ":material/help:"))
    st.badge(label, color=colour, icon=icon)  # type: ignore[arg-type]


def check_label(name: str) -> str:
    """A check's name as people read it: ``document_matches_chain`` -> "Document matches chain"."""
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


_REVOKED_AT = re.compile(r"^revoked (\d{4}-\d\d-\d\dT[\d:]+Z)")


def revoked_on(credential: dict[str, Any]) -> str | None:
    """When a credential was revoked, from its ``not_revoked`` check (which the chain's revocation
    time feeds), as a date people read; None if it was not."""
    for check in credential.get("checks") or []:
        if check["name"] == "not_revoked" and not check["ok"]:
            found = _REVOKED_AT.match(str(check.get("detail") or ""))
            return when(found.group(1)) if found else None
    return None


def checks_table(checks: list[dict[str, Any]]) -> None:
    """The checks behind a verdict. The table keeps each check's name (what ``verify --json``
    prints) and shows it as people read it ("Document matches chain")."""
    import pandas as pd

    rows = pd.DataFrame(
        [
            {
                "check": c["name"],
                "result": "passed" if c["ok"] else "failed",
                "detail": c.get("detail") or "",
            }
            for c in checks
        ],
        columns=["check", "result", "detail"],
    )
    st.dataframe(rows.style.format({"check": check_label}), hide_index=True, width="stretch")


def upload_label(what: str, kind: Any) -> str:
    """An uploader's label with the real limit of its kind (upload_limits). Streamlit's own text
    states only its global cap (a file over the real limit must reach the page to get the
    page's sentence), so app.py hides that text."""
    return f"{what} (at most {kind.limit_text})"


def error(message: str) -> None:
    st.error(md(message), icon=":material/error:")
