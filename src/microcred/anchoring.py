"""Anchored credentials: the proof files a learner keeps, the batch manifest on IPFS, and claims.

An anchored batch (:func:`microcred.issuance.anchor_bulk`) commits a whole cohort with one Merkle
root on chain. Each credential then travels as its document (on IPFS, by CID) plus a **proof
file**: the leaf ``(recipient, tokenId, expiresAt)``, the root and the sibling hashes, and where to
check them (chain id, Credential contract, issuer id)::

    {"format": "microcred-anchored/1", "chainId": 31337, "credential": "0x…", "issuerId": 1,
     "root": "0x…", "recipient": "0x…", "tokenId": "0x…", "expiresAt": 0,
     "proof": ["0x…", …], "manifest": "bafk…"}

The **batch manifest** on IPFS lists every entry with its proof. An IPFS object here is one block
(at most 256 KiB), so the manifest is an index of pages of :data:`PAGE_SIZE` entries each, sorted
by recipient so that a wallet's entries are found by reading one page::

    {"format": "microcred-batch/1", "root", "chainId", "credential", "registry", "issuerId",
     "template", "count", "pages": [{"cid": "bafk…", "first": "0x…", "last": "0x…"}, …]}
    {"format": "microcred-batch-page/1", "root", "entries": [{"recipient", "tokenId",
     "expiresAt", "proof"}, …]}

The ``anchor`` transaction logs the manifest's digest (``BatchAnchored``), so anyone holding only a
wallet address finds the credentials waiting for it: the credential index (:mod:`microcred.index`)
reads each batch's manifest once (:func:`read_batch`) into one row per recipient. Nothing in the
manifest is trusted: each entry's proof must lead to the root anchored on chain, and each
document must hash to its token id.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from .chain import Anchor, AnchoredBatch, Chain, checksum
from .defaults import DEFAULT_PROOFS_DIR
from .deployment import Deployment
from .errors import (
    ContentNotFound,
    InputError,
    StorageError,
    StorageUnavailable,
)
from .merkle import Leaf, MerkleTree, verify
from .storage import Store
from .untrusted import MANIFEST, PROOF_FILE, parse_untrusted, too_large

__all__ = [
    "DEFAULT_PROOFS_DIR",
    "PAGE_SIZE",
    "PROOF_FORMAT",
    "UNREACHABLE",
    "AnchoredCredential",
    "claim",
    "claim_call",
    "claimable",
    "find_proof",
    "load_proof",
    "read_batch",
    "revoke_anchored_call",
    "store_manifest",
]

PROOF_FORMAT = "microcred-anchored/1"
MANIFEST_FORMAT = "microcred-batch/1"
PAGE_FORMAT = "microcred-batch-page/1"
#: Entries per manifest page: ~1.1 KB each with a 14-hash proof, so a page stays under 256 KiB.
PAGE_SIZE = 200


def _canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _hex32(value: bytes | int) -> str:
    if isinstance(value, int):
        return f"0x{value:064x}"
    return "0x" + bytes(value).hex()


def _bytes32(text: Any, what: str) -> bytes:
    if not isinstance(text, str) or not text.startswith("0x") or len(text) != 66:
        raise InputError(f"The {what} {text!r} is not 0x + 64 hex digits.")
    try:
        return bytes.fromhex(text[2:])
    except ValueError:
        raise InputError(f"The {what} {text!r} is not 0x + 64 hex digits.") from None


@dataclass(frozen=True)
class AnchoredCredential:
    """One credential of an anchored batch, with what proves the issuer committed to it."""

    chain_id: int
    credential: str  # the Credential contract's address
    issuer_id: int
    root: bytes
    recipient: str
    token_id: int
    expires_at: int  # 0: never
    proof: tuple[bytes, ...]
    manifest: str | None = None  # CID of the batch manifest

    @property
    def leaf(self) -> Leaf:
        return Leaf(self.recipient, self.token_id, self.expires_at)

    def proves(self) -> bool:
        """Whether the proof leads from the leaf to the root (arithmetic only, no chain)."""
        return verify(self.root, self.leaf, self.proof)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": PROOF_FORMAT,
            "chainId": self.chain_id,
            "credential": self.credential,
            "issuerId": self.issuer_id,
            "root": _hex32(self.root),
            "recipient": self.recipient,
            "tokenId": _hex32(self.token_id),
            "expiresAt": self.expires_at,
            "proof": [_hex32(p) for p in self.proof],
            "manifest": self.manifest,
        }

    @classmethod
    def from_json(cls, data: Any) -> AnchoredCredential:
        if not isinstance(data, dict) or data.get("format") != PROOF_FORMAT:
            raise InputError(f"This is not a microcred proof file (format {PROOF_FORMAT}).")
        try:
            proof = data["proof"]
            if not isinstance(proof, list):
                raise InputError("The proof file's proof is not a list of hashes.")
            manifest = data.get("manifest")
            if manifest is not None and not isinstance(manifest, str):
                raise InputError("The proof file's manifest is not a CID.")
            return cls(
                chain_id=_whole("chainId", data["chainId"], 2**64),
                credential=checksum(data["credential"], what="credential contract address"),
                issuer_id=_whole("issuerId", data["issuerId"], 2**32),
                root=_bytes32(data["root"], "root"),
                recipient=checksum(data["recipient"], what="recipient address"),
                token_id=int.from_bytes(_bytes32(data["tokenId"], "token id"), "big"),
                expires_at=_whole("expiresAt", data["expiresAt"], 2**64),
                proof=tuple(_bytes32(p, "proof hash") for p in proof),
                manifest=manifest,
            )
        except (KeyError, TypeError, ValueError) as err:
            raise InputError(f"The proof file is incomplete or malformed ({err}).") from None


def _whole(name: str, value: Any, bound: int) -> int:
    """An integer field of a proof file or manifest entry, as the contract's type bounds it.

    Strictly an int: ``true``, ``1.5`` or ``"7"`` are not what microcred writes, and ``1e400``
    would be an OverflowError, not a sentence."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < bound:
        raise InputError(
            f"The field {name} is {str(value)[:40]!r}, not a whole number below {bound}."
        )
    return value


