"""Issue 9's lookup matrix (run by bench/index_sync.py): one wallet verified through a warm
index while the chain holds 1 / 100 / 1,000 anchored batches of other issuers and 1,000 /
12,000 blocks of history; and a wallet with 1,000 credentials. Goals: flat (largest within
1.5x of smallest), at most 3 HTTP round trips, 0 IPFS reads for batches not the wallet's,
1,000 credentials in under 0.5 s."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from _anvil import deploy, free_port, start_anvil, stop
from _index_lookup import CountingStore, open_through
from _index_many import OTHER_STAFF_KEY, REGISTRAR_KEY, STAFF_KEY, anchor_many
from _index_proxy import Proxy, ProxyConfig
from eth_account import Account
from rich.console import Console
from rich.table import Table
from web3 import Web3

from microcred.chain import Chain
from microcred.cid import cid_of_token_id
from microcred.config import web3_for
from microcred.issuance import Recipient, anchor_bulk, create_template, issue_bulk, issue_one
from microcred.verification import Subject, verify

HISTORIES = (1_000, 12_000)
BATCHES = (1, 100, 1_000)
RUNS = 11
BATCHES_PER_BLOCK = 100


def _world(work: Path, history: int, console: Console) -> list[tuple]:
    port = free_port()
    anvil = start_anvil(port, work / "anvil.log", "--prune-history")
    rows = []
    try:
        url = f"http://127.0.0.1:{port}"
        w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 300}))
        deployment = deploy(w3, w3.eth.accounts[0])
        path = work / "deployment.json"
        deployment.save(path)
        store = CountingStore(work / "store")
        chain = Chain.connect(web3_for(url), deployment)
        registrar = Account.from_key(REGISTRAR_KEY)
        staff, other = Account.from_key(STAFF_KEY), Account.from_key(OTHER_STAFF_KEY)
        chain.register_issuer(registrar, name="Home College", signers=[staff.address])
        other_id = chain.register_issuer(registrar, name="Busy Academy", signers=[other.address])
        template = create_template(
            chain, store, staff, name="Bench", description="Is found.", criteria="Looked up."
        )
        wallet = Account.create().address
        minted = issue_one(
            chain,
            store,
            staff,
            template_id=template.template_id,
            recipient=wallet,
            evidence=["https://example.org/minted"],
        ).token_id
        cohort = anchor_bulk(
            chain,
            store,
            staff,
            template_id=template.template_id,
            recipients=[Recipient(address=wallet), Recipient(address=Account.create().address)],
            journal_dir=work / "journal",
            proofs_dir=work / "proofs",
        )
        w3.provider.make_request("anvil_mine", [hex(history - int(w3.eth.block_number) - 12)])
        own = {cid_of_token_id(minted), cid_of_token_id(cohort.token_ids[0])}
        proxy = Proxy(url, ProxyConfig())
        lookup_chain, index = open_through(proxy.url, path, store, f"sqlite:///{work / 'i.db'}")
        done = 0
        for batches in BATCHES:
            w3.provider.make_request("evm_setAutomine", [False])
            while done < batches:
                step = min(BATCHES_PER_BLOCK, batches - done)
                anchor_many(chain, store, w3.eth.accounts[2], other_id, step)
                w3.provider.make_request("evm_mine", [])
                done += step
            w3.provider.make_request("evm_setAutomine", [True])
            index.sync()  # warm: what the web app's writer or the CLI keeps
            times, trips, foreign = [], [], []
            for _ in range(RUNS):
                proxy.config.requests.clear()
                store.reads.clear()
                started = time.perf_counter()
                report = verify(lookup_chain, store, Subject(address=wallet), index=index)
                times.append(time.perf_counter() - started)
                trips.append(len(proxy.config.requests))
                foreign.append(len([c for c in store.reads if c not in own]))
                assert len(report.credentials) == 2 and report.all_valid, report
            rows.append(
                (
                    history,
                    int(w3.eth.block_number),
                    batches,
                    statistics.median(times),
                    max(trips),
                    max(foreign),
                )
            )
            console.print(f"  {rows[-1]}")
        # A wallet with 1,000 credentials, on the 12,000-block chain only.
        if history == HISTORIES[-1]:
            many = Account.create().address
            issue_bulk(
                chain,
                store,
                staff,
                template_id=template.template_id,
                recipients=[
                    Recipient(address=many, evidence=(f"https://example.org/e/{i}",))
                    for i in range(1_000)
                ],
                journal_dir=work / "journal",
            )
            index.sync()
            times = []
            for _ in range(RUNS):
                started = time.perf_counter()
                report = verify(lookup_chain, store, Subject(address=many), index=index)
                times.append(time.perf_counter() - started)
                assert len(report.credentials) == 1_000 and report.all_valid
            rows.append((history, int(w3.eth.block_number), -1_000, statistics.median(times), 0, 0))
        proxy.close()
    finally:
        stop(anvil)
    return rows


def lookup_matrix() -> None:
    console = Console(width=110)
    rows = []
    for history in HISTORIES:
        with tempfile.TemporaryDirectory() as tmp:
            console.print(f"building a {history:,}-block chain …")
            rows += _world(Path(tmp), history, console)
    table = Table(title=f"verify one wallet through a warm index (median of {RUNS})")
    for column in (
        "history",
        "anchored batches of others",
        "time",
        "HTTP round trips",
        "IPFS reads not the wallet's",
    ):
        table.add_column(column, justify="right")
    for _history, head, batches, median, trips, foreign in rows:
        if batches < 0:
            continue
        table.add_row(
            f"{head:,} blocks", f"{batches:,}", f"{median * 1000:.0f} ms", str(trips), str(foreign)
        )
    console.print(table)
    flat = [r[3] for r in rows if r[2] > 0]
    ratio = max(flat) / min(flat)
    console.print(
        f"largest / smallest: {ratio:.2f}x (goal <= 1.5x: {'met' if ratio <= 1.5 else 'MISSED'}); "
        f"round trips <= {max(r[4] for r in rows)} (goal <= 3); IPFS reads of others: "
        f"{max(r[5] for r in rows)} (goal 0)"
    )
    for _history, head, batches, median, _, _ in rows:
        if batches < 0:
            console.print(
                f"a wallet with 1,000 credentials ({head:,} blocks): {median:.2f} s warm "
                f"(goal < 0.5 s: {'met' if median < 0.5 else 'MISSED'})"
            )
