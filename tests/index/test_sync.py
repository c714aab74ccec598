"""Sync and lookups on SQLite and on a real PostgreSQL, through a 100-block-capped provider."""

from __future__ import annotations

import pytest
from _index_chain import W1, W2, W3, History, issue, mine, rpc_to
from _index_proxy import Proxy, ProxyConfig
from sqlalchemy import Engine, select

from microcred import anchoring
from microcred.index import (
    LATEST_VERSION,
    IndexBusy,
    credentials_of,
    current_version,
    migrate,
    status,
    sync,
    writer_lock,
)
from microcred.index import schema as t


def dump(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: what "the same index" means."""
    with engine.connect() as conn:
        return {
            table.name: sorted(tuple(map(str, row)) for row in conn.execute(select(table)))
            for table in t.metadata.sorted_tables
        }


def run_sync(engine: Engine, history: History, url: str, *, partial: bool = False, **kw):
    return sync(
        engine,
        history.deployment,
        rpc_to(url),
        read_manifest=history.reader(partial=partial),
        log_range=1_000,
        **kw,
    )


def test_a_sync_through_a_capped_provider_finds_every_credential(engine, history, proxy):
    report = run_sync(engine, history, proxy.url)
    assert report.synced_block == history.w3.eth.block_number
    assert report.refusals >= 1 and report.chunks >= 15
    assert report.unread_manifests == ()
    for wallet in (W1, W2, W3):
        found = credentials_of(engine, history.deployment, wallet)
        assert found.token_ids == history.minted[wallet]
        assert sorted(a.token_id for a in found.anchored) == sorted(history.anchored[wallet])
        assert all(a.proves() for a in found.anchored)  # the stored proofs lead to the roots
    info = status(engine, history.deployment)
    assert (info.minted, info.batches, info.anchored_entries) == (2, 2, 7)
    with engine.connect() as conn:
        revoked = conn.execute(select(t.revocations.c.token_id)).scalars().all()
        issuer_events = conn.execute(select(t.issuer_events.c.event)).scalars().all()
    assert revoked == [f"0x{history.minted[W1][0]:064x}"]
    assert {"IssuerRegistered", "SignerAdded", "IssuerSuspended", "IssuerReinstated"} <= set(
        issuer_events
    )


def test_a_repeated_sync_changes_nothing(engine, history, proxy):
    run_sync(engine, history, proxy.url)
    before = dump(engine)
    report = run_sync(engine, history, proxy.url)
    assert (report.events, report.chunks) == (0, 0)
    assert dump(engine) == before


def test_a_manifest_out_of_reach_is_reported_then_read_at_a_later_sync(engine, history, proxy):
    # Manifests are content-addressed, so a process keeps those it has parsed (by CID): forget
    # them, as a fresh process would, or the earlier tests' reads would reach this one.
    anchoring._OBJECTS.clear()
    report = run_sync(engine, history, proxy.url, partial=True)
    root = "0x" + history.late_root.hex()
    assert len(report.unread_manifests) == 1 and root in report.unread_manifests[0]
    found = credentials_of(engine, history.deployment, W3)
    # Never taken as empty: the lookup says a batch could not be looked at.
    assert len(found.warnings) == 1 and root in found.warnings[0]
    assert len(found.anchored) == 1  # only the first batch's entry so far

    report = run_sync(engine, history, proxy.url)  # the manifest is reachable now
    assert report.unread_manifests == () and report.manifests_read == 1
    found = credentials_of(engine, history.deployment, W3)
    assert found.warnings == ()
    assert sorted(a.token_id for a in found.anchored) == sorted(history.anchored[W3])


def test_the_tail_finds_a_credential_issued_after_the_last_sync(engine, history, proxy):
    run_sync(engine, history, proxy.url)
    snapshot = history.w3.provider.make_request("evm_snapshot", [])["result"]
    try:
        fresh = issue(history.w3, history.chain, W3)
        index_only = credentials_of(engine, history.deployment, W3)
        assert fresh not in index_only.token_ids
        found = credentials_of(
            engine, history.deployment, W3, rpc=rpc_to(proxy.url), read_manifest=history.reader()
        )
        assert fresh in found.token_ids
        assert found.read_to_block == history.w3.eth.block_number > found.synced_block
    finally:
        history.w3.provider.make_request("evm_revert", [snapshot])


def test_a_reorganisation_is_detected_and_rolled_back(engine, history, proxy):
    outer = history.w3.provider.make_request("evm_snapshot", [])["result"]
    try:
        inner = history.w3.provider.make_request("evm_snapshot", [])["result"]
        dropped = issue(history.w3, history.chain, W3)
        mine(history.w3, 3)
        run_sync(engine, history, proxy.url)
        assert dropped in credentials_of(engine, history.deployment, W3).token_ids

        # The fork: the block with `dropped` is replaced by a longer chain without it.
        history.w3.provider.make_request("evm_revert", [inner])
        kept = issue(history.w3, history.chain, W3)
        mine(history.w3, 5)
        report = run_sync(engine, history, proxy.url)
        assert report.rolled_back_to is not None
        assert report.rolled_back_to < history.w3.eth.block_number - 5
        ids = credentials_of(engine, history.deployment, W3).token_ids
        assert kept in ids and dropped not in ids
        with engine.connect() as conn:
            hashes = dict(
                conn.execute(select(t.block_hashes.c.number, t.block_hashes.c.hash)).all()
            )
        for number, stored in hashes.items():
            assert history.w3.eth.get_block(number)["hash"].to_0x_hex() == stored
    finally:
        history.w3.provider.make_request("evm_revert", [outer])


def test_confirmations_keep_the_index_behind_the_head(engine, history, proxy):
    report = run_sync(engine, history, proxy.url, confirmations=10)
    assert report.synced_block == report.head - 10


def test_a_second_writer_is_refused_while_one_syncs(engine, history, proxy):
    deployment = history.deployment
    lock = writer_lock(engine, deployment.chain_id, deployment.credential.address)
    with lock, pytest.raises(IndexBusy, match="Another process is syncing the index"):
        run_sync(engine, history, proxy.url)
    run_sync(engine, history, proxy.url)  # released: the next writer goes ahead


def test_the_schema_is_versioned_and_migrating_twice_changes_nothing(engine):
    assert current_version(engine) == LATEST_VERSION
    assert migrate(engine) == LATEST_VERSION


def test_an_index_from_a_newer_microcred_is_refused(engine):
    from microcred.errors import ConfigError

    with engine.begin() as conn:
        conn.execute(t.schema_version.insert().values(version=LATEST_VERSION + 1, description="x"))
    with pytest.raises(ConfigError, match="newer than this microcred"):
        migrate(engine)


def test_sync_survives_429_every_fifth_request(engine, history):
    sleeps: list[float] = []
    proxy = Proxy(
        history.url,
        ProxyConfig(provider="chainstack", range_cap=100, every_nth_429=5, retry_after="1"),
    )
    try:
        report = sync(
            engine,
            history.deployment,
            rpc_to(proxy.url, sleeps),
            read_manifest=history.reader(),
            log_range=1_000,
        )
    finally:
        proxy.close()
    assert report.synced_block == history.w3.eth.block_number
    assert sleeps and set(sleeps) == {1.0}
    assert credentials_of(engine, history.deployment, W2).token_ids == history.minted[W2]
