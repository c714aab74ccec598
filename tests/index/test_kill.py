"""A sync killed with SIGKILL in the middle resumes to exactly the rows of an uninterrupted one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from _index_chain import History, new_database_url, rpc_to
from sqlalchemy import select

from microcred.index import open_index, status, sync
from microcred.index import schema as t

CHILD = Path(__file__).with_name("_index_sync_child.py")


def rows(engine):
    # Chunk boundaries (and so the block hashes kept) depend on where a sync started.
    with engine.connect() as conn:
        return {
            table.name: sorted(tuple(map(str, row)) for row in conn.execute(select(table)))
            for table in t.metadata.sorted_tables
            if table is not t.block_hashes
        }


def test_a_sync_killed_midway_resumes_to_the_same_rows(
    history: History, proxy, index_url, tmp_path, request
):
    deployment_file = tmp_path / "deployment.json"
    history.deployment.save(deployment_file)
    child = subprocess.Popen(
        [
            sys.executable,
            str(CHILD),
            index_url,
            proxy.url,
            str(deployment_file),
            str(history.store_dir),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if int(line) >= history.deployment.start_block + 600:
                break
        child.kill()  # SIGKILL: no cleanup, maybe inside a transaction
    finally:
        child.wait(timeout=30)
    engine = open_index(index_url)
    killed_at = status(engine, history.deployment).synced_block
    head = history.w3.eth.block_number
    assert killed_at is not None and killed_at < head  # it really stopped midway

    read = history.reader()
    sync(engine, history.deployment, rpc_to(proxy.url), read_manifest=read, log_range=1_000)
    other = open_index(
        new_database_url(request.node.callspec.params["index_url"], tmp_path, request)
    )
    sync(other, history.deployment, rpc_to(proxy.url), read_manifest=read, log_range=1_000)
    assert rows(engine) == rows(other)
    assert status(engine, history.deployment).synced_block == head
    engine.dispose()
    other.dispose()
