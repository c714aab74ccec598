"""Credential and template documents: build them, serialise them canonically, parse them back.

A **credential document** is one JSON object that is at once an Open Badges 3.0
``OpenBadgeCredential`` (a W3C Verifiable Credential 2.0, signed with an embedded
``DataIntegrityProof``, cryptosuite ``eddsa-rdfc-2022``) and ERC-721 metadata (``name``,
``description``, ``attributes``; ``image`` is the Open Badges Image object, since where the two
disagree Open Badges wins). Its canonical bytes, proof included, are what the token id hashes, so
they are produced by one function, :func:`canonical_bytes`, and nothing else.

The chain facts a verifier compares (chain id, registry address, issuer id, template id, the token a
credential replaces) sit in one extension object, ``"microcred"``; the ERC-721 ``attributes``
repeat a few of them for wallets to display. Both are defined by an inline JSON-LD context
(:data:`MICROCRED_CONTEXT`), so that standard verifiers see them and the proof covers them. The
token id itself cannot be inside: it is the document's hash.

**Signing.** The issuer of a signed credential is the did:key of the Ed25519 key that signed it
(its verification method resolves offline, as Open Badges verifiers need); which institution that
key speaks for is recorded on chain (:mod:`microcred.assertion_keys`). The proof's ``created`` is
the credential's ``validFrom``, and Ed25519 signatures are deterministic, so the same facts and
the same key always give the same bytes: a resumed run rebuilds the same token ids.
:func:`build_credential` signs with a key in this process; :func:`prepare_credential` gives the
64 bytes to sign (:attr:`UnsignedCredential.hash_data`) to whoever holds the key, a browser page,
and :meth:`UnsignedCredential.signed` attaches its signature.

**Re-issue.** A corrected credential keeps the Open Badges ``id`` of the one it replaces, with a
later ``validFrom``: what Open Badges hosts take for a newer version of the same credential.

A **template document** (what an issuer recognises: name, criteria, skills) is an Open Badges
``Achievement`` with its ``creator`` Profile; credentials point at it by ``ipfs://`` URI.

No personal data by default: documents are public forever. The learner's name is added only when
``recipient_name`` is given, as an Open Badges ``IdentityObject`` of ``identityType`` "name".

Parsing is strict: a document parses only if rebuilding it from the facts it states gives exactly
its bytes, so whatever :func:`parse_credential` accepts is a document :func:`build_credential` could
have written, and its fields cannot disagree with one another.

>>> issuer = IssuerProfile(issuer_id=1, name="Example University", chain_id=31337,
...                        registry="0x5FbDB2315678afecb367f032d93F642f64180aa3")
>>> template = build_template(issuer=issuer, name="Solidity basics",
...                           description="Writes and tests a simple contract.",
...                           criteria="Passed the final assessment.", skills=["Solidity"])
>>> credential = build_credential(template=template, issuer=issuer,
...     recipient="0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
...     valid_from=datetime(2026, 1, 1, tzinfo=UTC))
>>> credential.recipient
'0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
>>> parse_credential(credential.bytes) == credential
True
>>> canonical_bytes({"b": 1, "a": "é"})
b'{"a":"\\xc3\\xa9","b":1}'
"""

from __future__ import annotations

import builtins
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from eth_utils import is_address, is_checksum_address, to_checksum_address
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .cid import MAX_BLOCK_SIZE, cid_of, cid_of_token_id, digest_of_cid, token_id_of
from .errors import DocumentError
from .untrusted import DOCUMENT, parse_untrusted
from .vc.dataintegrity import CRYPTOSUITE, PROOF_PURPOSE, PROOF_TYPE, hash_data, with_proof
from .vc.didkey import public_key_of, verification_method_of, verify_ed25519

__all__ = [
    "MAX_DOCUMENT_SIZE",
    "OB_CONTEXT",
    "VC_CONTEXT",
    "MICROCRED_CONTEXT",
    "CredentialDocument",
    "CredentialSigner",
    "IssuerProfile",
    "TemplateDocument",
    "UnsignedCredential",
    "build_credential",
    "build_template",
    "canonical_bytes",
    "issuer_uri",
    "parse_credential",
    "parse_template",
    "prepare_credential",
    "recipient_did",
]

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
#: microcred's vocabulary: an IRI that names its terms (never fetched: they are defined inline).
MICROCRED_VOCAB = "https://w3id.org/microcred#"
#: The inline context of microcred's two extensions (VC 2.0 allows context objects after the base
#: contexts; Open Badges 3.0 requires an extension to bring its context): every property inside
#: ``microcred`` and ``attributes`` is a term of :data:`MICROCRED_VOCAB`, so JSON-LD keeps them,
#: a verifier sees them and the proof covers them.
MICROCRED_CONTEXT: dict[str, Any] = {
    "microcred": {"@id": f"{MICROCRED_VOCAB}extension", "@context": {"@vocab": MICROCRED_VOCAB}},
    "attributes": {
        "@id": f"{MICROCRED_VOCAB}attributes",
        "@context": {"@vocab": MICROCRED_VOCAB},
    },
}
CONTEXTS: list[Any] = [VC_CONTEXT, OB_CONTEXT, MICROCRED_CONTEXT]

