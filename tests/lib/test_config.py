"""Signer and settings resolution: keys never leave memory, keystores are ape's v3 JSON."""

from __future__ import annotations

import json

import pytest
from eth_account import Account

from microcred.config import Settings, keystore_path, load_signer, web3_for
from microcred.errors import ConfigError

KEY = "0x" + "11" * 32


@pytest.fixture
def ape_home(tmp_path, monkeypatch):
    monkeypatch.setenv("APE_DATA_FOLDER", str(tmp_path))
    monkeypatch.delenv("MICROCRED_ACCOUNT_PASSWORD", raising=False)
    monkeypatch.delenv("MICROCRED_PRIVATE_KEY", raising=False)
    path = keystore_path("teacher")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(Account.encrypt(KEY, "s3cret", iterations=2)))
    return tmp_path


def test_keystore_account_with_password_from_the_environment(ape_home, monkeypatch):
    monkeypatch.setenv("MICROCRED_ACCOUNT_PASSWORD", "s3cret")
    assert load_signer("teacher").address == Account.from_key(KEY).address


def test_keystore_password_is_prompted_when_not_in_the_environment(ape_home):
    asked = []
    signer = load_signer("teacher", password_prompt=lambda text: asked.append(text) or "s3cret")
    assert signer.address == Account.from_key(KEY).address and "teacher" in asked[0]


def test_wrong_password_and_unknown_alias_are_config_errors(ape_home):
    with pytest.raises(ConfigError, match="Wrong password"):
        load_signer("teacher", password_prompt=lambda _: "nope")
    with pytest.raises(ConfigError, match="ape accounts import ghost"):
        load_signer("ghost")


def test_private_key_from_the_environment_is_never_echoed(monkeypatch):
    monkeypatch.setenv("MICROCRED_PRIVATE_KEY", KEY)
    assert load_signer().address == Account.from_key(KEY).address
    monkeypatch.setenv("MICROCRED_PRIVATE_KEY", KEY[:-2] + "zz")
    with pytest.raises(ConfigError) as err:
        load_signer()
    assert KEY[4:20] not in str(err.value)


def test_no_signer_at_all_says_how_to_configure_one(monkeypatch):
    monkeypatch.delenv("MICROCRED_PRIVATE_KEY", raising=False)
    with pytest.raises(ConfigError, match="--account ALIAS"):
        load_signer()


def test_flags_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("MICROCRED_RPC_URL", "http://env:8545")
    monkeypatch.setenv("MICROCRED_STORE", "local:/env")
    settings = Settings.from_env(rpc_url="http://flag:8545")
    assert settings.rpc_url == "http://flag:8545" and settings.store == "local:/env"


def test_an_rpc_url_that_is_not_a_url_is_refused():
    with pytest.raises(ConfigError, match="not an http"):
        web3_for("localhost:8545")
