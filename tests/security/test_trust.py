"""Trust-model claims of SECURITY.md outside the contracts: the web app's demo signer (a public
anvil key that pays for transactions) exists on a local chain only. Against two real anvils: the
session's (chain id 31337) and one started with a public network's chain id (Sepolia's)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from _anvil import ROOT, deploy, free_port, start_anvil, stop

from microcred.config import web3_for

SEPOLIA = 11155111


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The web app's service module, its cached clients emptied before and after."""
    monkeypatch.syspath_prepend(str(ROOT / "frontend"))
    import services as module  # the app's own module: frontend/ is its import root

    st.cache_resource.clear()
    yield module
    st.cache_resource.clear()


def _point_at(monkeypatch, *, rpc_url: str, deployment: Path, store: Path, demo_key: str) -> None:
    monkeypatch.setenv("MICROCRED_RPC_URL", rpc_url)
    monkeypatch.setenv("MICROCRED_DEPLOYMENT", str(deployment))
    monkeypatch.setenv("MICROCRED_STORE", f"local:{store}")
    monkeypatch.setenv("MICROCRED_DEMO_SIGNER_KEY", demo_key)


@pytest.fixture
def public_chain_id(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """anvil claiming Sepolia's chain id, with both contracts deployed: (RPC URL, deployment)."""
    port = free_port()
    process = start_anvil(port, tmp_path / "anvil.log", "--chain-id", str(SEPOLIA))
    try:
        url = f"http://127.0.0.1:{port}"
        w3 = web3_for(url)
        deployment = deploy(w3, w3.eth.accounts[0])
        path = tmp_path / f"{SEPOLIA}.json"
        deployment.save(path)
        yield url, path
    finally:
        stop(process)


def test_the_demo_signer_is_offered_on_a_local_chain_only(
    net, services, public_chain_id, monkeypatch, tmp_path
):
    demo = net.keys[1]
    _point_at(monkeypatch, rpc_url=net.rpc_url, deployment=net.deployment_path,
              store=tmp_path / "ipfs", demo_key=demo.key.hex())  # fmt: skip
    assert services.demo_signer_address() == demo.address  # chain 31337: offered

    st.cache_resource.clear()
    url, deployment = public_chain_id
    _point_at(monkeypatch, rpc_url=url, deployment=deployment, store=tmp_path / "ipfs",
              demo_key=demo.key.hex())  # fmt: skip
    assert services.chain_id() == SEPOLIA
    assert services.demo_signer_address() is None  # a public chain id: never offered
    nonce = web3_for(url).eth.get_transaction_count(demo.address)
    with pytest.raises(services.UserFacingError, match="only exists on the local demo chain"):
        services.send_with_demo_signer({"to": demo.address, "data": "0x", "value": 0})
    assert web3_for(url).eth.get_transaction_count(demo.address) == nonce
