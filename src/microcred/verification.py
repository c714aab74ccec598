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
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

from .anchoring import AnchoredCredential
from .chain import Anchor, Chain, CredentialStatus, Issuer, checksum
from .cid import cid_of_token_id
from .documents import CredentialDocument, parse_credential
from .errors import ContentMismatch, DocumentError, InputError, StorageError
from .storage import Store
from .vc.dataintegrity import ProofCheck
from .vc.dataintegrity import verify as verify_proof

if TYPE_CHECKING:
    from .assertion_keys import AssertionKey
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
#: A document read faster than this came from this machine's disk (the embedded store), not
#: over a network: the next ones are read in the calling thread too.
LOCAL_READ_SECONDS = 0.002
#: How many digests of documents that parsed are remembered (32 bytes each: a few MB at most).
PARSED_DIGESTS = 50_000
_parsed: dict[bytes, None] = {}
_parsed_lock = threading.Lock()

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
    proof_check: ProofCheck | None = None  # the document's eddsa-rdfc-2022 proof, checked
    assertion_key: AssertionKey | None = None  # the registry's record of the signing key


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


def check_proof_valid(e: Evidence) -> Result:
    doc, unchecked = _trusted_document(e)
    if doc is None:
        return unchecked
    if e.proof_check is None:
        return False, "not checked: the proof could not be read"
    return e.proof_check.ok, e.proof_check.detail


def check_signing_key(e: Evidence) -> Result:
    doc, unchecked = _trusted_document(e)
    if doc is None:
        return unchecked
    if e.proof_check is None or not e.proof_check.ok or doc.signing_key is None:
        return False, "not checked: the document's proof does not hold"
    did = str(doc.data["issuer"]["id"])
    record, issuer_id = e.assertion_key, e.status.issuer_id
    if record is None or not record.registered or record.issuer_id != issuer_id:
        return False, f"the registry records no key {did} for issuer {issuer_id}"
    if not record.speaks_for(issuer_id, issued_at=e.status.issued_at):
        return False, (
            f"{did} was revoked {_when(record.revoked_at)}, before this credential was issued "
            f"({_when(e.status.issued_at)})"
        )
    detail = f"{did} is issuer {issuer_id}'s key, registered {_when(record.registered_at)}"
    if record.revoked:
        detail += f" (revoked {_when(record.revoked_at)}, after this credential was issued)"
    return True, detail


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
    ("proof_valid", check_proof_valid, "tampered"),
    ("signing_key_belongs_to_issuer", check_signing_key, "tampered"),
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
    ("proof_valid", check_proof_valid, "tampered"),
    ("signing_key_belongs_to_issuer", check_signing_key, "tampered"),
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


def _read(store: Store, evidence: Evidence, timeout: float) -> None:
    """The document's bytes into ``evidence`` (the store checks that they hash to the CID)."""
    cid = cid_of_token_id(evidence.token_id)
    try:
        evidence.raw = store.get(cid, timeout=timeout)
    except ContentMismatch as err:
        evidence.tampered_error = str(err)
    except StorageError as err:
        evidence.fetch_error = f"{cid} could not be retrieved: {err}"


def _parse(evidence: Evidence) -> None:
    """The document in ``evidence.raw`` parsed (strictly: see :func:`parse_credential`).

    Parsing is a pure function of the bytes and costs ~0.3 ms (canonical form, schema, every
    field rebuilt and compared): bytes whose sha256 is among those that parsed before are the
    same document, so only their JSON is read again, into a fresh object. The bytes are still
    fetched and hashed on every call; nothing the chain says is remembered."""
    raw = evidence.raw
    if raw is None:
        return
    digest = hashlib.sha256(raw).digest()
    if digest in _parsed:
        evidence.document = CredentialDocument(data=json.loads(raw), bytes=raw)
        return
    try:
        evidence.document = parse_credential(raw)
    except DocumentError as err:
        evidence.document_error = str(err)
        return
    with _parsed_lock:
        _parsed[digest] = None
        while len(_parsed) > PARSED_DIGESTS:
            del _parsed[next(iter(_parsed))]  # the oldest first (dicts keep insertion order)


