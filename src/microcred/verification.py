"""Verification as data: an ordered list of named checks, one runner, one verdict per credential.

Each check is a tiny function of what was gathered about one credential (its on-chain status, its
issuer, its document) that returns ``(ok, detail)``. The runner records ``{name, ok, detail}`` for
every check, in order; the verdict is that of the first check that failed (``valid`` if none did).

Only two things are trusted: the configured RPC node and sha256. Documents may come from any store
or gateway: their bytes must hash to the token id, or the credential is ``tampered``.

Statuses: ``valid``, ``revoked``, ``expired``, ``issuer_suspended``, ``tampered``, ``unavailable``
(the document could not be retrieved), ``not_found`` (no such credential in this wallet or on
this chain), and ``anchored``: a credential of an anchored batch, given with its proof file, that
is not in a wallet yet but passes every check (the root is anchored by its issuer, the proof leads
from its leaf to that root, not revoked, issuer active, not expired, document intact and matching
the leaf). Once claimed it is verified like any other credential.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

from .anchoring import AnchoredCredential, waiting_for
from .chain import Anchor, Chain, CredentialStatus, Issuer, checksum
from .cid import cid_of_token_id
from .documents import CredentialDocument, parse_credential
from .errors import ContentMismatch, DocumentError, InputError, StorageError
from .storage import Store

if TYPE_CHECKING:
    from .index import CredentialIndex

__all__ = [
    "CHECKS",
    "STATUSES",
    "Check",
    "CredentialReport",
    "Report",
    "Subject",
    "parse_subject",
    "verify",
    "verify_anchored",
    "verify_token",
    "verify_wallet",
]

STATUSES = (
    "valid",
    "revoked",
    "expired",
    "issuer_suspended",
    "tampered",
    "unavailable",
    "not_found",
    "anchored",
)
#: Verdicts that mean the credential checks out (``anchored``: not claimed to a wallet yet).
GOOD_STATUSES = ("valid", "anchored")
#: Documents fetched at once; each fetch waits on the network, not on the CPU.
FETCH_WORKERS = 16
#: Seconds to wait for one document before calling it unavailable.
FETCH_TIMEOUT = 15.0

_TOKEN_ID = re.compile(r"^0x[0-9a-fA-F]{64}$")


# --------------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """What to verify: a wallet (``address``) or one credential (``token_id``)."""

    address: str | None = None
    token_id: int | None = None

    def __str__(self) -> str:
        return self.address if self.address is not None else f"0x{self.token_id:064x}"


def parse_subject(text: str) -> Subject:
    """A wallet address, a token id (0x + 64 hex digits) or a share link.

    >>> parse_subject("0x70997970c51812dc3a010c7d01b50e0d17dc79c8").address
    '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
    >>> parse_subject("https://app.example/verify?credential=0x" + "0" * 62 + "ff").token_id
    255
    """
    text = text.strip()
    if text.startswith(("http://", "https://")):
        query = parse_qs(urlparse(text).query)
        if "credential" in query:
            text = query["credential"][0]
        elif "address" in query:
            text = query["address"][0]
        else:
            raise InputError(f"The link {text!r} names neither a credential nor an address.")
    if re.fullmatch(r"0x[0-9a-fA-F]{40}", text):
        return Subject(address=checksum(text, what="wallet address"))
    if _TOKEN_ID.match(text):
        return Subject(token_id=int(text, 16))
    raise InputError(
        f"{text!r} is neither a wallet address (0x + 40 hex), a token id (0x + 64 hex) "
        "nor a share link."
    )


# --------------------------------------------------------------------------------------------------
# What the checks look at
# --------------------------------------------------------------------------------------------------


@dataclass
class Evidence:
    """Everything gathered about one credential before the checks run."""

    token_id: int
    status: CredentialStatus
    wallet: str | None  # the wallet asked about, None when verifying a token id
    issuer: Issuer | None
    now: int  # the latest block's time
    chain_id: int
    registry: str
    revocation_reason: str | None = None
    raw: bytes | None = None
    fetch_error: str | None = None
    tampered_error: str | None = None
    document: CredentialDocument | None = None
    document_error: str | None = None
    anchored: AnchoredCredential | None = None  # the proof file, for a credential not claimed yet
    anchor: Anchor | None = None  # what the chain says of its root


@dataclass(frozen=True)
class Check:
    """One named check's result, as it appears in ``verify --json``."""

    name: str
    ok: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