#: One IPFS block: every IPFS implementation then gives the document the same CID.
MAX_DOCUMENT_SIZE = MAX_BLOCK_SIZE

#: Version of microcred's own extension object. 2: signed Open Badges 3.0 documents with an inline
#: context (documents of version 1, unsigned, are not read any more: reset a demo to renew them).
FORMAT_VERSION = 2

#: Namespace of the name-based UUIDs that serve as document ids. Fixed for ever: changing it
#: would change every document's bytes.
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:microcred")

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
_DID_PKH = re.compile(r"^did:pkh:eip155:(\d+):(0x[0-9a-fA-F]{40})$")
_TOKEN_HEX = re.compile(r"^0x[0-9a-f]{64}$")
_URN_UUID = re.compile(r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_MULTIBASE = re.compile(r"^z[1-9A-HJ-NP-Za-km-z]{80,90}$")


# --------------------------------------------------------------------------------------------------
# Canonical bytes
# --------------------------------------------------------------------------------------------------


def canonical_bytes(obj: Any) -> bytes:
    """The one serialisation used for digests: sorted keys, UTF-8, no insignificant whitespace.

    For microcred documents (string keys, no floats) it is the same as RFC 8785 (JCS) output.
    Floats are refused: their text differs between languages, and so would the digest.

    >>> canonical_bytes({"z": [1, "two"], "a": None})
    b'{"a":null,"z":[1,"two"]}'
    """
    _refuse_floats(obj)
    try:
        text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return text.encode("utf-8")
    except (TypeError, ValueError) as err:
        raise DocumentError(f"The document cannot be serialised as JSON: {err}.") from None
    except UnicodeEncodeError:
        raise DocumentError(
            "The document holds text that is not valid Unicode (a lone surrogate); fix the text."
        ) from None


_SCALARS = frozenset({str, int, bool, type(None)})


def _refuse_floats(obj: Any) -> None:
    # Called on every document built or read (~100 values each): exact types first, since an
    # isinstance check against the Mapping ABC costs several times a type lookup.
    kind = type(obj)
    if kind in _SCALARS:
        return
    if kind is dict or (kind is not float and isinstance(obj, Mapping)):
        for key, value in obj.items():
            if type(key) is not str:
                raise DocumentError(f"Document keys are strings, not {key!r}.")
            if type(value) not in _SCALARS:
                _refuse_floats(value)
    elif kind is list or kind is tuple:
        for item in obj:
            if type(item) not in _SCALARS:
                _refuse_floats(item)
    elif isinstance(obj, float):
        raise DocumentError(f"Documents hold no fractional numbers ({obj!r}); use a string.")
    elif isinstance(obj, list | tuple):
        for item in obj:
            _refuse_floats(item)


def _load_canonical(data: bytes, kind: str) -> dict[str, Any]:
    """Bytes -> JSON object, refusing anything that is not exactly its own canonical form."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise DocumentError(f"A {kind} document is bytes, not {type(data).__name__}.")
    data = bytes(data)
    if len(data) > MAX_DOCUMENT_SIZE:
        raise DocumentError(
            f"The {kind} document is {len(data)} bytes, more than the {MAX_DOCUMENT_SIZE} bytes "
            "(256 KiB) of one IPFS block."
        )
    # Documents come from anyone's store: depth-checked before json.loads recurses into them.
    obj = parse_untrusted(data, _KINDS[kind])
    if not isinstance(obj, dict):
        raise DocumentError(f"A {kind} document is a JSON object, not {type(obj).__name__}.")
    try:
        canonical = canonical_bytes(obj)
    except DocumentError as err:
        raise DocumentError(f"The {kind} document is not canonical: {err}") from None
    if canonical != data:
        raise DocumentError(
            f"The {kind} document is not in canonical form (sorted keys, no whitespace, UTF-8); "
            "microcred documents are hashed exactly as written, so it cannot be one."
        )
    return obj


_KINDS = {kind: replace(DOCUMENT, name=f"{kind} document") for kind in ("credential", "template")}


def _finish(data: dict[str, Any], kind: str) -> bytes:
    raw = canonical_bytes(data)
    if len(raw) > MAX_DOCUMENT_SIZE:
        raise DocumentError(
            f"The {kind} document would be {len(raw)} bytes, more than the {MAX_DOCUMENT_SIZE} "
            "bytes (256 KiB) of one IPFS block; shorten the text or move large content to its own "
            "IPFS object referenced by URI."
        )
    return raw


# --------------------------------------------------------------------------------------------------
# Small shared pieces
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuerProfile:
    """An issuer as the registry knows it: its id, name, and the chain and registry it lives on."""

    issuer_id: int
    name: str
    chain_id: int
    registry: str
    url: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.issuer_id, int) or not 0 < self.issuer_id < 2**32:
            raise DocumentError(f"Issuer id {self.issuer_id!r} is not a positive uint32.")
        if not isinstance(self.chain_id, int) or self.chain_id <= 0:
            raise DocumentError(f"Chain id {self.chain_id!r} is not a positive integer.")
        _text("issuer name", self.name)
        if not isinstance(self.registry, str) or not is_address(self.registry):
            raise DocumentError(f"Registry address {self.registry!r} is not an address.")
        if not is_checksum_address(self.registry):
            object.__setattr__(self, "registry", to_checksum_address(self.registry))
        if self.url is not None:
            _uri("issuer url", self.url)

    @property
    def uri(self) -> str:
        """The issuer's id in documents (see :func:`issuer_uri`)."""
        return issuer_uri(self.chain_id, self.registry, self.issuer_id)


def issuer_uri(chain_id: int, registry: str, issuer_id: int) -> str:
    """An issuer's id in documents: chain, registry and registry id, unambiguous and resolvable.

    >>> issuer_uri(1, "0x5FbDB2315678afecb367f032d93F642f64180aa3", 7)
    'urn:microcred:eip155:1:0x5FbDB2315678afecb367f032d93F642f64180aa3:issuer:7'
    """
    return f"urn:microcred:eip155:{chain_id}:{registry}:issuer:{issuer_id}"


def recipient_did(chain_id: int, address: str) -> str:
    """The learner's id: ``did:pkh:eip155:<chainId>:<checksum address>``."""
    return f"did:pkh:eip155:{chain_id}:{to_checksum_address(address)}"


def _text(what: str, value: Any) -> str:
    if not isinstance(value, str):
        raise DocumentError(f"The {what} is text, not {type(value).__name__}.")
    if not value.strip():
        raise DocumentError(f"The {what} is empty.")
    return value


def _uri(what: str, value: Any) -> str:
    if not isinstance(value, str) or not _URI.match(value):
        raise DocumentError(
            f"The {what} {value!r} is not a URI (e.g. ipfs://<cid> or https://...); "
            "files go to IPFS first and are referenced by URI."
        )
    return value


def _timestamp(what: str, value: datetime) -> datetime:
    """A UTC datetime to the second (the chain keeps seconds). Naive datetimes are read as UTC."""
    if not isinstance(value, datetime):
        raise DocumentError(f"The {what} is a datetime, not {type(value).__name__}.")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC).replace(microsecond=0)
    if not 0 <= value.timestamp() < 2**32:
        raise DocumentError(f"The {what} {value.isoformat()} is outside 1970-2106 (uint32).")
    return value


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_iso(what: str, value: str) -> datetime:
    try:
        parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise DocumentError(
            f"{what} {value!r} is not a UTC time like 2026-01-31T12:00:00Z."
        ) from None
    return parsed


