"""What the Issue page does in the browser, done in Python for the library tests: the wallet
signs the key message (EIP-191, deterministic like MetaMask's), the key is derived from that
signature, and each row's hash data is signed with it. The server side under test only ever
sees the did:key and the signatures (:func:`microcred.issuance.signing_request`, then
:func:`~microcred.issuance.plan` / :func:`~microcred.issuance.plan_anchor`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount

from microcred.chain import Chain
from microcred.issuance import (
    Recipient,
    SigningRequest,
    key_request,
    plan,
    plan_anchor,
    signing_request,
)
from microcred.storage import Store
from microcred.vc import Ed25519SigningKey, derive_signing_key


def page_key(chain: Chain, account: LocalAccount) -> Ed25519SigningKey:
    """The key the page derives for ``account`` (the CLI derives the same one)."""
    request = key_request(chain, account.address)
    signature = account.sign_message(encode_defunct(text=request.message)).signature
    return derive_signing_key(request, bytes(signature))


def page_signs(
    chain: Chain,
    store: Store,
    account: LocalAccount,
    *,
    template_id: int,
    recipients: Sequence[Recipient],
) -> tuple[SigningRequest, list[bytes]]:
    """The server's signing request for the rows, and the page's signatures of it."""
    key = page_key(chain, account)
    request = signing_request(
        chain,
        store,
        signer=account.address,
        issuer_did=key.did,
        template_id=template_id,
        recipients=recipients,
    )
    return request, [key.sign(hashed) for hashed in request.hashes]


def page_plan(
    chain: Chain,
    store: Store,
    account: LocalAccount,
    *,
    template_id: int,
    recipients: Sequence[Recipient],
    anchor: bool = False,
    **kwargs: Any,
) -> Any:
    """The plan the Issue page gets once its signatures are in (documents stored, calls built)."""
    request, signatures = page_signs(
        chain, store, account, template_id=template_id, recipients=recipients
    )
    make = plan_anchor if anchor else plan
    return make(
        chain,
        store,
        signer=account.address,
        template_id=template_id,
        recipients=recipients,
        signing=request,
        signatures=signatures,
        **kwargs,
    )