Result = tuple[bool, str]


def _when(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_token_exists(e: Evidence) -> Result:
    if not e.status.exists:
        return False, "no credential with this id was ever issued on this chain"
    return True, f"issued {_when(e.status.issued_at)}"


def check_held_by_wallet(e: Evidence) -> Result:
    if not e.status.exists:
        return False, "not checked: the credential does not exist"
    if e.status.holder is None:
        return False, "burned: its holder renounced it"
    if e.wallet is not None and e.status.holder != e.wallet:
        return False, f"held by {e.status.holder}, not by {e.wallet}"
    return True, f"held by {e.status.holder}"


def check_not_revoked(e: Evidence) -> Result:
    if not e.status.revoked:
        return True, "not revoked"
    reason = e.revocation_reason or "no reason found"
    return False, f"revoked {_when(e.status.revoked_at)}: {reason}"


def check_issuer_active(e: Evidence) -> Result:
    if e.issuer is None or e.issuer.status == "none":
        return False, f"issuer {e.status.issuer_id} is not in the registry"
    if not e.issuer.active:
        return False, f"issuer {e.issuer.id} ({e.issuer.name}) is suspended"
    return True, f"issuer {e.issuer.id} ({e.issuer.name}) is active"


def check_not_expired(e: Evidence) -> Result:
    if e.status.expires_at == 0:
        return True, "never expires"
    if e.status.expires_at <= e.now:
        return False, f"expired {_when(e.status.expires_at)}"
    return True, f"valid until {_when(e.status.expires_at)}"


def check_document_retrieved(e: Evidence) -> Result:
    if e.raw is None and e.tampered_error is None:
        return False, e.fetch_error or "the document could not be retrieved"
    return True, f"fetched {cid_of_token_id(e.token_id)}"


def check_document_hash(e: Evidence) -> Result:
    if e.tampered_error is not None:
        return False, e.tampered_error
    if e.raw is None:
        return False, "not checked: no document"
    digest = int.from_bytes(hashlib.sha256(e.raw).digest(), "big")
    if digest != e.token_id:
        return False, f"the document's sha256 is 0x{digest:064x}, not the token id"
    return True, "the document's sha256 is the token id"


def _trusted_document(e: Evidence) -> tuple[CredentialDocument | None, Result]:
    """The document, if it is there, intact and parsed; else why the comparison was not made."""
    if e.raw is None or e.tampered_error is not None:
        return None, (False, "not checked: no trustworthy document")
    if e.document is None:
        return None, (False, f"not a microcred credential document: {e.document_error}")
    return e.document, (True, "")


def _chain_facts_problems(e: Evidence, doc: CredentialDocument) -> list[str]:
    """Where the document's chain id, registry and issuer id disagree with the chain."""
    problems = []
    if doc.chain_id != e.chain_id:
        problems.append(f"chain id {doc.chain_id} is not {e.chain_id}")
    if doc.registry != e.registry:
        problems.append(f"registry {doc.registry} is not {e.registry}")
    if doc.issuer_id != e.status.issuer_id:
        problems.append(f"issuer id {doc.issuer_id} is not {e.status.issuer_id}")
    return problems


def check_document_matches_chain(e: Evidence) -> Result:
    doc, unchecked = _trusted_document(e)
    if doc is None:
        return unchecked
    problems = []
    if e.status.exists and e.status.holder is not None and doc.recipient != e.status.holder:
        problems.append(f"recipient {doc.recipient} is not the holder {e.status.holder}")
    problems += _chain_facts_problems(e, doc)
    if problems:
        return False, "; ".join(problems)
    return True, "recipient, chain, registry and issuer match the chain"


def check_anchored(e: Evidence) -> Result:
    a, anchor = e.anchored, e.anchor
    if a is None or anchor is None:
        return False, "not checked: no proof file"
    if a.chain_id != e.chain_id:
        return False, f"the proof file is for chain {a.chain_id}, not {e.chain_id}"
    if not anchor.exists:
        return False, f"the root 0x{a.root.hex()} is not anchored on this chain"
    if anchor.issuer_id != a.issuer_id:
        return False, f"the root was anchored by issuer {anchor.issuer_id}, not {a.issuer_id}"
    return True, f"root anchored by issuer {anchor.issuer_id} {_when(anchor.anchored_at)}"


def check_in_batch(e: Evidence) -> Result:
    if e.anchored is None:
        return False, "not checked: no proof file"
    if not e.anchored.proves():
        return False, "the Merkle proof does not lead from this credential to the root"
    return True, f"Merkle proof of {len(e.anchored.proof)} hash(es) leads to the root"


def check_document_matches_leaf(e: Evidence) -> Result:
    doc, unchecked = _trusted_document(e)
    if doc is None:
        return unchecked
    assert e.anchored is not None
    leaf = e.anchored
    problems = []
    if doc.recipient != leaf.recipient:
        problems.append(f"recipient {doc.recipient} is not the leaf's {leaf.recipient}")
    expires = int(doc.valid_until.timestamp()) if doc.valid_until else 0
    if expires != leaf.expires_at:
        problems.append(f"expiry {expires} is not the leaf's {leaf.expires_at}")
    problems += _chain_facts_problems(e, doc)
    if problems:
        return False, "; ".join(problems)
    return True, "recipient, expiry, chain, registry and issuer match the anchored leaf"


CheckFunction = Callable[[Evidence], Result]

#: The checks, in order, with the verdict their failure gives. The first failure decides.
CHECKS: tuple[tuple[str, CheckFunction, str], ...] = (
    ("token_exists", check_token_exists, "not_found"),
    ("held_by_wallet", check_held_by_wallet, "not_found"),
    ("not_revoked", check_not_revoked, "revoked"),
    ("issuer_active", check_issuer_active, "issuer_suspended"),
    ("not_expired", check_not_expired, "expired"),
    ("document_retrieved", check_document_retrieved, "unavailable"),
    ("document_hash", check_document_hash, "tampered"),
    ("document_matches_chain", check_document_matches_chain, "tampered"),
)

#: The checks of an anchored credential not claimed yet; passing them all gives ``anchored``.
ANCHORED_CHECKS: tuple[tuple[str, CheckFunction, str], ...] = (
    ("root_anchored", check_anchored, "not_found"),
    ("in_batch", check_in_batch, "tampered"),
    ("not_revoked", check_not_revoked, "revoked"),
    ("issuer_active", check_issuer_active, "issuer_suspended"),
    ("not_expired", check_not_expired, "expired"),
    ("document_retrieved", check_document_retrieved, "unavailable"),
    ("document_hash", check_document_hash, "tampered"),
    ("document_matches_chain", check_document_matches_leaf, "tampered"),
)


# --------------------------------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CredentialReport:
    """The verdict on one credential and the checks behind it."""

    token_id: int
    status: str
    holder: str | None
    issuer_id: int
    issuer_name: str | None
    achievement: str | None
    issued_at: int
    expires_at: int
    revocation_reason: str | None
    checks: tuple[Check, ...]
    document: CredentialDocument | None = field(default=None, compare=False, repr=False)
    #: The proof of an anchored credential not in a wallet yet (what a claim sends).
    proof: AnchoredCredential | None = field(default=None, compare=False, repr=False)

    @property
    def valid(self) -> bool:
        return self.status == "valid"

    @property
    def verified(self) -> bool:
        """Valid, or anchored and checking out (not in a wallet yet)."""
        return self.status in GOOD_STATUSES

    def to_json(self) -> dict[str, Any]:
        return {
            "tokenId": f"0x{self.token_id:064x}",
            "status": self.status,
            "holder": self.holder,
            "issuer": {"id": self.issuer_id, "name": self.issuer_name},
            "achievement": self.achievement,
            "issuedAt": _when(self.issued_at) if self.issued_at else None,
            "expiresAt": _when(self.expires_at) if self.expires_at else None,
            "revocationReason": self.revocation_reason,
            "checks": [c.to_json() for c in self.checks],
            "proof": self.proof.to_json() if self.proof else None,
        }


@dataclass(frozen=True)
class Report:
    """The result of verifying a wallet or a token id."""

    subject: str
    chain_id: int
    credentials: tuple[CredentialReport, ...]
    #: What could not be looked at (e.g. an anchored batch's manifest out of reach).
    warnings: tuple[str, ...] = ()

    @property
    def all_valid(self) -> bool:
        """Whether every credential found is valid or anchored (the CLI's exit code 0)."""
        return all(c.verified for c in self.credentials)

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "chainId": self.chain_id,
            "credentials": [c.to_json() for c in self.credentials],
            "warnings": list(self.warnings),
        }