def _token_hex(value: int) -> str:
    return f"0x{value:064x}"


def _with_content_id(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with the ``id`` Open Badges requires: a name-based UUID of everything else.

    The token id (the hash of the final bytes) cannot be inside the document, but an id derived
    from the rest of it is as deterministic and as unambiguous.
    """
    text = canonical_bytes(data).decode("utf-8")
    return {"id": f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, text)}", **data}


def _image(uri: str) -> dict[str, Any]:
    return {"id": uri, "type": "Image"}


# --------------------------------------------------------------------------------------------------
# Templates
# --------------------------------------------------------------------------------------------------


def _template_data(
    *,
    issuer: IssuerProfile,
    name: str,
    description: str,
    criteria: str,
    skills: Sequence[str],
    evidence_required: str | None,
    valid_days: int | None,
    image: str | None,
) -> dict[str, Any]:
    _text("template name", name)
    _text("template description", description)
    _text("criteria", criteria)
    if isinstance(skills, str):
        raise DocumentError("Skills are a list of names, not one string.")
    skills = [_text("skill name", s) for s in skills]
    if len(set(skills)) != len(skills):
        raise DocumentError("A skill is listed twice in the template.")
    if evidence_required is not None:
        _text("evidence requirement", evidence_required)
    if valid_days is not None and (
        not isinstance(valid_days, int) or isinstance(valid_days, bool) or valid_days <= 0
    ):
        raise DocumentError(f"valid_days {valid_days!r} is not a positive whole number of days.")
    if image is not None:
        _uri("image", image)

    creator: dict[str, Any] = {"id": issuer.uri, "type": ["Profile"], "name": issuer.name}
    if issuer.url is not None:
        creator["url"] = issuer.url
    extension: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "kind": "template",
        "chainId": issuer.chain_id,
        "registry": issuer.registry,
        "issuerId": issuer.issuer_id,
    }
    if valid_days is not None:
        extension["validDays"] = valid_days
    if evidence_required is not None:
        extension["evidenceRequired"] = evidence_required
    data: dict[str, Any] = {
        "@context": list(CONTEXTS),
        "type": ["Achievement"],
        "achievementType": "Badge",
        "name": name,
        "description": description,
        "criteria": {"narrative": criteria},
        "creator": creator,
        "microcred": extension,
    }
    if skills:
        data["tag"] = skills
    if image is not None:
        data["image"] = _image(image)
    return _with_content_id(data)


@dataclass(frozen=True)
class TemplateDocument:
    """A template: an Open Badges ``Achievement`` an issuer awards. Its id is its bytes' sha256."""

    data: dict[str, Any] = field(compare=False, repr=False)
    bytes: bytes

    @property
    def template_id(self) -> int:
        return token_id_of(self.bytes)

    @property
    def cid(self) -> str:
        return cid_of(self.bytes)

    @property
    def uri(self) -> str:
        """``ipfs://<cid>``: how credentials refer to this template."""
        return f"ipfs://{self.cid}"

    @property
    def name(self) -> str:
        return str(self.data["name"])

    @property
    def description(self) -> str:
        return str(self.data["description"])

    @property
    def criteria(self) -> str:
        return str(self.data["criteria"]["narrative"])

    @property
    def skills(self) -> tuple[str, ...]:
        return tuple(self.data.get("tag", ()))

    @property
    def valid_days(self) -> int | None:
        return self.data["microcred"].get("validDays")

    @property
    def evidence_required(self) -> str | None:
        return self.data["microcred"].get("evidenceRequired")

    @property
    def issuer_id(self) -> int:
        return int(self.data["microcred"]["issuerId"])

    @property
    def issuer_name(self) -> str:
        return str(self.data["creator"]["name"])

    @property
    def chain_id(self) -> int:
        return int(self.data["microcred"]["chainId"])

    @property
    def registry(self) -> str:
        return str(self.data["microcred"]["registry"])

    @property
    def image(self) -> str | None:
        image = self.data.get("image")
        return None if image is None else str(image["id"])

    @property
    def issuer(self) -> IssuerProfile:
        return IssuerProfile(
            issuer_id=self.issuer_id,
            name=self.issuer_name,
            chain_id=self.chain_id,
            registry=self.registry,
            url=self.data["creator"].get("url"),
        )


def build_template(
    *,
    issuer: IssuerProfile,
    name: str,
    description: str,
    criteria: str,
    skills: Sequence[str] = (),
    evidence_required: str | None = None,
    valid_days: int | None = None,
    image: str | None = None,
) -> TemplateDocument:
    """A template document for ``issuer``; the same input always gives the same bytes and id."""
    data = _template_data(
        issuer=issuer,
        name=name,
        description=description,
        criteria=criteria,
        skills=skills,
        evidence_required=evidence_required,
        valid_days=valid_days,
        image=image,
    )
    raw = _finish(data, "template")
    return TemplateDocument(data=json.loads(raw), bytes=raw)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)


