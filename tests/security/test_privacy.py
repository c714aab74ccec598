"""Privacy (issue 5): documents are public forever on IPFS, so by default they hold no name and no
e-mail; a name appears only when the issuer passes it for that credential, and then only as the
Open Badges ``IdentityObject`` of the subject. On chain: addresses, digests, dates, issuer names,
revocation reasons, nothing else about the learner."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from eth_account import Account

from microcred.cid import cid_of_token_id
from microcred.issuance import Recipient, issue_bulk, issue_one

LEARNER = "Ada Lovelace"
EMAIL = "ada.lovelace@example.org"
EMAIL_PATTERN = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
#: The name as words: "Ada" turns up by chance inside a checksummed address or a signature
#: (about one run in a hundred), which is not a name.
NAME_PATTERN = re.compile(r"\b(?:Ada|Lovelace)\b")


def _strings(value: Any, path: str = "$") -> Iterator[tuple[str, str]]:
    """Every string in a JSON value (keys too), with where it sits."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}.{key}<key>", key
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _strings(item, f"{path}[{n}]")
    elif isinstance(value, str):
        yield path, value


def _personal(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (where, text)
        for where, text in _strings(document)
        if EMAIL_PATTERN.search(text) or NAME_PATTERN.search(text)
    ]


def test_default_documents_hold_no_name_and_no_email(net, issuer, tmp_path):
    """Typical inputs (a wallet, an expiry, evidence links) through both issuing paths."""
    one = issue_one(
        net.chain,
        net.store,
        issuer.key,
        template_id=issuer.template.template_id,
        recipient=Account.create().address,
        evidence=["https://portfolio.example.org/p/1"],
    )
    bulk = issue_bulk(
        net.chain,
        net.store,
        issuer.key,
        template_id=issuer.template.template_id,
        recipients=[Recipient(address=Account.create().address) for _ in range(3)],
        journal_dir=tmp_path,
    )
    docs = [json.loads(net.store.get(one.cid))] + [
        json.loads(net.store.get(cid_of_token_id(t))) for t in bulk.token_ids
    ]
    for document in docs:
        assert _personal(document) == []
        subject = document["credentialSubject"]
        assert set(subject) == {"type", "id", "achievement"}  # the wallet's DID, nothing else
        assert subject["id"].startswith("did:pkh:eip155:31337:0x")


def test_a_name_appears_only_in_the_subjects_identity_object(net, issuer):
    result = issue_one(
        net.chain,
        net.store,
        issuer.key,
        template_id=issuer.template.template_id,
        recipient=Account.create().address,
        name=LEARNER,
    )
    document = json.loads(net.store.get(result.cid))
    assert _personal(document) == [("$.credentialSubject.identifier[0].identityHash", LEARNER)]
    assert document["credentialSubject"]["identifier"] == [
        {"type": "IdentityObject", "identityType": "name", "hashed": False,
         "identityHash": LEARNER}
    ]  # fmt: skip


def test_an_email_given_as_the_name_is_not_copied_elsewhere(net, issuer):
    """microcred does not look for e-mails in free text: an issuer who types one into the name
    publishes it. What is tested is that it lands in that one documented place only."""
    result = issue_one(
        net.chain,
        net.store,
        issuer.key,
        template_id=issuer.template.template_id,
        recipient=Account.create().address,
        name=EMAIL,
    )
    document = json.loads(net.store.get(result.cid))
    assert [where for where, _ in _personal(document)] == [
        "$.credentialSubject.identifier[0].identityHash"
    ]


def test_the_chain_holds_no_document_text(net, issuer):
    """The issue transaction carries the wallet, the token id (a digest) and the expiry only;
    the events carry the same. The name passed to the library never reaches the chain."""
    result = issue_one(
        net.chain,
        net.store,
        issuer.key,
        template_id=issuer.template.template_id,
        recipient=Account.create().address,
        name=LEARNER,
    )
    assert result.tx_hash is not None
    sent = net.w3.eth.get_transaction(result.tx_hash)
    receipt = net.w3.eth.get_transaction_receipt(result.tx_hash)
    chunks = [bytes(sent["input"])] + [bytes(log["data"]) for log in receipt["logs"]]
    for data in chunks:
        assert LEARNER.encode() not in data
        assert b"Ada" not in data


def test_the_cli_help_says_a_name_is_public(run):
    help_text = " ".join(run("issue", "--help").stdout.split())  # click wraps lines
    assert "--name TEXT The learner's name (opt-in: documents are public)." in help_text