def run_checks(
    evidence: Evidence,
    checks_table: Sequence[tuple[str, CheckFunction, str]] = CHECKS,
    *,
    success: str = "valid",
) -> tuple[str, tuple[Check, ...]]:
    """Every check in :data:`CHECKS` order, and the verdict of the first failure."""
    checks = []
    verdict = success
    for name, function, failure in checks_table:
        ok, detail = function(evidence)
        checks.append(Check(name=name, ok=ok, detail=detail))
        if not ok and verdict == success:
            verdict = failure
    return verdict, tuple(checks)


# --------------------------------------------------------------------------------------------------
# The runner
# --------------------------------------------------------------------------------------------------


def _fetch(store: Store, evidence: Evidence, timeout: float) -> None:
    cid = cid_of_token_id(evidence.token_id)
    try:
        raw = store.get(cid, timeout=timeout)
    except ContentMismatch as err:
        evidence.tampered_error = str(err)
        return
    except StorageError as err:
        evidence.fetch_error = f"{cid} could not be retrieved: {err}"
        return
    evidence.raw = raw
    try:
        evidence.document = parse_credential(raw)
    except DocumentError as err:
        evidence.document_error = str(err)


def verify(
    chain: Chain,
    store: Store,
    subject: Subject,
    *,
    index: CredentialIndex | None = None,
    fetch_timeout: float = FETCH_TIMEOUT,
) -> Report:
    """Verify a wallet's credentials, or one credential, against the chain and the documents.

    For a wallet, ``index`` (:class:`microcred.index.CredentialIndex`) finds the token ids and
    anchored entries that name it (discovery only: every one is then judged by the chain and
    its document, and what the chain does not confirm for this wallet is left out). Without an
    index the chain's history is scanned from the deployment block, which only a node that
    answers any ``eth_getLogs`` range allows (a local chain, tests)."""
    waiting: list[AnchoredCredential] = []
    unread: list[str] = []
    reasons: dict[int, str] | None = None
    anchored_reasons: dict[tuple[bytes, int], str] | None = None
    if subject.address is not None:
        wallet: str | None = subject.address
        if index is not None:
            found = index.wallet(subject.address)
            token_ids = found.token_ids
            waiting = list(dict.fromkeys(found.anchored))
            unread = list(found.warnings)
            reasons, anchored_reasons = dict(found.reasons), dict(found.anchored_reasons)
        else:
            token_ids, batches = chain.wallet_logs(subject.address)
            found_batches = waiting_for(
                chain, store, subject.address, batches=batches, timeout=fetch_timeout
            )
            for batch in found_batches:
                waiting += batch.credentials
                if batch.error:
                    unread.append(f"anchored batch 0x{batch.batch.root.hex()}: {batch.error}")
    else:
        assert subject.token_id is not None
        token_ids = [subject.token_id]
        wallet = None
    subject_text = str(subject)
    if not token_ids and not waiting:
        return Report(
            subject=subject_text, chain_id=chain.chain_id, credentials=(), warnings=tuple(unread)
        )
    statuses, issuers, now = chain.read_state(
        [*token_ids, *(i.token_id for i in waiting)], issuer_ids={i.issuer_id for i in waiting}
    )
    if index is not None and reasons is None:
        revoked = [s.token_id for s in statuses if s.revoked]
        reasons, anchored_reasons = index.revocation_reasons(revoked) if revoked else ({}, {})
    in_wallet, pending = statuses[: len(token_ids)], statuses[len(token_ids) :]
    claimable = _claimable(chain, list(zip(waiting, pending, strict=True)))
    active = {i.id for i in issuers if i.active}
    # Discovery is not evidence: an entry whose root this chain does not hold for its issuer,
    # or whose issuer is suspended (its batches cannot be claimed), is not offered at all.
    claimable = [
        entry
        for entry in claimable
        if entry[2][0].exists
        and entry[2][0].issuer_id == entry[0].issuer_id
        and (index is None or entry[0].issuer_id in active)
    ]
    # A copy another issuer minted into this wallet after the batch was public is not the learner's
    # credential: the rightful entry is shown instead, and its claim will displace the copy.
    displaced = {item.token_id for item, _, _ in claimable}
    if wallet is not None:
        # Only what the chain says this wallet holds now: a credential its holder renounced
        # (burned) is no longer in it, and an id the index (or a stale row) names for this
        # wallet but the chain does not is not this wallet's credential.
        in_wallet = [s for s in in_wallet if s.holder == wallet]
    in_wallet = [s for s in in_wallet if s.token_id not in displaced]
    report = _verify_statuses(
        chain, store, in_wallet, issuers, now, wallet, subject_text, fetch_timeout, reasons
    )
    extra = _rightful(
        _anchored_reports(chain, store, claimable, issuers, now, fetch_timeout, anchored_reasons)
    )
    return Report(
        subject=subject_text,
        chain_id=chain.chain_id,
        credentials=(*report.credentials, *extra),
        warnings=tuple(unread),
    )


