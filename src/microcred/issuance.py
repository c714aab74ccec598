"""Issuing credentials: validate everything -> build documents -> store -> issue on chain -> record.

Nothing is sent until every input is known to be good: addresses (checksums included), the signer
(a signer of an active issuer), the template (published on chain, not retired, its document
retrievable), expiries (in the future by the chain's clock) and, for a CSV, every row (all bad rows
are reported together, with their line numbers).

A bulk run keeps a journal (``.microcred/journal/<digest of the input>.jsonl``, appended and
fsynced): the first line pins the issue time, so a run started again with the same input rebuilds
exactly the same documents, hence the same token ids. Since a token id is its document's digest,
the chain itself says what is already issued (``credentials(ids)``); the journal adds the
transactions in flight, which are settled (:func:`settle`: awaited, replaced with higher fees if
stuck, or found dropped) before anything is sent again. Killed at any point, the run finishes the
work on the next start without issuing anything twice or losing a credential. Documents are
built twice: once to validate every row before anything is sent, then batch by batch to store
and send, so a run holds one batch of documents, not the whole file.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from eth_account.signers.local import LocalAccount

from .anchoring import DEFAULT_PROOFS_DIR, AnchoredCredential, store_manifest, write_proofs
from .chain import Chain, SentTransaction, checksum
from .cid import cid_of_token_id
from .defaults import BATCH_SIZE, DEFAULT_JOURNAL_DIR, DEFAULT_PUBLIC_URL
from .documents import (
    CredentialDocument,
    CredentialSigner,
    IssuerProfile,
    TemplateDocument,
    UnsignedCredential,
    build_credential,
    build_template,
    canonical_bytes,
    parse_template,
    prepare_credential,
)
from .errors import ChainError, DocumentError, InputError, StorageError
from .merkle import Leaf, MerkleTree
from .progress import Progress
from .replacement import FeePolicy, sign_replacement
from .storage import Store
from .vc.didkey import Ed25519SigningKey, public_key_of, verify_ed25519
from .vc.hash_pool import HashPool, hash_pool
from .vc.keyderivation import SigningKeyRequest, derive_signing_key_with_account

if TYPE_CHECKING:  # duplicates builds on this module: imported where used
    from .duplicates import Duplicate
    from .index import CredentialIndex

__all__ = [
    "AnchorPlan",
    "AnchorResult",
    "BATCH_SIZE",
    "CSV_COLUMNS",
    "CsvRow",
    "DEFAULT_JOURNAL_DIR",
    "BulkResult",
    "IssueResult",
    "IssuePlan",
    "IssuingContext",
    "Journal",
    "Progress",
    "Recipient",
    "build_issuer_template",
    "create_template",
    "anchor_bulk",
    "decode_csv",
    "issue_bulk",
    "issue_one",
    "issuer_profile",
    "journal_key",
    "load_template",
    "parse_date",
    "plan",
    "plan_anchor",
    "key_request",
    "signing_request",
    "SigningRequest",
    "signing_key_of",
    "ensure_signing_key_registered",
    "prepare",
    "read_csv",
    "read_csv_text",
    "review_csv",
    "review_csv_text",
    "end_of_day",
    "settle",
    "settle_in_flight",
]

#: Rows whose hash data is computed ahead at once (bounds what is held in memory).
HASH_WINDOW = 512
#: Token ids asked about per ``credentials(ids)`` call when resuming.
STATUS_CHUNK = 1000
CSV_COLUMNS = ("address", "expires", "evidence", "name")

_T = TypeVar("_T")


# --------------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """One credential to issue: the learner's wallet and the optional per-credential fields."""

    address: str
    expires: datetime | None = None
    evidence: tuple[str, ...] = ()
    name: str | None = None
    line: int | None = None  # line in the CSV file, for error messages

    def key(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "expires": int(self.expires.timestamp()) if self.expires else None,
            "evidence": list(self.evidence),
            "name": self.name,
        }


def end_of_day(day: date) -> datetime:
    """The last second of ``day`` in UTC: an expiry date names the last day a credential is
    valid, in a CSV, on the command line and in the web app's date picker alike.

    >>> end_of_day(date(2027, 6, 30)).isoformat()
    '2027-06-30T23:59:59+00:00'
    """
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)


def parse_date(text: str, *, what: str = "expiry date") -> datetime:
    """``YYYY-MM-DD`` -> the end of that day, 23:59:59 UTC (:func:`end_of_day`)."""
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise InputError(f"The {what} {text!r} is not a date like 2027-06-30.") from None
    return end_of_day(day)


def decode_csv(data: bytes) -> str:
    """The text of an uploaded or read CSV file: UTF-8, with or without a byte order mark.

    Anything else is an :class:`InputError` naming UTF-8 and where the first bad byte is:

    >>> decode_csv(b"\\xef\\xbb\\xbfaddress\\n")
    'address\\n'
    >>> decode_csv("address\\nJos\\xe9\\n".encode("latin-1"))
    Traceback (most recent call last):
    ...
    microcred.errors.InputError: The CSV file is not UTF-8 text: byte 0xe9 at offset 11 (line 2) \
is not UTF-8; save it as UTF-8 (CSV UTF-8) and try again.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            "The CSV file is UTF-16 text, not UTF-8: save it as UTF-8 (CSV UTF-8) and try again."
        )
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as err:
        offset = bom + err.start  # in the file, as a hex editor shows it
        line = data.count(b"\n", 0, offset) + 1
        raise InputError(
            f"The CSV file is not UTF-8 text: byte 0x{data[offset]:02x} at offset {offset} "
            f"(line {line}) is not UTF-8; save it as UTF-8 (CSV UTF-8) and try again."
        ) from None


def _delimiter(text: str) -> str:
    """``;`` when the header row has semicolons and no comma (spreadsheets save "CSV" that way
    where the comma is the decimal separator), else ``,``."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if ";" in header and "," not in header else ","


@dataclass(frozen=True)
class CsvRow:
    """One row of a recipients CSV as read: its line, its cells as written, and either the
    recipient it describes or the problem that stops it (never both)."""

    line: int
    cells: dict[str, str]
    recipient: Recipient | None
    problem: str | None = None


def _csv_text(source: str | Path | io.TextIOBase) -> str:
    if isinstance(source, str | Path):
        try:
            data = Path(source).read_bytes()
        except OSError as err:
            raise InputError(f"Cannot read the CSV file {source}: {err.strerror}.") from None
        return decode_csv(data)
    try:
        return str(source.read())
    except UnicodeDecodeError:
        raise InputError(
            "The CSV file is not UTF-8 text: save it as UTF-8 (CSV UTF-8) and try again."
        ) from None