def load_proof(path: str | os.PathLike[str]) -> AnchoredCredential:
    """A proof file as written by an anchored batch (read through the untrusted-JSON parser; at
    most :data:`~microcred.untrusted.PROOF_FILE` bytes are read from disk)."""
    try:
        with open(path, "rb") as file:
            data = file.read(PROOF_FILE.max_bytes + 1)
            if len(data) > PROOF_FILE.max_bytes:
                raise too_large(os.fstat(file.fileno()).st_size, PROOF_FILE)
    except OSError as err:
        raise InputError(f"Cannot read the proof file {path}: {err.strerror}.") from None
    return AnchoredCredential.from_json(parse_untrusted(data, PROOF_FILE))


def find_proof(token_id: int, directory: str | os.PathLike[str] = DEFAULT_PROOFS_DIR) -> Path:
    """The proof file of ``token_id`` under ``directory`` (where batches write
    ``<root>/<tokenId>.json``)."""
    name = f"{_hex32(token_id)}.json"
    found = sorted(Path(directory).glob(f"*/{name}")) if Path(directory).is_dir() else []
    if not found:
        raise InputError(
            f"No proof file {name} under {directory}: give the proof file's path instead."
        )
    return found[0]


def write_proofs(directory: Path, credentials: Sequence[AnchoredCredential]) -> Path:
    """One ``<tokenId>.json`` per credential in ``directory/<root>/``; returns that folder."""
    if not credentials:
        raise InputError("No credentials: no proof files to write.")
    folder = Path(directory) / _hex32(credentials[0].root)
    folder.mkdir(parents=True, exist_ok=True)
    for item in credentials:
        target = folder / f"{_hex32(item.token_id)}.json"
        text = json.dumps(item.to_json(), indent=2, sort_keys=True) + "\n"
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".part")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, target)
    return folder


def store_manifest(
    store: Store,
    *,
    tree: MerkleTree,
    leaves: Sequence[Leaf],
    chain: Chain,
    issuer_id: int,
    template_id: int,
    page_size: int | None = None,
) -> str:
    """Store the batch manifest (its pages first); returns the index's CID."""
    root = _hex32(tree.root)
    ordered = sorted(leaves, key=lambda leaf: (leaf.recipient.lower(), leaf.token_id))
    page_size = page_size or PAGE_SIZE
    pages = []
    for start in range(0, len(ordered), page_size):
        chunk = ordered[start : start + page_size]
        entries = [
            {
                "recipient": leaf.recipient,
                "tokenId": _hex32(leaf.token_id),
                "expiresAt": leaf.expires_at,
                "proof": [_hex32(p) for p in tree.proof(leaf)],
            }
            for leaf in chunk
        ]
        cid = store.put(_canonical({"format": PAGE_FORMAT, "root": root, "entries": entries}))
        pages.append(
            {"cid": cid, "first": chunk[0].recipient.lower(), "last": chunk[-1].recipient.lower()}
        )
    index = {
        "format": MANIFEST_FORMAT,
        "root": root,
        "chainId": chain.chain_id,
        "credential": chain.deployment.credential.address,
        "registry": chain.registry_address,
        "issuerId": issuer_id,
        "template": _hex32(template_id),
        "count": len(leaves),
        "pages": pages,
    }
    return store.put(_canonical(index))