#: What verifying an anchored entry needs from the chain: the entry, the token id's status, and
#: the anchor of its root with the entry's revocation time in that batch.
Pending = tuple[AnchoredCredential, CredentialStatus, tuple[Anchor, int]]


def _displaceable(status: CredentialStatus, anchor: Anchor) -> bool:
    """Whether a claim from ``anchor`` would displace the record ``status`` (the contract's rule:
    another issuer minted the id strictly after the batch was anchored)."""
    return (
        status.exists
        and anchor.exists
        and status.issuer_id != anchor.issuer_id
        and status.issued_at > anchor.anchored_at
    )


def _claimable(
    chain: Chain, entries: Sequence[tuple[AnchoredCredential, CredentialStatus]]
) -> list[Pending]:
    """The anchored entries a claim could still mint: never minted, or minted by another issuer
    after the batch was anchored (a copy the claim displaces). One round trip for the anchors and
    the per-batch revocations; entries already minted by their own batch's issuer need none."""
    candidates = [
        (item, status)
        for item, status in entries
        if not status.exists or status.issuer_id != item.issuer_id
    ]
    if not candidates:
        return []
    anchors, revoked = chain.anchored_state([(item.root, item.token_id) for item, _ in candidates])
    return [
        (item, status, (anchors[item.root], revoked_at))
        for (item, status), revoked_at in zip(candidates, revoked, strict=True)
        if not status.exists or _displaceable(status, anchors[item.root])
    ]