def review_csv(source: str | Path | io.TextIOBase, *, now: int | None = None) -> list[CsvRow]:
    """Every row of a recipients CSV with its problem beside it (None for a good row): what a
    preview shows. Column ``address``, optionally ``expires``, ``evidence``, ``name``; comma- or
    semicolon-separated (told apart by the header row); an expiry is the end of its day (UTC).

    A file that cannot be read as a whole (not UTF-8, no ``address`` column, unknown columns,
    no rows) is an :class:`InputError`. A row is bad when a cell is (address and its checksum,
    date), when its expiry is not after ``now`` (the chain's time, when given), or when it
    repeats an earlier row exactly (the same credential twice). The same address on two lines
    with different cells is not a bad row: :mod:`microcred.duplicates` flags it.
    """
    text = _csv_text(source)
    reader = csv.DictReader(io.StringIO(text), delimiter=_delimiter(text))
    columns = [c.strip() for c in reader.fieldnames or []]
    if "address" not in columns:
        raise InputError("The CSV file needs a header row with an 'address' column.")
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    if unknown:
        raise InputError(
            f"The CSV file has unknown column(s) {', '.join(unknown)}: "
            f"use {', '.join(CSV_COLUMNS)}."
        )
    rows: list[CsvRow] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        cells = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        if not any(cells.values()):
            continue
        try:
            recipient = Recipient(
                address=checksum(cells.get("address", ""), what="address"),
                expires=parse_date(cells["expires"]) if cells.get("expires") else None,
                evidence=tuple(cells["evidence"].split()) if cells.get("evidence") else (),
                name=cells.get("name") or None,
                line=line,
            )
        except InputError as err:
            rows.append(CsvRow(line, cells, None, str(err)))
            continue
        if now is not None and recipient.expires and recipient.expires.timestamp() <= now:
            problem = f"the expiry {cells['expires']} is not in the future"
            rows.append(CsvRow(line, cells, None, problem))
            continue
        key = json.dumps(recipient.key(), sort_keys=True)
        if key in seen:
            problem = f"repeats line {seen[key]} (the same credential twice)"
            rows.append(CsvRow(line, cells, None, problem))
            continue
        seen[key] = line
        rows.append(CsvRow(line, cells, recipient))
    if not rows:
        raise InputError("The CSV file has no rows: nothing to issue.")
    return rows


def read_csv(source: str | Path | io.TextIOBase, *, now: int | None = None) -> list[Recipient]:
    """The recipients of a CSV (see :func:`review_csv`); every bad row is reported (with its
    line number) in one :class:`InputError`."""
    rows = review_csv(source, now=now)
    problems = [f"line {row.line}: {row.problem}" for row in rows if row.problem]
    if problems:
        raise InputError(
            f"{len(problems)} bad row(s) in the CSV file, nothing was sent: " + "; ".join(problems)
        )
    return [row.recipient for row in rows if row.recipient is not None]


def read_csv_text(text: str, *, now: int | None = None) -> list[Recipient]:
    """:func:`read_csv` of CSV text (an upload in the web app)."""
    return read_csv(io.StringIO(text), now=now)


def review_csv_text(text: str, *, now: int | None = None) -> list[CsvRow]:
    """:func:`review_csv` of CSV text (an upload in the web app)."""
    return review_csv(io.StringIO(text), now=now)


# --------------------------------------------------------------------------------------------------
# Who issues what
# --------------------------------------------------------------------------------------------------


def issuer_profile(chain: Chain, issuer_id: int) -> IssuerProfile:
    """The :class:`IssuerProfile` documents carry, from the registry's record of ``issuer_id``."""
    issuer = chain.issuer(issuer_id)
    url = issuer.profile_uri or None
    try:
        return IssuerProfile(
            issuer_id=issuer.id,
            name=issuer.name,
            chain_id=chain.chain_id,
            registry=chain.registry_address,
            url=url,
        )
    except DocumentError:
        # A profile URI that is not a URI (free text) stays out of documents.
        return IssuerProfile(
            issuer_id=issuer.id,
            name=issuer.name,
            chain_id=chain.chain_id,
            registry=chain.registry_address,
        )


def _address(signer: LocalAccount | str) -> str:
    return signer if isinstance(signer, str) else signer.address


def _active_issuer_of(chain: Chain, signer: LocalAccount | str) -> int:
    address = checksum(_address(signer), what="signer address")
    issuer_id, active = chain.issuer_of(address)
    if issuer_id == 0:
        raise InputError(f"The signer {address} is not a signer of any issuer.")
    if not active:
        raise InputError(f"The signer {address} signs for issuer {issuer_id}, which is suspended.")
    return issuer_id


@dataclass(frozen=True)
class IssuingContext:
    """Everything checked once before issuing: the signer's issuer and the template, and the
    Ed25519 key that signs the documents (derived from the signer's account; for a browser
    wallet, the page holds it and only its did is known here)."""

    chain: Chain
    store: Store
    signer: LocalAccount | str  # a key, or only an address when a browser wallet signs
    issuer: IssuerProfile
    template: TemplateDocument
    signing_key: CredentialSigner | None = None
    #: Signatures made in this run, by the digest of the unsigned document: a bulk run builds
    #: each document twice (to check every row, then to store it) and signs it once (96 bytes
    #: a row, not the document).
    signatures: dict[bytes, bytes] = field(default_factory=dict, compare=False, repr=False)
    #: Set while a browser page's signing request is gathered: (unsigned digest, hash data) of
    #: each document built, which then carries a placeholder proof (its token id means nothing).
    collected: list[tuple[bytes, bytes]] | None = field(default=None, compare=False, repr=False)


def prepare(
    chain: Chain, store: Store, signer: LocalAccount | str, template_id: int
) -> IssuingContext:
    """Check the signer (a key or an address) and the template; nothing is sent."""
    issuer_id = _active_issuer_of(chain, signer)
    record = chain.template(template_id)
    if not record.exists:
        raise InputError(
            f"No template 0x{template_id:064x} is published on chain {chain.chain_id}."
        )
    if record.status == "retired":
        raise InputError(f"The template 0x{template_id:064x} is retired: it awards nothing new.")
    if record.issuer_id != issuer_id:
        raise InputError(
            f"The template 0x{template_id:064x} belongs to issuer {record.issuer_id}, "
            f"not to issuer {issuer_id} the signer signs for."
        )
    cid = cid_of_token_id(template_id)
    try:
        template = load_template(store, template_id)
    except StorageError as err:
        raise InputError(f"The template document {cid} cannot be read: {err}") from None
    except DocumentError as err:
        raise InputError(f"The template document {cid} is not usable: {err}") from None
    return IssuingContext(
        chain=chain,
        store=store,
        signer=signer,
        issuer=issuer_profile(chain, issuer_id),
        template=template,
        signing_key=signing_key_of(chain, signer, issuer_id)
        if isinstance(signer, LocalAccount)
        else None,
    )


def signing_key_of(
    chain: Chain, account: LocalAccount, issuer_id: int, *, app_url: str | None = None
) -> Ed25519SigningKey:
    """The Ed25519 key ``account`` signs credentials of ``issuer_id`` with: derived from its
    signature of the key message for the app's origin (``MICROCRED_PUBLIC_URL``), exactly as
    the Issue page derives it in the browser (:mod:`microcred.vc.keyderivation`)."""
    return derive_signing_key_with_account(
        account,
        app_url=app_url or public_url(),
        chain_id=chain.chain_id,
        registry=chain.registry_address,
        issuer_id=issuer_id,
        generation=key_generation(),
    )


def ensure_signing_key_registered(ctx: IssuingContext) -> None:
    """Register the run's signing key for its issuer on chain, once (one transaction the first
    time a signer issues; nothing after): verifiers learn from the registry that the key speaks
    for the institution. A key this issuer revoked stops the run with a sentence; what other
    issuers registered does not matter (records are per issuer)."""
    key, signer = ctx.signing_key, ctx.signer
    if key is None or not isinstance(signer, LocalAccount):
        return  # a browser wallet registers its key from the page
    call = _register_call_if_needed(
        ctx,
        holder=f" of {signer.address}",
        advice=f"set {KEY_GENERATION_VARIABLE} to a new key generation (e.g. "
        f"{KEY_GENERATION_VARIABLE}={key_generation() + 1}) and issue again.",
    )
    if call is not None:
        ctx.chain.transact(
            call, signer, action="register the key that signs this institution's credentials"
        )


