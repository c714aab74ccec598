"""Gas per credential, measured on anvil, beside an OpenZeppelin ERC721URIStorage mint.

    make bench            (or: python bench/gas.py)

Prints one table. Goals (issue 2): at most 55,000 gas per credential in a batch of 100 to new
holders, at most 100,000 for a single issue. Issue 6: anchoring a batch under 100,000 gas whatever
its size (the tree is built here in Python), at most 70,000 per claim to a new holder (with a proof
from the 10,000 tree).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ape import accounts, chain, networks, project
from ape.contracts import ContractContainer
from eth_account import Account
from ethpm_types import ContractType
from rich.console import Console
from rich.table import Table

from microcred.cid import ipfs_uri, token_id_of
from microcred.merkle import Leaf, MerkleTree

BATCH = 100
GOAL_BATCH = 55_000
GOAL_SINGLE = 100_000
GOAL_ANCHOR = 100_000  # per batch, whatever its size
GOAL_CLAIM = 70_000
ANCHORED = (100, 1_000, 10_000)
#: A batch manifest digest: the contract logs it, never reads it.
MANIFEST = hashlib.sha256(b"manifest").digest()


def _compiled(name: str) -> ContractContainer:
    """A contract of this project from the build artifact: with the npm dependency's sources in
    contracts/.cache (a fresh install), Ape lists only the top of contracts/, not its bench/."""
    artifact = json.loads((Path(__file__).parents[1] / ".build" / "__local__.json").read_text())
    return ContractContainer(ContractType.model_validate(artifact["contractTypes"][name]))


def _new_holders(count: int) -> list[str]:
    return [Account.create().address for _ in range(count)]


def _new_token_ids(count: int) -> list[int]:
    return [token_id_of(os.urandom(64)) for _ in range(count)]


def measure() -> list[tuple[str, int, int, int | None]]:
    """Rows of (what, credentials, total gas, goal per credential)."""
    admin, signer = accounts.test_accounts[0], accounts.test_accounts[1]
    registry = project.IssuerRegistry.deploy(admin.address, sender=admin)
    credential = project.Credential.deploy(registry.address, "microcred", "CRED", sender=admin)
    registry.registerIssuer("Bench University", "", [signer.address], sender=admin)
    baseline = _compiled("ERC721URIStorageBaseline").deploy(sender=admin)

    rows: list[tuple[str, int, int, int | None]] = []
    for contract in (registry, credential):
        receipt = chain.get_receipt(contract.txn_hash)
        rows.append(
            (f"deploy {contract.contract_type.name} (once per network)", 1, receipt.gas_used, None)
        )
    # Warm-up: the issuer's first credential pays nothing extra, but keep every figure comparable.
    single = credential.issue(_new_holders(1)[0], _new_token_ids(1)[0], 0, sender=signer)
    rows.append(("microcred issue (1 credential, new holder)", 1, single.gas_used, GOAL_SINGLE))

    holders, ids = _new_holders(BATCH), _new_token_ids(BATCH)
    batch = credential.issueBatch(holders, ids, [0] * BATCH, sender=signer)
    rows.append((f"microcred issueBatch ({BATCH} new holders)", BATCH, batch.gas_used, GOAL_BATCH))

    revoke = credential.revoke(ids[0], "bench", sender=signer)
    rows.append(("microcred revoke (reason 'bench')", 1, revoke.gas_used, None))

    # An issuer's Ed25519 signing key: bound once per signer (and per rotation), one slot.
    public_key = hashlib.sha256(b"bench assertion key").digest()
    registered = registry.registerAssertionKey(public_key, sender=signer)
    rows.append(("microcred registerAssertionKey (one Ed25519 key)", 1, registered.gas_used, None))
    rotated = registry.revokeAssertionKey(1, public_key, "bench", sender=signer)
    rows.append(("microcred revokeAssertionKey (reason 'bench')", 1, rotated.gas_used, None))

    trees = {}
    for size in ANCHORED:
        leaves = [
            Leaf(holder, token_id, 0)
            for holder, token_id in zip(_new_holders(size), _new_token_ids(size), strict=True)
        ]
        tree = MerkleTree(leaves)
        trees[size] = (tree, leaves)
        anchored = credential.anchor(tree.root, size, MANIFEST, sender=signer)
        # The whole batch's gas, whatever its size: the goal is per transaction.
        rows.append(
            (
                f"microcred anchor ({size:,} credentials, one root)",
                1,
                anchored.gas_used,
                GOAL_ANCHOR,
            )
        )
        rows.append((f"  the same, per credential of the {size:,}", size, anchored.gas_used, None))
    tree, leaves = trees[ANCHORED[-1]]
    leaf = leaves[len(leaves) // 2]
    proof = tree.proof(leaf)
    # Sent by a relayer (the admin), minted to the leaf's new holder.
    claimed = credential.claim(tree.root, leaf.recipient, leaf.token_id, 0, proof, sender=admin)
    rows.append(
        (
            f"microcred claim (new holder, {len(proof)}-hash proof of the {len(leaves):,} tree)",
            1,
            claimed.gas_used,
            GOAL_CLAIM,
        )
    )
    # The same learner claims from another batch of 10,000: their balance slot exists already.
    again = [Leaf(leaf.recipient, _new_token_ids(1)[0], 0)] + [
        Leaf(holder, token_id, 0)
        for holder, token_id in zip(_new_holders(size - 1), _new_token_ids(size - 1), strict=True)
    ]
    second = MerkleTree(again)
    credential.anchor(second.root, size, MANIFEST, sender=signer)
    proof = second.proof(again[0])
    claimed = credential.claim(
        second.root, again[0].recipient, again[0].token_id, 0, proof, sender=admin
    )
    rows.append(
        (
            f"microcred claim (holder of a credential already, {len(proof)}-hash proof)",
            1,
            claimed.gas_used,
            GOAL_CLAIM,
        )
    )

    # Revoking an entry nobody claimed yet (the issuer proves it is in its batch).
    unclaimed = again[1]
    revoked = credential.revokeAnchored(
        second.root,
        unclaimed.recipient,
        unclaimed.token_id,
        0,
        second.proof(unclaimed),
        "bench",
        sender=signer,
    )
    rows.append(("microcred revokeAnchored (unclaimed, reason 'bench')", 1, revoked.gas_used, None))

    uri = ipfs_uri(ids[0])
    mint = baseline.mint(_new_holders(1)[0], uri, sender=admin)
    rows.append(("OpenZeppelin ERC721URIStorage mint (1, ipfs:// URI)", 1, mint.gas_used, None))
    uris = [ipfs_uri(token_id) for token_id in _new_token_ids(BATCH)]
    mint_batch = baseline.mintBatch(_new_holders(BATCH), uris, sender=admin)
    rows.append(
        (
            f"OpenZeppelin ERC721URIStorage mint ({BATCH} in one tx)",
            BATCH,
            mint_batch.gas_used,
            None,
        )
    )
    return rows


def render(rows: list[tuple[str, int, int, int | None]]) -> Table:
    table = Table(title="Gas per credential (anvil, solc 0.8.28, optimizer 200 runs)")
    table.add_column("operation")
    table.add_column("credentials", justify="right")
    table.add_column("gas (tx)", justify="right")
    table.add_column("gas per credential", justify="right")
    table.add_column("goal", justify="right")
    for what, count, gas, goal in rows:
        per = gas // count
        verdict = "" if goal is None else (f"<= {goal:,} " + ("met" if per <= goal else "MISSED"))
        table.add_row(what, str(count), f"{gas:,}", f"{per:,}", verdict)
    return table


def main() -> None:
    with networks.parse_network_choice("ethereum:local:foundry"):
        rows = measure()
    Console(width=130).print(render(rows))


if __name__ == "__main__":
    main()