def _rightful(reports: Sequence[CredentialReport]) -> list[CredentialReport]:
    """One token id in several batches (another issuer may anchor a copy of a published leaf, and
    even revoke it in its own batch): where a document is there to tell, only the entries whose
    document names the batch's issuer are shown, so a copy cannot put its issuer's name or its
    revocation on the learner's credential."""
    rightful = {
        r.token_id
        for r in reports
        if any(c.name == "document_matches_chain" and c.ok for c in r.checks)
    }
    return [
        r
        for r in reports
        if r.token_id not in rightful
        or any(c.name == "document_matches_chain" and c.ok for c in r.checks)
    ]


def verify_anchored(
    chain: Chain,
    store: Store,
    item: AnchoredCredential,
    *,
    index: CredentialIndex | None = None,
    fetch_timeout: float = FETCH_TIMEOUT,
) -> Report:
    """Verify a credential given with its proof file: ``anchored`` if it checks out and is not in
    a wallet yet; once claimed, exactly as :func:`verify_token` (the token is then the truth).
    ``index``: where revocation reasons are read (else from the chain's logs)."""
    subject = f"0x{item.token_id:064x}"
    statuses, issuers, now = chain.read_state([item.token_id], issuer_ids=[item.issuer_id])
    reasons, anchored_reasons = (
        index.revocation_reasons([item.token_id]) if index is not None else (None, None)
    )
    claimable = _claimable(chain, [(item, statuses[0])])
    if not claimable:
        # Claimed (or otherwise minted for good): the token is the truth now.
        return _verify_statuses(
            chain, store, statuses, issuers, now, None, subject, fetch_timeout, reasons
        )
    report = _anchored_reports(
        chain, store, claimable, issuers, now, fetch_timeout, anchored_reasons
    )
    return Report(subject=subject, chain_id=chain.chain_id, credentials=tuple(report))