# --------------------------------------------------------------------------------------------------
# Reading manifests (once per batch, by the credential index)
# --------------------------------------------------------------------------------------------------

#: How long a manifest that could not be fetched is not asked for again (seconds; the environment
#: variable ``MICROCRED_MANIFEST_RETRY_SECONDS`` overrides it): a CID nobody serves would
#: otherwise cost a full fetch timeout on every lookup of every wallet.
MANIFEST_RETRY_SECONDS = 300.0


class _ParsedObjects:
    """Manifest objects read so far, by CID: immutable (a CID is its content's hash), so kept;
    bounded, oldest first out. Shared by the threads that read manifests."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: dict[str, Any] = {}
        self._lock = threading.Lock()

    def get(self, cid: str) -> Any | None:
        with self._lock:
            return self._items.get(cid)

    def put(self, cid: str, value: Any) -> None:
        with self._lock:
            while len(self._items) >= self._size:
                self._items.pop(next(iter(self._items)))
            self._items[cid] = value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


@dataclass(frozen=True)
class _Failure:
    message: str
    failed_at: float  # wall clock, for the sentence
    retry_after: float  # monotonic clock, for the decision


class RecentFailures:
    """Manifests that could not be fetched lately, by store and CID, remembered for
    ``MICROCRED_MANIFEST_RETRY_SECONDS`` (bounded, thread-safe). Only unreachability (a node or
    gateway down, refusing, or silent until the timeout) is remembered: a store that answers
    "not here" answered fast, and bytes that came back wrong are not cached at all."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._items: dict[tuple[str, str], _Failure] = {}
        self._lock = threading.Lock()

    @staticmethod
    def ttl() -> float:
        value = os.environ.get("MICROCRED_MANIFEST_RETRY_SECONDS", "")
        try:
            return max(0.0, float(value)) if value.strip() else MANIFEST_RETRY_SECONDS
        except ValueError:
            return MANIFEST_RETRY_SECONDS

    def remember(self, key: tuple[str, str], err: StorageError) -> str:
        """Record the failure; the sentence for the warning."""
        ttl = self.ttl()
        failure = _Failure(str(err), time.time(), time.monotonic() + ttl)
        with self._lock:
            self._items.pop(key, None)
            while len(self._items) >= self._size:
                self._items.pop(next(iter(self._items)))
            if ttl > 0:
                self._items[key] = failure
        if ttl <= 0:
            return str(err)
        return f"{err} Not retried until {_clock(failure.failed_at + ttl)}."

    def recall(self, key: tuple[str, str]) -> str | None:
        """The warning for a failure still remembered, else None (and it is forgotten)."""
        with self._lock:
            failure = self._items.get(key)
            if failure is None:
                return None
            left = failure.retry_after - time.monotonic()
            if left <= 0:
                del self._items[key]
                return None
        return (
            f"could not be fetched at {_clock(failure.failed_at)} ({failure.message.rstrip('.')}); "
            f"not retried until {_clock(time.time() + left)}."
        )

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def _clock(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%H:%M:%S UTC")


_OBJECTS = _ParsedObjects(1024)
#: Manifests out of reach lately (see :class:`RecentFailures`).
UNREACHABLE = RecentFailures()


def _read_json(store: Store, cid: str, timeout: float | None) -> Any:
    """A manifest object, parsed as untrusted JSON (the store checks its bytes against the CID);
    a CID that could not be fetched lately is not asked for again until its retry time."""
    cached = _OBJECTS.get(cid)
    if cached is not None:
        return cached
    key = (str(getattr(store, "name", type(store).__name__)), cid)
    remembered = UNREACHABLE.recall(key)
    if remembered is not None:
        raise StorageUnavailable(f"{cid} {remembered}")
    try:
        raw = store.get(cid, timeout=timeout)
    except ContentNotFound:
        raise  # a store that answers "not here" answers fast: asking again costs nothing
    except StorageUnavailable as err:
        raise StorageUnavailable(UNREACHABLE.remember(key, err)) from None
    parsed = parse_untrusted(raw, MANIFEST)
    _OBJECTS.put(cid, parsed)
    return parsed


@dataclass(frozen=True)
class _Page:
    cid: str
    first: str
    last: str


def _index(store: Store, batch: AnchoredBatch, timeout: float | None) -> list[_Page]:
    """The pages of a batch's manifest, every field used checked for its type first."""
    index = _read_json(store, batch.manifest, timeout)
    if not isinstance(index, dict) or index.get("format") != MANIFEST_FORMAT:
        raise InputError(f"{batch.manifest} is not a batch manifest ({MANIFEST_FORMAT}).")
    if index.get("root") != _hex32(batch.root):
        raise InputError(f"{batch.manifest} is not the manifest of batch {_hex32(batch.root)}.")
    pages = index.get("pages")
    if not isinstance(pages, list) or len(pages) > max(batch.count, 1):
        raise InputError(
            f"{batch.manifest} does not list the pages of a batch of {batch.count} (a list of "
            "at most one page per entry)."
        )
    checked: list[_Page] = []
    for number, page in enumerate(pages, 1):
        fields = [page.get(k) for k in ("cid", "first", "last")] if isinstance(page, dict) else []
        texts = [f for f in fields if isinstance(f, str) and len(f) <= 128]
        if len(texts) != 3:
            raise InputError(
                f"Page {number} of {batch.manifest} is not {{cid, first, last}} as text."
            )
        item = _Page(*texts)
        if item.first > item.last or (checked and checked[-1].last > item.first):
            raise InputError(f"The pages of {batch.manifest} are not sorted by recipient.")
        checked.append(item)
    return checked


_ENTRY_FIELDS = {"recipient", "tokenId", "expiresAt", "proof"}


def _entries(
    store: Store, deployment: Deployment, batch: AnchoredBatch, page: _Page, timeout: float | None
) -> Iterator[AnchoredCredential]:
    data = _read_json(store, page.cid, timeout)
    if (
        not isinstance(data, dict)
        or data.get("format") != PAGE_FORMAT
        or data.get("root") != _hex32(batch.root)
        or not isinstance(data.get("entries"), list)
    ):
        raise InputError(f"{page.cid} is not a page of batch {_hex32(batch.root)}.")
    for number, entry in enumerate(data["entries"], 1):
        if not isinstance(entry, dict) or set(entry) != _ENTRY_FIELDS:
            raise InputError(
                f"Entry {number} of page {page.cid} is not {{recipient, tokenId, expiresAt, "
                "proof}."
            )
        # The batch's own facts come last: an entry cannot claim another root, chain or issuer.
        yield AnchoredCredential.from_json(
            {
                **entry,
                "format": PROOF_FORMAT,
                "chainId": deployment.chain_id,
                "credential": deployment.credential.address,
                "issuerId": batch.issuer_id,
                "root": _hex32(batch.root),
                "manifest": batch.manifest,
            }
        )


def read_batch(
    store: Store, deployment: Deployment, batch: AnchoredBatch, *, timeout: float | None = None
) -> list[AnchoredCredential]:
    """Every entry of ``batch``'s manifest, each field checked as :func:`waiting_for` checks it
    (what the credential index keeps, read once per batch); :class:`MicrocredError` naming what
    is wrong with the manifest otherwise. Entries are not yet checked against the root."""
    return [
        item
        for page in _index(store, batch, timeout)
        for item in _entries(store, deployment, batch, page, timeout)
    ]


# --------------------------------------------------------------------------------------------------
# Claiming and revoking
# --------------------------------------------------------------------------------------------------


def _check_for_this_chain(chain: Chain, item: AnchoredCredential) -> Anchor:
    """The anchor of ``item``'s root, once the file is for this chain and contract and its proof
    holds; :class:`InputError` naming what is wrong otherwise."""
    if item.chain_id != chain.chain_id:
        raise InputError(
            f"The proof file is for chain {item.chain_id}, not chain {chain.chain_id}."
        )
    if item.credential.lower() != chain.deployment.credential.address.lower():
        raise InputError(
            f"The proof file is for the Credential contract {item.credential}, not "
            f"{chain.deployment.credential.address}."
        )
    if not item.proves():
        raise InputError("The proof in this file does not lead to its root: it was altered.")
    anchors, _ = chain.anchored_state([(item.root, item.token_id)])
    anchor = anchors[item.root]
    if not anchor.exists:
        raise InputError(f"The root {_hex32(item.root)} is not anchored on chain {chain.chain_id}.")
    return anchor


def _claim_refusal(item: AnchoredCredential, anchor: Anchor, status: Any, revoked_at: int) -> str:
    """Why the contract would refuse to claim ``item`` (its ``claim`` rules), or "" if it would
    not: revoked in its batch; minted by the batch's issuer already; minted by another issuer in
    the same second as the anchor or before (a copy made later is displaced by the claim)."""
    if revoked_at:
        return f"The credential {_hex32(item.token_id)} was revoked: it cannot be claimed."
    if not status.exists:
        return ""
    if status.issuer_id == anchor.issuer_id:
        return f"The credential {_hex32(item.token_id)} is in a wallet already."
    if status.issued_at <= anchor.anchored_at:
        return (
            f"The credential {_hex32(item.token_id)} was issued by issuer {status.issuer_id} no "
            f"later than this batch was anchored: it cannot be claimed; ask issuer "
            f"{anchor.issuer_id} to issue it again."
        )
    return ""


def claimable(chain: Chain, items: Sequence[AnchoredCredential]) -> list[AnchoredCredential]:
    """Those of ``items`` a claim would mint now (the contract's rules, read in two calls): not
    revoked in their batch, and never minted, or minted by another issuer after their batch was
    anchored (the claim displaces that copy). Suspended issuers' entries are left to the claim."""
    if not items:
        return []
    anchors, revoked = chain.anchored_state([(i.root, i.token_id) for i in items])
    statuses = chain.credentials([i.token_id for i in items])
    return [
        item
        for item, status, revoked_at in zip(items, statuses, revoked, strict=True)
        if anchors[item.root].exists
        and not _claim_refusal(item, anchors[item.root], status, revoked_at)
    ]


def claim_call(chain: Chain, item: AnchoredCredential) -> Any:
    """The ``claim`` call for ``item``, checked first so the user gets a sentence, not a revert:
    the proof is for this chain and contract, it holds, the root is anchored, the entry is not
    revoked in its batch, and the id is not taken (a copy another issuer minted after the anchor
    does not count: the claim displaces it)."""
    anchor = _check_for_this_chain(chain, item)
    _, (revoked_at,) = chain.anchored_state([(item.root, item.token_id)])
    refusal = _claim_refusal(item, anchor, chain.credential_status(item.token_id), revoked_at)
    if refusal:
        raise InputError(refusal)
    return chain.claim_call(item.root, item.recipient, item.token_id, item.expires_at, item.proof)


def revoke_anchored_call(chain: Chain, item: AnchoredCredential, reason: str) -> Any:
    """The ``revokeAnchored`` call for an unclaimed ``item`` (checked like :func:`claim_call`):
    revoked in its batch only, whatever another issuer did with the same id."""
    if not reason.strip():
        raise InputError("A revocation needs a reason.")
    anchor = _check_for_this_chain(chain, item)
    _, (revoked_at,) = chain.anchored_state([(item.root, item.token_id)])
    if revoked_at:
        raise InputError(f"The credential {_hex32(item.token_id)} is revoked already.")
    status = chain.credential_status(item.token_id)
    if status.exists and status.issuer_id == anchor.issuer_id:
        raise InputError(
            f"The credential {_hex32(item.token_id)} was claimed: revoke it by its token id."
        )
    return chain.revoke_anchored_call(
        root=item.root,
        recipient=item.recipient,
        token_id=item.token_id,
        expires_at=item.expires_at,
        proof=item.proof,
        reason=reason,
    )


def claim(chain: Chain, signer: LocalAccount, item: AnchoredCredential) -> Any:
    """Mint an anchored credential to its recipient (``signer`` pays, whoever it is), checked
    first as :func:`claim_call` says."""
    fn = claim_call(chain, item)
    return chain.transact(fn, signer, action=f"claim credential {_hex32(item.token_id)}")


def revoke_anchored(
    chain: Chain, signer: LocalAccount, item: AnchoredCredential, reason: str
) -> Any:
    """Revoke an unclaimed anchored credential: it can then never be claimed from its batch."""
    fn = revoke_anchored_call(chain, item, reason)
    return chain.transact(fn, signer, action=f"revoke anchored credential {_hex32(item.token_id)}")
