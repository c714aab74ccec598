"""The embedded store, store specs and export: no network needed."""

from __future__ import annotations

import doctest

import pytest

import microcred.storage
import microcred.storage.local
from microcred.cid import MAX_BLOCK_SIZE, cid_of
from microcred.errors import (
    ConfigError,
    ContentMismatch,
    ContentNotFound,
    InputError,
    StorageError,
    StorageUnavailable,
)
from microcred.storage import (
    DEFAULT_STORE,
    FallbackStore,
    KuboStore,
    LocalStore,
    MirrorStore,
    PinningServiceStore,
    Store,
    export_objects,
    gateways_from_env,
    open_store,
    push_objects,
)


@pytest.mark.parametrize("module", [microcred.storage, microcred.storage.local])
def test_docstring_examples_hold(module):
    assert doctest.testmod(module).failed == 0


def test_an_object_is_a_file_named_by_its_cid_holding_exactly_its_bytes(tmp_path):
    store = LocalStore(tmp_path / "ipfs")
    data = "Grüße 🎓".encode()
    cid = store.put(data)
    assert cid == cid_of(data)
    assert (tmp_path / "ipfs" / cid).read_bytes() == data
    assert store.get(cid) == data and store.has(cid)
    assert store.put(data) == cid  # idempotent
    assert list(store.cids()) == [cid]
    assert isinstance(store, Store)


def test_writes_leave_no_temporary_files(tmp_path):
    store = LocalStore(tmp_path)
    cids = {store.put(bytes([i]) * i) for i in range(20)}
    assert {p.name for p in tmp_path.iterdir()} == cids


def test_stray_files_are_not_objects(tmp_path):
    store = LocalStore(tmp_path)
    (tmp_path / ".tmp-abc.part").write_bytes(b"half")
    (tmp_path / "README").write_text("not an object")
    cid = store.put(b"x")
    assert list(store.cids()) == [cid]


def test_a_tampered_file_is_caught_on_read(tmp_path):
    store = LocalStore(tmp_path)
    cid = store.put(b'{"grade":"C"}')
    (tmp_path / cid).write_bytes(b'{"grade":"A"}')
    with pytest.raises(ContentMismatch, match="do not hash"):
        store.get(cid)


def test_putting_again_repairs_a_damaged_copy(tmp_path):
    store = LocalStore(tmp_path)
    cid = store.put(b"original")
    (tmp_path / cid).write_bytes(b"damaged!")  # same size, other bytes
    assert store.put(b"original") == cid
    assert store.get(cid) == b"original"


def test_a_missing_object_is_not_found(tmp_path):
    store = LocalStore(tmp_path / "empty")
    cid = cid_of(b"never stored")
    assert not store.has(cid)
    with pytest.raises(ContentNotFound) as caught:
        store.get(cid)
    assert isinstance(caught.value, StorageUnavailable)
    assert list(store.cids()) == []


@pytest.mark.parametrize(
    "cid", ["QmRaaUwTNfwgFZpeUy8qrZwrp2dY4kCKmmB5xEqvH3vtD1", "../etc/passwd", ""]
)
def test_a_cid_microcred_cannot_verify_is_an_input_error(tmp_path, cid):
    with pytest.raises(InputError, match="not a CID microcred can verify"):
        LocalStore(tmp_path).get(cid)


def test_more_than_one_block_is_refused(tmp_path):
    with pytest.raises(StorageError, match="more than one IPFS block"):
        LocalStore(tmp_path).put(b"x" * (MAX_BLOCK_SIZE + 1))
    assert LocalStore(tmp_path).put(b"x" * MAX_BLOCK_SIZE) == cid_of(b"x" * MAX_BLOCK_SIZE)


def test_an_unwritable_store_says_so(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StorageError, match="Cannot write to the local store"):
        LocalStore(blocker / "ipfs").put(b"x")


def test_export_copies_verified_objects_and_skips_tampered_ones(tmp_path):
    store = LocalStore(tmp_path / "store")
    good = [store.put(b"one"), store.put(b"two")]
    bad = store.put(b"three")
    (tmp_path / "store" / bad).write_bytes(b"tree")
    seen: list[str] = []
    report = export_objects(store, tmp_path / "out", on_object=seen.append)
    assert sorted(report.copied) == sorted(good) and list(report.failed) == [bad]
    assert not report.ok and sorted(seen) == sorted([*good, bad])
    assert (tmp_path / "out" / good[0]).read_bytes() in (b"one", b"two")
    assert export_objects(store, tmp_path / "out").copied == report.copied  # again: harmless


def test_push_copies_into_any_store(tmp_path):
    source, target = LocalStore(tmp_path / "a"), LocalStore(tmp_path / "b")
    cids = [source.put(b"x"), source.put(b"y")]
    assert sorted(push_objects(source, target).copied) == sorted(cids)
    assert all(target.has(cid) for cid in cids)


# --- store specs ----------------------------------------------------------------------------------


def test_default_store_is_the_local_folder(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    store = open_store(None)
    assert isinstance(store, LocalStore) and store.name == DEFAULT_STORE
    cid = store.put(b"x")
    assert (tmp_path / ".microcred" / "ipfs" / cid).exists()
    assert isinstance(open_store("local:"), LocalStore)


def test_kubo_spec_takes_a_token_from_the_url_or_the_environment():
    from_url = open_store("kubo:http://127.0.0.1:5001#secret", environ={})
    from_env = open_store("kubo:http://127.0.0.1:5001/", environ={"MICROCRED_IPFS_TOKEN": "t"})
    without = open_store("kubo:http://127.0.0.1:5001", environ={})
    assert isinstance(from_url, KuboStore) and from_url.url == "http://127.0.0.1:5001"
    assert from_url._client.headers["Authorization"] == "Bearer secret"
    assert from_env._client.headers["Authorization"] == "Bearer t"
    assert "Authorization" not in without._client.headers
    assert "secret" not in from_url.name and "secret" not in repr(from_url)


def test_pinning_spec_and_mirrors(tmp_path):
    env = {"MICROCRED_PINNING_TOKEN": "p"}
    store = open_store(f"local:{tmp_path}, pinning:https://pins.example/psa", environ=env)
    assert isinstance(store, MirrorStore)
    local, pinning = store.stores
    assert isinstance(local, LocalStore) and isinstance(pinning, PinningServiceStore)
    assert pinning._client.headers["Authorization"] == "Bearer p"


def test_gateways_wrap_any_store(tmp_path):
    store = open_store(f"local:{tmp_path}", gateways=["https://gw.example"])
    assert isinstance(store, FallbackStore) and isinstance(store.primary, LocalStore)
    assert gateways_from_env(
        {"MICROCRED_IPFS_GATEWAYS": "https://a.example, https://b.example"}
    ) == (
        "https://a.example",
        "https://b.example",
    )


@pytest.mark.parametrize("spec", ["s3:bucket", "kubo:127.0.0.1:5001", "/tmp/store", "pinning:"])
def test_a_bad_spec_is_a_config_error_with_an_example(spec):
    with pytest.raises(ConfigError, match="local:|http"):
        open_store(spec)