class _Profile(_Strict):
    id: str
    type: list[Literal["Profile"]]
    name: str
    url: str | None = None


class _Image(_Strict):
    id: str
    type: Literal["Image"]


class _Criteria(_Strict):
    narrative: str


class _TemplateExtension(_Strict):
    version: Literal[2]
    kind: Literal["template"]
    chainId: int = Field(gt=0)
    registry: str
    issuerId: int = Field(gt=0, lt=2**32)
    validDays: int | None = Field(default=None, gt=0)
    evidenceRequired: str | None = None


class _Template(_Strict):
    context: list[Any] = Field(alias="@context")
    id: str
    type: list[Literal["Achievement"]]
    achievementType: Literal["Badge"]
    name: str
    description: str
    criteria: _Criteria
    creator: _Profile
    microcred: _TemplateExtension
    tag: list[str] | None = None
    image: _Image | None = None


def _validate(model: type[_Strict], obj: dict[str, Any], kind: str) -> Any:
    try:
        return model.model_validate(obj)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(document)"
        raise DocumentError(
            f"The {kind} document is not a microcred {kind}: at {where}: {first['msg']}."
        ) from None


def _same_or_fail(rebuilt: dict[str, Any], obj: dict[str, Any], kind: str) -> None:
    if rebuilt == obj:
        return
    differing = sorted(k for k in set(rebuilt) | set(obj) if rebuilt.get(k) != obj.get(k))
    raise DocumentError(
        f"The {kind} document contradicts itself: {', '.join(differing)} "
        f"{'is' if len(differing) == 1 else 'are'} not what its own facts give."
    )


def parse_template(data: bytes) -> TemplateDocument:
    """A template document from its bytes; :class:`DocumentError` says what is wrong."""
    obj = _load_canonical(data, "template")
    model: _Template = _validate(_Template, obj, "template")
    ext = model.microcred
    issuer = IssuerProfile(
        issuer_id=ext.issuerId,
        name=model.creator.name,
        chain_id=ext.chainId,
        registry=ext.registry,
        url=model.creator.url,
    )
    rebuilt = _template_data(
        issuer=issuer,
        name=model.name,
        description=model.description,
        criteria=model.criteria.narrative,
        skills=model.tag or (),
        evidence_required=ext.evidenceRequired,
        valid_days=ext.validDays,
        image=model.image.id if model.image else None,
    )
    _same_or_fail(rebuilt, obj, "template")
    return TemplateDocument(data=obj, bytes=bytes(data))


