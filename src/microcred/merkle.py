"""Merkle trees of anchored credentials, exactly as OpenZeppelin builds and checks them.

A batch of credentials is committed on chain by one root (``Credential.anchor``). Each leaf is a
credential's ``(recipient, tokenId, expiresAt)`` ABI-encoded as ``(address, uint256, uint64)`` and
hashed twice, ``keccak256(keccak256(abi.encode(...)))``, so no leaf can pass for an inner node; a
node is the keccak256 of its two children in ascending order ("sorted pairs"), so a proof is just
the list of siblings. That is OpenZeppelin's ``MerkleProof.verifyCalldata`` on chain and its
``StandardMerkleTree`` layout here: leaves sorted by hash, stored in a complete binary tree in an
array (node ``i`` has children ``2i+1`` and ``2i+2``). Roots and proofs are identical to those of
``StandardMerkleTree.of(values, ["address", "uint256", "uint64"])`` in npm
``@openzeppelin/merkle-tree`` (a known vector is in the tests), so other tools can rebuild a batch.

>>> entries = [Leaf("0x70997970C51812dc3A010C7d01b50e0d17dc79C8", token_id=n, expires_at=0)
...            for n in (1, 2, 3)]
>>> tree = MerkleTree(entries)
>>> proof = tree.proof(entries[1])
>>> verify(tree.root, entries[1], proof)
True
>>> verify(tree.root, Leaf(entries[1].recipient, token_id=4, expires_at=0), proof)
False
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

__all__ = ["Leaf", "MerkleTree", "hash_pair", "leaf_hash", "verify"]


@dataclass(frozen=True)
class Leaf:
    """One anchored credential as the contract sees it."""

    recipient: str
    token_id: int
    expires_at: int  # 0: never

    def hash(self) -> bytes:
        return leaf_hash(self.recipient, self.token_id, self.expires_at)


def leaf_hash(recipient: str, token_id: int, expires_at: int) -> bytes:
    """``keccak256(bytes.concat(keccak256(abi.encode(recipient, tokenId, expiresAt))))``."""
    encoded = encode(
        ["address", "uint256", "uint64"], [to_checksum_address(recipient), token_id, expires_at]
    )
    return keccak(keccak(encoded))


def hash_pair(a: bytes, b: bytes) -> bytes:
    """An inner node: the keccak256 of its children, smaller first."""
    return keccak(a + b) if a < b else keccak(b + a)


def verify(root: bytes, leaf: Leaf | bytes, proof: Sequence[bytes]) -> bool:
    """Whether ``proof`` leads from ``leaf`` to ``root`` (``MerkleProof.verify``)."""
    node = leaf.hash() if isinstance(leaf, Leaf) else leaf
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node == root


class MerkleTree:
    """A tree over at least one leaf; the same leaves always give the same root, in any order.

    Duplicate leaves are refused: a credential appears once in a batch.
    """

    def __init__(self, leaves: Sequence[Leaf]) -> None:
        if not leaves:
            raise ValueError("a Merkle tree needs at least one leaf")
        hashes = {leaf.hash(): leaf for leaf in leaves}
        if len(hashes) != len(leaves):
            raise ValueError("the same leaf appears twice")
        ordered = sorted(hashes)
        size = 2 * len(ordered) - 1
        nodes: list[bytes] = [b""] * size
        for i, digest in enumerate(ordered):
            nodes[size - 1 - i] = digest
        for i in range(size - 1 - len(ordered), -1, -1):
            nodes[i] = hash_pair(nodes[2 * i + 1], nodes[2 * i + 2])
        self._nodes = nodes
        self._index = {digest: size - 1 - i for i, digest in enumerate(ordered)}

    def __len__(self) -> int:
        return len(self._index)

    @property
    def root(self) -> bytes:
        return self._nodes[0]

    @property
    def root_hex(self) -> str:
        return "0x" + self.root.hex()

    def proof(self, leaf: Leaf) -> list[bytes]:
        """The siblings from ``leaf`` up to the root; ``KeyError`` if it is not in the tree."""
        index = self._index[leaf.hash()]
        proof = []
        while index > 0:
            sibling = index + 1 if index % 2 else index - 1
            proof.append(self._nodes[sibling])
            index = (index - 1) // 2
        return proof