def _fetch_all(store: Store, gathered: Sequence[Evidence], timeout: float) -> None:
    """Read then parse the document of each of ``gathered``.

    Reads go on in this thread while they come from this machine's disk; the first one slower
    than :data:`LOCAL_READ_SECONDS` (a network store) hands the rest to :data:`FETCH_WORKERS`
    threads, which then wait on the network together. Parsing is CPU work and always runs
    here: threads would only take turns holding the GIL (1,000 local documents read through 16
    threads took 140 ms instead of 30 ms, and parsed there, twice as long as in one thread)."""
    read = 0
    for evidence in gathered:
        started = time.perf_counter()
        _read(store, evidence, timeout)
        read += 1
        if time.perf_counter() - started > LOCAL_READ_SECONDS:
            break
    rest = gathered[read:]
    if rest:
        with ThreadPoolExecutor(max_workers=min(FETCH_WORKERS, len(rest))) as pool:
            list(pool.map(lambda e: _read(store, e, timeout), rest))
    for evidence in gathered:
        _parse(evidence)


#: Proof checks of documents by their sha256: a pure function of the bytes, and the costly part
#: of verifying one (~3 ms: RDFC-1.0 canonicalization), so a document is checked once.
_proofs: dict[bytes, ProofCheck] = {}
_proofs_lock = threading.Lock()


def _check_proofs(gathered: Iterable[Evidence]) -> None:
    """Each parsed document's proof checked, once per document (:data:`_proofs`)."""
    for evidence in gathered:
        if evidence.document is None or evidence.raw is None:
            continue
        digest = hashlib.sha256(evidence.raw).digest()
        check = _proofs.get(digest)
        if check is None:
            check = verify_proof(evidence.document.data)
            with _proofs_lock:
                _proofs[digest] = check
                while len(_proofs) > PARSED_DIGESTS:
                    del _proofs[next(iter(_proofs))]
        evidence.proof_check = check


#: The status of a document fetched before the chain's answer is in (only its document is used).
_UNKNOWN = CredentialStatus(
    token_id=0,
    holder=None,
    issuer_id=0,
    issued_at=0,
    expires_at=0,
    revoked_at=0,
    replaces=0,
    replaced_by=0,
    issuer_active=False,
    valid=False,
)

#: Documents fetched, parsed and proof-checked, by token id (before the reports are built).
Documents = dict[int, Evidence]
#: The registry's records of signing keys, by (issuer id, public key).
KeyRecords = dict[tuple[int, bytes], "AssertionKey"]


def _documents(store: Store, token_ids: Iterable[int], timeout: float) -> Documents:
    """The documents of ``token_ids``: read (see :func:`_fetch_all`), parsed, proofs checked."""
    found = {
        token_id: Evidence(
            token_id=token_id,
            status=_UNKNOWN,
            wallet=None,
            issuer=None,
            now=0,
            chain_id=0,
            registry="",
        )
        for token_id in dict.fromkeys(token_ids)
    }
    _fetch_all(store, list(found.values()), timeout)
    _check_proofs(found.values())
    return found


def _key_of(document: Evidence | None) -> bytes | None:
    """The key whose good signature the document carries (None: no document, or no such)."""
    if document is None or document.document is None:
        return None
    if document.proof_check is None or not document.proof_check.ok:
        return None
    return document.document.signing_key


def _take_documents(
    chain: Chain,
    store: Store,
    gathered: Sequence[Evidence],
    documents: Documents | None,
    records: KeyRecords | None,
    timeout: float,
) -> None:
    """Each of ``gathered`` with its document (from ``documents``, else read now) and the
    registry's record of its signing key for its issuer (from ``records``, else read now: one
    call for all)."""
    documents = dict(documents or {})
    missing = [e.token_id for e in gathered if e.token_id not in documents]
    if missing:
        documents.update(_documents(store, missing, timeout))
    for evidence in gathered:
        found = documents[evidence.token_id]
        evidence.raw, evidence.fetch_error = found.raw, found.fetch_error
        evidence.tampered_error, evidence.document = found.tampered_error, found.document
        evidence.document_error, evidence.proof_check = found.document_error, found.proof_check
    records = dict(records or {})
    wanted = {(e.status.issuer_id, key) for e in gathered if (key := _key_of(e)) is not None}
    unread = wanted - set(records)
    if unread:
        records.update(chain.assertion_keys(sorted(unread)))
    for evidence in gathered:
        key = _key_of(evidence)
        if key is not None:
            evidence.assertion_key = records.get((evidence.status.issuer_id, key))