# --------------------------------------------------------------------------------------------------
# Credentials
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _TemplateFacts:
    """What a credential copies from its template (all of it is inside the credential too)."""

    template_id: int
    name: str
    description: str
    criteria: str
    skills: tuple[str, ...]
    image: str | None

    @property
    def uri(self) -> str:
        return f"ipfs://{cid_of_token_id(self.template_id)}"


def _credential_data(
    *,
    template: _TemplateFacts,
    issuer: IssuerProfile,
    recipient: str,
    valid_from: datetime,
    valid_until: datetime | None,
    evidence: Sequence[str],
    recipient_name: str | None,
    replaces: int | None,
    issuer_did: str | None = None,
    credential_id: str | None = None,
) -> dict[str, Any]:
    """The credential before its proof. ``issuer_did``: the did:key of the key that will sign it
    (the issuer's ``id``; without one, the registry's URI of the issuer: an unsigned document);
    ``credential_id``: the Open Badges ``id`` of the credential it replaces (else one derived
    from the content)."""
    if not isinstance(recipient, str) or not is_address(recipient):
        raise DocumentError(f"Recipient {recipient!r} is not a wallet address (0x + 40 hex).")
    if int(recipient, 16) == 0:
        # The contract refuses it too (ERC721InvalidReceiver), but only after the document is
        # stored: refusing here keeps a credential nobody can hold out of the store.
        raise DocumentError("The recipient is the zero address: a credential needs a holder.")
    recipient = to_checksum_address(recipient)
    valid_from = _timestamp("start of validity", valid_from)
    if valid_until is not None:
        valid_until = _timestamp("expiry", valid_until)
        if valid_until <= valid_from:
            raise DocumentError(
                f"The expiry {_iso(valid_until)} is not after the start {_iso(valid_from)}."
            )
    if isinstance(evidence, str):
        raise DocumentError("Evidence is a list of URIs, not one string.")
    evidence = [_uri("evidence", e) for e in evidence]
    if recipient_name is not None:
        _text("recipient name", recipient_name)
    if replaces is not None and (
        not isinstance(replaces, int) or isinstance(replaces, bool) or not 0 <= replaces < 2**256
    ):
        raise DocumentError(f"replaces={replaces!r} is not a token id (a uint256).")
    if credential_id is not None and (replaces is None or not _URN_UUID.match(credential_id)):
        raise DocumentError(
            "Only a re-issue keeps an earlier credential's id, and that id is a urn:uuid."
        )
    if issuer_did is not None:
        try:
            public_key_of(issuer_did)
        except ValueError as err:
            raise DocumentError(
                f"The issuer id {issuer_did!r} is not an Ed25519 did:key: {err}."
            ) from None

    achievement: dict[str, Any] = {
        "id": template.uri,
        "type": ["Achievement"],
        "achievementType": "Badge",
        "name": template.name,
        "description": template.description,
        "criteria": {"narrative": template.criteria},
        "creator": {"id": issuer.uri, "type": ["Profile"], "name": issuer.name},
    }
    if template.skills:
        # Open Badges wants a URL per alignment: the skill's place in the template document.
        achievement["alignment"] = [
            {
                "type": ["Alignment"],
                "targetName": skill,
                "targetUrl": f"{template.uri}#skill-{number}",
                "targetType": "ceasn:Competency",
            }
            for number, skill in enumerate(template.skills, start=1)
        ]
    if template.image is not None:
        achievement["image"] = _image(template.image)

    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "id": recipient_did(issuer.chain_id, recipient),
        "achievement": achievement,
    }
    if recipient_name is not None:
        subject["identifier"] = [
            {
                "type": "IdentityObject",
                "identityType": "name",
                "hashed": False,
                "identityHash": recipient_name,
            }
        ]

    profile: dict[str, Any] = {
        "id": issuer_did or issuer.uri,
        "type": ["Profile"],
        "name": issuer.name,
    }
    if issuer.url is not None:
        profile["url"] = issuer.url

    extension: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "kind": "credential",
        "chainId": issuer.chain_id,
        "registry": issuer.registry,
        "issuerId": issuer.issuer_id,
        "templateId": _token_hex(template.template_id),
        "recipient": recipient,
    }
    if replaces is not None:
        extension["replaces"] = _token_hex(replaces)

    attributes: list[dict[str, Any]] = [
        {"trait_type": "Issuer", "value": issuer.name},
        {"trait_type": "Issuer ID", "value": issuer.issuer_id, "display_type": "number"},
        {"trait_type": "Valid from", "value": int(valid_from.timestamp()), "display_type": "date"},
    ]
    if valid_until is not None:
        attributes.append(
            {
                "trait_type": "Valid until",
                "value": int(valid_until.timestamp()),
                "display_type": "date",
            }
        )
    attributes += [{"trait_type": "Skill", "value": skill} for skill in template.skills]

    data: dict[str, Any] = {
        "@context": list(CONTEXTS),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": template.name,
        "description": template.description,
        "issuer": profile,
        "validFrom": _iso(valid_from),
        "credentialSubject": subject,
        "attributes": attributes,
        "microcred": extension,
    }
    if valid_until is not None:
        data["validUntil"] = _iso(valid_until)
    if template.image is not None:
        # Open Badges 3.0 requires an Image object here; ERC-721 wallets that read a plain URI
        # find none (the README says what each shows).
        data["image"] = _image(template.image)
    if evidence:
        data["evidence"] = [{"id": uri, "type": ["Evidence"]} for uri in evidence]
    if credential_id is not None:
        return {"id": credential_id, **data}
    return _with_content_id(data)


