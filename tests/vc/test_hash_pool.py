"""Hash data computed by worker processes (microcred.vc.hash_pool): the same bytes as in this
process, for every kind of document; a document a worker cannot hash, or a dead worker, leaves
``None`` for the caller to hash itself; a caller's unguarded script is never run again."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from microcred.documents import IssuerProfile, build_template, prepare_credential
from microcred.errors import InputError
from microcred.vc import Ed25519SigningKey
from microcred.vc.dataintegrity import hash_data
from microcred.vc.hash_pool import (
    MIN_DOCUMENTS,
    WORKERS_VARIABLE,
    HashPool,
    _Worker,
    hash_pool,
    worker_count,
)

KEY = Ed25519SigningKey.from_seed(bytes(range(32)))
START = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
ISSUER = IssuerProfile(
    issuer_id=7,
    name="Example University",
    chain_id=31337,
    registry="0x5FbDB2315678afecb367f032d93F642f64180aa3",
    url="https://uni.example",
)
TEMPLATE = build_template(
    issuer=ISSUER,
    name="Solidity basics",
    description="Writes, tests and deploys a simple contract.",
    criteria="Passed the final assessment.",
    skills=["Solidity", "Testing"],
)


def _items(count: int) -> list[tuple[dict, dict]]:
    """Varied documents: names in other scripts and with control characters, evidence, expiry,
    different start times (so the proof configuration differs too)."""
    names = [None, "Ada Lovelace", "جامعة 🎓", "tab\there", 'quote " and \\ backslash', "f\x0cfeed"]
    items = []
    for n in range(count):
        unsigned = prepare_credential(
            template=TEMPLATE,
            issuer=ISSUER,
            issuer_did=KEY.did,
            recipient=f"0x{n + 1:040x}",
            valid_from=START + timedelta(seconds=n % 3),
            valid_until=START + timedelta(days=365) if n % 2 else None,
            evidence=[f"https://example.org/evidence/{n}"] if n % 4 == 0 else [],
            recipient_name=names[n % len(names)],
        )
        items.append((unsigned.data, unsigned.options))
    return items


@pytest.fixture(scope="module")
def pool():
    pool = HashPool(2)
    yield pool
    pool.close()


def test_workers_compute_exactly_the_hash_data_of_this_process(pool):
    items = _items(40)
    assert pool.hash_many(items) == [hash_data(d, o) for d, o in items]


def test_a_document_a_worker_cannot_hash_gets_none_and_the_rest_are_right(pool):
    items = _items(6)
    hostile = {**items[2][0], "color": "red"}  # a term no context defines: unsignable
    items[2] = (hostile, items[2][1])
    results = pool.hash_many(items)
    assert results[2] is None
    assert [r for n, r in enumerate(results) if n != 2] == [
        hash_data(d, o) for n, (d, o) in enumerate(items) if n != 2
    ]


def test_a_dead_worker_leaves_its_documents_to_the_caller():
    items = _items(8)
    pool = HashPool(2)
    try:
        pool._workers[0].process.kill()
        pool._workers[0].process.wait()
        results = pool.hash_many(items)
    finally:
        pool.close()
    assert results[:4] == [None] * 4  # the first worker's slice
    assert results[4:] == [hash_data(d, o) for d, o in items[4:]]


def test_small_runs_and_zero_workers_hash_in_this_process(monkeypatch):
    with hash_pool(MIN_DOCUMENTS - 1, workers=4) as pool:
        assert pool is None
    monkeypatch.setenv(WORKERS_VARIABLE, "0")
    assert worker_count() == 0
    with hash_pool(10_000) as pool:
        assert pool is None
    monkeypatch.setenv(WORKERS_VARIABLE, "3")
    assert worker_count() == 3


def test_a_bad_worker_count_is_named(monkeypatch):
    monkeypatch.setenv(WORKERS_VARIABLE, "two")
    with pytest.raises(InputError, match=f"{WORKERS_VARIABLE} must be a number.*'two'"):
        worker_count()


def test_a_callers_script_without_a_main_guard_runs_once(tmp_path):
    # multiprocessing's workers import the caller's __main__ again: a script's top-level work
    # (sending transactions) would run twice. microcred's workers are fresh interpreters.
    script = tmp_path / "unguarded.py"
    script.write_text(
        "from microcred.vc.hash_pool import hash_pool\n"
        "from test_hash_pool import _items\n"
        "print('top-level work ran', flush=True)\n"
        "with hash_pool(300, workers=2) as pool:\n"
        "    print(sum(h is not None for h in pool.hash_many(_items(4))))\n"
    )
    ran = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent)},
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == ["top-level work ran", "4"]


def test_a_worker_is_given_no_secret_of_the_callers_environment(monkeypatch):
    monkeypatch.setenv("MICROCRED_PRIVATE_KEY", "0x" + "11" * 32)
    monkeypatch.setenv("MICROCRED_RPC_URL", "https://mainnet.example/v3/api-key")
    worker = _Worker()
    try:
        assert worker.hash_many(_items(1))[0] is not None  # running: its environ is its own
        environ = Path(f"/proc/{worker.process.pid}/environ").read_bytes().split(b"\0")
    finally:
        worker.close()
    names = {entry.split(b"=", 1)[0].decode() for entry in environ if entry}
    assert "PATH" in names and not any(name.startswith("MICROCRED_") for name in names)
