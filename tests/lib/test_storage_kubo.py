"""KuboStore and gateway reads against a real IPFS node: js-ipfs 0.66.1 (Kubo-compatible RPC API
and gateway), started by the ``ipfs_node`` fixture from tests/ipfs/."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from microcred.cid import MAX_BLOCK_SIZE, cid_of
from microcred.documents import IssuerProfile, build_credential, build_template
from microcred.errors import StorageUnavailable
from microcred.storage import (
    FallbackStore,
    GatewayReader,
    KuboStore,
    LocalStore,
    open_store,
    push_objects,
)

pytestmark = pytest.mark.ipfs

REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def documents() -> list[bytes]:
    issuer = IssuerProfile(issuer_id=1, name="Université 🎓", chain_id=31337, registry=REGISTRY)
    template = build_template(
        issuer=issuer,
        name="שלום",
        description="<b>HTML</b> stays data",
        criteria="C",
        skills=["a", "b"],
    )
    credential = build_credential(
        template=template,
        issuer=issuer,
        recipient="0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        valid_from=datetime(2026, 1, 1, tzinfo=UTC),
        recipient_name="Zoë",
    )
    filler = build_template(issuer=issuer, name="N", description="x", criteria="C")
    full = build_template(
        issuer=issuer,
        name="N",
        criteria="C",
        description="x" * (MAX_BLOCK_SIZE - len(filler.bytes) + 1),
    )
    assert len(full.bytes) == MAX_BLOCK_SIZE
    return [b"", b"hello", template.bytes, credential.bytes, full.bytes, bytes(range(256)) * 1024]


@pytest.fixture(scope="module")
def node_store(ipfs_node):
    store = KuboStore(ipfs_node.api_url, timeout=10)
    yield store
    store.close()


@pytest.mark.parametrize("index", range(6))
def test_the_node_gives_every_document_the_cid_computed_here(node_store, index):
    data = documents()[index]
    cid = node_store.put(data)  # raises if the node's CID differed
    assert cid == cid_of(data)
    assert node_store.get(cid) == data
    assert node_store.has(cid)


def test_gateway_reads_through_the_node_are_verified(ipfs_node, node_store):
    reader = GatewayReader([ipfs_node.gateway_url], timeout=10)
    for data in documents():
        cid = node_store.put(data)
        assert reader.get(cid) == data


def test_an_object_nobody_added_is_not_held(node_store):
    assert not node_store.has(cid_of(b"never added anywhere"))


def test_a_cat_that_hangs_times_out(node_store):
    # js-ipfs waits for ever for a block nobody provides: the timeout must end it.
    started = time.monotonic()
    with pytest.raises(StorageUnavailable, match="did not answer within 1.0 s"):
        node_store.get(cid_of(b"nobody has this"), timeout=1.0)
    assert time.monotonic() - started < 5


def test_a_node_that_is_down_fails_fast(closed_port_url):
    started = time.monotonic()
    with pytest.raises(StorageUnavailable, match="Cannot reach"):
        KuboStore(closed_port_url, timeout=10).put(b"x")
    with pytest.raises(StorageUnavailable):
        KuboStore(closed_port_url, timeout=10).get(cid_of(b"x"))
    assert time.monotonic() - started < 2


def test_push_moves_the_local_store_to_the_node(tmp_path, ipfs_node, node_store):
    local = LocalStore(tmp_path)
    cids = [local.put(f"object {i} 🎓".encode()) for i in range(5)]
    report = push_objects(local, open_store(f"kubo:{ipfs_node.api_url}"))
    assert report.ok and sorted(report.copied) == sorted(cids)
    assert all(node_store.has(cid) for cid in cids)


def test_local_misses_fall_back_to_the_gateway(tmp_path, ipfs_node, node_store):
    cid = node_store.put(b"only on the node")
    store = open_store(f"local:{tmp_path}", gateways=[ipfs_node.gateway_url])
    assert isinstance(store, FallbackStore)
    assert store.get(cid) == b"only on the node"
