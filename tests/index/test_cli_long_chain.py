"""Issue 9's "Done when": ``microcred verify ADDRESS --json`` finds every credential of a wallet
(minted and anchored) on a chain more than 10,000 blocks past the deployment, through a provider
capped at 10,000 blocks per ``eth_getLogs``, one capped at 500, and one that answers every fifth
request with HTTP 429; on SQLite and on a real PostgreSQL. No step beyond the README's: the
first ``verify`` syncs the index itself.

Before the index (commit ee15c38) each of these stopped with "The chain refused to list
credentials: range … exceeds limit of 10000" (or the 500-block text, or the 429).
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from _index_long import LongChain
from _index_proxy import Proxy, ProxyConfig
from click.testing import CliRunner

from microcred.cli import cli

PROVIDERS = {
    "10000-blocks": ProxyConfig(provider="infura", range_cap=10_000),
    "500-blocks": ProxyConfig(provider="alchemy", range_cap=500),
    "429-every-fifth": ProxyConfig(
        provider="infura", range_cap=10_000, every_nth_429=5, retry_after="0"
    ),
}


def _hex(token_id: int) -> str:
    return f"0x{token_id:064x}"


def _env(long_chain: LongChain, rpc_url: str, index_url: str, **extra: str) -> dict[str, str]:
    return {
        "MICROCRED_RPC_URL": rpc_url,
        "MICROCRED_DEPLOYMENT": str(long_chain.deployment_path),
        "MICROCRED_STORE": f"local:{long_chain.store_dir}",
        "MICROCRED_INDEX_URL": index_url,
        **extra,
    }


@pytest.mark.parametrize("provider", PROVIDERS)
def test_verify_json_finds_every_credential_through_a_capped_provider(
    long_chain, index_url, provider
):
    config = replace(PROVIDERS[provider], requests=[], batched=[], log_queries=[])
    proxy = Proxy(long_chain.url, config)
    try:
        # 20 confirmations: the index stops short of the head, so the credential minted in the
        # last block is found by the lookup's tail, not by the sync.
        env = _env(long_chain, proxy.url, index_url, MICROCRED_INDEX_CONFIRMATIONS="20")
        result = CliRunner(mix_stderr=False).invoke(
            cli, ["verify", long_chain.wallet, "--json"], env=env
        )
    finally:
        proxy.close()
    assert result.exception is None or isinstance(result.exception, SystemExit), result.stderr
    report = json.loads(result.stdout)
    statuses = {c["tokenId"]: c["status"] for c in report["credentials"]}
    first, revoked, last = long_chain.minted
    assert statuses == {
        _hex(first): "valid",
        _hex(revoked): "revoked",
        _hex(last): "valid",
        _hex(long_chain.anchored): "anchored",
    }
    [revoked_entry] = [c for c in report["credentials"] if c["status"] == "revoked"]
    assert revoked_entry["revocationReason"] == long_chain.reason
    assert report["warnings"] == []
    assert result.exit_code == 1  # one credential is revoked: not every one is valid
    assert config.refused >= 1 or provider == "10000-blocks"  # the provider did refuse ranges
    if config.every_nth_429:
        assert len(config.requests) >= 5  # so at least one answer was a 429, and retried


def test_index_commands_sync_status_and_rebuild(long_chain, index_url):
    proxy = Proxy(long_chain.url, ProxyConfig(provider="alchemy", range_cap=500))
    runner = CliRunner(mix_stderr=False)
    env = _env(long_chain, proxy.url, index_url)
    try:
        synced = runner.invoke(cli, ["index", "sync"], env=env)
        assert synced.exit_code == 0, synced.stderr
        status = runner.invoke(cli, ["index", "status", "--json"], env=env)
        rebuilt = runner.invoke(cli, ["index", "rebuild"], env=env)
        again = runner.invoke(cli, ["index", "status", "--json"], env=env)
    finally:
        proxy.close()
    assert "Synced to block" in synced.stdout
    info = json.loads(status.stdout)
    assert info["syncedBlock"] == info["head"]
    assert (info["minted"], info["batches"], info["anchoredEntries"]) == (3, 1, 3)
    assert rebuilt.exit_code == 0, rebuilt.stderr
    assert json.loads(again.stdout)["minted"] == 3
    assert "postgres:***@" in info["url"] or info["url"].startswith("sqlite")  # no password shown