@dataclass(frozen=True)
class CredentialDocument:
    """A credential document; its token id is the sha256 of :attr:`bytes`."""

    data: dict[str, Any] = field(compare=False, repr=False)
    bytes: bytes

    @property
    def token_id(self) -> int:
        return token_id_of(self.bytes)

    @property
    def cid(self) -> str:
        return cid_of(self.bytes)

    @property
    def recipient(self) -> str:
        return str(self.data["microcred"]["recipient"])

    @property
    def recipient_did(self) -> str:
        return str(self.data["credentialSubject"]["id"])

    @property
    def chain_id(self) -> int:
        return int(self.data["microcred"]["chainId"])

    @property
    def registry(self) -> str:
        return str(self.data["microcred"]["registry"])

    @property
    def issuer_id(self) -> int:
        return int(self.data["microcred"]["issuerId"])

    @property
    def issuer_name(self) -> str:
        return str(self.data["issuer"]["name"])

    @property
    def issuer_url(self) -> str | None:
        return self.data["issuer"].get("url")

    @property
    def template_id(self) -> int:
        return int(self.data["microcred"]["templateId"], 16)

    @property
    def achievement_name(self) -> str:
        return str(self.data["credentialSubject"]["achievement"]["name"])

    @property
    def achievement_description(self) -> str:
        return str(self.data["credentialSubject"]["achievement"]["description"])

    @property
    def criteria(self) -> str:
        return str(self.data["credentialSubject"]["achievement"]["criteria"]["narrative"])

    @property
    def skills(self) -> tuple[str, ...]:
        alignment = self.data["credentialSubject"]["achievement"].get("alignment", ())
        return tuple(a["targetName"] for a in alignment)

    @property
    def image(self) -> str | None:
        image = self.data.get("image")
        return None if image is None else str(image["id"])

    @property
    def credential_id(self) -> str:
        """The Open Badges ``id`` (a re-issue keeps the one of the credential it replaces)."""
        return str(self.data["id"])

    @property
    def proof(self) -> dict[str, Any] | None:
        """The embedded ``DataIntegrityProof`` (None: an unsigned document, which no verifier
        accepts)."""
        proofs = self.data.get("proof")
        return None if not proofs else dict(proofs[0])

    @property
    def signing_key(self) -> builtins.bytes | None:  # (``bytes`` is a field of this class)
        """The 32-byte Ed25519 public key whose signature the proof claims to be (the issuer's
        did:key); whether it is, and whose key it is, verification checks."""
        if self.proof is None:
            return None
        return public_key_of(str(self.data["issuer"]["id"]))

    @property
    def valid_from(self) -> datetime:
        return _parse_iso("validFrom", self.data["validFrom"])

    @property
    def valid_until(self) -> datetime | None:
        value = self.data.get("validUntil")
        return None if value is None else _parse_iso("validUntil", value)

    @property
    def evidence(self) -> tuple[str, ...]:
        return tuple(e["id"] for e in self.data.get("evidence", ()))

    @property
    def replaces(self) -> int | None:
        value = self.data["microcred"].get("replaces")
        return None if value is None else int(value, 16)

    @property
    def recipient_name(self) -> str | None:
        for identity in self.data["credentialSubject"].get("identifier", ()):
            if identity["identityType"] == "name":
                return str(identity["identityHash"])
        return None

    @property
    def issuer(self) -> IssuerProfile:
        return IssuerProfile(
            issuer_id=self.issuer_id,
            name=self.issuer_name,
            chain_id=self.chain_id,
            registry=self.registry,
            url=self.issuer_url,
        )


class CredentialSigner(Protocol):
    """An Ed25519 key that signs credentials (:class:`microcred.vc.Ed25519SigningKey`)."""

    @property
    def did(self) -> str: ...

    def sign(self, message: bytes) -> bytes: ...


