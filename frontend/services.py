"""The app's door to the microcred library: cached clients, and the few calls the pages make.

Configuration is the CLI's: ``MICROCRED_RPC_URL``, ``MICROCRED_DEPLOYMENT``, ``MICROCRED_STORE``
(environment, or the same keys in Streamlit secrets), plus ``MICROCRED_PUBLIC_URL`` for share
links. Every library error reaches the pages as a :class:`UserFacingError` with its one sentence.

Nothing is written to storage for an account that has not proven control of it: a visitor signs
in with the wallet (Sign-In with Ethereum, :mod:`microcred.signin`, verified here) and the sign-in
is kept in the Streamlit session; every service that stores goes through :func:`_writing_store`,
which checks the sign-in, the account's role and the session's storage quota first.
"""

from __future__ import annotations

import io
import math
import os
import tempfile
import threading
import zipfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

import streamlit as st
from eth_account import Account
from storage_quota import DEFAULT_MAX_BYTES, DEFAULT_MAX_OBJECTS, Quota, QuotaStore, Usage
from upload_limits import UploadRefused, image_type

from microcred import anchoring, issuance, sharing, signin, verification
from microcred.anchoring import PAGE_SIZE, AnchoredCredential
from microcred.chain import Chain
from microcred.cid import cid_of_token_id
from microcred.config import Settings
from microcred.errors import MicrocredError
from microcred.index import BackgroundSync, CredentialIndex
from microcred.storage import LocalStore, Store, gateways_from_env, open_store

P = ParamSpec("P")
R = TypeVar("R")

LOCAL_CHAIN_IDS = (31337, 1337)
EXPLORERS = {1: "https://etherscan.io", 11155111: "https://sepolia.etherscan.io"}
PUBLIC_GATEWAY = "https://ipfs.io"


class UserFacingError(Exception):
    """One sentence for the user: what went wrong and what to do."""


def _friendly(function: Callable[P, R]) -> Callable[P, R]:
    @wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except MicrocredError as err:
            raise UserFacingError(str(err)) from err

    return wrapper


def _setting(name: str, default: str | None = None) -> str | None:
    if value := os.environ.get(name):
        return value
    try:
        return str(st.secrets[name]) if name in st.secrets else default
    except FileNotFoundError:  # no secrets.toml at all
        return default
    except Exception:  # noqa: BLE001 - a malformed secrets file must not take the app down
        return default


@st.cache_resource(show_spinner=False)
def _settings() -> Settings:
    return Settings.from_env(
        rpc_url=_setting("MICROCRED_RPC_URL"),
        deployment_path=_setting("MICROCRED_DEPLOYMENT"),
        store=_setting("MICROCRED_STORE"),
    )


@st.cache_resource(show_spinner=False)
def _chain() -> Chain:
    return _settings().chain()


@st.cache_resource(show_spinner=False)
def _store() -> Store:
    return open_store(_settings().store)


def chain() -> Chain:
    try:
        return _chain()
    except MicrocredError as err:
        raise UserFacingError(str(err)) from err


def store() -> Store:
    try:
        return _store()
    except MicrocredError as err:
        raise UserFacingError(str(err)) from err


def chain_id() -> int:
    return chain().chain_id


def public_url() -> str:
    return _setting("MICROCRED_PUBLIC_URL", "http://localhost:8501") or "http://localhost:8501"


def public_rpc_url() -> str | None:
    """The RPC a wallet should add for this chain: only offered for the local demo chain."""
    return _settings().rpc_url if chain_id() in LOCAL_CHAIN_IDS else None


# -------------------------------------------------------------------------------------- verifying


def _report_json(report: verification.Report) -> dict[str, Any]:
    """``verify --json``, plus each credential's document. An anchored credential not in a wallet
    yet carries its proof file under ``"proof"`` (None for a minted one)."""
    data = report.to_json()
    for entry, credential in zip(data["credentials"], report.credentials, strict=True):
        entry["document"] = credential.document.data if credential.document else None
        entry.setdefault("proof", None)
    return data


