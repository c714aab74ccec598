"""What tests look up through the credential index, as the CLI and the pages do: a throwaway
in-memory index synced from the deployment's start block (the same code as the kept one)."""

from __future__ import annotations

from sqlalchemy import select

from microcred.anchoring import AnchoredCredential
from microcred.chain import AnchoredBatch, Chain, CredentialStatus, checksum
from microcred.index import CredentialIndex
from microcred.index import schema as t
from microcred.storage import Store


def waiting_for(chain: Chain, store: Store, wallet: str) -> list[AnchoredCredential]:
    """The anchored entries naming ``wallet`` (claimed or not) whose proof leads to their root."""
    return list(CredentialIndex.throwaway(chain, store).wallet(wallet).anchored)


def anchored_batches(chain: Chain, store: Store) -> list[AnchoredBatch]:
    """Every batch anchored on the deployment, oldest first, as the index recorded it."""
    index = CredentialIndex.throwaway(chain, store)
    b = t.batches
    with index.engine.connect() as conn:
        rows = conn.execute(select(b).order_by(b.c.block, b.c.log_index)).all()
    return [
        AnchoredBatch(
            root=bytes.fromhex(r.root[2:]),
            issuer_id=int(r.issuer_id),
            signer=checksum(r.signer),
            count=int(r.count),
            manifest=r.manifest,
            block=int(r.block),
        )
        for r in rows
    ]


_TRANSFER = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"


def minted_to(chain: Chain, wallet: str) -> list[int]:
    """Token ids ever minted to ``wallet``, oldest first, read straight from the chain's
    ``Transfer`` logs: the tests' own oracle, independent of the index they check."""
    logs = chain.w3.eth.get_logs(
        {
            "address": chain.credential.address,
            "fromBlock": chain.deployment.start_block,
            "toBlock": "latest",
            "topics": [
                "0x"
                + chain.w3.keccak(text="Transfer(address,address,uint256)")
                .hex()
                .removeprefix("0x"),
                "0x" + "0" * 64,
                "0x" + "0" * 24 + wallet[2:].lower(),
            ],
        }
    )
    return list(dict.fromkeys(int.from_bytes(bytes(log["topics"][3]), "big") for log in logs))


def wallet_credentials(chain: Chain, wallet: str) -> list[CredentialStatus]:
    """Every credential ever minted to ``wallet`` with the chain's status of it."""
    return chain.credentials(minted_to(chain, wallet))
