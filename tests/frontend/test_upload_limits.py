"""Every upload has a limit for its kind, checked before its bytes are read further, and refused
with a sentence naming the limit (security issue 12, finding 1, the pages' side). AppTest on the
real chain and store of conftest.py; the same in a real browser: tests/e2e/test_signin_flow.py.
Also: the shared anvil is restored after every test (conftest.app_env's snapshot)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from _anvil import sent
from _apptest import open_page
from eth_account import Account
from streamlit.testing.v1 import AppTest

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
if str(FRONTEND) not in sys.path:
    sys.path.insert(0, str(FRONTEND))

from upload_limits import (  # noqa: E402
    BADGE_IMAGE,
    PROOF_FILE,
    RECIPIENTS_CSV,
    UploadRefused,
    help_text,
    image_type,
    read_upload,
)

ISSUER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
World = Any  # conftest.World


def error_of(at: AppTest) -> str:
    assert at.error, "no error shown"
    return str(at.error[0].value).replace("\\", "")  # shown Markdown-escaped


def objects_in(store_dir: Path) -> int:
    return sum(1 for p in store_dir.iterdir() if not p.name.startswith("."))


class Upload:
    """What a file uploader hands over: a size, and bytes only when asked."""

    def __init__(self, data: bytes, size: int | None = None) -> None:
        self.data, self.size, self.read = data, len(data) if size is None else size, False

    def getvalue(self) -> bytes:
        self.read = True
        return self.data


def test_an_upload_over_its_limit_is_refused_before_its_bytes_are_read() -> None:
    upload = Upload(b"[" * 150_000)
    with pytest.raises(UploadRefused, match=r"A proof file may be at most 64 KiB.*146 KiB"):
        read_upload(upload, PROOF_FILE)
    assert not upload.read


def test_an_upload_whose_size_was_misreported_is_still_refused() -> None:
    with pytest.raises(UploadRefused, match="at most 64 KiB"):
        read_upload(Upload(b"[" * 150_000, size=10), PROOF_FILE)


def test_the_limits_fit_their_files_and_the_help_names_them() -> None:
    assert help_text(PROOF_FILE) == "At most 64 KiB."
    assert help_text(RECIPIENTS_CSV) == "At most 4 MiB."
    assert help_text(BADGE_IMAGE) == "At most 256 KiB."
    row = f"{Account.create().address},2030-06-30,https://example.org/evidence/0001,Jane Doe\n"
    assert len(row) * 10_000 < RECIPIENTS_CSV.max_bytes  # 10,000 full rows fit


@pytest.mark.parametrize(
    ("data", "media_type"),
    [(b"\x89PNG\r\n\x1a\n\x00", "image/png"), (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg")],
)
def test_png_and_jpeg_are_told_by_their_first_bytes(data: bytes, media_type: str) -> None:
    assert image_type(data) == media_type


@pytest.mark.parametrize(
    "data", [b"<svg onload='alert(1)'/>", b"<?xml version='1.0'?><svg/>", b"GIF89a", b""]
)
def test_svg_and_anything_else_is_not_a_badge_image(data: bytes) -> None:
    with pytest.raises(UploadRefused, match="must be a PNG or JPEG"):
        image_type(data)


# --- in the pages ----------------------------------------------------------------------------


def test_a_150_kb_file_of_brackets_on_verify_gets_a_sentence(app_env: World) -> None:
    at = open_page()
    payload = ("proof.json", b"[" * 150_000, "application/json")
    at.file_uploader(key="verify_proof").set_value(payload).run()
    assert not at.exception, at.exception
    message = error_of(at)
    assert message.startswith("A proof file may be at most 64 KiB, and this one is 146 KiB")
    # The same session still verifies.
    at.file_uploader(key="verify_proof").set_value(None)
    at.text_input(key="verify_subject").set_value(f"0x{app_env.tokens['valid']:064x}")
    at.button(key="verify_submit").click().run()
    assert not at.exception, at.exception
    assert at.subheader[0].value.startswith("1 credential")


def test_an_oversized_csv_on_issue_gets_a_sentence(
    app_env: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MICROCRED_DEMO_SIGNER_KEY", ISSUER_KEY)
    row = f"{Account.create().address}\n".encode()
    csv = b"address\n" + row * (RECIPIENTS_CSV.max_bytes // len(row) + 1)
    at = open_page("issue")
    at.file_uploader(key="issue_csv").set_value(("learners.csv", csv, "text/csv")).run()
    assert not at.exception, at.exception
    assert error_of(at).startswith("A recipients CSV may be at most 4 MiB")
    assert not [b for b in at.button if b.key == "issue_csv_prepare"]


@pytest.mark.parametrize(
    ("image", "words"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "SVG is not"),
        (b"\x89PNG\r\n\x1a\n" + bytes(BADGE_IMAGE.max_bytes), "A badge image may be at most 256"),
    ],
)
def test_a_bad_badge_image_on_templates_gets_a_sentence_and_nothing_is_stored(
    app_env: World, monkeypatch: pytest.MonkeyPatch, image: bytes, words: str
) -> None:
    monkeypatch.setenv("MICROCRED_DEMO_SIGNER_KEY", ISSUER_KEY)
    at = open_page("templates")
    at.text_input(key="templates_name").set_value("Badge check")
    at.text_area(key="templates_description").set_value("A template with a bad image.")
    at.text_area(key="templates_criteria").set_value("None.")
    at.file_uploader(key="templates_image").set_value(("badge.png", image, "image/png"))
    before = objects_in(app_env.store_dir)
    next(b for b in at.button if b.label == "Prepare template").click().run()
    assert not at.exception, at.exception
    assert words in error_of(at)
    assert objects_in(app_env.store_dir) == before


# --- a shared anvil, restored after each test -------------------------------------------------

_ISSUERS_AT_START: list[int] = []


def test_a_test_that_changes_the_chain_changes_it_for_itself_only(app_env: World) -> None:
    registry = app_env.chain.registry
    _ISSUERS_AT_START.append(registry.functions.issuerCount().call())
    admin = app_env.chain.w3.eth.accounts[0]
    sent(
        registry.functions.registerIssuer("Leaky Institute", "", [Account.create().address]),
        {"from": admin},
    )
    assert registry.functions.issuerCount().call() == _ISSUERS_AT_START[0] + 1


def test_the_next_test_starts_from_the_seeded_chain(app_env: World) -> None:
    if not _ISSUERS_AT_START:
        pytest.skip("runs after the test above (same module)")
    assert app_env.chain.registry.functions.issuerCount().call() == _ISSUERS_AT_START[0]