# ----------------------------------------------------------------------- the credential index
# Lookups find a wallet's credentials in the index (discovery only: every verdict is the chain's
# and the documents'). One thread per process keeps it in sync; pages never wait for it: they
# read what is indexed plus the chain's tail up to the head. Another process syncing the same
# index (several app servers on one PostgreSQL) is fine: this one then only reads.

#: Seconds between two syncs of the background writer.
INDEX_SYNC_INTERVAL = 5.0
_writers: dict[tuple[str, int, str], BackgroundSync] = {}
_writers_lock = threading.Lock()


@st.cache_resource(show_spinner=False)
def _index() -> CredentialIndex:
    return CredentialIndex.open(chain(), store())


def credential_index() -> CredentialIndex:
    """The index, its background writer started (once per process and index)."""
    try:
        index = _index()
    except MicrocredError as err:
        raise UserFacingError(str(err)) from err
    index_writer(index)
    return index


def index_writer(index: CredentialIndex | None = None) -> BackgroundSync:
    """The one background writer of ``index`` in this process (started on first call; a cleared
    Streamlit cache does not start a second one)."""
    index = index or _index()
    key = (str(index.engine.url), index.deployment.chain_id, index.deployment.credential.address)
    with _writers_lock:
        writer = _writers.get(key)
        if writer is None or not writer.alive:
            writer = BackgroundSync(index, interval=INDEX_SYNC_INTERVAL)
            _writers[key] = writer
        return writer


@_friendly
def verify(subject_text: str) -> dict[str, Any]:
    """The report of ``verify --json`` for a wallet (with its anchored credentials waiting to be
    claimed) or a credential id, plus each credential's document; found through the index."""
    subject = verification.parse_subject(subject_text)
    report = verification.verify(chain(), store(), subject, index=credential_index())
    return _report_json(report)


@_friendly
def read_proof_file(data: bytes) -> dict[str, Any]:
    """An uploaded proof file, checked for shape (not yet against the chain): its JSON.

    Through the library's one parser for untrusted JSON: a visitor's file is size- and
    depth-checked before anything recursive reads it (a file of 150,000 ``[`` once killed the
    server for every visitor)."""
    from microcred.untrusted import PROOF_FILE, UntrustedJsonError, parse_untrusted

    try:
        parsed = parse_untrusted(data, PROOF_FILE)
    except UntrustedJsonError as err:
        raise UserFacingError(
            f"This file is not a proof file: {err} Upload the .json proof file of an anchored "
            "credential."
        ) from None
    return AnchoredCredential.from_json(parsed).to_json()


@_friendly
def verify_proof(proof: dict[str, Any]) -> dict[str, Any]:
    """The report of one anchored credential given by its proof file: ``anchored`` while it waits
    to be claimed, and verified like any other credential once it is in a wallet."""
    item = AnchoredCredential.from_json(proof)
    report = verification.verify_anchored(chain(), store(), item, index=credential_index())
    data = _report_json(report)
    for entry in data["credentials"]:
        if entry["holder"] is None and entry["proof"] is None:
            entry["proof"] = item.to_json()
    return data


def share_link(*, address: str | None = None, credential: str | int | None = None) -> str:
    token = int(credential, 16) if isinstance(credential, str) else credential
    return sharing.share_link(public_url(), address=address, credential=token)


def qr_png(data: str) -> bytes:
    return sharing.qr_png(data)


def linkedin_link(credential: dict[str, Any], *, share: str) -> str | None:
    if not credential.get("issuedAt"):
        return None
    parse = lambda text: datetime.fromisoformat(text.replace("Z", "+00:00"))  # noqa: E731
    return sharing.linkedin_add_url(
        name=credential.get("achievement") or "Credential",
        organization=(credential.get("issuer") or {}).get("name") or "",
        issued_at=parse(credential["issuedAt"]),
        expires_at=parse(credential["expiresAt"]) if credential.get("expiresAt") else None,
        credential_url=share,
        credential_id=credential["tokenId"],
    )


