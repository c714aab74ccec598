"""Sizes past one ``eth_call``'s gas: a node runs each call with a gas cap, and ``credentials(ids)``
ran out of it near 1,500 ids (anvil: OutOfGas at 2,000, MemoryOOG at 5,000), so a wallet with
thousands of credentials could not be verified and a 2,000-row CSV could not be planned in the
browser flow. Reads are now split into calls of ``CREDENTIALS_PER_CALL`` ids, one JSON-RPC batch."""

from __future__ import annotations

from _page_signing import page_plan
from eth_account import Account

from microcred.issuance import Recipient


def _count_posts(net):
    posts: list[str] = []
    provider = net.chain.w3.provider
    send, send_batch = provider._make_request, provider.make_batch_request
    provider._make_request = lambda method, data: posts.append(method) or send(method, data)
    provider.make_batch_request = lambda calls: posts.append("batch") or send_batch(calls)
    return posts, (send, send_batch)


def test_thousands_of_statuses_are_read_in_one_round_trip(net):
    ids = list(range(1, 5_001))
    posts, (send, send_batch) = _count_posts(net)
    provider = net.chain.w3.provider
    try:
        statuses = net.chain.credentials(ids)
        assert posts == ["batch"]
        posts.clear()
        state, issuers, now = net.chain.read_state(ids)
        assert posts == ["batch"]
    finally:
        provider._make_request, provider.make_batch_request = send, send_batch
    assert [s.token_id for s in statuses] == ids and not any(s.exists for s in statuses)
    assert [s.token_id for s in state] == ids and now == net.chain.latest_timestamp()
    assert issuers == []  # only the issuers of the credentials read, and none of these exists


def test_a_browser_plan_of_2000_rows_is_prepared_and_sends_nothing(net, issuer):
    nonce = net.nonce(issuer.key.address)
    recipients = [Recipient(address=Account.create().address) for _ in range(2_000)]
    prepared = page_plan(
        net.chain,
        net.store,
        issuer.key,
        template_id=issuer.template.template_id,
        recipients=recipients,
    )
    assert len(prepared.token_ids) == 2_000 and prepared.already == []
    assert len(prepared.calls) == 10  # batches of 200, for the wallet to sign
    assert net.nonce(issuer.key.address) == nonce
