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
wallet address finds the credentials waiting for it (:func:`waiting_for`): one ``eth_getLogs``,
then per batch the index and the page that covers the address. Nothing in the manifest is
trusted: each entry's proof must lead to the root anchored on chain, and each document must hash
to its token id.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from .chain import AnchoredBatch, Chain, checksum
from .errors import InputError, StorageError
from .merkle import Leaf, MerkleTree, verify
from .storage import Store

__all__ = [
    "DEFAULT_PROOFS_DIR",
    "PAGE_SIZE",
    "PROOF_FORMAT",
    "AnchoredCredential",
    "BatchEntries",
    "claim",
    "claim_call",
    "find_anchored",
    "find_proof",
    "load_proof",
    "revoke_anchored_call",
    "store_manifest",
    "waiting_for",
]

PROOF_FORMAT = "microcred-anchored/1"
MANIFEST_FORMAT = "microcred-batch/1"
PAGE_FORMAT = "microcred-batch-page/1"
#: Entries per manifest page: ~1.1 KB each with a 14-hash proof, so a page stays under 256 KiB.
PAGE_SIZE = 200
DEFAULT_PROOFS_DIR = Path(".microcred") / "proofs"


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
            return cls(
                chain_id=int(data["chainId"]),
                credential=checksum(data["credential"], what="credential contract address"),
                issuer_id=int(data["issuerId"]),
                root=_bytes32(data["root"], "root"),
                recipient=checksum(data["recipient"], what="recipient address"),
                token_id=int.from_bytes(_bytes32(data["tokenId"], "token id"), "big"),
                expires_at=int(data["expiresAt"]),
                proof=tuple(_bytes32(p, "proof hash") for p in proof),
                manifest=data.get("manifest"),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise InputError(f"The proof file is incomplete or malformed ({err}).") from None


def load_proof(path: str | os.PathLike[str]) -> AnchoredCredential:
    """A proof file as written by an anchored batch."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError(f"Cannot read the proof file {path}: {err.strerror}.") from None
    except json.JSONDecodeError as err:
        raise InputError(f"The proof file {path} is not JSON ({err.msg}).") from None
    return AnchoredCredential.from_json(data)


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
# Reading manifests: what waits for a wallet, where a token id is
# --------------------------------------------------------------------------------------------------

#: Manifests read at once; each read waits on the network, not on the CPU.
READ_WORKERS = 8


@dataclass(frozen=True)
class BatchEntries:
    """What one anchored batch holds for a query, or why its manifest could not be read."""

    batch: AnchoredBatch
    credentials: tuple[AnchoredCredential, ...] = ()
    error: str | None = None


#: Manifest objects read so far, by CID: immutable (a CID is its content's hash), so kept.
_OBJECTS: dict[str, Any] = {}
_OBJECTS_MAX = 1024


def _read_json(store: Store, cid: str, timeout: float | None) -> Any:
    """A manifest object, parsed (the store checks its bytes against the CID)."""
    if cid not in _OBJECTS:
        if len(_OBJECTS) >= _OBJECTS_MAX:
            _OBJECTS.pop(next(iter(_OBJECTS)))
        _OBJECTS[cid] = json.loads(store.get(cid, timeout=timeout))
    return _OBJECTS[cid]


def _index(store: Store, batch: AnchoredBatch, timeout: float | None) -> dict[str, Any]:
    index = _read_json(store, batch.manifest, timeout)
    if (
        not isinstance(index, dict)
        or index.get("format") != MANIFEST_FORMAT
        or index.get("root") != _hex32(batch.root)
        or not isinstance(index.get("pages"), list)
    ):
        raise InputError(f"{batch.manifest} is not the manifest of batch {_hex32(batch.root)}.")
    return index


def _entries(
    store: Store, chain: Chain, batch: AnchoredBatch, page: dict[str, Any], timeout: float | None
) -> Iterator[AnchoredCredential]:
    data = _read_json(store, str(page["cid"]), timeout)
    if (
        not isinstance(data, dict)
        or data.get("format") != PAGE_FORMAT
        or data.get("root") != _hex32(batch.root)
    ):
        raise InputError(f"{page['cid']} is not a page of batch {_hex32(batch.root)}.")
    for entry in data.get("entries", []):
        yield AnchoredCredential.from_json(
            {
                "format": PROOF_FORMAT,
                "chainId": chain.chain_id,
                "credential": chain.deployment.credential.address,
                "issuerId": batch.issuer_id,
                "root": _hex32(batch.root),
                "manifest": batch.manifest,
                **entry,
            }
        )


def _search(
    chain: Chain,
    store: Store,
    batches: Sequence[AnchoredBatch],
    pick_pages: Any,
    keep: Any,
    timeout: float | None,
) -> list[BatchEntries]:
    def one(batch: AnchoredBatch) -> BatchEntries:
        try:
            index = _index(store, batch, timeout)
            found = [
                item
                for page in index["pages"]
                if pick_pages(page)
                for item in _entries(store, chain, batch, page, timeout)
                if keep(item)
            ]
        except (StorageError, InputError, ValueError, KeyError, TypeError) as err:
            return BatchEntries(batch, error=f"manifest {batch.manifest}: {err}")
        return BatchEntries(batch, tuple(found))

    if not batches:
        return []
    with ThreadPoolExecutor(max_workers=min(READ_WORKERS, len(batches))) as pool:
        return list(pool.map(one, batches))


def waiting_for(
    chain: Chain,
    store: Store,
    wallet: str,
    *,
    batches: Sequence[AnchoredBatch] | None = None,
    timeout: float | None = None,
) -> list[BatchEntries]:
    """Every anchored credential whose leaf names ``wallet`` (claimed or not), batch by batch:
    one ``eth_getLogs`` (unless ``batches`` are given), then per batch its manifest index and the
    page covering the address."""
    address = checksum(wallet, what="wallet address").lower()

    def covers(page: dict[str, Any]) -> bool:
        return str(page.get("first", "")) <= address <= str(page.get("last", ""))

    return _search(
        chain,
        store,
        chain.anchored_batches() if batches is None else batches,
        covers,
        lambda item: item.recipient.lower() == address,
        timeout,
    )


def find_anchored(
    chain: Chain,
    store: Store,
    token_id: int,
    *,
    issuer_id: int | None = None,
    timeout: float | None = None,
) -> AnchoredCredential:
    """The anchored entry of ``token_id`` (reads every page of every batch of ``issuer_id``, or of
    all issuers: for revoking or claiming without the proof file, not for routine lookups)."""
    results = _search(
        chain,
        store,
        chain.anchored_batches(issuer_id),
        lambda page: True,
        lambda item: item.token_id == token_id,
        timeout,
    )
    for result in results:
        if result.credentials:
            return result.credentials[0]
    unread = [r.error for r in results if r.error]
    hint = f" ({len(unread)} manifest(s) could not be read: {unread[0]})" if unread else ""
    whose = f" of issuer {issuer_id}" if issuer_id is not None else ""
    raise InputError(
        f"No anchored batch{whose} holds the credential {_hex32(token_id)}{hint}: check the id."
    )


# --------------------------------------------------------------------------------------------------
# Claiming and revoking
# --------------------------------------------------------------------------------------------------


def _check_for_this_chain(chain: Chain, item: AnchoredCredential) -> None:
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
    if not chain.anchor_of(item.root).exists:
        raise InputError(f"The root {_hex32(item.root)} is not anchored on chain {chain.chain_id}.")


def claim_call(chain: Chain, item: AnchoredCredential) -> Any:
    """The ``claim`` call for ``item``, checked first so the user gets a sentence, not a revert:
    the proof is for this chain and contract, it holds, the root is anchored, and the id is not
    on chain (in a wallet, or revoked) yet."""
    _check_for_this_chain(chain, item)
    status = chain.credential_status(item.token_id)
    if status.exists:
        raise InputError(f"The credential {_hex32(item.token_id)} is in a wallet already.")
    if status.revoked:
        raise InputError(
            f"The credential {_hex32(item.token_id)} was revoked: it cannot be claimed."
        )
    return chain.claim_call(item.root, item.recipient, item.token_id, item.expires_at, item.proof)


def revoke_anchored_call(chain: Chain, item: AnchoredCredential, reason: str) -> Any:
    """The ``revokeAnchored`` call for an unclaimed ``item`` (checked like :func:`claim_call`)."""
    if not reason.strip():
        raise InputError("A revocation needs a reason.")
    _check_for_this_chain(chain, item)
    status = chain.credential_status(item.token_id)
    if status.revoked:
        raise InputError(f"The credential {_hex32(item.token_id)} is revoked already.")
    if status.issued_at:
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
    """Revoke an unclaimed anchored credential: it can then never be claimed."""
    fn = revoke_anchored_call(chain, item, reason)
    return chain.transact(fn, signer, action=f"revoke anchored credential {_hex32(item.token_id)}")
