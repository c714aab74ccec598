"""Every kind of document microcred writes, issued by the library on a real chain and read back
from the store by CID, checked as a verifier that knows nothing of microcred checks it: the
official OB 3.0 JSON Schema, the JSON-LD undefined-term check, Digital Bazaar's reference
verifier, and a one-character change that both that verifier and ``microcred.vc.verify`` refuse.

The documents come from ``create_template``, ``issue_one`` (re-issue included), ``issue_bulk``
and ``anchor_bulk`` for an institution of this module whose signer issues for the first time
(its signing key is registered on chain by that first issue, as the CLI's first run does). They
are issued once for the module; the reference verifier runs once for all of them and their
tampered copies (``tests/ob3/verify_many.mjs``: one Node process, not one per document).

The schema tests skip without the official schema (``MICROCRED_SHARED_DIR``, see conftest.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ape
import pytest
from eth_account import Account
from lib._chain_fixtures import *  # noqa: F403
from lib._chain_fixtures import in_days, travel

from microcred.cid import cid_of, cid_of_token_id
from microcred.documents import canonical_bytes
from microcred.issuance import Recipient, anchor_bulk, create_template, issue_bulk, issue_one
from microcred.vc import public_key_of, verify
from microcred.vc.ob3_checks import ACHIEVEMENT_DEFINITION, schema_errors, undefined_terms

Json = dict[str, Any]

TEMPLATE_KINDS = ("template-minimal", "template-skills", "template-image", "template-rules")
ANCHORED_KINDS = ("anchored-plain", "anchored-named", "anchored-expiring")
BULK_KINDS = ("bulk-plain", "bulk-named", "bulk-expiring")
CREDENTIAL_KINDS = (
    "minimal",
    "named",
    "expiring",
    "evidence",
    "skills",
    "image",
    "valid-days",
    "reissue",
    *ANCHORED_KINDS,
    *BULK_KINDS,
)
ISSUER_NAME = "Université d'Exemple"
# A 1x1 PNG: the badge image is its own IPFS object, as the CLI's --image stores it.
BADGE_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGPQqr8CAAJUAX5aQspHAAAAAElFTkSuQmCC"
)


@dataclass(frozen=True)
class Written:
    """One document as the store holds it: the bytes fetched by the CID of its token id."""

    kind: str
    token_id: int
    raw: bytes

    @property
    def data(self) -> Json:
        data: Json = json.loads(self.raw)
        return data


@dataclass(frozen=True)
class Issued:
    """Every kind of document, by kind, and who issued them."""

    issuer_id: int
    signing_account: str  # the signer's wallet, from which the signing key is derived
    documents: dict[str, Written]
    chain_time: int  # the chain's clock once all is issued: what a verifier's "now" is


# --------------------------------------------------------------------------------------------------
# Issuing every kind, for real
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def issued(mc, store, registrar_key, accounts, chain, tmp_path_factory) -> Issued:
    signer = Account.from_key(accounts[6].private_key)
    issuer_id = mc.register_issuer(
        registrar_key,
        name=ISSUER_NAME,
        signers=[signer.address],
        profile_uri="https://univ.example/",
    )
    wallets = [a.address for a in accounts]
    work = tmp_path_factory.mktemp("issued-documents")

    def template(**kwargs: Any) -> int:
        return create_template(
            mc,
            store,
            signer,
            description="Writes and tests a simple contract.",
            criteria="Passed the final assessment.",
            **kwargs,
        ).template_id

    templates = {
        "template-minimal": template(name="Solidity basics"),
        "template-skills": template(name="Smart contract testing", skills=["Solidity", "Fuzzing"]),
        "template-image": template(name="Security review", image=f"ipfs://{store.put(BADGE_PNG)}"),
        "template-rules": template(
            name="First aid",
            valid_days=365,
            evidence_required="A link to the signed attendance sheet.",
        ),
    }

    def one(**kwargs: Any) -> int:
        kwargs.setdefault("template_id", templates["template-minimal"])
        kwargs.setdefault("recipient", wallets[2])
        return issue_one(mc, store, signer, **kwargs).token_id

    tokens = {
        "minimal": one(recipient=wallets[3]),
        "named": one(name="Ada Lovelace"),
        "expiring": one(expires=in_days(mc, 30)),
        "evidence": one(evidence=["https://example.org/projects/42", "ipfs://bafkreievidence"]),
        "skills": one(template_id=templates["template-skills"]),
        "image": one(template_id=templates["template-image"]),
        "valid-days": one(template_id=templates["template-rules"]),
    }
    travel(chain, 3600)  # the correction comes later: a later validFrom
    tokens["reissue"] = one(name="Augusta Ada King-Noël", replaces=tokens["named"])

    def rows(prefix: str, addresses: list[str]) -> list[Recipient]:
        plain, named, expiring = addresses
        return [
            Recipient(address=plain, evidence=(f"https://example.org/{prefix}/1",)),
            Recipient(address=named, name="Grace Hopper"),
            Recipient(address=expiring, expires=in_days(mc, 90)),
        ]

    bulk = issue_bulk(
        mc,
        store,
        signer,
        template_id=templates["template-skills"],
        recipients=rows("bulk", wallets[7:10]),
        journal_dir=work / "journal",
        batch_size=2,
    )
    tokens |= dict(zip(BULK_KINDS, bulk.token_ids, strict=True))
    anchored = anchor_bulk(
        mc,
        store,
        signer,
        template_id=templates["template-image"],
        recipients=rows("anchored", [Account.create().address for _ in range(3)]),
        journal_dir=work / "journal",
        proofs_dir=work / "proofs",
    )
    tokens |= dict(zip(ANCHORED_KINDS, anchored.token_ids, strict=True))

    everything = templates | tokens
    return Issued(
        issuer_id=issuer_id,
        signing_account=signer.address,
        # What any reader gets: the bytes the store holds under the CID of the token id.
        documents={
            kind: Written(kind, token_id, store.get(cid_of_token_id(token_id)))
            for kind, token_id in everything.items()
        },
        chain_time=mc.latest_timestamp(),
    )


def test_every_kind_is_written(issued: Issued) -> None:
    assert set(issued.documents) == {*TEMPLATE_KINDS, *CREDENTIAL_KINDS}
    assert len({d.token_id for d in issued.documents.values()}) == len(issued.documents)


# --------------------------------------------------------------------------------------------------
# The token id is the sha256 of the signed bytes
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [*TEMPLATE_KINDS, *CREDENTIAL_KINDS])
def test_the_token_id_is_the_sha256_of_the_exact_stored_bytes(
    issued: Issued, mc, kind: str
) -> None:
    written = issued.documents[kind]
    assert int.from_bytes(hashlib.sha256(written.raw).digest(), "big") == written.token_id
    assert cid_of(written.raw) == cid_of_token_id(written.token_id)
    assert canonical_bytes(written.data) == written.raw  # hashed exactly as written
    if kind in TEMPLATE_KINDS:
        assert mc.template(written.token_id).exists
    elif kind in ANCHORED_KINDS:
        assert not mc.credential_status(written.token_id).exists  # waiting for its claim
    else:
        assert mc.credential_status(written.token_id).exists


@pytest.mark.parametrize("kind", CREDENTIAL_KINDS)
def test_the_hashed_bytes_are_the_signed_credential(issued: Issued, kind: str) -> None:
    data = issued.documents[kind].data
    [proof] = data["proof"]
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["verificationMethod"].partition("#")[0] == data["issuer"]["id"]
    check = verify(data)
    assert check.ok, check.detail


def test_every_credential_is_signed_by_the_one_key_the_registry_binds_to_the_issuer(
    issued: Issued, mc
) -> None:
    dids = {issued.documents[kind].data["issuer"]["id"] for kind in CREDENTIAL_KINDS}
    [did] = dids
    assert did.startswith("did:key:z6Mk")
    key = public_key_of(did)
    pair = (issued.issuer_id, key)
    record = mc.assertion_keys([pair])[pair]
    assert record.issuer_id == issued.issuer_id and not record.revoked
    assert record.signer == issued.signing_account


def test_the_reissue_keeps_the_credential_id_with_a_later_valid_from(issued: Issued) -> None:
    old = issued.documents["named"].data
    new = issued.documents["reissue"].data
    assert new["id"] == old["id"] and new["id"].startswith("urn:uuid:")
    assert new["issuer"]["id"] == old["issuer"]["id"]
    assert new["validFrom"] > old["validFrom"]  # same format: ISO 8601 UTC to the second
    assert new["microcred"]["replaces"] == f"0x{issued.documents['named'].token_id:064x}"


# --------------------------------------------------------------------------------------------------
# The official OB 3.0 JSON Schema and JSON-LD terms
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", CREDENTIAL_KINDS)
def test_every_credential_passes_the_official_schema(
    issued: Issued, official_schema: Path, kind: str
) -> None:
    assert schema_errors(issued.documents[kind].data, schema_path=official_schema) == []


@pytest.mark.parametrize("kind", TEMPLATE_KINDS)
def test_every_template_passes_the_official_achievement_definition(
    issued: Issued, official_schema: Path, kind: str
) -> None:
    errors = schema_errors(
        issued.documents[kind].data, definition=ACHIEVEMENT_DEFINITION, schema_path=official_schema
    )
    assert errors == []


@pytest.mark.parametrize("kind", [*TEMPLATE_KINDS, *CREDENTIAL_KINDS])
def test_every_document_has_no_undefined_json_ld_term(issued: Issued, kind: str) -> None:
    assert undefined_terms(issued.documents[kind].data) == ()


# --------------------------------------------------------------------------------------------------
# The reference verifier, on every credential and on each with one character changed
# --------------------------------------------------------------------------------------------------

JsonPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Change:
    """A value of a credential and the character changed in it (an index into its text)."""

    path: JsonPath
    index: int = -1
    replace: Callable[[str], str] | None = None  # the new character; default :func:`_other`


def _other(char: str) -> str:
    if char.isdigit():
        return str((int(char) + 1) % 10)
    if char.swapcase() != char:
        return char.swapcase()
    return "x" if char != "x" else "y"


ACHIEVEMENT = ("credentialSubject", "achievement")
CHANGES: dict[str, Change] = {
    "name": Change(("name",)),
    "validFrom": Change(("validFrom",), index=-2),
    "recipient": Change(("credentialSubject", "id"), index=-3),
    "achievement": Change((*ACHIEVEMENT, "criteria", "narrative"), index=0),
    "issuer.name": Change(("issuer", "name"), index=0),
    "extension": Change(("microcred", "issuerId")),
    "attribute": Change(("attributes", 0, "value"), index=0),
    # Base58btc has no 0, O, I or l: the value stays well-formed, only the signature is wrong.
    "proofValue": Change(("proof", 0, "proofValue"), replace=lambda c: "2" if c != "2" else "3"),
}
#: The part that makes each kind what it is.
DISTINCTIVE: dict[str, JsonPath] = {
    "minimal": ("id",),
    "named": ("credentialSubject", "identifier", 0, "identityHash"),
    "expiring": ("validUntil",),
    "evidence": ("evidence", 1, "id"),
    "skills": (*ACHIEVEMENT, "alignment", 1, "targetName"),
    "image": ("image", "id"),
    "valid-days": ("validUntil",),
    "reissue": ("microcred", "replaces"),
    "anchored-plain": ("evidence", 0, "id"),
    "anchored-named": ("credentialSubject", "identifier", 0, "identityHash"),
    "anchored-expiring": ("validUntil",),
    "bulk-plain": ("evidence", 0, "id"),
    "bulk-named": ("credentialSubject", "identifier", 0, "identityHash"),
    "bulk-expiring": ("validUntil",),
}
CHANGES |= {
    f"{kind}:{'.'.join(map(str, path))}": Change(path, index=-2 if path == ("validUntil",) else -1)
    for kind, path in DISTINCTIVE.items()
}


def _applies(change_name: str, kind: str) -> bool:
    owner, colon, _ = change_name.partition(":")
    return not colon or owner == kind


TAMPERINGS = [
    pytest.param(kind, change, id=f"{kind}-{change}" if ":" not in change else change)
    for kind in CREDENTIAL_KINDS
    for change in CHANGES
    if _applies(change, kind)
]


def _with_one_character_changed(written: Written, change: Change) -> Json:
    """``written`` with one character of one value changed; checked to be exactly one character
    of the stored text (documents are stored in canonical form, so re-serialising changes
    nothing else)."""
    data = written.data
    *parents, last = change.path
    holder: Any = data
    for step in parents:
        holder = holder[step]
    value = holder[last]
    text = str(value)
    index = change.index % len(text)
    new = (change.replace or _other)(text[index])
    changed = text[:index] + new + text[index + 1 :]
    holder[last] = int(changed) if isinstance(value, int) else changed
    before = written.raw.decode("utf-8")
    after = canonical_bytes(data).decode("utf-8")
    assert len(after) == len(before)
    assert sum(a != b for a, b in zip(before, after, strict=True)) == 1
    return data


# Neither fixture touches the chain: Ape need not revert and build them again (chain_isolation).
@ape.fixture(scope="module", chain_isolation=False)
def tampered(issued: Issued) -> dict[str, Json]:
    return {
        f"{kind}/{change}": _with_one_character_changed(issued.documents[kind], CHANGES[change])
        for kind, change in (p.values for p in TAMPERINGS)
    }


@ape.fixture(scope="module", chain_isolation=False)
def reference_results(
    issued: Issued, tampered: dict[str, Json], request: pytest.FixtureRequest
) -> dict[str, Json]:
    """The reference verifier's answer for every credential (by kind) and tampered copy (by
    ``kind/change``), from one Node process, at the chain's time (the test moved its clock ahead
    of this machine's for the re-issue).

    ``ob3_node`` (session scope; it skips without Node.js) is asked for here, not as an argument:
    a session fixture first seen after this module's documents are issued would make Ape revert
    the chain and issue them all again."""
    ob3_node: Path = request.getfixturevalue("ob3_node")
    now = datetime.fromtimestamp(issued.chain_time, UTC).isoformat()
    named = {kind: issued.documents[kind].data for kind in CREDENTIAL_KINDS} | tampered
    completed = subprocess.run(
        ["node", str(ob3_node / "verify_many.mjs"), now],
        input=json.dumps(list(named.values())),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    results = json.loads(completed.stdout)
    assert len(results) == len(named)
    return dict(zip(named, results, strict=True))


@pytest.mark.parametrize("kind", CREDENTIAL_KINDS)
def test_every_credential_verifies_with_the_reference_verifier(
    reference_results: dict[str, Json], kind: str
) -> None:
    result = reference_results[kind]
    assert result["verified"] is True, result["errors"]
    assert result["errors"] == [] and result["statusChecked"]


@pytest.mark.parametrize(("kind", "change"), TAMPERINGS)
def test_a_one_character_change_fails_the_reference_verifier_and_microcreds(
    reference_results: dict[str, Json], tampered: dict[str, Json], kind: str, change: str
) -> None:
    # Refused for its signature, not for a date or a shape the change happened to break.
    result = reference_results[f"{kind}/{change}"]
    assert result["verified"] is False
    assert "Error: Invalid signature." in result["errors"], result["errors"]
    check = verify(tampered[f"{kind}/{change}"])
    assert not check.ok and check.detail.startswith("The signature does not match"), check.detail
