"""What every suite that talks to anvil shares: start and stop it on a free port, deploy both
contracts from the compiled artifacts (``.build/``, as ``ape run deploy`` wires them), and anvil's
funded default keys. On the tests' import path through ``pythonpath`` in pyproject.toml."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from microcred.deployment import ContractDeployment, Deployment

ROOT = Path(__file__).resolve().parents[1]
ANVIL = ROOT / "node_modules" / ".bin" / "anvil"
BUILD = ROOT / ".build" / "__local__.json"
MNEMONIC = "test test test test test test test test test test test junk"

Account.enable_unaudited_hdwallet_features()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_anvil(port: int, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    """anvil on 127.0.0.1:``port``, ready to answer (its output in ``log``)."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(ANVIL), "--port", str(port), "--host", "127.0.0.1", *extra],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}", request_kwargs={"timeout": 10}))
    deadline = time.monotonic() + 30
    while not w3.is_connected():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"anvil did not start: {log.read_text()[-2000:]}")
        time.sleep(0.05)
    return process


def stop(process: subprocess.Popen[Any]) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def deploy(w3: Web3, admin: str) -> Deployment:
    """Both contracts from the compiled artifacts; ``admin`` holds the registry's roles."""
    types = json.loads(BUILD.read_text())["contractTypes"]

    def one(name: str, *args: Any) -> tuple[str, ContractDeployment]:
        artifact = types[name]
        factory = w3.eth.contract(
            abi=artifact["abi"], bytecode=artifact["deploymentBytecode"]["bytecode"]
        )
        tx = factory.constructor(*args).transact({"from": admin})
        receipt = w3.eth.wait_for_transaction_receipt(tx, timeout=10)
        address = receipt["contractAddress"]
        return address, ContractDeployment(
            address=address, block=receipt["blockNumber"], tx=receipt["transactionHash"].to_0x_hex()
        )

    registry_address, registry = one("IssuerRegistry", admin)
    _, credential = one("Credential", registry_address, "microcred", "CRED")
    return Deployment(chain_id=int(w3.eth.chain_id), registry=registry, credential=credential)


def sent(fn: Any, params: dict[str, Any]) -> Any:
    """Send the contract call ``fn`` with ``params`` and wait for its receipt. anvil answers
    ``eth_sendTransaction`` before its miner has sealed the block, so a read made straight after
    may not see the transaction yet (it failed CI once): every test transaction goes through here.
    """
    receipt = fn.w3.eth.wait_for_transaction_receipt(fn.transact(params), timeout=30)
    if receipt["status"] != 1:
        raise RuntimeError(f"{fn.fn_name} reverted in block {receipt['blockNumber']}")
    return receipt


def funded_keys(count: int = 10) -> tuple[LocalAccount, ...]:
    """anvil's funded default accounts (keys[0] deploys, and so is the admin and registrar)."""
    return tuple(
        Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{n}") for n in range(count)
    )


def _rpc(w3: Web3, method: str, *params: Any) -> Any:
    response = w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
    if "error" in response:
        raise RuntimeError(f"{method}: {response['error']}")
    return response["result"]


@contextmanager
def anvil_restored(w3: Web3) -> Iterator[None]:
    """Whatever happens inside (a test, even one that fails or is interrupted), anvil is left as
    it was: ``evm_snapshot`` before; after, the mempool emptied (a snapshot does not hold it),
    ``evm_revert`` (state, balances, nonces, blocks, the clock), then automine back on and the
    block gas limit as it was (settings, not state: a revert leaves them).

    Not restored: what lives off chain (stores, journals, proof files) and the snapshot itself
    (anvil consumes it on revert, so each use takes its own). Suites sharing one anvil wrap every
    test in it from an autouse fixture::

        @pytest.fixture(autouse=True)
        def _anvil_restored(net):
            with anvil_restored(net.w3):
                yield
    """
    gas_limit = int(w3.eth.get_block("latest")["gasLimit"])
    snapshot = _rpc(w3, "evm_snapshot")
    try:
        yield
    finally:
        _rpc(w3, "anvil_dropAllTransactions")
        if not _rpc(w3, "evm_revert", snapshot):
            raise RuntimeError(f"anvil refused to revert to snapshot {snapshot}")
        _rpc(w3, "evm_setAutomine", True)
        _rpc(w3, "evm_setBlockGasLimit", hex(gas_limit))