def ipfs_url(cid: str) -> str | None:
    """An HTTP gateway address for an IPFS object: the first configured gateway, else ipfs.io;
    None when the objects live only in this server's embedded store (the demo), where no gateway
    could ever find them (the page offers the bytes instead: :func:`stored_object`)."""
    gateways = gateways_from_env(
        {"MICROCRED_IPFS_GATEWAYS": _setting("MICROCRED_IPFS_GATEWAYS") or ""}
    )
    if not gateways and isinstance(store(), LocalStore):
        return None
    return f"{(gateways[0] if gateways else PUBLIC_GATEWAY).rstrip('/')}/ipfs/{cid}"


@_friendly
def stored_object(cid: str) -> bytes:
    """An object's bytes from the store, checked against its CID."""
    return store().get(cid)


def explorer_tx_url(chain_id: int, tx_hash: str | None) -> str | None:
    base = EXPLORERS.get(chain_id)
    return f"{base}/tx/{tx_hash}" if base and tx_hash else None


# -------------------------------------------------------------------------------------- registry


def _issuer_json(issuer: Any) -> dict[str, Any]:
    return {
        "id": issuer.id,
        "name": issuer.name,
        "status": issuer.status,
        "active": issuer.active,
        "profile": issuer.profile_uri,
        "signers": list(issuer.signers),
    }


@_friendly
def issuers() -> list[dict[str, Any]]:
    return [_issuer_json(issuer) for issuer in chain().issuers()]


@_friendly
def signer_status(address: str) -> dict[str, Any] | None:
    """The issuer ``address`` signs for (id, name, active), or None."""
    issuer_id, _active = chain().issuer_of(address)
    if issuer_id == 0:
        return None
    return _issuer_json(chain().issuer(issuer_id))


@_friendly
def is_registrar(address: str) -> bool:
    return chain().is_registrar(address)


@_friendly
def templates_of(issuer_id: int) -> list[dict[str, Any]]:
    """The issuer's templates with their documents' facts (name, skills, validity)."""
    rows = []
    for record in chain().templates_of(issuer_id):
        row: dict[str, Any] = {
            "id": f"0x{record.id:064x}",
            "status": record.status,
            "published_at": record.published_at,
            "name": "(document unavailable)",
            "description": "",
            "skills": [],
            "valid_days": None,
        }
        try:
            document = issuance.load_template(store(), record.id)
        except MicrocredError:
            pass
        else:
            row |= {
                "name": document.name,
                "description": document.description,
                "skills": list(document.skills),
                "valid_days": document.valid_days,
            }
        rows.append(row)
    return rows


@_friendly
def activity() -> list[dict[str, Any]]:
    """Credentials issued and revoked per day and issuer, for the Registry charts."""
    return [event.to_json() for event in credential_index().activity()]


# -------------------------------------------------------------------------------------- writing


@_friendly
def registrar_tx(action: str, **kwargs: Any) -> dict[str, Any]:
    """Calldata for a registry action: register, suspend, reinstate, add_signer, remove_signer."""
    return chain().registry_tx(action, **kwargs)


@_friendly
def revoke_tx(token_id: int, reason: str, *, issuer_id: int) -> dict[str, Any]:
    """Calldata revoking a credential: by its id once it is on chain; one still waiting in an
    anchored batch of ``issuer_id`` is found through the credential index and revoked with its
    proof (the contract checks the proof: the index only finds it)."""
    status = chain().credential_status(token_id)
    shown = f"0x{token_id:064x}"
    # Minted by this institution: revoked by id. Anything else can only be an entry of one of
    # its batches (another issuer's copy of the id does not stop that; see SECURITY.md).
    if status.exists and status.issuer_id == issuer_id:
        if status.revoked:
            raise UserFacingError(f"Credential {shown} is already revoked: nothing to do.")
        return chain().unsigned(chain().credential.functions.revoke(token_id, reason))
    item = credential_index().anchored_entry(token_id, issuer_id=issuer_id)
    if item is None:
        if status.exists:
            raise UserFacingError(
                f"Credential {shown} was issued by another institution (issuer "
                f"{status.issuer_id}): only its issuer can revoke it."
            )
        raise UserFacingError(
            f"No credential {shown} was issued by your institution, directly or in one of its "
            "anchored batches: check the id (a batch anchored in the last seconds may not be "
            "indexed yet: try again in a minute)."
        )
    return chain().unsigned(anchoring.revoke_anchored_call(chain(), item, reason))


