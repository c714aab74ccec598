"""Load: 10,000 credentials from one CSV, end to end through the `microcred` command, minted
(`issue --csv`) and then anchored in one transaction (`issue --csv --anchor`).

    python bench/load_issue.py [ROWS]      (a benchmark, not a test: it prints figures)

For each mode: a fresh anvil on its own free port, the contracts deployed from the compiled
artifacts, an issuer and a template, then the command as a child process with the embedded store.
Printed: wall time, credentials per second, and the CLI process's peak RSS (its own high-water
mark, from os.wait4's rusage; goal < 500 MB, issue 5).
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_utils import to_checksum_address
from web3 import Web3

from microcred.chain import Chain
from microcred.config import web3_for
from microcred.deployment import ContractDeployment, Deployment
from microcred.issuance import create_template
from microcred.storage import LocalStore

ROOT = Path(__file__).resolve().parents[1]
ANVIL = ROOT / "node_modules" / ".bin" / "anvil"
BUILD = ROOT / ".build" / "__local__.json"
MNEMONIC = "test test test test test test test test test test test junk"
GOAL_RSS_MB = 500

Account.enable_unaudited_hdwallet_features()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_anvil(port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(ANVIL), "--port", str(port), "--host", "127.0.0.1"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}"))
    deadline = time.monotonic() + 30
    while not w3.is_connected():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"anvil did not start: {log.read_text()[-2000:]}")
        time.sleep(0.05)
    return process


def stop(process: subprocess.Popen[Any]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def key(n: int) -> Any:
    return Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{n}")


def deploy(w3: Web3, admin: str) -> Deployment:
    types = json.loads(BUILD.read_text())["contractTypes"]

    def one(name: str, *args: Any) -> tuple[str, ContractDeployment]:
        artifact = types[name]
        factory = w3.eth.contract(
            abi=artifact["abi"], bytecode=artifact["deploymentBytecode"]["bytecode"]
        )
        receipt = w3.eth.wait_for_transaction_receipt(
            factory.constructor(*args).transact({"from": admin})
        )
        return receipt["contractAddress"], ContractDeployment(
            address=receipt["contractAddress"],
            block=receipt["blockNumber"],
            tx=receipt["transactionHash"].to_0x_hex(),
        )

    registry_address, registry = one("IssuerRegistry", admin)
    _, credential = one("Credential", registry_address, "microcred", "CRED")
    return Deployment(chain_id=int(w3.eth.chain_id), registry=registry, credential=credential)


def setup_chain(rpc_url: str, workdir: Path) -> tuple[Chain, Path, LocalStore, Any, int]:
    """Deploy, accredit "Load University" (signer: anvil account 1) and publish a template."""
    w3 = web3_for(rpc_url)
    registrar, staff = key(0), key(1)
    deployment = deploy(w3, registrar.address)
    deployment_path = workdir / f"{deployment.chain_id}.json"
    deployment.save(deployment_path)
    chain = Chain.connect(w3, deployment)
    store = LocalStore(workdir / "ipfs")
    chain.register_issuer(registrar, name="Load University", signers=[staff.address])
    template = create_template(
        chain,
        store,
        staff,
        name="Load testing",
        description="Puts a system under load and reads the figures.",
        criteria="Ran the benchmark.",
        skills=["Benchmarking"],
    )
    return chain, deployment_path, store, staff, template.template_id


def main(rows: int = 10_000) -> None:
    if not ANVIL.exists() or not BUILD.exists():
        raise SystemExit("anvil or the compiled contracts are missing: run `make compile`")
    for anchor in (False, True):
        run(rows, anchor=anchor)


def run(rows: int, *, anchor: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="microcred-load-") as tmp:
        workdir = Path(tmp)
        port = free_port()
        anvil = start_anvil(port, workdir / "anvil.log")
        try:
            rpc_url = f"http://127.0.0.1:{port}"
            chain, deployment_path, store, staff, template_id = setup_chain(rpc_url, workdir)
            rng = random.Random(10_000)
            csv = workdir / "cohort.csv"
            csv.write_text(
                "address,expires,evidence\n"
                + "".join(
                    f"{to_checksum_address(rng.randbytes(20))},2031-06-30,"
                    f"https://example.org/evidence/{n}\n"
                    for n in range(rows)
                )
            )
            env = {
                **os.environ,
                "MICROCRED_RPC_URL": rpc_url,
                "MICROCRED_DEPLOYMENT": str(deployment_path),
                "MICROCRED_STORE": f"local:{store.directory}",
                "MICROCRED_PRIVATE_KEY": staff.key.hex(),
            }
            env.pop("MICROCRED_ACCOUNT", None)
            command = [
                sys.executable, "-m", "microcred.cli", "issue",
                "--template", f"0x{template_id:064x}", "--csv", str(csv),
                "--journal-dir", str(workdir / "journal"),
                *(["--anchor", "--proofs-dir", str(workdir / "proofs")] if anchor else []),
            ]  # fmt: skip
            started = time.perf_counter()
            child = subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            _, status, usage = os.wait4(child.pid, 0)
            elapsed = time.perf_counter() - started
            child.returncode = os.waitstatus_to_exitcode(status)
            out = child.stdout.read().decode() if child.stdout else ""
            err = child.stderr.read().decode() if child.stderr else ""
            if child.returncode != 0:
                raise SystemExit(f"microcred failed ({child.returncode}):\n{out}\n{err[-3000:]}")
            peak_mb = usage.ru_maxrss / 1024  # Linux: kilobytes
            if anchor:  # anchored: the root on chain, one proof file per credential
                root = bytes.fromhex(out.strip().splitlines()[-1][2:])
                on_chain = chain.anchor_of(root).count
                on_chain = min(on_chain, len(list((workdir / "proofs").glob("*/0x*.json"))))
            else:
                on_chain = sum(s.exists for s in chain.credentials(_ids(workdir / "journal")))
        finally:
            stop(anvil)
    print(f"--- {'anchored (issue --csv --anchor)' if anchor else 'minted (issue --csv)'}")
    print(out.strip())
    print(f"rows                 {rows:,}")
    print(f"on chain afterwards  {on_chain:,}" + (" (in the anchored root)" if anchor else ""))
    print(f"wall time            {elapsed:.1f} s (CLI start to exit: parse, build, store, issue)")
    print(f"rate                 {rows / elapsed:.0f} credentials/s")
    verdict = "OK" if peak_mb < GOAL_RSS_MB else "OVER GOAL"
    print(f"CLI peak RSS         {peak_mb:.0f} MB (goal < {GOAL_RSS_MB} MB: {verdict})")


def _ids(journal_dir: Path) -> list[int]:
    ids: list[int] = []
    for path in journal_dir.glob("*.jsonl"):
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            if entry["kind"] == "sent":
                ids += [int(t, 16) for t in entry["tokens"]]
    return ids


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