#: The environment variable naming the key generation (1 unless a key was revoked).
KEY_GENERATION_VARIABLE = "MICROCRED_KEY_GENERATION"


def key_generation() -> int:
    """The signing key's generation (``MICROCRED_KEY_GENERATION``, default 1): a new generation is
    a new key of the same account, for when one was exposed and revoked."""
    raw = os.environ.get(KEY_GENERATION_VARIABLE, "").strip() or "1"
    if not raw.isdigit() or int(raw) < 1:
        raise InputError(f"{KEY_GENERATION_VARIABLE}={raw!r} is not a whole number from 1.")
    return int(raw)


def public_url() -> str:
    """The app's public origin: ``MICROCRED_PUBLIC_URL``, else the local default."""
    return (os.environ.get("MICROCRED_PUBLIC_URL") or DEFAULT_PUBLIC_URL).rstrip("/")


def load_template(store: Store, template_id: int) -> TemplateDocument:
    """A published template's document, fetched by CID (its hash checked) and parsed."""
    return parse_template(store.get(cid_of_token_id(template_id)))


def build_issuer_template(
    chain: Chain,
    *,
    issuer_id: int,
    name: str,
    description: str,
    criteria: str,
    skills: Sequence[str] = (),
    evidence_required: str | None = None,
    valid_days: int | None = None,
    image: str | None = None,
) -> TemplateDocument:
    """The template document of an active issuer (not stored, not published: see
    :func:`create_template`, or publish its id from a browser wallet)."""
    issuer = chain.issuer(issuer_id)
    if not issuer.active:
        raise InputError(f"Issuer {issuer_id} is {issuer.status}: it cannot publish templates.")
    try:
        template = build_template(
            issuer=issuer_profile(chain, issuer_id),
            name=name,
            description=description,
            criteria=criteria,
            skills=tuple(skills),
            evidence_required=evidence_required,
            valid_days=valid_days,
            image=image,
        )
    except DocumentError as err:
        raise InputError(str(err)) from None
    if chain.template(template.template_id).exists:
        raise InputError(f"This template is published already as 0x{template.template_id:064x}.")
    return template


def create_template(
    chain: Chain,
    store: Store,
    signer: LocalAccount,
    *,
    name: str,
    description: str,
    criteria: str,
    skills: Sequence[str] = (),
    evidence_required: str | None = None,
    valid_days: int | None = None,
    image: str | None = None,
) -> TemplateDocument:
    """Build a template for the signer's issuer, store it, publish its id; returns the document."""
    template = build_issuer_template(
        chain,
        issuer_id=_active_issuer_of(chain, signer),
        name=name,
        description=description,
        criteria=criteria,
        skills=skills,
        evidence_required=evidence_required,
        valid_days=valid_days,
        image=image,
    )
    store.put(template.bytes)
    chain.publish_template(signer, template.template_id)
    return template


def _where(recipient: Recipient) -> str:
    return f"line {recipient.line}: " if recipient.line else ""


def _unsigned(
    ctx: IssuingContext, recipient: Recipient, valid_from: datetime, **extra: Any
) -> UnsignedCredential:
    """The document of ``recipient`` before its proof (``ctx`` has a signing key); raises
    :class:`InputError` naming the row, or :class:`DocumentError`."""
    assert ctx.signing_key is not None
    address, expires = _recipient_facts(recipient, valid_from)
    return prepare_credential(
        template=ctx.template,
        issuer=ctx.issuer,
        issuer_did=ctx.signing_key.did,
        recipient=address,
        valid_from=valid_from,
        valid_until=expires,
        evidence=recipient.evidence,
        recipient_name=recipient.name,
        **extra,
    )


def _recipient_facts(recipient: Recipient, valid_from: datetime) -> tuple[str, datetime | None]:
    """The row's checksummed address and its expiry (UTC), checked; raises :class:`InputError`."""
    where = _where(recipient)
    try:
        address = checksum(recipient.address, what="recipient address")
    except InputError as err:
        raise InputError(f"{where}{err}") from None
    expires = recipient.expires
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)  # naive times are read as UTC, like documents do
    if expires is not None and expires <= valid_from:
        when = expires.strftime("%Y-%m-%d %H:%M UTC")
        raise InputError(f"{where}the expiry {when} is not in the future")
    return address, expires


@dataclass(frozen=True)
class _Prepared:
    """A row's unsigned document, its digest, and its hash data when a worker computed it."""

    unsigned: UnsignedCredential
    digest: bytes
    hashed: bytes | None


def _build(
    ctx: IssuingContext,
    recipient: Recipient,
    valid_from: datetime,
    prepared: _Prepared | None = None,
    **extra: Any,
) -> CredentialDocument:
    """The row's document, signed (or the page's placeholder while ``ctx.collected``); from
    ``prepared`` (:func:`_hash_ahead`) when given, so nothing is built twice."""
    try:
        if ctx.signing_key is None:
            address, expires = _recipient_facts(recipient, valid_from)
            return build_credential(
                template=ctx.template,
                issuer=ctx.issuer,
                recipient=address,
                valid_from=valid_from,
                valid_until=expires,
                evidence=recipient.evidence,
                recipient_name=recipient.name,
                **extra,
            )
        if prepared is None:
            prepared = _prepare_row(ctx, recipient, valid_from, **extra)
        unsigned, digest = prepared.unsigned, prepared.digest
        signature = ctx.signatures.get(digest)
        if signature is not None:
            return unsigned.signed(signature, trusted=True)
        hashed = prepared.hashed or unsigned.hash_data
        if ctx.collected is not None:
            ctx.collected.append((digest, hashed))
            return unsigned.signed(bytes(64), trusted=True)
        signature = ctx.signing_key.sign(hashed)
        ctx.signatures[digest] = signature
        return unsigned.signed(signature, hashed=hashed)
    except DocumentError as err:
        raise InputError(f"{_where(recipient)}{err}") from None


def _prepare_row(
    ctx: IssuingContext, recipient: Recipient, valid_from: datetime, **extra: Any
) -> _Prepared:
    unsigned = _unsigned(ctx, recipient, valid_from, **extra)
    return _Prepared(unsigned, hashlib.sha256(canonical_bytes(unsigned.data)).digest(), None)


def _hash_ahead(
    ctx: IssuingContext, recipients: Sequence[Recipient], valid_from: datetime, pool: HashPool
) -> list[_Prepared | None]:
    """Each row's document prepared, with the hash data of those not signed yet computed by
    ``pool``'s workers (same bytes, on every core), for :func:`_build`. A row that cannot be
    built is ``None``: :func:`_build` builds it again and names what is wrong."""
    prepared: list[_Prepared | None] = []
    for recipient in recipients:
        try:
            prepared.append(_prepare_row(ctx, recipient, valid_from))
        except (InputError, DocumentError):
            prepared.append(None)
    unsigned = [p for p in prepared if p is not None and p.digest not in ctx.signatures]
    hashes = pool.hash_many([(p.unsigned.data, p.unsigned.options) for p in unsigned])
    done = {id(p): replace(p, hashed=h) for p, h in zip(unsigned, hashes, strict=True)}
    return [done.get(id(p), p) if p is not None else None for p in prepared]