def _anchored_reports(
    chain: Chain,
    store: Store,
    pending: Sequence[Pending],
    issuer_list: Sequence[Issuer],
    now: int,
    fetch_timeout: float,
    known_reasons: dict[tuple[bytes, int], str] | None = None,
) -> list[CredentialReport]:
    """Reports on anchored credentials a claim could still mint, through
    :data:`ANCHORED_CHECKS`. Revocation is the entry's in its own batch (``revokeAnchored``),
    never the token id's: another issuer's batch or copy with the same id does not count."""
    issuers = {i.id: i for i in issuer_list}
    revoked = [(item.root, item.token_id) for item, _, (_, at) in pending if at]
    if known_reasons is not None:
        reasons = known_reasons
    else:
        reasons = chain.anchored_revocation_reasons(revoked) if revoked else {}
    gathered = []
    for item, _status, (anchor, revoked_at) in pending:
        # What a claim would mint: the anchor's issuer and time, the leaf's expiry.
        would_be = CredentialStatus(
            token_id=item.token_id,
            holder=None,
            issuer_id=anchor.issuer_id,
            issued_at=anchor.anchored_at,
            expires_at=item.expires_at,
            revoked_at=revoked_at,
            replaces=0,
            replaced_by=0,
            issuer_active=False,
            valid=False,
        )
        gathered.append(
            Evidence(
                token_id=item.token_id,
                status=would_be,
                wallet=None,
                issuer=issuers.get(anchor.issuer_id),
                now=now,
                chain_id=chain.chain_id,
                registry=chain.registry_address,
                revocation_reason=reasons.get((item.root, item.token_id)),
                anchored=item,
                anchor=anchor,
            )
        )
    if gathered:
        with ThreadPoolExecutor(max_workers=min(FETCH_WORKERS, len(gathered))) as pool:
            list(pool.map(lambda e: _fetch(store, e, fetch_timeout), gathered))
    reports = []
    for e in gathered:
        verdict, checks = run_checks(e, ANCHORED_CHECKS, success="anchored")
        reports.append(
            CredentialReport(
                token_id=e.token_id,
                status=verdict,
                holder=None,
                issuer_id=e.status.issuer_id,
                issuer_name=e.issuer.name if e.issuer else None,
                achievement=e.document.achievement_name if e.document else None,
                issued_at=e.status.issued_at,
                expires_at=e.status.expires_at,
                revocation_reason=e.revocation_reason,
                checks=checks,
                document=e.document,
                proof=e.anchored,
            )
        )
    return reports


def verify_wallet(chain: Chain, store: Store, address: str, **kwargs: Any) -> Report:
    return verify(chain, store, Subject(address=checksum(address, what="wallet address")), **kwargs)


def verify_token(chain: Chain, store: Store, token_id: int, **kwargs: Any) -> Report:
    return verify(chain, store, Subject(token_id=token_id), **kwargs)


def _verify_statuses(
    chain: Chain,
    store: Store,
    statuses: Sequence[CredentialStatus],
    issuer_list: Sequence[Issuer],
    now: int,
    wallet: str | None,
    subject: str,
    fetch_timeout: float,
    known_reasons: dict[int, str] | None = None,
) -> Report:
    issuers = {i.id: i for i in issuer_list}
    revoked = [s.token_id for s in statuses if s.revoked]
    if known_reasons is not None:
        reasons = known_reasons  # found with the credentials (the index and the tail)
    else:
        reasons = chain.revocation_reasons(revoked) if revoked else {}
    gathered = [
        Evidence(
            token_id=s.token_id,
            status=s,
            wallet=wallet,
            issuer=issuers.get(s.issuer_id),
            now=now,
            chain_id=chain.chain_id,
            registry=chain.registry_address,
            revocation_reason=reasons.get(s.token_id),
        )
        for s in statuses
    ]
    to_fetch = [e for e in gathered if e.status.exists]
    if to_fetch:
        with ThreadPoolExecutor(max_workers=min(FETCH_WORKERS, len(to_fetch))) as pool:
            list(pool.map(lambda e: _fetch(store, e, fetch_timeout), to_fetch))
    reports = []
    for e in gathered:
        verdict, checks = run_checks(e)
        reports.append(
            CredentialReport(
                token_id=e.token_id,
                status=verdict,
                holder=e.status.holder,
                issuer_id=e.status.issuer_id,
                issuer_name=e.issuer.name if e.issuer else None,
                achievement=e.document.achievement_name if e.document else None,
                issued_at=e.status.issued_at,
                expires_at=e.status.expires_at,
                revocation_reason=e.revocation_reason,
                checks=checks,
                document=e.document,
            )
        )
    return Report(subject=subject, chain_id=chain.chain_id, credentials=tuple(reports))
