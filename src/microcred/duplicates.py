"""Duplicates before issuing: a learner named twice in one file, or a learner who already holds a
valid credential of the same template. Each is flagged with a sentence; what happens to it is an
explicit choice (:data:`POLICIES`): ``skip`` (the default) or ``issue`` anyway.

A new credential of the same template is a new document (its date differs), hence a new token
id: the chain cannot refuse it, so the check happens here, before anything is stored or sent.

Holding is decided by the library's verification of the learner's wallet (a credential that
verifies as valid, or anchored and waiting to be claimed, with the template in its hash-checked
document), never by a lookup alone. To stay bounded for a whole CSV, only the wallets of the file
are looked at, in two cheap passes first: the credential index names what was minted to them and
which of them a batch of the issuer holds (:func:`microcred.index.holders.holdings_of`: one query
per 500 wallets and one read of the newest events), the chain's status of the minted ones keeps
those valid and of this issuer; only these wallets are then verified.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .chain import Chain, checksum
from .defaults import DEFAULT_POLICY, POLICIES, Policy
from .index import CredentialIndex
from .index.holders import holdings_of
from .issuance import STATUS_CHUNK, Recipient
from .storage import Store
from .verification import verify_wallet

__all__ = [
    "DEFAULT_POLICY",
    "POLICIES",
    "Duplicate",
    "Policy",
    "find_duplicates",
    "holders_of_template",
    "repeated_addresses",
    "split_by_policy",
]


@dataclass(frozen=True)
class Duplicate:
    """Why one row may be a duplicate: ``kind`` is ``"repeat"`` (the address is on an earlier
    line of the file) or ``"holder"`` (the learner holds a credential of the template)."""

    index: int  # position in the recipients list
    address: str
    kind: Literal["repeat", "holder"]
    reason: str
    first_line: int | None = None  # repeat: the earlier line
    token_id: int | None = None  # holder: the credential held


def repeated_addresses(recipients: Sequence[Recipient]) -> dict[int, Duplicate]:
    """Rows whose address appears on an earlier row, whatever their other cells."""
    first: dict[str, Recipient] = {}
    found: dict[int, Duplicate] = {}
    for index, recipient in enumerate(recipients):
        address = checksum(recipient.address, what="recipient address")
        earlier = first.get(address)
        if earlier is None:
            first[address] = recipient
            continue
        where = f"line {earlier.line}" if earlier.line else "an earlier row"
        found[index] = Duplicate(
            index=index,
            address=address,
            kind="repeat",
            reason=f"the same learner as {where}",
            first_line=earlier.line,
        )
    return found


def holders_of_template(
    chain: Chain,
    store: Store,
    *,
    template_id: int,
    issuer_id: int,
    wallets: Sequence[str],
    index: CredentialIndex | None = None,
) -> dict[str, int]:
    """``{wallet: token id}`` for each of ``wallets`` that holds a credential of ``template_id``
    (issued by ``issuer_id``) that verifies: valid, or anchored and waiting to be claimed.
    ``index``: the credential index to find candidates in (a throwaway one if not given)."""
    unique = list(dict.fromkeys(checksum(w, what="wallet address") for w in wallets))
    if not unique:
        return {}
    if index is None:
        index = CredentialIndex.throwaway(chain, store)
    found = holdings_of(index, unique, issuer_id)
    candidates = set(found.anchored)
    owner = {t: w for w, ids in found.minted.items() for t in ids}
    ids = list(owner)
    for start in range(0, len(ids), STATUS_CHUNK):
        for status in chain.credentials(ids[start : start + STATUS_CHUNK]):
            if status.valid and status.issuer_id == issuer_id:
                candidates.add(owner[status.token_id])
    held: dict[str, int] = {}
    for wallet in unique:
        if wallet not in candidates:
            continue
        for credential in verify_wallet(chain, store, wallet, index=index).credentials:
            document = credential.document
            if (
                credential.verified
                and credential.issuer_id == issuer_id
                and document is not None
                and document.template_id == template_id
            ):
                held[wallet] = credential.token_id
                break
    return held


def find_duplicates(
    chain: Chain,
    store: Store,
    *,
    template_id: int,
    issuer_id: int,
    recipients: Sequence[Recipient],
    index: CredentialIndex | None = None,
) -> dict[int, Duplicate]:
    """Every row that is a duplicate, by its index: repeats within the list first, then the
    learners who hold a credential of the template already (found through ``index``)."""
    found = repeated_addresses(recipients)
    holders = holders_of_template(
        chain,
        store,
        template_id=template_id,
        issuer_id=issuer_id,
        wallets=[r.address for r in recipients],
        index=index,
    )
    for row, recipient in enumerate(recipients):
        address = checksum(recipient.address, what="recipient address")
        if row in found or address not in holders:
            continue
        token_id = holders[address]
        found[row] = Duplicate(
            index=row,
            address=address,
            kind="holder",
            reason=f"already holds a valid credential of this template (0x{token_id:064x})",
            token_id=token_id,
        )
    return found


def split_by_policy(
    recipients: Sequence[Recipient], duplicates: dict[int, Duplicate], policy: Policy
) -> tuple[list[Recipient], list[Duplicate]]:
    """``(to issue, skipped)``: with ``skip`` every duplicate row is left out; with ``issue``
    nothing is."""
    if policy not in POLICIES:
        raise ValueError(f"unknown duplicates policy {policy!r}")
    if policy == "issue":
        return list(recipients), []
    kept = [r for i, r in enumerate(recipients) if i not in duplicates]
    return kept, [duplicates[i] for i in sorted(duplicates)]