def _expiry(doc: CredentialDocument) -> int:
    return int(doc.valid_until.timestamp()) if doc.valid_until else 0


def _check_expiry(doc: CredentialDocument, now: int, recipient: Recipient) -> str | None:
    expires_at = _expiry(doc)
    if expires_at and expires_at <= now:
        where = f"line {recipient.line}: " if recipient.line else ""
        when = doc.valid_until.strftime("%Y-%m-%d %H:%M UTC") if doc.valid_until else ""
        return f"{where}the expiry {when} is not in the future"
    return None


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:].rstrip(".") + "."


# --------------------------------------------------------------------------------------------------
# One credential
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueResult:
    token_id: int
    cid: str
    recipient: str
    tx_hash: str | None  # None when the credential was on chain already


def issue_one(
    chain: Chain,
    store: Store,
    signer: LocalAccount,
    *,
    template_id: int,
    recipient: str,
    expires: datetime | None = None,
    evidence: Sequence[str] = (),
    name: str | None = None,
    replaces: int | None = None,
) -> IssueResult:
    """Issue one credential (or re-issue ``replaces`` to a corrected document or a new wallet)."""
    who = Recipient(
        address=checksum(recipient, what="recipient address"),
        expires=expires,
        evidence=tuple(evidence),
        name=name,
    )
    ctx = prepare(chain, store, signer, template_id)
    if replaces is not None:
        old = chain.credential_status(replaces)
        if not old.exists:
            raise InputError(f"There is no credential 0x{replaces:064x} to replace.")
        if old.issuer_id != ctx.issuer.issuer_id:
            raise InputError(
                f"The credential 0x{replaces:064x} belongs to issuer {old.issuer_id}, "
                f"not to issuer {ctx.issuer.issuer_id}."
            )
        if old.replaced_by:
            raise InputError(
                f"The credential 0x{replaces:064x} was replaced already "
                f"by 0x{old.replaced_by:064x}."
            )
    now = chain.latest_timestamp()
    extra: dict[str, Any] = {}
    if replaces is not None:
        extra = {"replaces": replaces, "credential_id": _credential_id_of(store, replaces)}
    try:
        doc = _build(ctx, who, datetime.fromtimestamp(now, UTC), **extra)
    except InputError as err:
        raise InputError(_sentence(str(err))) from None
    problem = _check_expiry(doc, now, who)
    if problem:
        raise InputError(_sentence(problem))
    if chain.credential_status(doc.token_id).exists:
        raise InputError(f"The credential 0x{doc.token_id:064x} was issued already.")
    cid = store.put(doc.bytes)
    fn = chain.issue_call(who.address, doc.token_id, _expiry(doc), replaces or 0)
    ensure_signing_key_registered(ctx)
    receipt = chain.transact(fn, signer, action="issue the credential")
    return IssueResult(
        token_id=doc.token_id,
        cid=cid,
        recipient=who.address,
        tx_hash="0x" + bytes(receipt["transactionHash"]).hex(),
    )


def _credential_id_of(store: Store, token_id: int) -> str:
    """The Open Badges ``id`` of the credential ``token_id`` (its document read by CID, so its
    hash is checked): what its re-issue keeps, so that Open Badges hosts see a newer version of
    the same credential."""
    from .untrusted import DOCUMENT, parse_untrusted

    cid = cid_of_token_id(token_id)
    try:
        data = parse_untrusted(store.get(cid), DOCUMENT)
    except (StorageError, InputError) as err:
        raise InputError(
            f"The document of the credential 0x{token_id:064x} ({cid}) cannot be read, and its "
            f"re-issue keeps its id: {err}"
        ) from None
    credential_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(credential_id, str) or not credential_id.startswith("urn:uuid:"):
        raise InputError(f"The document {cid} has no urn:uuid id for its re-issue to keep.")
    return credential_id


# --------------------------------------------------------------------------------------------------
# The journal
# --------------------------------------------------------------------------------------------------


