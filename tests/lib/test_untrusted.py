"""The untrusted-JSON parser and the redaction of secrets, as plain functions (no chain)."""

from __future__ import annotations

import json
import random

import pytest

from microcred.errors import DocumentError, InputError, UntrustedJsonError
from microcred.redaction import forget_secrets, redact, redact_store_spec, remember_secret
from microcred.untrusted import DOCUMENT, MANIFEST, PROOF_FILE, json_depth, parse_untrusted


def _depth(value):
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


def _random_json(rng, levels):
    if levels == 0 or rng.random() < 0.3:
        return rng.choice([1, None, 'a[{"}]\\', "é\u2028", True])
    if rng.random() < 0.5:
        return [_random_json(rng, levels - 1) for _ in range(rng.randint(0, 3))]
    return {f"k{i}[{{": _random_json(rng, levels - 1) for i in range(rng.randint(0, 3))}


def test_the_depth_scan_agrees_with_the_parsed_tree_and_ignores_brackets_in_strings():
    rng = random.Random(12)
    for _ in range(2000):
        value = _random_json(rng, rng.randint(0, 14))
        text = json.dumps(value, ensure_ascii=rng.random() < 0.5).encode()
        assert json_depth(text, 100) == _depth(value), text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"[" * 33 + b"]" * 33, "nests brackets deeper than 32 levels"),
        (b"[" * 150_000, "brackets do not balance"),
        (b"{" * 1000, "brackets do not balance"),
        (b"]" * 5 + b"[" * 5000, "brackets do not balance"),
        (b'"unterminated [[[[' + b"[" * 100, "brackets do not balance"),
    ],
    ids=["deep", "150k-open", "1k-braces", "closed-first", "unterminated-string"],
)
def test_deep_or_unclosed_brackets_are_refused_before_parsing(data, message):
    with pytest.raises(UntrustedJsonError, match=message):
        parse_untrusted(data, DOCUMENT)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"a":1,"a":2}', "repeats the key 'a'"),
        (b"[NaN]", "NaN is not a JSON number"),
        (b"[1e400]", "too large"),
        (b"[" + b"7" * 5000 + b"]", "integer of 5,000 digits"),
        (b"\xff{}", "not UTF-8"),
        (b"{", "not valid JSON"),
        (b" " * (64 * 1024 + 1), "65,537 bytes, more than the 65,536 bytes"),
    ],
    ids=["repeated-key", "nan", "overflowing-float", "long-integer", "not-utf8", "unclosed", "big"],
)
def test_what_is_not_strict_json_is_refused_with_a_sentence(data, message):
    with pytest.raises(UntrustedJsonError, match=message) as raised:
        parse_untrusted(data, PROOF_FILE)
    assert str(raised.value).startswith("The proof file ")


def test_a_refusal_is_both_an_input_and_a_document_error():
    """Callers that expect either keep working: the CLI exits 2, verification says tampered."""
    with pytest.raises(InputError):
        parse_untrusted(b"[" * 100, MANIFEST)
    with pytest.raises(DocumentError):
        parse_untrusted(b"[" * 40 + b"]" * 40, DOCUMENT)


def test_a_proof_file_may_start_with_a_bom_a_manifest_may_not():
    assert parse_untrusted(b'\xef\xbb\xbf{"a":1}', PROOF_FILE) == {"a": 1}
    with pytest.raises(UntrustedJsonError):
        parse_untrusted(b'\xef\xbb\xbf{"a":1}', MANIFEST)


def test_urls_keep_scheme_and_host_and_lose_what_holds_keys():
    text = (
        "429 Client Error: Too Many Requests for url: "
        "https://user:pw@eth.example:8443/v3/KEY123456?apikey=QUERY123456#frag and "
        "http://127.0.0.1:5001"
    )
    assert redact(text) == (
        "429 Client Error: Too Many Requests for url: https://eth.example:8443/… and "
        "http://127.0.0.1:5001"
    )


def test_configured_secrets_are_replaced_wherever_they_appear(monkeypatch):
    key = "0x" + "ab" * 32
    monkeypatch.setenv("MICROCRED_PRIVATE_KEY", key)
    monkeypatch.setenv("MICROCRED_RPC_URL", "https://rpc.example/v3/PROVIDERKEY99")
    monkeypatch.setenv("MICROCRED_STORE", "kubo:https://ipfs.example/api#STORETOKEN77")
    remember_secret("FROM-A-FLAG-123")
    try:
        text = f"{key} {key[2:]} PROVIDERKEY99 STORETOKEN77 FROM-A-FLAG-123 ok"
        assert redact(text) == "[redacted] [redacted] [redacted] [redacted] [redacted] ok"
    finally:
        forget_secrets()


def test_store_specs_are_shown_without_tokens_or_paths():
    spec = "local:.microcred/ipfs,kubo:https://u:p@ipfs.example/key/KEY#TOKEN,pinning:https://p.io"
    assert redact_store_spec(spec) == (
        "local:.microcred/ipfs,kubo:https://ipfs.example/…#[redacted],pinning:https://p.io"
    )