def verify(
    chain: Chain,
    store: Store,
    subject: Subject,
    *,
    index: CredentialIndex | None = None,
    fetch_timeout: float = FETCH_TIMEOUT,
) -> Report:
    """Verify a wallet's credentials, or one credential, against the chain and the documents.

    ``index`` (:class:`microcred.index.CredentialIndex`) finds the token ids and anchored
    entries that name a wallet, and the reasons given for revocations (discovery only: every one
    is then judged by the chain and its document, and what the chain does not confirm for this
    wallet is left out). Without one, a throwaway in-memory index is synced for this call
    (:meth:`~microcred.index.CredentialIndex.throwaway`): history is scanned again every time,
    in ranges the provider accepts; the CLI and the web app keep theirs."""
    if index is None:
        from .index import CredentialIndex  # the index imports this package's modules

        index = CredentialIndex.throwaway(chain, store)
    waiting: list[AnchoredCredential] = []
    unread: list[str] = []
    reasons: dict[int, str] | None = None
    anchored_reasons: dict[tuple[bytes, int], str] | None = None
    if subject.address is not None:
        wallet: str | None = subject.address
        found = index.wallet(subject.address)
        token_ids = found.token_ids
        waiting = list(dict.fromkeys(found.anchored))
        unread = list(found.warnings)
        reasons, anchored_reasons = dict(found.reasons), dict(found.anchored_reasons)
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
    if reasons is None:
        revoked = [s.token_id for s in statuses if s.revoked]
        reasons, anchored_reasons = index.revocation_reasons(revoked) if revoked else ({}, {})
    in_wallet, pending = statuses[: len(token_ids)], statuses[len(token_ids) :]
    if wallet is not None:
        # Only what the chain says this wallet holds now: a credential its holder renounced
        # (burned) is no longer in it, and an id the index (or a stale row) names for this
        # wallet but the chain does not is not this wallet's credential.
        in_wallet = [s for s in in_wallet if s.holder == wallet]
    candidates = _candidates(list(zip(waiting, pending, strict=True)))
    # The documents first (their ids are known), so that the registry's records of the keys
    # that signed them ride in the one batch that also reads the anchors.
    documents = _documents(
        store,
        [*(s.token_id for s in in_wallet if s.exists), *(i.token_id for i, _ in candidates)],
        fetch_timeout,
    )
    pairs = {
        (issuer_id, key)
        for issuer_id, token_id in [
            *((s.issuer_id, s.token_id) for s in in_wallet),
            *((i.issuer_id, i.token_id) for i, _ in candidates),
        ]
        if (key := _key_of(documents.get(token_id))) is not None
    }
    claimable, records = _claimable(chain, candidates, pairs)
    active = {i.id for i in issuers if i.active}
    # Discovery is not evidence: an entry whose root this chain does not hold for its issuer,
    # or whose issuer is suspended (its batches cannot be claimed), is not offered at all.
    claimable = [
        entry
        for entry in claimable
        if entry[2][0].exists
        and entry[2][0].issuer_id == entry[0].issuer_id
        and entry[0].issuer_id in active
    ]
    # A copy another issuer minted into this wallet after the batch was public is not the learner's
    # credential: the rightful entry is shown instead, and its claim will displace the copy.
    displaced = {item.token_id for item, _, _ in claimable}
    in_wallet = [s for s in in_wallet if s.token_id not in displaced]
    report = _verify_statuses(
        chain,
        store,
        in_wallet,
        issuers,
        now,
        wallet,
        subject_text,
        fetch_timeout,
        reasons,
        documents=documents,
        records=records,
    )
    extra = _rightful(
        _anchored_reports(
            chain,
            store,
            claimable,
            issuers,
            now,
            fetch_timeout,
            anchored_reasons,
            documents=documents,
            records=records,
        )
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


def _candidates(
    entries: Sequence[tuple[AnchoredCredential, CredentialStatus]],
) -> list[tuple[AnchoredCredential, CredentialStatus]]:
    """The anchored entries a claim might still mint, from their token ids' statuses alone:
    never minted, or minted by another issuer (a copy, if minted after the anchor)."""
    return [
        (item, status)
        for item, status in entries
        if not status.exists or status.issuer_id != item.issuer_id
    ]


def _claimable(
    chain: Chain,
    candidates: Sequence[tuple[AnchoredCredential, CredentialStatus]],
    pairs: Iterable[tuple[int, bytes]] = (),
) -> tuple[list[Pending], KeyRecords]:
    """The ``candidates`` a claim could still mint (never minted, or minted by another issuer
    after the batch was anchored: a copy the claim displaces), and the registry's records of
    the signing keys ``pairs``: ONE round trip for the anchors, the per-batch revocations and
    the keys (none if there is nothing to ask)."""
    anchors, revoked, records = chain.anchored_state_and_keys(
        [(item.root, item.token_id) for item, _ in candidates], sorted(set(pairs))
    )
    return [
        (item, status, (anchors[item.root], revoked_at))
        for (item, status), revoked_at in zip(candidates, revoked, strict=True)
        if not status.exists or _displaceable(status, anchors[item.root])
    ], records


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
    ``index``: where the reason of a revocation is read (a throwaway one, only if something is
    revoked, when not given)."""
    subject = f"0x{item.token_id:064x}"
    statuses, issuers, now = chain.read_state([item.token_id], issuer_ids=[item.issuer_id])
    candidates = _candidates([(item, statuses[0])])
    documents = _documents(store, [item.token_id], fetch_timeout)
    key = _key_of(documents[item.token_id])
    pairs = [(item.issuer_id, key), (statuses[0].issuer_id, key)] if key is not None else []
    claimable, records = _claimable(chain, candidates, [p for p in pairs if p[0]])
    reasons: dict[int, str] = {}
    anchored_reasons: dict[tuple[bytes, int], str] = {}
    if statuses[0].revoked or any(revoked_at for _, _, (_, revoked_at) in claimable):
        if index is None:
            from .index import CredentialIndex  # the index imports this package's modules

            index = CredentialIndex.throwaway(chain, store)
        reasons, anchored_reasons = index.revocation_reasons([item.token_id])
    if not claimable:
        # Claimed (or otherwise minted for good): the token is the truth now.
        return _verify_statuses(
            chain,
            store,
            statuses,
            issuers,
            now,
            None,
            subject,
            fetch_timeout,
            reasons,
            documents=documents,
            records=records,
        )
    report = _anchored_reports(
        chain,
        store,
        claimable,
        issuers,
        now,
        fetch_timeout,
        anchored_reasons,
        documents=documents,
        records=records,
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
    *,
    documents: Documents | None = None,
    records: KeyRecords | None = None,
) -> list[CredentialReport]:
    """Reports on anchored credentials a claim could still mint, through
    :data:`ANCHORED_CHECKS`. Revocation is the entry's in its own batch (``revokeAnchored``),
    never the token id's: another issuer's batch or copy with the same id does not count."""
    issuers = {i.id: i for i in issuer_list}
    reasons = known_reasons or {}  # found with the entries (the index and its tail)
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
    _take_documents(chain, store, gathered, documents, records, fetch_timeout)
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
    *,
    documents: Documents | None = None,
    records: KeyRecords | None = None,
) -> Report:
    issuers = {i.id: i for i in issuer_list}
    reasons = known_reasons or {}  # found with the credentials (the index and its tail)
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
    _take_documents(
        chain, store, [e for e in gathered if e.status.exists], documents, records, fetch_timeout
    )
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
