"""Adaptive eth_getLogs through a proxy that answers as the hosted providers do."""

from __future__ import annotations

import pytest
from _index_chain import History, rpc_to
from _index_proxy import RANGE_REFUSALS, Proxy, ProxyConfig

from microcred.errors import ChainError
from microcred.index import HttpRpc, LogFetcher, RetryingRpc, classify_refusal

# (code, text, the limit it names, the suggested range) as the providers write them.
QUOTED = [
    (-32602, "range 1000000 exceeds limit of 10000", 10_000, None),
    (
        -32005,
        "query returned more than 10000 results. Try with this block range [0x1a2b, 0x1c3d].",
        None,
        (0x1A2B, 0x1C3D),
    ),
    (-32600, "You can make eth_getLogs requests with up to a 500 block range", 500, None),
    (
        -32600,
        "You can make eth_getLogs requests with up to a 2K block range and no limit on the "
        "response size, or you can request any block range with a cap of 10K logs in the "
        "response. Based on your parameters, this block range should work: [0x10, 0x7cf]",
        2_000,
        (0x10, 0x7CF),
    ),
    (-32614, "eth_getLogs is limited to a 10000 range", 10_000, None),
    (-32000, "Block range limit exceeded.", None, None),
    (-32600, "maximum [from, to] blocks distance: 10000", 10_000, None),
    (-32600, "block range is too wide", None, None),
    (-32000, "block range too large", None, None),
    (-32000, "Block range is too large", None, None),
    (-32000, "backend response too large", None, None),
    (-32000, "exceed maximum block range: 50000", 50_000, None),
    (-32602, "query exceeds max block range 100000", 100_000, None),
]


@pytest.mark.parametrize(("code", "text", "limit", "suggested"), QUOTED)
def test_every_quoted_provider_refusal_is_recognised(code, text, limit, suggested):
    refusal = classify_refusal(code, text)
    assert refusal is not None
    assert (refusal.limit, refusal.suggested) == (limit, suggested)


@pytest.mark.parametrize(
    ("code", "text"),
    [(-32000, "execution reverted"), (-32602, "invalid argument 0: hex string without 0x prefix")],
)
def test_other_errors_are_not_taken_for_range_refusals(code, text):
    assert classify_refusal(code, text) is None


def _all_logs(history: History, url: str, fetcher: LogFetcher | None = None) -> list[dict]:
    fetcher = fetcher or LogFetcher(rpc_to(url), initial_range=1_000)
    addresses = [history.deployment.registry.address, history.deployment.credential.address]
    head = history.w3.eth.block_number
    logs = []
    for chunk in fetcher.chunks(addresses, history.deployment.start_block, head):
        logs += chunk.logs
    return logs


def _direct(history: History) -> list[tuple[str, str]]:
    addresses = [history.deployment.registry.address, history.deployment.credential.address]
    rpc = HttpRpc(history.url)
    logs = rpc.call(
        "eth_getLogs",
        [
            {
                "address": addresses,
                "fromBlock": hex(history.deployment.start_block),
                "toBlock": "latest",
            }
        ],
    )
    return [(log["blockHash"], log["logIndex"]) for log in logs]


@pytest.mark.parametrize("provider", sorted(RANGE_REFUSALS))
def test_logs_through_a_range_capped_provider_equal_the_direct_answer(history, provider):
    proxy = Proxy(history.url, ProxyConfig(provider=provider, range_cap=100))
    try:
        fetcher = LogFetcher(rpc_to(proxy.url), initial_range=1_000)
        logs = _all_logs(history, proxy.url, fetcher)
    finally:
        proxy.close()
    assert [(log["blockHash"], log["logIndex"]) for log in logs] == _direct(history)
    assert proxy.config.refused >= 1
    # The chunk never grows past a limit the provider named, so refusals stay few.
    if RANGE_REFUSALS[provider][1].count("{cap}"):
        assert fetcher.stated_limit == 100
        assert proxy.config.refused <= 2


def test_a_result_cap_is_met_with_the_range_the_provider_suggests(history):
    proxy = Proxy(history.url, ProxyConfig(result_cap=4))
    try:
        logs = _all_logs(history, proxy.url)
    finally:
        proxy.close()
    assert [(log["blockHash"], log["logIndex"]) for log in logs] == _direct(history)
    assert proxy.config.refused >= 1


def test_429_every_fifth_request_is_waited_out_as_retry_after_says(history):
    sleeps: list[float] = []
    proxy = Proxy(
        history.url,
        ProxyConfig(provider="alchemy", range_cap=100, every_nth_429=5, retry_after="2"),
    )
    try:
        fetcher = LogFetcher(rpc_to(proxy.url, sleeps), initial_range=100)
        logs = _all_logs(history, proxy.url, fetcher)
    finally:
        proxy.close()
    assert [(log["blockHash"], log["logIndex"]) for log in logs] == _direct(history)
    assert sleeps and set(sleeps) == {2.0}


def test_a_provider_that_keeps_answering_429_is_a_clear_error(history):
    proxy = Proxy(history.url, ProxyConfig(every_nth_429=1))
    try:
        rpc = RetryingRpc(HttpRpc(proxy.url), attempts=3, sleep=lambda _s: None)
        with pytest.raises(ChainError, match=r"kept refusing eth_getLogs \(HTTP 429.*3 tries"):
            _all_logs(history, proxy.url, LogFetcher(rpc))
    finally:
        proxy.close()


def test_a_provider_refusing_even_one_block_is_named(history):
    proxy = Proxy(history.url, ProxyConfig(refuse_all_logs=True))
    try:
        with pytest.raises(ChainError, match="refuses to list the logs of even one block"):
            _all_logs(history, proxy.url)
    finally:
        proxy.close()