@dataclass(frozen=True)
class UnsignedCredential:
    """A credential with its proof options, waiting for the 64-byte signature of
    :attr:`hash_data` by the key of ``issuer_did`` (in this process, or in a browser page)."""

    data: dict[str, Any] = field(repr=False)
    options: dict[str, Any] = field(repr=False)

    @property
    def issuer_did(self) -> str:
        return str(self.data["issuer"]["id"])

    @property
    def hash_data(self) -> bytes:
        """What the signature signs: sha256 of the canonical proof options, then of the
        canonical document (RDFC-1.0), 64 bytes."""
        return hash_data(self.data, self.options)

    def signed(
        self, signature: bytes, *, hashed: bytes | None = None, trusted: bool = False
    ) -> CredentialDocument:
        """The credential with its proof. The signature is checked first, against the issuer's
        key and :attr:`hash_data` (or ``hashed``, the same bytes computed before): a wrong one
        would make a credential that no verifier accepts, and is refused here. ``trusted``: the
        signature was made and checked in this process for these very facts (a bulk run's second
        build of a document), not checked again."""
        if len(signature) != 64:
            raise DocumentError("An Ed25519 signature is 64 bytes.")
        if not trusted and not verify_ed25519(
            public_key_of(self.issuer_did),
            signature,
            hashed if hashed is not None else self.hash_data,
        ):
            raise DocumentError(
                f"The signature is not {self.issuer_did}'s over this credential: sign the hash "
                "data of this very document with that key."
            )
        signed = with_proof(self.data, self.options, signature)
        # A list of one: the official OB 3.0 schema wants ``proof`` to be an array.
        signed["proof"] = [signed["proof"]]
        raw = _finish(signed, "credential")
        return CredentialDocument(data=json.loads(raw), bytes=raw)


def _proof_options(issuer_did: str, valid_from: datetime) -> dict[str, Any]:
    return {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": _iso(_timestamp("start of validity", valid_from)),
        "verificationMethod": verification_method_of(issuer_did),
        "proofPurpose": PROOF_PURPOSE,
    }


def _template_facts(template: TemplateDocument, issuer: IssuerProfile) -> _TemplateFacts:
    if (template.issuer_id, template.chain_id, template.registry) != (
        issuer.issuer_id,
        issuer.chain_id,
        issuer.registry,
    ):
        raise DocumentError(
            f"Template {template.name!r} belongs to issuer {template.issuer_id} on chain "
            f"{template.chain_id}, not to issuer {issuer.issuer_id} on chain {issuer.chain_id}."
        )
    return _TemplateFacts(
        template_id=template.template_id,
        name=template.name,
        description=template.description,
        criteria=template.criteria,
        skills=template.skills,
        image=template.image,
    )


def prepare_credential(
    *,
    template: TemplateDocument,
    issuer: IssuerProfile,
    issuer_did: str,
    recipient: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
    evidence: Sequence[str] = (),
    recipient_name: str | None = None,
    replaces: int | None = None,
    credential_id: str | None = None,
) -> UnsignedCredential:
    """The credential awarding ``template`` to the wallet ``recipient``, to be signed by the key
    of ``issuer_did`` (see :func:`build_credential` for the other arguments)."""
    data = _credential_data(
        template=_template_facts(template, issuer),
        issuer=issuer,
        recipient=recipient,
        valid_from=valid_from,
        valid_until=_until(template, valid_from, valid_until),
        evidence=evidence,
        recipient_name=recipient_name,
        replaces=replaces,
        issuer_did=issuer_did,
        credential_id=credential_id,
    )
    _finish(data, "credential")  # too large already: said before anything is signed
    return UnsignedCredential(data=data, options=_proof_options(issuer_did, valid_from))


def _until(
    template: TemplateDocument, valid_from: datetime, valid_until: datetime | None
) -> datetime | None:
    """``valid_until``, or ``valid_from`` plus the template's ``valid_days`` if it has some."""
    if valid_until is None and template.valid_days is not None:
        return _timestamp("start of validity", valid_from) + timedelta(days=template.valid_days)
    return valid_until


def build_credential(
    *,
    template: TemplateDocument,
    issuer: IssuerProfile,
    recipient: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
    evidence: Sequence[str] = (),
    recipient_name: str | None = None,
    replaces: int | None = None,
    credential_id: str | None = None,
    signer: CredentialSigner | None = None,
) -> CredentialDocument:
    """The credential document awarding ``template`` to the wallet ``recipient``, signed by
    ``signer`` (the issuer's Ed25519 key; without one the document is unsigned, which only tests
    of what verification refuses want).

    Times are kept to the second in UTC (naive datetimes are read as UTC). Without ``valid_until``
    a template with ``valid_days`` expires that many days after ``valid_from``. A re-issue
    (``replaces``) gives ``credential_id``, the Open Badges id of the credential it replaces.
    """
    if signer is not None:
        unsigned = prepare_credential(
            template=template,
            issuer=issuer,
            issuer_did=signer.did,
            recipient=recipient,
            valid_from=valid_from,
            valid_until=valid_until,
            evidence=evidence,
            recipient_name=recipient_name,
            replaces=replaces,
            credential_id=credential_id,
        )
        hashed = unsigned.hash_data
        return unsigned.signed(signer.sign(hashed), hashed=hashed)
    data = _credential_data(
        template=_template_facts(template, issuer),
        issuer=issuer,
        recipient=recipient,
        valid_from=valid_from,
        valid_until=_until(template, valid_from, valid_until),
        evidence=evidence,
        recipient_name=recipient_name,
        replaces=replaces,
        credential_id=credential_id,
    )
    raw = _finish(data, "credential")
    return CredentialDocument(data=json.loads(raw), bytes=raw)


