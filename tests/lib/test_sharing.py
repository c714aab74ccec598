"""Share links, QR codes and the LinkedIn link a learner shares."""

from __future__ import annotations

import doctest
import struct
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import pytest

import microcred.cid
import microcred.sharing
from microcred.errors import InputError
from microcred.sharing import linkedin_add_url, qr_png, share_link, token_hex

ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


@pytest.mark.parametrize("module", [microcred.sharing, microcred.cid])
def test_docstring_examples_hold(module):
    assert doctest.testmod(module).failed == 0


def test_wallet_link_checksums_the_address():
    link = share_link("https://app.example/", address=ADDRESS.lower())
    assert link == f"https://app.example/verify?address={ADDRESS}"


def test_credential_link_carries_the_full_token_id():
    link = share_link("https://app.example", credential=2**256 - 1)
    assert parse_qs(urlparse(link).query)["credential"] == ["0x" + "f" * 64]
    assert token_hex(1) == "0x" + "0" * 63 + "1"


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"address": ADDRESS, "credential": 1}, {"address": "0x1234"}, {"address": "alice.eth"}],
)
def test_a_link_needs_exactly_one_valid_subject(kwargs):
    with pytest.raises(InputError):
        share_link("https://app.example", **kwargs)


def test_qr_code_is_a_png_that_grows_with_its_content():
    small = qr_png("x")
    large = qr_png(share_link("https://app.example", credential=2**255))
    for png in (small, large):
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width = lambda png: struct.unpack(">I", png[16:20])[0]  # noqa: E731 - IHDR width
    assert width(large) > width(small)


def test_linkedin_link_fills_the_certification_form():
    url = linkedin_add_url(
        name="Python & Data <Basics>",
        organization="Demo University",
        issued_at=datetime(2026, 3, 9, tzinfo=UTC),
        expires_at=datetime(2028, 3, 9, tzinfo=UTC),
        credential_url="https://app.example/verify?credential=0x01",
        credential_id="0x01",
    )
    parsed = urlparse(url)
    query = {key: values[0] for key, values in parse_qs(parsed.query).items()}
    assert (parsed.netloc, parsed.path) == ("www.linkedin.com", "/profile/add")
    assert query == {
        "startTask": "CERTIFICATION_NAME",
        "name": "Python & Data <Basics>",
        "organizationName": "Demo University",
        "issueYear": "2026",
        "issueMonth": "3",
        "expirationYear": "2028",
        "expirationMonth": "3",
        "certUrl": "https://app.example/verify?credential=0x01",
        "certId": "0x01",
    }


def test_linkedin_link_omits_expiry_for_credentials_that_never_expire():
    url = linkedin_add_url(
        name="n",
        organization="o",
        issued_at=datetime(2026, 1, 1, tzinfo=UTC),
        expires_at=None,
        credential_url="https://x",
        credential_id="0x1",
    )
    assert "expirationYear" not in url
