"""How long verifying a wallet takes as it fills up: 10, 100 and 1,000 credentials, on anvil.

    make bench            (or: python bench/verify.py)

For each size: wall time of `verify_wallet` through a warm credential index (as the CLI and the
web app keep one: synced after issuing, before timing), i.e. the index and the tail, every status
from the chain, fetching and checking every document from the embedded store; and the HTTP
round trips it sent (counted by a proxy in front of anvil: the chain's and the index's alike).
The first lookup of each size is shown apart: it also parses every document and checks its proof
once in this process.
Goal (issue 3): 1,000 credentials in under 2 s, and at most 3x the time for 10. Last row: a wallet
whose one credential waits, unclaimed, in an anchored batch of 10,000 (found in the index, where
the batch's manifest was read once by the sync).
"""

from __future__ import annotations

import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

from ape import accounts, chain, networks, project
from eth_account import Account
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "index")]

from _index_proxy import Proxy, ProxyConfig  # noqa: E402

from microcred import issuance, verification  # noqa: E402
from microcred.chain import Chain  # noqa: E402
from microcred.config import web3_for  # noqa: E402
from microcred.deployment import ContractDeployment, Deployment  # noqa: E402
from microcred.index import CredentialIndex, IndexSettings  # noqa: E402
from microcred.issuance import Recipient  # noqa: E402
from microcred.storage import open_store  # noqa: E402

SIZES = (10, 100, 1000)
ANCHORED_BATCH = 10_000
REPEATS = 5
GOAL_SECONDS = 2.0
GOAL_RATIO = 3.0

#: (credentials, first lookup s, median s, best s, HTTP round trips); a negative size is the row
#: of one credential waiting in an anchored batch of that many.
Row = tuple[int, float, float, float, int]


def _deploy() -> Deployment:
    admin = accounts.test_accounts[0]
    registry = project.IssuerRegistry.deploy(admin.address, sender=admin)
    credential = project.Credential.deploy(registry.address, "microcred", "CRED", sender=admin)

    def record(contract) -> ContractDeployment:
        receipt = chain.get_receipt(contract.txn_hash)
        return ContractDeployment(contract.address, receipt.block_number, receipt.txn_hash)

    return Deployment(chain.chain_id, record(registry), record(credential))


def _timed(lib_chain, store, index, proxy, wallet: str, check) -> tuple[float, float, float, int]:
    """The first lookup, then the median and best of ``REPEATS`` more, and the round trips."""
    times = []
    for _ in range(REPEATS + 1):
        proxy.config.requests.clear()
        gc.collect()
        start = time.perf_counter()
        report = verification.verify_wallet(lib_chain, store, wallet, index=index)
        times.append(time.perf_counter() - start)
        check(report)
    first, rest = times[0], times[1:]
    return first, statistics.median(rest), min(rest), len(proxy.config.requests)


def measure(workdir: Path) -> list[Row]:
    deployment = _deploy()
    proxy = Proxy(networks.provider.uri, ProxyConfig())
    try:
        lib_chain = Chain.connect(web3_for(proxy.url), deployment)
        store = open_store(f"local:{workdir / 'ipfs'}")
        settings = IndexSettings(
            url=f"sqlite:///{workdir / 'index.sqlite'}", log_range=100_000, confirmations=0
        )
        index = CredentialIndex.open(lib_chain, store, settings)
        registrar = Account.from_key(accounts.test_accounts[0].private_key)
        staff = Account.from_key(accounts.test_accounts[1].private_key)
        lib_chain.register_issuer(registrar, name="Bench University", signers=[staff.address])
        template = issuance.create_template(
            lib_chain,
            store,
            staff,
            name="Benchmarking",
            description="Measures things.",
            criteria="Ran make bench.",
        )
        rows: list[Row] = []
        for size in SIZES:
            wallet = Account.create().address
            recipients = [
                Recipient(address=wallet, evidence=(f"https://example.org/evidence/{size}/{i}",))
                for i in range(size)
            ]
            issuance.issue_bulk(
                lib_chain,
                store,
                staff,
                template_id=template.template_id,
                recipients=recipients,
                journal_dir=workdir / "journal",
            )
            index.sync()

            def all_valid(report, size=size):
                assert len(report.credentials) == size and report.all_valid

            rows.append((size, *_timed(lib_chain, store, index, proxy, wallet, all_valid)))

        learner = Account.create().address
        cohort = [Recipient(address=learner)] + [
            Recipient(address=Account.create().address) for _ in range(ANCHORED_BATCH - 1)
        ]
        issuance.anchor_bulk(
            lib_chain,
            store,
            staff,
            template_id=template.template_id,
            recipients=cohort,
            journal_dir=workdir / "journal",
            proofs_dir=workdir / "proofs",
        )
        index.sync()  # reads the batch's manifest, once

        def waiting(report):
            assert [c.status for c in report.credentials] == ["anchored"]

        rows.append((-ANCHORED_BATCH, *_timed(lib_chain, store, index, proxy, learner, waiting)))
        index.engine.dispose()
        return rows
    finally:
        proxy.close()


def render(rows: list[Row]) -> Table:
    table = Table(
        title=f"Verify a wallet (anvil, embedded store, warm index; median of {REPEATS} runs "
        "after the first)"
    )
    for column in ("credentials", "first", "median", "best", "HTTP round trips", "x time of 10"):
        table.add_column(column, justify="right")
    base = rows[0][2]
    for size, first, median, best, requests in rows:
        what = f"{size:,}" if size > 0 else f"1 anchored, in a batch of {-size:,}"
        table.add_row(
            what,
            f"{first * 1000:,.0f} ms",
            f"{median * 1000:,.0f} ms",
            f"{best * 1000:,.0f} ms",
            str(requests),
            f"{median / base:.1f}x",
        )
    return table


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        networks.parse_network_choice("ethereum:local:foundry"),
    ):
        rows = measure(Path(tmp))
    console = Console(width=110)
    console.print(render(rows))
    largest = rows[len(SIZES) - 1][2]
    console.print(
        f"1,000 credentials: {largest:.2f} s (goal < {GOAL_SECONDS:.0f} s: "
        f"{'met' if largest < GOAL_SECONDS else 'MISSED'}); "
        f"{largest / rows[0][2]:.1f}x the time for 10 (goal <= {GOAL_RATIO:.0f}x: "
        f"{'met' if largest / rows[0][2] <= GOAL_RATIO else 'MISSED'}); "
        f"first lookup of 1,000 (every document parsed and its proof checked once): "
        f"{rows[len(SIZES) - 1][1]:.2f} s"
    )


if __name__ == "__main__":
    main()