@_friendly
def burn_tx(token_id: int) -> dict[str, Any]:
    return chain().unsigned(chain().credential.functions.burn(token_id))


@_friendly
def prepare_template(
    *, signer: str, issuer_id: int, image: bytes | None, **fields: Any
) -> dict[str, Any]:
    """Store the template (and its PNG or JPEG badge image) on IPFS for ``signer``, who must be
    signed in and an active signer of ``issuer_id``; returns its facts and the publish calldata."""
    writable = _writing_store(signer, issuer_id=issuer_id, objects=2 if image else 1)
    if image is not None:
        try:
            image_type(image)
        except UploadRefused as err:
            raise UserFacingError(str(err)) from None
    # Validate the document before storing anything: a bad field stores no image either.
    issuance.build_issuer_template(chain(), issuer_id=issuer_id, image=None, **fields)
    image_uri = f"ipfs://{writable.put(image)}" if image is not None else None
    template = issuance.build_issuer_template(
        chain(), issuer_id=issuer_id, image=image_uri, **fields
    )
    writable.put(template.bytes)
    tx = chain().unsigned(chain().registry.functions.publishTemplate(template.template_id))
    return {"name": template.name, "cid": template.cid, "id": template.template_id, "tx": tx}


@_friendly
def read_recipients_csv(data: bytes) -> list[issuance.Recipient]:
    """An uploaded CSV file's rows, every bad row (or a file that is not UTF-8) named."""
    return issuance.read_csv_text(issuance.decode_csv(data), now=chain().latest_timestamp())


# Issuing: every document carries an Open Badges proof (eddsa-rdfc-2022) by the signer's Ed25519
# key. A wallet's key is derived and kept in the browser page (the wallet bridge): the server
# sends the key message, then the hash data of each document (signing_request, kept in the
# session by the page), and gets back only the key's public key and the signatures. The demo
# signer's key is the server's, so the server derives and signs for it.


def _objects_to_store(recipients: Sequence[issuance.Recipient], *, anchored: bool) -> int:
    """Objects an issuance stores: one document a row; an anchored batch adds its manifest's
    pages and index."""
    if not anchored:
        return len(recipients)
    return len(recipients) + math.ceil(len(recipients) / PAGE_SIZE) + 1


@_friendly
def signing_key_message(signer: str) -> str:
    """The key message (EIP-4361 form, naming this app, the chain, the registry and the issuer)
    that ``signer``'s wallet signs once per page session; the page derives the signing key from
    the signature. ``signer`` must be signed in and an active signer."""
    _writing_store(signer, objects=0)  # the checks only: nothing is written
    return issuance.key_request(chain(), signer, app_url=public_url()).message


@_friendly
def signing_request(
    *,
    signer: str,
    public_key: str,
    template_id: int,
    recipients: Sequence[issuance.Recipient],
    anchored: bool = False,
) -> issuance.SigningRequest:
    """Every row validated and the hash data the page's key (``public_key``, hex) signs, one per
    row; nothing is stored. The page keeps the request (server-side, in the session) and hands it
    back with the signatures to :func:`prepare_issue` or :func:`prepare_anchor`. The session's
    storage quota is checked here already, before anything is signed."""
    from microcred.vc.didkey import did_of_public_key

    _writing_store(signer, objects=_objects_to_store(recipients, anchored=anchored))
    try:
        raw = bytes.fromhex(public_key.removeprefix("0x"))
        if len(raw) != 32:
            raise ValueError(f"{len(raw)} bytes")
    except ValueError as err:
        raise UserFacingError(
            f"The page's signing key {public_key!r} is not an Ed25519 public key ({err}): "
            "reload the page and prepare again."
        ) from None
    return issuance.signing_request(
        chain(),
        store(),
        signer=signer,
        issuer_did=did_of_public_key(raw),
        template_id=template_id,
        recipients=recipients,
    )


