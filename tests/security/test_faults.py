"""Faults injected into real parts (issue 5): the IPFS node down or hanging, the RPC node down or
answering errors, a chain reorganisation, a dropped transaction, a stuck one (replaced with a
higher fee). After each, either nothing was sent, or running the same command again reconciles with
the chain and issues every credential exactly once."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from _lookups import minted_to
from eth_account import Account

from microcred.chain import Chain
from microcred.config import Settings, web3_for
from microcred.errors import ChainError, ConfigError, MicrocredError, StorageError
from microcred.issuance import Journal, Progress, Recipient, issue_bulk, issue_one
from microcred.replacement import FeePolicy
from microcred.storage import open_store
from microcred.verification import parse_subject, verify


class Interrupted(Exception):
    """Stands for the process dying at a chosen point."""


def _recipients(count: int) -> list[Recipient]:
    return [Recipient(address=Account.create().address, line=n + 2) for n in range(count)]


def _bulk(chain, store, issuer, recipients, journal_dir, **kwargs):
    # The CLI's duplicates policy ("skip"): these runs resume what a CLI run started, and the
    # policy is part of the journal's name (another policy is another run).
    kwargs.setdefault("duplicates", "skip")
    return issue_bulk(
        chain,
        store,
        issuer.key,
        template_id=issuer.template.template_id,
        recipients=recipients,
        journal_dir=journal_dir,
        **kwargs,
    )


def _each_once(net, recipients, result) -> None:
    minted = {r.address: minted_to(net.chain, r.address) for r in recipients}
    assert all(len(ids) == 1 for ids in minted.values()), minted
    ids = [ids[0] for ids in minted.values()]
    assert sorted(ids) == sorted(result.token_ids)
    assert all(s.valid for s in net.chain.credentials(ids))


# --------------------------------------------------------------------------------------------------
# IPFS
# --------------------------------------------------------------------------------------------------


def test_ipfs_node_down_while_issuing_one_sends_nothing(net, issuer, closed_port_url):
    # The embedded store still serves the template; the IPFS node the issuer pins to is down.
    store = open_store(f"local:{net.store_dir},kubo:{closed_port_url}", timeout=2)
    nonce = net.nonce(issuer.key.address)
    with pytest.raises(StorageError, match=f"IPFS node at {closed_port_url}"):
        issue_one(
            net.chain, store, issuer.key, template_id=issuer.template.template_id,
            recipient=Account.create().address,
        )  # fmt: skip
    assert net.nonce(issuer.key.address) == nonce


class _Hanging(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        time.sleep(5)
        self.send_response(500)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_ipfs_node_hanging_while_issuing_in_bulk_sends_nothing(net, issuer, serve, tmp_path):
    url = serve(_Hanging)
    store = open_store(f"local:{net.store_dir},kubo:{url}", timeout=1)
    nonce = net.nonce(issuer.key.address)
    # Bounded: the node answers 500 after 5 s, so only the 1 s timeout gives this error (how long
    # it takes is measured by bench/timings.py, not asserted).
    with pytest.raises(StorageError, match="did not answer|in time|timed out"):
        _bulk(net.chain, store, issuer, _recipients(3), tmp_path)
    assert net.nonce(issuer.key.address) == nonce


class _StopBeforeSending(Progress):
    def start(self, phase: str, total: int) -> None:
        if phase == "issue":
            raise Interrupted


def test_documents_stored_locally_are_not_enough_when_the_mirror_node_is_down(
    net, issuer, closed_port_url, tmp_path
):
    """A run killed after storing (embedded store only), resumed with the store set to also pin
    on a node that is down: it must not send, since the documents are not where it was told to
    put them (regression: MirrorStore.has answered for *any* copy)."""
    recipients = _recipients(3)
    with pytest.raises(Interrupted):
        _bulk(net.chain, net.store, issuer, recipients, tmp_path, progress=_StopBeforeSending())
    nonce = net.nonce(issuer.key.address)
    mirror = open_store(f"local:{net.store_dir},kubo:{closed_port_url}", timeout=2)
    with pytest.raises(StorageError):
        _bulk(net.chain, mirror, issuer, recipients, tmp_path)
    assert net.nonce(issuer.key.address) == nonce


# --------------------------------------------------------------------------------------------------
# RPC node
# --------------------------------------------------------------------------------------------------


def test_rpc_node_down_is_a_config_error_naming_the_setting(net, closed_port_url):
    with pytest.raises(ConfigError, match="Cannot reach the RPC node .*MICROCRED_RPC_URL"):
        Settings(rpc_url=closed_port_url).chain()
    with pytest.raises(ConfigError, match="Cannot reach the RPC node"):
        Settings(rpc_url=closed_port_url, deployment_path=net.deployment_path).chain()


class _ErrorNode(BaseHTTPRequestHandler):
    """A node that answers every JSON-RPC request with an error."""

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        answer = {"jsonrpc": "2.0", "id": body.get("id"), "error": {"code": -32603,
                  "message": "internal error"}}  # fmt: skip
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def test_rpc_node_answering_errors_is_a_config_error(net, serve):
    url = serve(_ErrorNode)
    with pytest.raises(ConfigError, match="Cannot reach the RPC node"):
        Settings(rpc_url=url, deployment_path=net.deployment_path).chain()


def _proxy(upstream: str):
    """A real HTTP relay to anvil that can be switched off (``handler.down = True``): the node
    going away in the middle of a run."""

    class Relay(BaseHTTPRequestHandler):
        down = False

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if Relay.down:
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            request = urllib.request.Request(
                upstream, data=body, headers={"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                data = response.read()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    return Relay


def test_rpc_node_lost_mid_run_is_a_chain_error_and_the_rerun_completes(
    net, issuer, serve, tmp_path
):
    relay = _proxy(net.rpc_url)
    chain = Chain.connect(web3_for(serve(relay)), net.deployment)
    recipients = _recipients(5)

    def node_goes_away(number: int, tx: str) -> None:
        relay.down = True

    with pytest.raises(MicrocredError) as caught:
        _bulk(chain, net.store, issuer, recipients, tmp_path, batch_size=2,
              after_batch=node_goes_away)  # fmt: skip
    assert isinstance(caught.value, ChainError)
    assert "RPC node" in str(caught.value)
    journal = Journal(next(tmp_path.glob("*.jsonl")))
    assert [e["kind"] for e in journal.entries] == ["start", "sent", "confirmed"]

    relay.down = False
    result = _bulk(chain, net.store, issuer, recipients, tmp_path, batch_size=2)
    assert (len(result.already), len(result.issued)) == (2, 3)
    _each_once(net, recipients, result)


def test_verification_with_the_node_lost_is_a_chain_error_not_a_verdict(
    net, issuer, serve, tmp_path
):
    holder = Account.create().address
    issue_one(net.chain, net.store, issuer.key, template_id=issuer.template.template_id,
              recipient=holder)  # fmt: skip
    relay = _proxy(net.rpc_url)
    chain = Chain.connect(web3_for(serve(relay)), net.deployment)
    assert verify(chain, net.store, parse_subject(holder)).all_valid
    relay.down = True
    with pytest.raises(ChainError, match="Lost the RPC node while reading the chain"):
        verify(chain, net.store, parse_subject(holder))


# --------------------------------------------------------------------------------------------------
# Reorganisation, dropped and stuck transactions
# --------------------------------------------------------------------------------------------------


def test_a_reorg_that_drops_confirmed_batches_is_repaired_by_running_again(net, issuer, tmp_path):
    recipients = _recipients(5)
    first = _bulk(net.chain, net.store, issuer, recipients, tmp_path, batch_size=2)
    assert len(first.issued) == 5 and len(first.transactions) == 3
    assert Journal(first.journal).entries[-1]["kind"] == "done"  # the journal says all is well

    # Replace the last two blocks (batches 2 and 3) with empty ones: 3 credentials vanish.
    net.rpc("anvil_reorg", 2, [])
    gone = [t for t in first.token_ids if not net.chain.credential_status(t).exists]
    assert len(gone) == 3
    assert all(net.chain.receipt_if_mined(tx) is None for tx in first.transactions[1:])

    again = _bulk(net.chain, net.store, issuer, recipients, tmp_path, batch_size=2)
    assert sorted(again.issued) == sorted(gone)
    assert len(again.already) == 2
    assert again.token_ids == first.token_ids  # the same documents, hence the same ids
    _each_once(net, recipients, again)


def test_a_reorg_that_keeps_the_transactions_needs_nothing_reissued(net, issuer, tmp_path):
    recipients = _recipients(3)
    first = _bulk(net.chain, net.store, issuer, recipients, tmp_path, batch_size=3)
    raw = net.w3.eth.get_raw_transaction(first.transactions[0])
    net.rpc("anvil_reorg", 1, [["0x" + bytes(raw).hex(), 0]])  # the batch lands in the new block
    again = _bulk(net.chain, net.store, issuer, recipients, tmp_path, batch_size=3)
    assert again.issued == [] and len(again.already) == 3
    _each_once(net, recipients, again)


def _journal_entries(journal_dir):
    files = list(journal_dir.glob("*.jsonl"))
    if not files:
        return []
    entries = []
    for line in files[0].read_text().splitlines():
        with contextlib.suppress(json.JSONDecodeError):  # a line cut short by the kill
            entries.append(json.loads(line))
    return entries


def _start_cli(net, issuer, csv, journal_dir, batch_size=2):
    args = ["issue", "--template", issuer.template_hex, "--csv", str(csv),
            "--batch-size", str(batch_size), "--journal-dir", str(journal_dir)]  # fmt: skip
    env = {k: v for k, v in net.env(issuer.key).items() if v is not None}
    process = subprocess.Popen(
        [sys.executable, "-m", "microcred.cli", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return args, process


def _wait_until(predicate, process, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if process.poll() is not None:
            raise AssertionError(f"the run ended early ({process.returncode}): {process.stderr}")
        if time.monotonic() > deadline:
            raise AssertionError("the run did not get there in time")
        time.sleep(0.02)


def _cohort(tmp_path, size):
    wallets = [Account.create().address for _ in range(size)]
    csv = tmp_path / "cohort.csv"
    csv.write_text("address\n" + "".join(f"{w}\n" for w in wallets))
    return [Recipient(address=w) for w in wallets], csv


def _in_pool(net, tx_hash) -> bool:
    return net.chain.is_pending(tx_hash) and net.chain.receipt_if_mined(tx_hash) is None


def test_a_dropped_transaction_is_detected_and_reissued_once(net, issuer, run, tmp_path):
    recipients, csv = _cohort(tmp_path, 3)
    journal_dir = tmp_path / "journal"
    net.rpc("evm_setAutomine", False)
    args, process = _start_cli(net, issuer, csv, journal_dir)
    try:
        sent = lambda: [e for e in _journal_entries(journal_dir) if e["kind"] == "sent"]  # noqa: E731
        _wait_until(lambda: sent() and _in_pool(net, sent()[0]["tx"]), process)
        first_tx = sent()[0]["tx"]
        net.rpc("anvil_dropTransaction", first_tx)  # the node forgets it (evicted, low fee...)
        assert not net.chain.is_pending(first_tx)
    finally:
        process.kill()
        process.wait()
        net.rpc("evm_setAutomine", True)

    result = run(*args, key=issuer.key)
    assert "3 credential(s): 3 issued now in 2 transaction(s), 0 issued before." in result.stdout
    kinds = [e["kind"] for e in _journal_entries(journal_dir)]
    assert kinds.count("dropped") == 1 and kinds[-1] == "done"
    for r in recipients:
        assert len(minted_to(net.chain, r.address)) == 1


@dataclass
class Stuck:
    """A batch a killed run left in the mempool, with a fee the network no longer takes."""

    recipients: list[Recipient]
    args: list[str]  # the CLI command that sent it: run it again to resume
    journal_dir: Path
    tx: str
    sent: dict  # the stuck transaction as the node holds it (nonce, fees, calldata)

    def journal(self) -> list[dict]:
        return _journal_entries(self.journal_dir)


@pytest.fixture
def stuck(net, issuer, tmp_path) -> Iterator[Stuck]:
    """Automine off, a CLI bulk run of 3 (batches of 2) killed once its first batch is in the
    pool: that batch is pending and will stay so (see :func:`_congested`)."""
    recipients, csv = _cohort(tmp_path, 3)
    journal_dir = tmp_path / "journal"
    net.rpc("evm_setAutomine", False)
    try:
        args, process = _start_cli(net, issuer, csv, journal_dir)
        try:
            sent = lambda: [e for e in _journal_entries(journal_dir) if e["kind"] == "sent"]  # noqa: E731
            _wait_until(lambda: sent() and _in_pool(net, sent()[0]["tx"]), process)
        finally:
            process.kill()
            process.wait()
        tx = sent()[0]["tx"]
        yield Stuck(recipients, args, journal_dir, tx, dict(net.w3.eth.get_transaction(tx)))
    finally:
        net.rpc("evm_setAutomine", True)


def _outbidding(tx) -> dict[str, int]:
    return {"gas": tx["gas"], "max_fee": tx["maxFeePerGas"], "tip": tx["maxPriorityFeePerGas"]}


@contextlib.contextmanager
def _congested(net, *, gas: int, max_fee: int, tip: int) -> Iterator[None]:
    """A busy network that outbids a transaction of ``gas`` paying ``max_fee`` and ``tip``, on a
    real anvil: a block every 0.2 s, each filled by another sender's transaction paying 10% more
    (max fee and tip), with room left for one transaction of that size but not for two. anvil packs
    blocks by fee, so the stuck transaction is never mined, and anything paying more than the
    competition (a replacement: +25%) is mined in the next block. The base fee is held where it
    was (``anvil_setNextBlockBaseFeePerGas``) so that no transaction becomes invalid instead."""
    w3 = web3_for(net.rpc_url)  # its own connection: this runs beside the code under test
    bidder = Account.create()
    net.rpc("anvil_setBalance", bidder.address, hex(10**21))
    base_fee = int(net.w3.eth.get_block("latest")["baseFeePerGas"])
    net.rpc("evm_setBlockGasLimit", hex(2 * gas))
    # Calldata costs 40 gas a byte at most (EIP-7623's floor): size it, then ask the node.
    filler = b"\x01" * ((3 * gas // 2 - 21_000) // 40)
    bid_gas = int(
        w3.eth.estimate_gas({"from": bidder.address, "to": bidder.address, "data": filler})
    )
    assert gas < bid_gas <= 2 * gas - 21_000, (gas, bid_gas)
    stopping = threading.Event()
    failures: list[BaseException] = []

    def mine() -> None:
        try:
            for nonce in itertools.count():
                bid = {
                    "to": bidder.address, "value": 0, "data": filler, "nonce": nonce,
                    "gas": bid_gas, "chainId": net.chain.chain_id, "type": 2,
                    "maxFeePerGas": max_fee * 11 // 10,
                    "maxPriorityFeePerGas": tip * 11 // 10,
                }  # fmt: skip
                w3.eth.send_raw_transaction(bidder.sign_transaction(bid).raw_transaction)
                w3.provider.make_request("anvil_setNextBlockBaseFeePerGas", [hex(base_fee)])
                w3.provider.make_request("evm_mine", [])
                if stopping.wait(0.2):
                    return
        except BaseException as err:  # noqa: BLE001 - reported by the test, not lost in a thread
            failures.append(err)

    miner = threading.Thread(target=mine, daemon=True)
    miner.start()
    try:
        yield
    finally:
        stopping.set()
        miner.join()
        net.rpc("evm_setBlockGasLimit", hex(30_000_000))
    assert not failures, failures


def test_a_stuck_transaction_is_replaced_with_higher_fees_and_each_credential_issued_once(
    net, issuer, run, stuck
):
    """Outbid by the network, the stuck batch is never mined. The resumed run waits
    MICROCRED_RECEIPT_TIMEOUT (1 s), re-signs the same call with the same nonce and both fees
    raised, journals it, sends it: the replacement is mined, the original is void."""
    nonce = stuck.sent["nonce"]
    with _congested(net, **_outbidding(stuck.sent)):
        result = run(*stuck.args, key=issuer.key, MICROCRED_RECEIPT_TIMEOUT="1")
    assert "3 credential(s): 1 issued now in 1 transaction(s), 2 issued before." in result.stdout

    entries = stuck.journal()
    [replacement] = [e for e in entries if e.get("replaces") == stuck.tx]
    assert replacement["nonce"] == nonce and replacement["tokens"] == entries[1]["tokens"]
    settled = {e["tx"]: e["kind"] for e in entries if e["kind"] in ("confirmed", "replaced")}
    assert settled[stuck.tx] == "replaced" and settled[replacement["tx"]] == "confirmed"
    assert net.chain.receipt_if_mined(stuck.tx) is None

    mined = net.w3.eth.get_transaction(replacement["tx"])  # the same call, the same nonce
    assert (mined["nonce"], mined["to"], mined["input"], mined["gas"]) == (
        nonce, stuck.sent["to"], stuck.sent["input"], stuck.sent["gas"],
    )  # fmt: skip
    assert mined["maxFeePerGas"] >= 1.1 * stuck.sent["maxFeePerGas"]
    assert mined["maxPriorityFeePerGas"] >= 1.1 * stuck.sent["maxPriorityFeePerGas"]
    for r in stuck.recipients:
        assert len(minted_to(net.chain, r.address)) == 1


def test_a_replacement_over_the_fee_cap_is_refused_naming_the_cap(net, issuer, run, stuck):
    nonce = net.nonce(issuer.key.address)  # the stuck batch counts as pending
    cap_gwei = stuck.sent["maxFeePerGas"] * 1.05 / 1e9  # under the nodes' +10% minimum
    with _congested(net, **_outbidding(stuck.sent)):
        refused = run(*stuck.args, key=issuer.key, ok=False, MICROCRED_RECEIPT_TIMEOUT="1",
                      MICROCRED_MAX_FEE_GWEI=f"{cap_gwei:.9f}")  # fmt: skip
    assert refused.exit_code == 1
    assert f"Replacing the stuck transaction {stuck.tx}" in refused.stderr
    assert "above the cap of" in refused.stderr and "MICROCRED_MAX_FEE_GWEI" in refused.stderr
    assert net.nonce(issuer.key.address) == nonce and _in_pool(net, stuck.tx)  # nothing sent
    assert not [e for e in stuck.journal() if "replaces" in e]

    with _congested(net, **_outbidding(stuck.sent)):  # the default cap: 100 gwei
        run(*stuck.args, key=issuer.key, MICROCRED_RECEIPT_TIMEOUT="1")
    for r in stuck.recipients:
        assert len(minted_to(net.chain, r.address)) == 1


def test_a_run_replaces_a_bounded_number_of_times_then_names_the_hash(net, issuer, stuck):
    """The network outbids even a replacement (it pays 2.2x the stuck fee): a run allowed one
    replacement sends exactly one, then stops naming it; the next run raises the fee again from
    there (1.25x each time) until it is mined, and each credential is issued once."""
    outbid = _outbidding(stuck.sent)
    outbid |= {"max_fee": 2 * outbid["max_fee"], "tip": 2 * outbid["tip"]}
    nonce = net.nonce(issuer.key.address)

    def resume(replacements):
        return _bulk(net.chain, net.store, issuer, stuck.recipients, stuck.journal_dir,
                     batch_size=2, fees=FeePolicy(wait=0.5, replacements=replacements))  # fmt: skip

    with _congested(net, **outbid):
        with pytest.raises(ChainError) as caught:
            resume(1)
        [replacement] = [e for e in stuck.journal() if "replaces" in e]
        assert str(caught.value).startswith(f"Transaction {replacement['tx']} to finish a batch")
        assert "not mined after 1 fee-bumped replacement(s)" in str(caught.value)
        assert net.nonce(issuer.key.address) == nonce and _in_pool(net, replacement["tx"])
        result = resume(3)
    bumps = [e for e in stuck.journal() if "replaces" in e and e["nonce"] == stuck.sent["nonce"]]
    assert 2 <= len(bumps) <= 1 + 3  # one run at most 1, the next at most 3 (1.25**4 > 2.2)
    assert (len(result.already), len(result.issued)) == (2, 1)
    _each_once(net, stuck.recipients, result)


def test_a_batch_stuck_during_a_run_is_replaced_by_that_run(net, issuer, tmp_path):
    recipients = _recipients(2)
    base_fee = int(net.w3.eth.get_block("latest")["baseFeePerGas"])
    tip = int(net.w3.eth.max_priority_fee)
    # What the run will pay for its one batch (web3's default fees: twice the base fee plus the
    # node's tip), and its gas (two new holders: ~135k measured), outbid from the start.
    paid = {"gas": 135_000, "max_fee": 2 * base_fee + tip, "tip": tip}
    net.rpc("evm_setAutomine", False)
    try:
        with _congested(net, **paid):
            result = _bulk(net.chain, net.store, issuer, recipients, tmp_path, batch_size=2,
                           fees=FeePolicy(wait=0.5))  # fmt: skip
    finally:
        net.rpc("evm_setAutomine", True)
    entries = Journal(result.journal).entries
    [first] = [e for e in entries if e["kind"] == "sent" and "replaces" not in e]
    [replacement] = [e for e in entries if e.get("replaces") == first["tx"]]
    assert result.transactions == [replacement["tx"]]
    assert {"kind": "replaced", "tx": first["tx"], "by": replacement["tx"]} in entries
    _each_once(net, recipients, result)


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_run_killed_while_replacing_a_stuck_transaction_resumes_to_each_once(
    net, issuer, stuck, monkeypatch, when
):
    """Killed just after journaling the replacement, before or after broadcasting it: the next
    run finds the original and the replacement in the journal and settles whichever is mined."""
    policy = FeePolicy(wait=0.5)
    real_broadcast = Chain.broadcast

    def broadcast_then_die(self, tx):
        if when == "after":
            real_broadcast(self, tx)
        raise Interrupted

    def resume():
        return _bulk(net.chain, net.store, issuer, stuck.recipients, stuck.journal_dir,
                     batch_size=2, fees=policy)  # fmt: skip

    with _congested(net, **_outbidding(stuck.sent)):
        monkeypatch.setattr(Chain, "broadcast", broadcast_then_die)
        with pytest.raises(Interrupted):
            resume()
        monkeypatch.setattr(Chain, "broadcast", real_broadcast)
        assert [e for e in stuck.journal() if e.get("replaces") == stuck.tx]  # written ahead
        assert _in_pool(net, stuck.tx) == (when == "before")
        result = resume()
    assert (len(result.already), len(result.issued)) == (2, 1)
    entries = stuck.journal()
    # The stuck transaction and its replacements share its nonce; exactly one of them is mined.
    # (Another batch's own replacement, when the busy network outbids it too, is not counted.)
    same_nonce = {
        e["tx"] for e in entries if e["kind"] == "sent" and e["nonce"] == stuck.sent["nonce"]
    }
    [mined] = [e["tx"] for e in entries if e["kind"] == "confirmed" and e["tx"] in same_nonce]
    assert mined != stuck.tx
    assert {"kind": "replaced", "tx": stuck.tx, "by": mined} in entries
    _each_once(net, stuck.recipients, result)


# --------------------------------------------------------------------------------------------------
# Limits: the batch size
# --------------------------------------------------------------------------------------------------


def test_the_library_refuses_batches_over_its_limit(net, issuer, tmp_path):
    nonce = net.nonce(issuer.key.address)
    with pytest.raises(MicrocredError, match="batch size must be between 1 and 200"):
        _bulk(net.chain, net.store, issuer, _recipients(2), tmp_path, batch_size=201)
    assert net.nonce(issuer.key.address) == nonce


def test_the_cli_refuses_batches_over_its_limit(net, issuer, run, tmp_path):
    csv = tmp_path / "one.csv"
    csv.write_text(f"address\n{Account.create().address}\n")
    result = run("issue", "--template", issuer.template_hex, "--csv", str(csv),
                 "--batch-size", "201", key=issuer.key, ok=False)  # fmt: skip
    assert result.exit_code == 2 and "201 is not in the range 1<=x<=200" in result.stderr


def test_a_full_batch_of_200_new_holders_uses_under_40_percent_of_a_block(net, issuer, tmp_path):
    """BATCH_SIZE (200) is sized to fit comfortably: ~10.4M gas measured on anvil (~52k per
    credential), about a third of a 30M-gas block (the README's "about 6M" is an underestimate)."""
    result = _bulk(net.chain, net.store, issuer, _recipients(200), tmp_path)
    assert len(result.transactions) == 1
    receipt = net.w3.eth.get_transaction_receipt(result.transactions[0])
    gas_limit = int(net.w3.eth.get_block(receipt["blockNumber"])["gasLimit"])
    assert receipt["gasUsed"] < 0.4 * gas_limit, (receipt["gasUsed"], gas_limit)
    print(f"issueBatch of 200: {receipt['gasUsed']:,} gas of a {gas_limit:,} block")
