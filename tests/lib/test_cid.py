"""CIDs computed here equal those an IPFS node gives the same bytes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microcred.cid import (
    MAX_BLOCK_SIZE,
    CidError,
    cid_of,
    cid_of_token_id,
    digest_of_cid,
    ipfs_uri,
    token_id_of,
)

# Each CID below was returned by js-ipfs 0.66.1 (`/api/v0/add?cid-version=1&raw-leaves=true&
# chunker=size-262144&cid-base=base32`) for the bytes beside it; the empty one is Kubo's well-known
# CID of the empty raw block.
NODE_VECTORS = [
    (b"", "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"),
    (b"hello", "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"),
    (b"hello world\n", "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"),
    (b"\x00", "bafkreidogqfzz75tpkmjzjke425xqcrmpcib2p5tg44hnbirumdbpl5adu"),
    (bytes(range(256)), "bafkreicav7zotuwysixepl6umshgsz2jofmhqx55dwuhbzyrajtl7fciqa"),
    ("Grüße, שלום, 🎓".encode(), "bafkreigwrfbnboxezr3ishi3cdvjpobdrxgw5aruqycyk3kduvdnd22ikq"),
    (b"{}", "bafkreicecnx2gvntm6fbcrvnc336qze6st5u7qq7457igegamd3bzkx7ri"),
    (b"a" * MAX_BLOCK_SIZE, "bafkreig5hxpioyr5tjvtktdizfb5dcoitrrwklmulz5334eynsxjdjevee"),
]


@pytest.mark.parametrize(("data", "expected"), NODE_VECTORS, ids=range(len(NODE_VECTORS)))
def test_cid_of_matches_the_ipfs_node(data, expected):
    assert cid_of(data) == expected
    assert digest_of_cid(expected) == token_id_of(data)


def test_more_than_one_block_is_refused_because_a_node_would_chunk_it():
    with pytest.raises(CidError, match="more than one IPFS block"):
        cid_of(b"a" * (MAX_BLOCK_SIZE + 1))


def test_token_uri_is_the_cid_of_the_token_id():
    token_id = token_id_of(b"hello")
    assert (
        ipfs_uri(token_id) == "ipfs://bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
    )
    assert cid_of_token_id(0).startswith("bafkrei")
    assert digest_of_cid(cid_of_token_id(2**256 - 1)) == 2**256 - 1


@pytest.mark.parametrize("bad", [-1, 2**256])
def test_a_token_id_outside_uint256_has_no_cid(bad):
    with pytest.raises(CidError, match="not a uint256"):
        cid_of_token_id(bad)


@pytest.mark.parametrize(
    "cid",
    [
        "QmRaaUwTNfwgFZpeUy8qrZwrp2dY4kCKmmB5xEqvH3vtD1",  # CIDv0
        "zb2rhZfjRh2FHHB2RkHVEvL2vJnCTcu7kwRqgVsf9gpkLgteo",  # CIDv1, base58
        "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",  # dag-pb
        "b!!!!",
        "bafkrei",
    ],
)
def test_cids_microcred_cannot_verify_are_refused(cid):
    with pytest.raises(CidError):
        digest_of_cid(cid)


@given(st.binary(max_size=2048))
def test_cid_and_token_id_are_two_spellings_of_one_digest(data):
    cid = cid_of(data)
    assert cid == cid.lower() and cid.startswith("bafkrei") and len(cid) == 59
    assert digest_of_cid(cid) == token_id_of(data)
    assert cid_of_token_id(token_id_of(data)) == cid