def _with_registration(register_call: Any, txs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The transactions to send, the key's registration first when the registry lacks it."""
    if register_call is None:
        return txs
    return [chain().unsigned(register_call), *txs]


@_friendly
def prepare_issue(
    *,
    signer: str,
    template_id: int,
    recipients: Sequence[issuance.Recipient],
    signing: issuance.SigningRequest,
    signatures: Sequence[bytes],
) -> dict[str, Any]:
    """Validate everything, check each signature against ``signing`` (the request the page
    signed), build and store the signed documents (``signer`` must be signed in and an active
    signer); returns the transactions to send: the signing key's registration first when the
    registry does not have it yet (``registers_key``), then the batches."""
    writable = _writing_store(signer, objects=len(recipients))
    plan = issuance.plan(
        chain(),
        writable,
        signer=signer,
        template_id=template_id,
        recipients=recipients,
        signing=signing,
        signatures=signatures,
    )
    return {
        "token_ids": [f"0x{t:064x}" for t in plan.token_ids],
        "already": [f"0x{t:064x}" for t in plan.already],
        "txs": _with_registration(plan.register_call, [chain().unsigned(c) for c in plan.calls]),
        "registers_key": plan.register_call is not None,
    }


@_friendly
def prepare_anchor(
    *,
    signer: str,
    template_id: int,
    recipients: Sequence[issuance.Recipient],
    signing: issuance.SigningRequest,
    signatures: Sequence[bytes],
) -> dict[str, Any]:
    """Validate everything, check the page's signatures (as :func:`prepare_issue`), store the
    documents and the batch manifest; returns the batch's facts, its proof files (a zip, for the
    institution's records) and the transactions: the signing key's registration first when
    needed, then the one ``anchor`` call (none if the root is anchored already). The server
    keeps no proof file: the manifest holds them. ``signer`` must be signed in and an active
    signer."""
    writable = _writing_store(signer, objects=_objects_to_store(recipients, anchored=True))
    with tempfile.TemporaryDirectory(prefix="microcred-proofs-") as folder:
        plan = issuance.plan_anchor(
            chain(),
            writable,
            signer=signer,
            template_id=template_id,
            recipients=recipients,
            signing=signing,
            signatures=signatures,
            proofs_dir=Path(folder),
        )
        proofs = io.BytesIO()
        with zipfile.ZipFile(proofs, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(plan.batch.proofs_dir.glob("*.json")):
                archive.write(path, arcname=path.name)
    anchor = [chain().unsigned(plan.call)] if plan.call is not None else []
    return {
        "root": plan.batch.root_hex,
        "count": plan.batch.total,
        "token_ids": [f"0x{t:064x}" for t in plan.batch.token_ids],
        "manifest": plan.batch.manifest,
        "proofs_zip": proofs.getvalue(),
        "txs": _with_registration(plan.register_call, anchor),
        "registers_key": plan.register_call is not None,
    }


@_friendly
def claim_tx(proof: dict[str, Any]) -> dict[str, Any]:
    """Calldata minting an anchored credential to the recipient its proof names (anyone pays)."""
    item = AnchoredCredential.from_json(proof)
    return chain().unsigned(anchoring.claim_call(chain(), item))


@_friendly
def confirm_sent(tx_hash: str, expected: dict[str, Any]) -> dict[str, Any]:
    """Trust the chain, not the wallet: the mined transaction must be the one the library built."""
    return chain().confirm_sent(tx_hash, expected)


# -------------------------------------------------------------------------------------- sign-in
# Session state: the verified sign-in, the one challenge waiting for its signature, and what this
# session has written to storage.
SIGNED_IN_KEY = "signin_account"
CHALLENGE_KEY = "signin_challenge"
USAGE_KEY = "signin_storage_usage"


def sign_in_origin() -> tuple[str, str]:
    """The domain and URI sign-in messages name: the configured public address of the app, never
    the Host header a client sends (a forged Host would let another site's page show a message
    naming itself, which the wallet would then not flag)."""
    url = public_url()
    parts = urlsplit(url)
    return parts.netloc or "localhost:8501", url


@_friendly
def start_sign_in(address: str) -> signin.Challenge:
    """A new sign-in message for ``address`` on this chain, kept in the session (replacing any
    earlier one: only the latest nonce can ever be used)."""
    domain, uri = sign_in_origin()
    challenge = signin.new_challenge(
        domain=domain, uri=uri, address=address, chain_id=chain_id(), now=now()
    )
    st.session_state[CHALLENGE_KEY] = challenge
    return challenge


@_friendly
def complete_sign_in(signature: str) -> signin.SignedIn:
    """Verify the wallet's signature of the session's challenge (used once, whatever the outcome)
    and keep the sign-in for the session."""
    challenge = st.session_state.pop(CHALLENGE_KEY, None)
    if challenge is None:
        raise UserFacingError("There is no sign-in waiting for a signature: sign in again.")
    signed = signin.verify_sign_in(challenge, signature, now=now())
    st.session_state[SIGNED_IN_KEY] = signed
    return signed


def signed_in() -> signin.SignedIn | None:
    """The session's sign-in, while it is valid for this chain and this app's domain."""
    signed = st.session_state.get(SIGNED_IN_KEY)
    if not isinstance(signed, signin.SignedIn):
        return None
    try:
        current_chain = chain_id()
    except UserFacingError:
        return None
    if (
        not signed.valid_at(now())
        or signed.chain_id != current_chain
        or signed.domain != sign_in_origin()[0]
    ):
        return None
    return signed


def sign_out() -> None:
    st.session_state.pop(SIGNED_IN_KEY, None)
    st.session_state.pop(CHALLENGE_KEY, None)


def _quota_setting(name: str, default: int) -> int:
    text = _setting(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise UserFacingError(f"{name} must be a positive whole number, not {text!r}.")
    return value


def session_quota() -> Quota:
    return Quota(
        max_objects=_quota_setting("MICROCRED_SESSION_MAX_OBJECTS", DEFAULT_MAX_OBJECTS),
        max_bytes=_quota_setting("MICROCRED_SESSION_MAX_BYTES", DEFAULT_MAX_BYTES),
    )


def session_usage() -> Usage:
    usage = st.session_state.get(USAGE_KEY)
    if not isinstance(usage, Usage):
        usage = st.session_state[USAGE_KEY] = Usage()
    return usage


def _writing_store(acting: str, *, issuer_id: int | None = None, objects: int = 1) -> QuotaStore:
    """The store, for ``acting`` to write ``objects`` objects to, once every check has passed:
    ``acting`` is the session's signed-in account (or the demo signer, whose key the server
    holds), an active signer (of ``issuer_id`` when given), and the session's quota has room.
    Called before anything is written."""
    demo = demo_signer_address()
    signed = signed_in()
    if demo is None or acting.lower() != demo.lower():
        if signed is None:
            raise UserFacingError(
                f"Sign in with your wallet first: nothing is stored for {acting} until its "
                "wallet has signed the sign-in message that proves it holds the key."
            )
        if signed.address.lower() != acting.lower():
            raise UserFacingError(
                f"This session is signed in as {signed.address}, not {acting}: nothing is "
                f"stored for {acting}. Sign in again with the account you act as."
            )
    try:
        signer_issuer, active = chain().issuer_of(acting)
    except MicrocredError as err:
        raise UserFacingError(str(err)) from err
    if signer_issuer == 0 or not active or (issuer_id is not None and signer_issuer != issuer_id):
        raise UserFacingError(
            f"{acting} is not a signer of an active institution"
            + (f" (issuer #{issuer_id})" if issuer_id is not None else "")
            + ", so nothing is stored for it."
        )
    writable = QuotaStore(store(), session_quota(), session_usage())
    try:
        writable.reserve(objects)
    except MicrocredError as err:
        raise UserFacingError(str(err)) from err
    return writable


# -------------------------------------------------------------------------------------- demo signer


def demo_signer_address() -> str | None:
    """The demo signer's address, on a local chain with MICROCRED_DEMO_SIGNER_KEY set; else None."""
    key = _setting("MICROCRED_DEMO_SIGNER_KEY")
    if not key:
        return None
    try:
        if chain_id() not in LOCAL_CHAIN_IDS:
            return None
    except UserFacingError:
        return None
    return Account.from_key(key).address


def _demo_signing_key() -> Any:
    """The demo signer's credential signing key, derived on the server (which holds the demo
    account's key anyway) exactly as a page derives a wallet's."""
    key = _setting("MICROCRED_DEMO_SIGNER_KEY")
    if not key or chain_id() not in LOCAL_CHAIN_IDS:
        raise UserFacingError("The demo signer only exists on the local demo chain.")
    account = Account.from_key(key)
    issuer_id, _active = chain().issuer_of(account.address)
    if issuer_id == 0:
        raise UserFacingError(f"The demo signer {account.address} signs for no institution.")
    return issuance.signing_key_of(chain(), account, issuer_id, app_url=public_url())


@_friendly
def demo_signing_public_key() -> str:
    """The demo signer's signing key's public key (hex), as a page reports a wallet's."""
    from microcred.vc.didkey import public_key_of

    return public_key_of(_demo_signing_key().did).hex()


@_friendly
def demo_signatures(signing: issuance.SigningRequest) -> list[bytes]:
    """The demo signer's signatures of ``signing``'s hash data, as a page makes a wallet's."""
    key = _demo_signing_key()
    return [key.sign(hashed) for hashed in signing.hashes]


@_friendly
def send_with_demo_signer(tx: dict[str, Any]) -> dict[str, Any]:
    key = _setting("MICROCRED_DEMO_SIGNER_KEY")
    if not key or chain_id() not in LOCAL_CHAIN_IDS:
        raise UserFacingError("The demo signer only exists on the local demo chain.")
    return chain().send_unsigned(tx, Account.from_key(key))


def document_cid(token_id: int) -> str:
    return cid_of_token_id(token_id)


def now() -> datetime:
    return datetime.now(UTC)


# ------------------------------------------------------------------------------- before preparing
# Checks that turn what the chain would refuse (or what nobody meant) into a sentence before any
# wallet prompt: duplicates, a bad CSV row, the credential about to be revoked, the last signer.


@_friendly
def review_recipients_csv(data: bytes) -> list[issuance.CsvRow]:
    """Every row of an uploaded CSV with its problem beside it (None for a good row); a file that
    cannot be read as a whole (not UTF-8, no ``address`` column, unknown columns) is refused."""
    return issuance.review_csv_text(issuance.decode_csv(data), now=chain().latest_timestamp())


@_friendly
def duplicates_of(
    *, issuer_id: int, template_id: int, recipients: Sequence[issuance.Recipient]
) -> dict[int, Any]:
    """Rows (by index) naming a learner on an earlier row, or a learner who already holds a valid
    credential of the template (:mod:`microcred.duplicates`)."""
    from microcred.duplicates import find_duplicates

    return find_duplicates(
        chain(),
        store(),
        template_id=template_id,
        issuer_id=issuer_id,
        recipients=recipients,
        index=credential_index(),
    )


def run_results(
    *,
    recipients: Sequence[issuance.Recipient],
    token_ids: Sequence[str],
    already: Sequence[str] = (),
    skipped: Sequence[Any] = (),
    skipped_recipients: Sequence[issuance.Recipient] = (),
    anchored: bool = False,
) -> list[dict[str, str]]:
    """The run's results, one row per learner (:mod:`microcred.results`), as table rows."""
    from dataclasses import asdict

    from microcred import results

    rows = results.run_results(
        public_url(),
        recipients=recipients,
        token_ids=[int(t, 16) for t in token_ids],
        already=[int(t, 16) for t in already],
        skipped=skipped,
        skipped_recipients=skipped_recipients,
        anchored=anchored,
    )
    return [{k: ("" if v is None else str(v)) for k, v in asdict(r).items()} for r in rows]


def results_csv(rows: Sequence[dict[str, str]]) -> str:
    from microcred import results

    return results.results_csv(
        [results.ResultRow(**{**r, "line": int(r["line"]) if r["line"] else None}) for r in rows]
    )


@_friendly
def revocation(token_id: int, reason: str, *, issuer_id: int) -> dict[str, Any]:
    """What a revocation will touch, checked first (:func:`revoke_tx`: unknown, already revoked,
    another institution's), with the calldata: the credential's achievement, learner and dates,
    for the page to show before asking for confirmation."""
    tx = revoke_tx(token_id, reason, issuer_id=issuer_id)
    status = chain().credential_status(token_id)
    facts: dict[str, Any] = {
        "tokenId": f"0x{token_id:064x}",
        "achievement": None,
        "learner": status.holder,
        "issuedAt": status.issued_at or None,
        "expiresAt": status.expires_at or None,
        "anchored": not (status.exists and status.issuer_id == issuer_id),
    }
    if facts["anchored"]:
        item = credential_index().anchored_entry(token_id, issuer_id=issuer_id)
        assert item is not None  # revoke_tx above found it, or refused
        facts["learner"] = item.recipient
        facts["expiresAt"] = item.expires_at or None
        facts["issuedAt"] = chain().anchor_of(item.root).anchored_at or None
    try:
        from microcred.documents import parse_credential

        document = parse_credential(store().get(cid_of_token_id(token_id)))
        facts["achievement"] = document.achievement_name
    except MicrocredError:
        pass  # the chain's facts are enough to decide; the name is a courtesy
    return {"tx": tx, "credential": facts}


@_friendly
def registry_action(action: str, **kwargs: Any) -> dict[str, Any]:
    """:func:`registrar_tx`, after the checks the contract would make, as sentences: no wallet is
    asked to sign a transaction that can only revert."""
    issuer_id = kwargs.get("issuer_id")
    if issuer_id is not None:
        record = chain().issuer(int(issuer_id))
        name = f"{record.name} (#{record.id})"
        if action == "suspend" and not record.active:
            raise UserFacingError(f"{name} is suspended already: nothing to do.")
        if action == "reinstate" and record.active:
            raise UserFacingError(f"{name} is active: there is nothing to reinstate.")
        if action in ("add_signer", "remove_signer"):
            from microcred.chain import checksum

            address = checksum(str(kwargs.get("address", "")), what="signer address")
            signers = {s.lower() for s in record.signers}
            if action == "add_signer" and address.lower() in signers:
                raise UserFacingError(f"{address} is a signer of {name} already.")
            if action == "remove_signer":
                if address.lower() not in signers:
                    raise UserFacingError(
                        f"{address} is not a signer of {name}: check the address."
                    )
                if len(signers) == 1:
                    raise UserFacingError(
                        f"{address} is the last signer of {name}: add another signer first, then "
                        "remove this one (an institution always keeps one)."
                    )
    return registrar_tx(action, **kwargs)


@_friendly
def retire_template_tx(template_id: int, *, issuer_id: int) -> dict[str, Any]:
    """Calldata retiring one of ``issuer_id``'s published templates (it then awards nothing new;
    credentials already issued keep citing it)."""
    record = chain().template(template_id)
    shown = f"0x{template_id:064x}"
    if not record.exists or record.issuer_id != issuer_id:
        raise UserFacingError(f"Template {shown} is not one of your institution's: check the id.")
    if record.status == "retired":
        raise UserFacingError(f"Template {shown} is retired already: nothing to do.")
    return chain().unsigned(chain().registry.functions.retireTemplate(template_id))
