"""A wallet among 1,000 anchored batches of other issuers: found from the index with no IPFS
read for the other batches and at most 3 RPC round trips (the tail with the head, every status
in one batch, the anchors of its own waiting entries), whatever the history holds."""

from __future__ import annotations

from _anvil import sent
from _index_lookup import CountingStore, open_through
from _index_many import OTHER_BATCHES
from _index_proxy import Proxy, ProxyConfig

from microcred.cid import cid_of_token_id
from microcred.verification import Subject, verify


def test_a_wallet_among_a_thousand_batches_costs_three_round_trips_and_no_other_reads(
    many_batches, index_url
):
    proxy = Proxy(many_batches.url, ProxyConfig())
    store = CountingStore(many_batches.store_dir)
    try:
        chain, index = open_through(proxy.url, many_batches.deployment_path, store, index_url)
        report = index.sync()
        assert report is not None and report.manifests_read == OTHER_BATCHES + 1
        store.reads.clear()
        proxy.config.requests.clear()

        result = verify(chain, store, Subject(address=many_batches.wallet), index=index)
    finally:
        proxy.close()
    assert {c.token_id: c.status for c in result.credentials} == {
        many_batches.minted: "valid",
        many_batches.anchored: "anchored",
    }
    assert len(proxy.config.requests) <= 3, proxy.config.requests
    own = {cid_of_token_id(many_batches.minted), cid_of_token_id(many_batches.anchored)}
    assert set(store.reads) <= own  # the wallet's two documents, nothing of the 1,000 batches


def test_a_credential_issued_after_the_last_sync_is_found_by_the_tail(many_batches, index_url):
    from eth_account import Account
    from web3 import Web3

    w3 = Web3(Web3.HTTPProvider(many_batches.url))
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    try:
        store = CountingStore(many_batches.store_dir)
        chain, index = open_through(
            many_batches.url, many_batches.deployment_path, store, index_url
        )
        index.sync()
        fresh = Account.create().address
        token = int.from_bytes(Web3.keccak(text=f"fresh for {fresh}"), "big")
        sent(
            chain.credential.functions.issue(fresh, token, 0),
            {"from": w3.eth.accounts[1], "gas": 300_000},
        )
        found = index.wallet(fresh)
        assert found.token_ids == [token] and found.read_to_block > found.synced_block
    finally:
        w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
