"""How long verifying a wallet takes as it fills up: 10, 100 and 1,000 credentials, on anvil.

    make bench            (or: python bench/verify.py)

For each size: wall time of `verify_wallet` (chain reads + fetching and checking every document
from the embedded store) and the JSON-RPC requests it sent. Goal (issue 3): 1,000 credentials in
under 2 s, and at most 3x the time for 10. Last row: a wallet whose one credential waits, unclaimed,
in an anchored batch of 10,000 (found through the batch manifest: its index and one page).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from ape import accounts, chain, networks, project
from eth_account import Account
from rich.console import Console
from rich.table import Table

from microcred import issuance, verification
from microcred.chain import Chain
from microcred.config import web3_for
from microcred.deployment import ContractDeployment, Deployment
from microcred.issuance import Recipient
from microcred.storage import open_store

SIZES = (10, 100, 1000)
ANCHORED_BATCH = 10_000
REPEATS = 5
GOAL_SECONDS = 2.0
GOAL_RATIO = 3.0


def _deploy() -> Deployment:
    admin = accounts.test_accounts[0]
    registry = project.IssuerRegistry.deploy(admin.address, sender=admin)
    credential = project.Credential.deploy(registry.address, "microcred", "CRED", sender=admin)

    def record(contract) -> ContractDeployment:
        receipt = chain.get_receipt(contract.txn_hash)
        return ContractDeployment(contract.address, receipt.block_number, receipt.txn_hash)

    return Deployment(chain.chain_id, record(registry), record(credential))


def measure(workdir: Path) -> list[tuple[int, float, float, int]]:
    """Rows of (credentials, median seconds, best seconds, RPC requests)."""
    w3 = web3_for(networks.provider.uri)
    deployment = _deploy()
    lib_chain = Chain.connect(w3, deployment)
    store = open_store(f"local:{workdir / 'ipfs'}")
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
    rows = []
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
        times = []
        for _ in range(REPEATS):
            sent = _count_http_requests(w3)
            start = time.perf_counter()
            report = verification.verify_wallet(lib_chain, store, wallet)
            times.append(time.perf_counter() - start)
            assert len(report.credentials) == size and report.all_valid
        rows.append((size, statistics.median(times), min(times), len(sent)))

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
    times = []
    for _ in range(REPEATS):  # the first run reads the manifest; later ones find it cached
        sent = _count_http_requests(w3)
        start = time.perf_counter()
        report = verification.verify_wallet(lib_chain, store, learner)
        times.append(time.perf_counter() - start)
        assert [c.status for c in report.credentials] == ["anchored"]
    rows.append((-ANCHORED_BATCH, statistics.median(times), min(times), len(sent)))
    return rows


def _count_http_requests(w3) -> list[str]:
    """Record every HTTP round trip the provider makes from now on (a JSON-RPC batch is one)."""
    provider = type(w3.provider)
    sent: list[str] = []
    # _make_request is below web3's middlewares and request cache: what really goes over HTTP.
    single, batch = provider._make_request, provider.make_batch_request

    def make_request(self, method, params):
        sent.append(str(method))
        return single(self, method, params)

    def make_batch_request(self, requests):
        sent.append("batch:" + ",".join(str(method) for method, _ in requests))
        return batch(self, requests)

    w3.provider._make_request = make_request.__get__(w3.provider)
    w3.provider.make_batch_request = make_batch_request.__get__(w3.provider)
    return sent


def render(rows: list[tuple[int, float, float, int]]) -> Table:
    table = Table(title=f"Verify a wallet (anvil, embedded store, median of {REPEATS} runs)")
    for column in ("credentials", "median", "best", "RPC requests", "x time of 10"):
        table.add_column(column, justify="right")
    base = rows[0][1]
    for size, median, best, requests in rows:
        what = f"{size:,}" if size > 0 else f"1 anchored, in a batch of {-size:,}"
        table.add_row(
            what,
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
    largest = rows[len(SIZES) - 1][1]
    console.print(
        f"1,000 credentials: {largest:.2f} s (goal < {GOAL_SECONDS:.0f} s: "
        f"{'met' if largest < GOAL_SECONDS else 'MISSED'}); "
        f"{largest / rows[0][1]:.1f}x the time for 10 (goal <= {GOAL_RATIO:.0f}x: "
        f"{'met' if largest / rows[0][1] <= GOAL_RATIO else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