class _Alignment(_Strict):
    type: list[Literal["Alignment"]]
    targetName: str
    targetUrl: str
    targetType: Literal["ceasn:Competency"]


class _Achievement(_Strict):
    id: str
    type: list[Literal["Achievement"]]
    achievementType: Literal["Badge"]
    name: str
    description: str
    criteria: _Criteria
    creator: _Profile
    alignment: list[_Alignment] | None = None
    image: _Image | None = None


class _Identity(_Strict):
    type: Literal["IdentityObject"]
    identityType: Literal["name"]
    hashed: Literal[False]
    identityHash: str


class _Subject(_Strict):
    type: list[Literal["AchievementSubject"]]
    id: str
    achievement: _Achievement
    identifier: list[_Identity] | None = None


class _Evidence(_Strict):
    id: str
    type: list[Literal["Evidence"]]


class _CredentialExtension(_Strict):
    version: Literal[2]
    kind: Literal["credential"]
    chainId: int = Field(gt=0)
    registry: str
    issuerId: int = Field(gt=0, lt=2**32)
    templateId: str = Field(pattern=_TOKEN_HEX.pattern)
    recipient: str
    replaces: str | None = Field(default=None, pattern=_TOKEN_HEX.pattern)


class _Proof(_Strict):
    type: Literal["DataIntegrityProof"]
    cryptosuite: Literal["eddsa-rdfc-2022"]
    created: str
    verificationMethod: str
    proofPurpose: Literal["assertionMethod"]
    proofValue: str = Field(pattern=_MULTIBASE.pattern)


class _Credential(_Strict):
    context: list[Any] = Field(alias="@context")
    id: str
    type: list[str]
    name: str
    description: str
    image: _Image | None = None
    issuer: _Profile
    validFrom: str
    validUntil: str | None = None
    credentialSubject: _Subject
    evidence: list[_Evidence] | None = None
    attributes: list[dict[str, Any]]
    microcred: _CredentialExtension
    proof: list[_Proof] | None = Field(default=None, min_length=1, max_length=1)


def parse_credential(data: bytes) -> CredentialDocument:
    """A credential document from its bytes; :class:`DocumentError` says what is wrong."""
    obj = _load_canonical(data, "credential")
    model: _Credential = _validate(_Credential, obj, "credential")
    ext = model.microcred
    issuer = IssuerProfile(
        issuer_id=ext.issuerId,
        name=model.issuer.name,
        chain_id=ext.chainId,
        registry=ext.registry,
        url=model.issuer.url,
    )
    achievement = model.credentialSubject.achievement
    if not achievement.id.startswith("ipfs://"):
        raise DocumentError("The credential's achievement id is not the template's ipfs:// URI.")
    try:
        template_digest = digest_of_cid(achievement.id.removeprefix("ipfs://"))
    except ValueError as err:
        raise DocumentError(
            f"The credential's achievement id is not a template URI: {err}."
        ) from None
    if template_digest != int(ext.templateId, 16):
        raise DocumentError(
            "The credential's templateId and achievement id name different templates."
        )
    facts = _TemplateFacts(
        template_id=template_digest,
        name=achievement.name,
        description=achievement.description,
        criteria=achievement.criteria.narrative,
        skills=tuple(a.targetName for a in achievement.alignment or ()),
        image=achievement.image.id if achievement.image else None,
    )
    identities = model.credentialSubject.identifier or []
    if len(identities) > 1:
        raise DocumentError("The credential names its recipient more than once.")
    valid_from = _parse_iso("validFrom", model.validFrom)
    issuer_did = model.issuer.id if model.proof is not None else None
    rebuilt = _credential_data(
        template=facts,
        issuer=issuer,
        recipient=ext.recipient,
        valid_from=valid_from,
        valid_until=_parse_iso("validUntil", model.validUntil) if model.validUntil else None,
        evidence=[e.id for e in model.evidence or ()],
        recipient_name=identities[0].identityHash if identities else None,
        replaces=int(ext.replaces, 16) if ext.replaces else None,
        issuer_did=issuer_did,
        credential_id=model.id if ext.replaces else None,
    )
    if issuer_did is not None:
        # The proof as build_credential writes it: by the issuer's key, created at validFrom;
        # whether the signature holds is verification's "proof_valid" check.
        rebuilt["proof"] = [{**_proof_options(issuer_did, valid_from), "proofValue": ""}]
        obj_proof = [{**obj["proof"][0], "proofValue": ""}]
        _same_or_fail(rebuilt, {**obj, "proof": obj_proof}, "credential")
    else:
        _same_or_fail(rebuilt, obj, "credential")
    return CredentialDocument(data=obj, bytes=bytes(data))