class Journal:
    """An append-only JSON-lines record of one bulk run; each line is fsynced before going on."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: list[dict[str, Any]] = []
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    self.entries.append(json.loads(line))
                except json.JSONDecodeError:
                    break  # a line cut short by a kill: everything before it is whole

    @property
    def header(self) -> dict[str, Any] | None:
        return self.entries[0] if self.entries and self.entries[0]["kind"] == "start" else None

    def append(self, entry: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n"
        with self.path.open("a", encoding="utf-8") as out:
            if self.path.stat().st_size and not self._ends_with_newline():
                out.write("\n")
            out.write(line)
            out.flush()
            os.fsync(out.fileno())
        self.entries.append(entry)

    def _ends_with_newline(self) -> bool:
        with self.path.open("rb") as f:
            f.seek(-1, os.SEEK_END)
            return f.read(1) == b"\n"

    def in_flight(self) -> list[dict[str, Any]]:
        """Transactions recorded as sent and not settled since ("confirmed", "replaced" by another
        with their nonce, or "dropped" by the node)."""
        settled = {e["tx"] for e in self.entries if e["kind"] in _SETTLED}
        return [e for e in self.entries if e["kind"] == "sent" and e["tx"] not in settled]


_SETTLED = ("confirmed", "replaced", "dropped")


def journal_key(
    chain: Chain,
    signer: str,
    template_id: int,
    recipients: Sequence[Recipient],
    *,
    duplicates: str = "issue",
) -> str:
    """The digest naming a run's journal: same chain, contract, signer, template, rows and
    duplicates policy ("issue", what runs did before duplicates were looked for, adds nothing:
    their journals still resume)."""
    material: dict[str, Any] = {
        "chainId": chain.chain_id,
        "credential": chain.deployment.credential.address,
        "signer": signer,
        "template": f"0x{template_id:064x}",
        "rows": [r.key() for r in recipients],
    }
    if duplicates != "issue":
        material["duplicates"] = duplicates
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def settle_in_flight(
    chain: Chain,
    signer: LocalAccount,
    journal: Journal,
    *,
    action: str,
    fees: FeePolicy | None = None,
) -> None:
    """Settle every transaction the journal has in flight (a killed run's), nonce by nonce, with
    :func:`settle`: mined, replaced if stuck, or found dropped. Nothing else is sent."""
    groups: dict[Any, list[dict[str, Any]]] = {}
    for entry in journal.in_flight():
        groups.setdefault(entry.get("nonce", entry["tx"]), []).append(entry)
    for entries in groups.values():
        settle(chain, signer, journal, entries, action=action, fees=fees)


def settle(
    chain: Chain,
    signer: LocalAccount,
    journal: Journal,
    entries: Sequence[dict[str, Any]],
    *,
    action: str,
    fees: FeePolicy | None = None,
    just_sent: bool = False,
) -> Any | None:
    """The receipt of whichever of ``entries`` (journaled "sent", all with one nonce) is mined;
    None if none is mined and the node knows none of them ("dropped": the nonce is free again).

    One still pending after ``fees.wait`` seconds is replaced: the same call, the same nonce, both
    fees raised (:func:`~microcred.replacement.sign_replacement`, capped), journaled as "sent"
    with ``"replaces"`` *before* it is broadcast, so a run killed at any point finds every
    candidate next time. The journal ends with the mined hash "confirmed" and the others
    "replaced". Only one transaction per nonce can be mined, so nothing is ever issued twice.

    A transaction this call (or, with ``just_sent``, its caller) has just broadcast may take a
    moment to show on a load-balanced node: it counts as dropped only after ``fees.wait``.
    """
    fees = fees or FeePolicy.from_env()
    hashes = [e["tx"] for e in entries]
    last = entries[-1]
    replacements = 0
    deadline = time.monotonic() + fees.wait
    while True:
        for tx_hash in hashes:
            receipt = chain.receipt_if_mined(tx_hash)
            if receipt is not None:
                for other in hashes:  # written first: a kill here leaves the mined one to find
                    if other != tx_hash:
                        journal.append({"kind": "replaced", "tx": other, "by": tx_hash})
                journal.append(
                    {
                        "kind": "confirmed",
                        "tx": tx_hash,
                        "status": int(receipt["status"]),
                        "block": int(receipt["blockNumber"]),
                    }
                )
                return receipt
        pending = [h for h in hashes if chain.is_pending(h)]
        waiting = time.monotonic() < deadline
        if not pending and not (waiting and (just_sent or replacements)):
            for tx_hash in hashes:
                journal.append({"kind": "dropped", "tx": tx_hash})
            return None
        if waiting:
            time.sleep(fees.poll)
            continue
        if replacements >= fees.replacements:
            raise ChainError(
                f"Transaction {pending[-1]} to {action} is not mined after {replacements} "
                f"fee-bumped replacement(s) ({fees.wait:g} s each): check it on the network, "
                "then run the command again (it raises the fee again, up to the cap)."
            )
        replacement = sign_replacement(chain, signer, pending[-1], fees)
        if replacement is None:  # it left the pool meanwhile (mined or dropped): look again
            continue
        tx, new_fees = replacement
        journal.append(
            {
                **{k: v for k, v in last.items() if k not in ("kind", "tx", "replaces")},
                "kind": "sent",
                "tx": tx.hash,
                "nonce": tx.nonce,
                "replaces": pending[-1],
                **new_fees,
            }
        )
        hashes.append(tx.hash)
        try:
            chain.broadcast(tx)
        except ChainError:
            if not any(chain.receipt_if_mined(h) is not None for h in hashes):
                raise
        replacements += 1
        deadline = time.monotonic() + fees.wait


# --------------------------------------------------------------------------------------------------
# Many credentials
# --------------------------------------------------------------------------------------------------


@dataclass
class BulkResult:
    """What a bulk run did: the token ids, which of them this run sent, and where the journal is."""

    token_ids: list[int]
    issued: list[int] = field(default_factory=list)  # sent by this run
    already: list[int] = field(default_factory=list)  # on chain before this run
    transactions: list[str] = field(default_factory=list)
    journal: Path | None = None
    #: The recipients issued to, aligned with ``token_ids``.
    recipients: list[Recipient] = field(default_factory=list)
    #: Rows left out as duplicates, and those rows' recipients (aligned).
    skipped: list[Duplicate] = field(default_factory=list)
    skipped_recipients: list[Recipient] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.token_ids)


def _skip_duplicates(
    ctx: IssuingContext,
    journal: Journal,
    recipients: Sequence[Recipient],
    policy: str,
    index: CredentialIndex | None = None,
) -> tuple[list[Recipient], list[Duplicate]]:
    """``(to issue, skipped)`` under ``policy``. The choice is pinned in the journal's first line:
    a run started again skips exactly what the first start skipped, even though the learners
    it issued to meanwhile now hold the template (they would look like duplicates)."""
    from .duplicates import Duplicate, find_duplicates, split_by_policy

    header = journal.header
    if header is not None:
        pinned = {int(e["row"]): e for e in header.get("skipped", [])}
        skipped = [
            Duplicate(
                index=row,
                address=str(e["address"]),
                kind=e["kind"],
                reason=str(e["reason"]),
                first_line=e.get("firstLine"),
                token_id=int(e["token"], 16) if e.get("token") else None,
            )
            for row, e in sorted(pinned.items())
        ]
        return [r for i, r in enumerate(recipients) if i not in pinned], skipped
    if policy == "issue":
        return list(recipients), []
    found = find_duplicates(
        ctx.chain,
        ctx.store,
        template_id=ctx.template.template_id,
        issuer_id=ctx.issuer.issuer_id,
        recipients=recipients,
        index=index,
    )
    return split_by_policy(recipients, found, "skip")


def _skipped_json(skipped: Sequence[Duplicate]) -> list[dict[str, Any]]:
    return [
        {
            "row": d.index,
            "address": d.address,
            "kind": d.kind,
            "reason": d.reason,
            "firstLine": d.first_line,
            "token": f"0x{d.token_id:064x}" if d.token_id is not None else None,
        }
        for d in skipped
    ]


def _validate_all(
    ctx: IssuingContext,
    recipients: Sequence[Recipient],
    *,
    valid_from: int,
    now: int,
    keep: Callable[[CredentialDocument], _T],
) -> list[_T]:
    """Build every document to check it, with every bad row reported at once
    (:class:`InputError`); what is kept of each is ``keep(doc)`` (a bulk run keeps the token id
    only, so its memory does not grow with ~12 KB documents). Documents still to sign have their
    hash data computed on every core first, a window of rows at a time
    (:mod:`microcred.vc.hash_pool`)."""
    kept: list[_T] = []
    problems: list[str] = []
    seen: dict[int, Recipient] = {}
    start = datetime.fromtimestamp(valid_from, UTC)
    unsigned = ctx.signing_key is not None and len(ctx.signatures) < len(recipients)
    with hash_pool(len(recipients) if unsigned else 0) as pool:
        for window in _chunks(recipients, HASH_WINDOW):
            ahead = _hash_ahead(ctx, window, start, pool) if pool else [None] * len(window)
            for recipient, prepared in zip(window, ahead, strict=True):
                try:
                    doc = _build(ctx, recipient, start, prepared)
                except InputError as err:
                    problems.append(str(err))
                    continue
                if problem := _check_expiry(doc, now, recipient):
                    problems.append(problem)
                elif doc.token_id in seen:
                    problems.append(
                        f"line {recipient.line}: the same credential as line "
                        f"{seen[doc.token_id].line}"
                    )
                seen[doc.token_id] = recipient
                kept.append(keep(doc))
    if problems:
        raise InputError(f"{len(problems)} bad row(s), nothing was sent: " + "; ".join(problems))
    return kept


def _stored(
    ctx: IssuingContext, recipient: Recipient, valid_from: datetime, token_id: int
) -> CredentialDocument:
    """The document of ``recipient`` built again (the same bytes: same inputs, same time), in
    the store."""
    doc = _build(ctx, recipient, valid_from)
    if doc.token_id != token_id:  # documents are deterministic; this would be a bug, not input
        raise DocumentError(f"The document of line {recipient.line} changed while issuing.")
    if not ctx.store.has(doc.cid):
        ctx.store.put(doc.bytes)
    return doc


def _minted_by(chain: Chain, token_ids: Sequence[int], issuer_id: int) -> set[int]:
    """The ids ``issuer_id`` minted already (a resumed run skips them). An id minted by another
    issuer is not work done: it could only be a copy made before this run's transaction was mined
    (SECURITY.md, "Same-second copies"), and the run stops with a sentence rather than report it
    as issued."""
    mine: set[int] = set()
    for chunk in _chunks(token_ids, STATUS_CHUNK):
        for status in chain.credentials(chunk):
            if not status.exists:
                continue
            if status.issuer_id != issuer_id:
                raise ChainError(
                    f"The credential 0x{status.token_id:064x} is on chain already, minted by "
                    f"issuer {status.issuer_id}, not by issuer {issuer_id}: its id leaked before "
                    "this run sent it. Re-issue that learner's credential with a corrected "
                    "document (a new id) and report the other issuer to the registrar."
                )
            mine.add(status.token_id)
    return mine


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _send_and_settle(
    chain: Chain,
    signer: LocalAccount,
    journal: Journal,
    tx: SentTransaction,
    facts: dict[str, Any],
    *,
    action: str,
    fees: FeePolicy | None,
) -> str:
    """Journal ``tx`` as sent (with ``facts``) before broadcasting it, then :func:`settle` it
    (replaced with higher fees if stuck); returns the hash that was mined. Dropped or reverted:
    :class:`ChainError`."""
    entry = {"kind": "sent", "tx": tx.hash, "nonce": tx.nonce, **facts}
    journal.append(entry)
    chain.broadcast(tx)
    receipt = settle(chain, signer, journal, [entry], action=action, fees=fees, just_sent=True)
    if receipt is None:
        raise ChainError(
            f"Transaction {tx.hash} to {action} was dropped by the node: run the command again."
        )
    mined = "0x" + bytes(receipt["transactionHash"]).hex()
    if receipt["status"] != 1:
        raise ChainError(f"Transaction {mined} to {action} reverted on chain.")
    return mined


def issue_bulk(
    chain: Chain,
    store: Store,
    signer: LocalAccount,
    *,
    template_id: int,
    recipients: Sequence[Recipient],
    journal_dir: Path = DEFAULT_JOURNAL_DIR,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    after_batch: Callable[[int, str], None] | None = None,
    fees: FeePolicy | None = None,
    duplicates: str = "issue",
    index: CredentialIndex | None = None,
) -> BulkResult:
    """Issue one credential per recipient, in batches, resumably (see the module docstring).

    ``duplicates`` decides about a learner named on an earlier row or already holding a valid
    credential of the template (:mod:`microcred.duplicates`, found through ``index``, a throwaway
    one if not given): ``"skip"`` leaves those rows out (``result.skipped``); ``"issue"`` issues
    every row, as asked. The library does what it is
    told; the CLI and the web app choose, and choose ``"skip"`` unless told otherwise.

    Every row is checked (its document built and discarded) before anything is sent; then each
    batch's documents are built again, stored and sent, so memory holds one batch, not the file.
    A batch still pending after ``fees.wait`` seconds is replaced with higher fees (:func:`settle`;
    default: :meth:`FeePolicy.from_env`). ``after_batch(number, tx_hash)`` runs after each
    confirmed batch (tests interrupt runs with it).
    """
    if not recipients:
        raise InputError("Nothing to issue: no recipients.")
    if not 0 < batch_size <= BATCH_SIZE:
        raise InputError(f"The batch size must be between 1 and {BATCH_SIZE}.")
    progress = progress or Progress()
    fees = fees or FeePolicy.from_env()
    ctx = prepare(chain, store, signer, template_id)
    key = journal_key(chain, signer.address, template_id, recipients, duplicates=duplicates)
    journal = Journal(Path(journal_dir) / f"{key}.jsonl")
    header = journal.header
    now = chain.latest_timestamp()
    valid_from = now if header is None else int(header["validFrom"])
    everyone = recipients
    recipients, skipped = _skip_duplicates(ctx, journal, everyone, duplicates, index)

    token_ids = _validate_all(
        ctx, recipients, valid_from=valid_from, now=now, keep=lambda doc: doc.token_id
    )
    if header is None:
        journal.append(
            {
                "kind": "start",
                "validFrom": valid_from,
                "rows": len(everyone),
                "template": f"0x{template_id:064x}",
                "skipped": _skipped_json(skipped),
            }
        )
    result = BulkResult(
        token_ids=token_ids,
        journal=journal.path,
        recipients=list(recipients),
        skipped=skipped,
        skipped_recipients=[everyone[d.index] for d in skipped],
    )

    # Transactions a killed run sent: wait for them, replace them if stuck, or learn they are gone.
    settle_in_flight(
        chain, signer, journal, action="finish a batch sent by an earlier run", fees=fees
    )
    ensure_signing_key_registered(ctx)

    # The chain says what is issued already: ids are content digests.
    issued_before = _minted_by(chain, result.token_ids, ctx.issuer.issuer_id)
    result.already = [t for t in result.token_ids if t in issued_before]
    rows = list(zip(recipients, token_ids, strict=True))
    begin = datetime.fromtimestamp(valid_from, UTC)

    # Documents of credentials issued before are stored too (a new store, a lost copy).
    progress.start("store", len(result.already))
    for recipient, token_id in rows:
        if token_id in issued_before:
            _stored(ctx, recipient, begin, token_id)
            progress.advance()

    progress.start("issue", len(rows))
    progress.advance(len(result.already))
    todo = [(r, t) for r, t in rows if t not in issued_before]
    nonce = int(chain.w3.eth.get_transaction_count(signer.address, "pending"))
    for number, batch in enumerate(_chunks(todo, batch_size), start=1):
        docs = [_stored(ctx, recipient, begin, token_id) for recipient, token_id in batch]
        ids = [d.token_id for d in docs]
        action = f"issue batch {number}"
        fn = chain.issue_batch_call([d.recipient for d in docs], ids, [_expiry(d) for d in docs])
        del docs  # only the call is needed now
        tx = chain.prepare(fn, signer, action=action, nonce=nonce)
        mined = _send_and_settle(
            chain, signer, journal, tx, {"tokens": [f"0x{i:064x}" for i in ids]},
            action=action, fees=fees,
        )  # fmt: skip
        nonce += 1
        result.issued.extend(ids)
        result.transactions.append(mined)
        progress.advance(len(batch))
        if after_batch is not None:
            after_batch(number, mined)
    journal.append({"kind": "done", "issued": len(result.issued), "already": len(result.already)})
    return result


@dataclass(frozen=True)
class IssuePlan:
    """Credentials ready to issue from a browser wallet: documents stored, calls built."""

    token_ids: list[int]
    already: list[int]  # on chain already: nothing to send for them
    calls: list[Any]  # issueBatch calls (web3 contract functions), BATCH_SIZE credentials each
    #: ``registerAssertionKey`` of the page's signing key, to send first; None once registered.
    register_call: Any | None = None


@dataclass(frozen=True)
class SigningRequest:
    """What a browser page signs before a plan: the 64-byte hash data of each row's document
    (:attr:`hashes`), for the page's Ed25519 key (``issuer_did``); the key never leaves the
    page. The server keeps this request (it is what the signatures are checked against) and
    hands :func:`plan` or :func:`plan_anchor` the signatures, in the same order."""

    signer: str
    issuer_did: str
    template_id: int
    valid_from: int
    digests: tuple[bytes, ...]  # sha256 of each row's unsigned document
    hashes: tuple[bytes, ...]  # what the page signs, one per row

    @property
    def hashes_hex(self) -> list[str]:
        return [h.hex() for h in self.hashes]


def signing_request(
    chain: Chain,
    store: Store,
    *,
    signer: str,
    issuer_did: str,
    template_id: int,
    recipients: Sequence[Recipient],
) -> SigningRequest:
    """Every row validated (all bad rows named at once, nothing stored) and the hash data the
    page's key ``issuer_did`` signs, one per row; see :func:`key_request` for the key."""
    if not recipients:
        raise InputError("Nothing to issue: no recipients.")
    try:
        public_key_of(issuer_did)
    except ValueError as err:
        raise InputError(f"{issuer_did!r} is not the did:key of an Ed25519 key: {err}.") from None
    ctx = prepare(chain, store, signer, template_id)
    now = chain.latest_timestamp()
    collecting = replace(ctx, signing_key=_PageKey(issuer_did), collected=[])
    _validate_all(collecting, recipients, valid_from=now, now=now, keep=lambda d: None)
    assert collecting.collected is not None
    return SigningRequest(
        signer=checksum(signer, what="signer address"),
        issuer_did=issuer_did,
        template_id=template_id,
        valid_from=now,
        digests=tuple(d for d, _ in collecting.collected),
        hashes=tuple(h for _, h in collecting.collected),
    )


def key_request(chain: Chain, signer: str, *, app_url: str | None = None) -> SigningKeyRequest:
    """The key message a browser wallet signs (EIP-191) for the page to derive the signer's
    Ed25519 key, exactly as the CLI does (:func:`signing_key_of`)."""
    issuer_id = _active_issuer_of(chain, signer)
    return SigningKeyRequest(
        app_url=app_url or public_url(),
        address=checksum(signer, what="signer address"),
        chain_id=chain.chain_id,
        registry=chain.registry_address,
        issuer_id=issuer_id,
        generation=key_generation(),
    )


@dataclass(frozen=True)
class _PageKey:
    """The page's key as the server knows it: its did, and the signatures it sent."""

    did: str

    def sign(self, message: bytes) -> bytes:
        raise InputError(
            "A row changed after the page signed the documents (or was never signed): sign again."
        )


def _signed_context(
    ctx: IssuingContext, signing: SigningRequest, signatures: Sequence[bytes]
) -> IssuingContext:
    """``ctx`` whose documents carry the page's signatures, each checked against the hash data
    of the request first (the server computed those; a signature by another key, or of other
    bytes, is refused before anything is stored)."""
    if ctx.signer != signing.signer or ctx.template.template_id != signing.template_id:
        raise InputError("These signatures were made for another signer or template: sign again.")
    if len(signatures) != len(signing.hashes):
        raise InputError(
            f"The page sent {len(signatures)} signature(s) for {len(signing.hashes)} document(s): "
            "sign again."
        )
    public_key = public_key_of(signing.issuer_did)
    for number, (signature, hashed) in enumerate(zip(signatures, signing.hashes, strict=True), 1):
        if len(signature) != 64 or not verify_ed25519(public_key, signature, hashed):
            raise InputError(
                f"Signature {number} is not {signing.issuer_did}'s over document {number}: "
                "nothing was stored; sign again."
            )
    return replace(
        ctx,
        signing_key=_PageKey(signing.issuer_did),
        signatures=dict(zip(signing.digests, signatures, strict=True)),
    )


def _register_call_if_needed(
    ctx: IssuingContext,
    *,
    holder: str = "",
    advice: str = (
        f"the institution's operator sets {KEY_GENERATION_VARIABLE} to a new key generation."
    ),
) -> Any | None:
    """``registerAssertionKey`` of the run's key, if the registry does not have it for this
    issuer yet; an :class:`InputError` (``advice`` saying what to do) if this issuer revoked it."""
    assert ctx.signing_key is not None
    public_key = public_key_of(ctx.signing_key.did)
    pair = (ctx.issuer.issuer_id, public_key)
    record = ctx.chain.assertion_keys([pair])[pair]
    if not record.registered:
        return ctx.chain.register_assertion_key_call(public_key)
    if record.revoked:
        raise InputError(
            f"The signing key {ctx.signing_key.did}{holder} was revoked on chain: {advice}"
        )
    return None


def plan(
    chain: Chain,
    store: Store,
    *,
    signer: str,
    template_id: int,
    recipients: Sequence[Recipient],
    signing: SigningRequest,
    signatures: Sequence[bytes],
    batch_size: int = BATCH_SIZE,
) -> IssuePlan:
    """Validate everything and store the documents for ``signer`` (an address whose wallet will
    sign), signed by the page (``signatures`` of ``signing``'s hash data, see
    :func:`signing_request`); returns the calls to send. Sending them twice cannot double-issue:
    ids are digests."""
    if not recipients:
        raise InputError("Nothing to issue: no recipients.")
    ctx = _signed_context(prepare(chain, store, signer, template_id), signing, signatures)
    now = signing.valid_from
    # Like issue_bulk: every row checked first, then one document at a time built again and
    # stored, so memory holds the calls' arguments, not the documents.
    facts = _validate_all(
        ctx,
        recipients,
        valid_from=now,
        now=now,
        keep=lambda d: (d.recipient, d.token_id, _expiry(d)),
    )
    start = datetime.fromtimestamp(now, UTC)
    for recipient, (_, token_id, _) in zip(recipients, facts, strict=True):
        _stored(ctx, recipient, start, token_id)
    ids = [token_id for _, token_id, _ in facts]
    issued = _minted_by(chain, ids, ctx.issuer.issuer_id)
    todo = [f for f in facts if f[1] not in issued]
    calls = [
        chain.issue_batch_call([f[0] for f in batch], [f[1] for f in batch], [f[2] for f in batch])
        for batch in _chunks(todo, batch_size)
    ]
    return IssuePlan(
        token_ids=ids,
        already=[t for t in ids if t in issued],
        calls=calls,
        register_call=_register_call_if_needed(ctx) if calls else None,
    )


# --------------------------------------------------------------------------------------------------
# Anchored batches: one transaction for the whole cohort
# --------------------------------------------------------------------------------------------------


@dataclass
class AnchorResult:
    """What an anchored batch is: its root, its credentials, where the proofs and manifest are."""

    root: bytes
    token_ids: list[int]
    manifest: str  # CID of the batch manifest
    proofs_dir: Path  # one <tokenId>.json per credential
    tx_hash: str | None  # None when the root was anchored by an earlier run
    journal: Path | None = None
    #: The recipients anchored, aligned with ``token_ids``; rows skipped as duplicates.
    recipients: list[Recipient] = field(default_factory=list)
    skipped: list[Duplicate] = field(default_factory=list)
    skipped_recipients: list[Recipient] = field(default_factory=list)

    @property
    def root_hex(self) -> str:
        return "0x" + self.root.hex()

    @property
    def total(self) -> int:
        return len(self.token_ids)


def _batch(
    ctx: IssuingContext, recipients: Sequence[Recipient], *, valid_from: int, now: int
) -> tuple[list[Leaf], MerkleTree]:
    """Every row validated like a bulk issue; the leaves (one per row, in order) and their tree.
    Documents are not kept: :func:`_store_batch` builds them again, one at a time."""
    if len(recipients) >= 2**32:
        raise InputError("An anchored batch holds fewer than 2**32 credentials.")
    leaves = _validate_all(
        ctx,
        recipients,
        valid_from=valid_from,
        now=now,
        keep=lambda d: Leaf(d.recipient, d.token_id, _expiry(d)),
    )
    return leaves, MerkleTree(leaves)


def _store_batch(
    ctx: IssuingContext,
    template_id: int,
    recipients: Sequence[Recipient],
    leaves: Sequence[Leaf],
    tree: MerkleTree,
    *,
    valid_from: int,
    proofs_dir: Path,
    progress: Progress,
) -> AnchorResult:
    """Refuse ids on chain already, store documents and manifest, write the proof files."""
    chain, store, issuer_id = ctx.chain, ctx.store, ctx.issuer.issuer_id
    anchored = chain.anchor_of(tree.root)
    if anchored.exists and anchored.issuer_id != issuer_id:
        raise ChainError(f"The root {tree.root_hex} was anchored by issuer {anchored.issuer_id}.")
    if not anchored.exists:
        # An id on chain already (issued directly, or revoked) could never be claimed from it.
        on_chain = []
        for chunk in _chunks([leaf.token_id for leaf in leaves], STATUS_CHUNK):
            on_chain += [s.token_id for s in chain.credentials(chunk) if s.exists or s.revoked]
        if on_chain:
            raise InputError(
                f"{len(on_chain)} of these credentials are on chain already "
                f"(e.g. 0x{on_chain[0]:064x}): issue the others, nothing was sent."
            )
    progress.start("store", len(leaves))
    begin = datetime.fromtimestamp(valid_from, UTC)
    for recipient, leaf in zip(recipients, leaves, strict=True):
        _stored(ctx, recipient, begin, leaf.token_id)
        progress.advance()
    manifest = store_manifest(
        store, tree=tree, leaves=leaves, chain=chain, issuer_id=issuer_id, template_id=template_id
    )
    folder = write_proofs(
        Path(proofs_dir),
        [
            AnchoredCredential(
                chain_id=chain.chain_id,
                credential=chain.deployment.credential.address,
                issuer_id=issuer_id,
                root=tree.root,
                recipient=leaf.recipient,
                token_id=leaf.token_id,
                expires_at=leaf.expires_at,
                proof=tuple(tree.proof(leaf)),
                manifest=manifest,
            )
            for leaf in leaves
        ],
    )
    return AnchorResult(
        root=tree.root,
        token_ids=[leaf.token_id for leaf in leaves],
        manifest=manifest,
        proofs_dir=folder,
        tx_hash=None,
    )


def anchor_bulk(
    chain: Chain,
    store: Store,
    signer: LocalAccount,
    *,
    template_id: int,
    recipients: Sequence[Recipient],
    journal_dir: Path = DEFAULT_JOURNAL_DIR,
    proofs_dir: Path = DEFAULT_PROOFS_DIR,
    progress: Progress | None = None,
    fees: FeePolicy | None = None,
    duplicates: str = "issue",
    index: CredentialIndex | None = None,
) -> AnchorResult:
    """Issue a whole cohort in one ``anchor`` transaction, resumably; duplicates are skipped or
    issued anyway as in :func:`issue_bulk`.

    Validates exactly like :func:`issue_bulk`, builds and stores every document, builds the Merkle
    tree over ``(recipient, tokenId, expiresAt)``, stores the batch manifest, writes one proof file
    per credential, then anchors the root. The journal pins the issue time, so a run started again
    rebuilds the same documents, hence the same root: the chain (``anchorOf(root)``) says whether
    the anchor is done, and a transaction still in flight is awaited rather than sent twice. A
    stuck anchor is replaced with higher fees (:func:`settle`).
    """
    if not recipients:
        raise InputError("Nothing to issue: no recipients.")
    progress = progress or Progress()
    ctx = prepare(chain, store, signer, template_id)
    key = journal_key(chain, signer.address, template_id, recipients, duplicates=duplicates)
    journal = Journal(Path(journal_dir) / f"anchor-{key}.jsonl")
    header = journal.header
    now = chain.latest_timestamp()
    valid_from = now if header is None else int(header["validFrom"])
    everyone = recipients
    recipients, skipped = _skip_duplicates(ctx, journal, everyone, duplicates, index)
    if not recipients:
        raise InputError(
            f"All {len(everyone)} row(s) are duplicates ({skipped[0].reason}, ...): nothing to "
            "anchor. Issue them anyway with the duplicates choice 'issue'."
        )
    leaves, tree = _batch(ctx, recipients, valid_from=valid_from, now=now)
    if header is None:
        journal.append(
            {
                "kind": "start",
                "validFrom": valid_from,
                "rows": len(everyone),
                "template": f"0x{template_id:064x}",
                "root": tree.root_hex,
                "skipped": _skipped_json(skipped),
            }
        )
    result = _store_batch(
        ctx,
        template_id,
        recipients,
        leaves,
        tree,
        valid_from=valid_from,
        proofs_dir=proofs_dir,
        progress=progress,
    )
    result.journal = journal.path
    result.recipients = list(recipients)
    result.skipped = skipped
    result.skipped_recipients = [everyone[d.index] for d in skipped]

    progress.start("anchor", 1)
    settle_in_flight(
        chain, signer, journal, action="finish the anchor sent by an earlier run", fees=fees
    )
    ensure_signing_key_registered(ctx)
    if not chain.anchor_of(tree.root).exists:
        action = "anchor the batch"
        tx = chain.prepare(
            chain.anchor_call(tree.root, len(leaves), result.manifest), signer, action=action
        )
        result.tx_hash = _send_and_settle(
            chain, signer, journal, tx, {"root": tree.root_hex}, action=action, fees=fees
        )
    progress.advance()
    journal.append({"kind": "done", "root": tree.root_hex, "manifest": result.manifest})
    return result


@dataclass(frozen=True)
class AnchorPlan:
    """An anchored batch ready for a browser wallet: documents, manifest and proofs stored, the
    ``anchor`` call built (None if the root is anchored already)."""

    batch: AnchorResult
    call: Any | None
    #: ``registerAssertionKey`` of the page's signing key, to send first; None once registered.
    register_call: Any | None = None


def plan_anchor(
    chain: Chain,
    store: Store,
    *,
    signer: str,
    template_id: int,
    recipients: Sequence[Recipient],
    signing: SigningRequest,
    signatures: Sequence[bytes],
    proofs_dir: Path = DEFAULT_PROOFS_DIR,
) -> AnchorPlan:
    """:func:`anchor_bulk` for ``signer`` (an address whose wallet will sign), the documents
    signed by the page (``signatures`` of ``signing``'s hash data): everything but the
    transaction, whose call is returned (``chain.unsigned(plan.call)`` for the wallet)."""
    if not recipients:
        raise InputError("Nothing to issue: no recipients.")
    ctx = _signed_context(prepare(chain, store, signer, template_id), signing, signatures)
    now = signing.valid_from
    leaves, tree = _batch(ctx, recipients, valid_from=now, now=now)
    batch = _store_batch(
        ctx,
        template_id,
        recipients,
        leaves,
        tree,
        valid_from=now,
        proofs_dir=proofs_dir,
        progress=Progress(),
    )
    call = (
        None
        if chain.anchor_of(tree.root).exists
        else chain.anchor_call(tree.root, len(leaves), batch.manifest)
    )
    return AnchorPlan(
        batch=batch,
        call=call,
        register_call=_register_call_if_needed(ctx) if call is not None else None,
    )
