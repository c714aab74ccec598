"""Prepared actions that cannot go stale.

A prepared action (credentials ready to issue, a revocation ready to sign) belongs to exactly the
inputs it was prepared from: it is kept under a digest of those inputs, and any run whose inputs
digest differently finds nothing (and forgets it). A Prepare that starts drops the previous one
first, so a failure leaves nothing behind; an action is taken out (:func:`finish`) the moment it
is done, so its button cannot act twice.

    inputs = inputs_digest("single", signer, template, address, expires)
    prepared = current("issue_prepared", inputs)     # None unless prepared from these inputs
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import streamlit as st


def inputs_digest(*parts: Any) -> str:
    """A digest of a page's inputs (anything JSON can show; other values by their text)."""
    material = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(material.encode()).hexdigest()


def current(slot: str, digest: str) -> dict[str, Any] | None:
    """The action prepared in ``slot`` from the inputs ``digest`` names, or None. One prepared
    from other inputs is dropped: it can never be shown or sent again."""
    prepared = st.session_state.get(slot)
    if prepared is None:
        return None
    if prepared.get("digest") != digest:
        st.session_state.pop(slot, None)
        return None
    return dict(prepared)


def start(slot: str) -> None:
    """A new Prepare begins: whatever was prepared before is gone, whatever happens next."""
    st.session_state.pop(slot, None)


def keep(slot: str, digest: str, **action: Any) -> None:
    st.session_state[slot] = {"digest": digest, **action}


def finish(slot: str) -> None:
    """The action is done (sent and confirmed): nothing of it can act again."""
    st.session_state.pop(slot, None)
