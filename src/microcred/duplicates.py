"""Duplicates before issuing: a learner named twice in one file, or a learner who already holds a
valid credential of the same template. Each is flagged with a sentence; what happens to it is an
explicit choice (:data:`POLICIES`): ``skip`` (the default) or ``issue`` anyway.

A new credential of the same template is a new document (its date differs), hence a new token
id: the chain cannot refuse it, so the check happens here, before anything is stored or sent.

Holding is decided by the library's verification of the learner's wallet (a credential that
verifies as valid, or anchored and waiting to be claimed, with the template in its hash-checked
document), never by a lookup alone. To stay bounded for a whole CSV, only the wallets of the file
are looked at, in two cheap passes first: one ``eth_getLogs`` per :data:`WALLETS_PER_QUERY`
wallets for what was minted to them (the topic of a log filter takes a list), and the issuer's
anchored batches (one ``eth_getLogs``, then each batch's manifest page covering a wallet);
only the wallets that hold something of this issuer are then verified.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .anchoring import _search  # the manifest walk verification uses, for many wallets at once
from .chain import AnchoredBatch, Chain, checksum
from .defaults import DEFAULT_POLICY, POLICIES, Policy
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

#: Wallets per ``eth_getLogs`` (an OR-list in the recipient topic): small enough for any provider.
WALLETS_PER_QUERY = 200

_TRANSFER = "0x" + "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
_ZERO_TOPIC = "0x" + "0" * 64


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


def _minted_to_any(chain: Chain, wallets: Sequence[str]) -> dict[str, list[int]]:
    """Token ids ever minted to each of ``wallets``: one ``eth_getLogs`` per chunk."""
    minted: dict[str, list[int]] = {}
    by_topic = {"0x" + "0" * 24 + w[2:].lower(): w for w in wallets}
    topics = list(by_topic)
    for start in range(0, len(topics), WALLETS_PER_QUERY):
        query = {
            "address": chain.credential.address,
            "fromBlock": hex(chain.deployment.start_block),
            "toBlock": "latest",
            "topics": [_TRANSFER, _ZERO_TOPIC, topics[start : start + WALLETS_PER_QUERY]],
        }
        for log in chain._logs(query, "look for credentials the learners hold"):  # noqa: SLF001
            recipient_topic = _hex(log["topics"][2])
            token_id = int(_hex(log["topics"][3]), 16)
            minted.setdefault(by_topic[recipient_topic], []).append(token_id)
    return minted


def _hex(value: object) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    text = str(value) if not hasattr(value, "hex") else value.hex()  # type: ignore[union-attr]
    text = text.lower()
    return text if text.startswith("0x") else "0x" + text


def _waiting_in(
    chain: Chain, store: Store, batches: Sequence[AnchoredBatch], wallets: Sequence[str]
) -> set[str]:
    """The ``wallets`` with an entry in one of ``batches``: each batch's manifest index, then
    only the pages covering one of them, each read once whatever the number of wallets."""
    wanted = {w.lower(): w for w in wallets}
    ordered = sorted(wanted)

    def covering(pages: list[Any]) -> tuple[list[Any], str | None]:
        chosen = []
        for page in pages:
            at = bisect_left(ordered, page.first)
            if at < len(ordered) and ordered[at] <= page.last:
                chosen.append(page)
        return chosen, None

    found = _search(
        chain, store, batches, covering, lambda item: item.recipient.lower() in wanted, None
    )
    return {wanted[item.recipient.lower()] for entries in found for item in entries.credentials}


def holders_of_template(
    chain: Chain,
    store: Store,
    *,
    template_id: int,
    issuer_id: int,
    wallets: Sequence[str],
) -> dict[str, int]:
    """``{wallet: token id}`` for each of ``wallets`` that holds a credential of ``template_id``
    (issued by ``issuer_id``) that verifies: valid, or anchored and waiting to be claimed."""
    unique = list(dict.fromkeys(checksum(w, what="wallet address") for w in wallets))
    if not unique:
        return {}
    candidates: set[str] = set()
    minted = _minted_to_any(chain, unique)
    owner = {t: w for w, ids in minted.items() for t in ids}
    ids = list(owner)
    for start in range(0, len(ids), STATUS_CHUNK):
        for status in chain.credentials(ids[start : start + STATUS_CHUNK]):
            if status.valid and status.issuer_id == issuer_id:
                candidates.add(owner[status.token_id])
    batches = chain.anchored_batches(issuer_id)
    if batches:
        candidates |= _waiting_in(chain, store, batches, unique)
    held: dict[str, int] = {}
    for wallet in unique:
        if wallet not in candidates:
            continue
        for credential in verify_wallet(chain, store, wallet).credentials:
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
) -> dict[int, Duplicate]:
    """Every row that is a duplicate, by its index: repeats within the list first, then the
    learners who hold a credential of the template already."""
    found = repeated_addresses(recipients)
    holders = holders_of_template(
        chain,
        store,
        template_id=template_id,
        issuer_id=issuer_id,
        wallets=[r.address for r in recipients],
    )
    for index, recipient in enumerate(recipients):
        address = checksum(recipient.address, what="recipient address")
        if index in found or address not in holders:
            continue
        token_id = holders[address]
        found[index] = Duplicate(
            index=index,
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
