"""The Verify and My credentials pages find a wallet's credentials through the index (AppTest,
against the real anvil and store of the many-batches world, through a provider that refuses
``eth_getLogs`` ranges over 500 blocks), and the web app runs exactly one index writer."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from _index_lookup import open_through
from _index_proxy import Proxy, ProxyConfig
from streamlit.testing.v1 import AppTest

from microcred.storage import LocalStore

APP = Path(__file__).resolve().parents[2] / "frontend" / "app.py"


@pytest.fixture
def page_env(many_batches, tmp_path, monkeypatch):
    proxy = Proxy(many_batches.url, ProxyConfig(provider="alchemy", range_cap=500))
    index_url = f"sqlite:///{tmp_path / 'index.sqlite'}"
    # Synced once, as the app's writer would have by the time a visitor comes.
    _, index = open_through(
        proxy.url, many_batches.deployment_path, LocalStore(many_batches.store_dir), index_url
    )
    index.sync()
    for name, value in {
        "MICROCRED_RPC_URL": proxy.url,
        "MICROCRED_DEPLOYMENT": str(many_batches.deployment_path),
        "MICROCRED_STORE": f"local:{many_batches.store_dir}",
        "MICROCRED_INDEX_URL": index_url,
        "MICROCRED_PUBLIC_URL": "https://verify.example.org",
    }.items():
        monkeypatch.setenv(name, value)
    st.cache_resource.clear()
    yield many_batches, proxy
    st.cache_resource.clear()
    proxy.close()


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown]
    parts += [e.value for e in (*at.error, *at.warning, *at.info, *at.success, *at.caption)]
    parts += [s.value for s in at.subheader]
    return "\n".join(str(p) for p in parts)


def test_the_verify_page_shows_a_wallets_credentials_through_the_index(page_env):
    world, proxy = page_env
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["address"] = world.wallet
    at.run()
    assert not at.exception, at.exception
    shown = _texts(at)
    assert at.subheader[0].value.startswith("2 credentials:"), shown
    assert "Valid]" in shown and "Anchored" in shown


def test_my_credentials_lists_the_wallets_credentials_through_the_index(page_env):
    world, _ = page_env
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page("views/my_credentials.py").run()
    at.text_input(key="wallet_address").set_value(world.wallet).run()
    assert not at.exception, at.exception
    shown = _texts(at)
    assert "Claim to wallet" in [b.label for b in at.button] or "Anchored" in shown, shown


def test_the_app_runs_one_index_writer_per_process(page_env):
    import services  # frontend/ is on sys.path once the app ran

    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    first = services.index_writer()
    st.cache_resource.clear()  # a cleared cache opens the index again, not a second writer
    second = services.index_writer()
    assert first is second and first.alive
    assert first.wait_first(timeout=60)
    assert first.last_error is None
