"""Links a learner shares: a verify link per credential or per wallet, its QR code, and LinkedIn's
"add a certification" link.

>>> share_link("https://verify.example.org", credential=255)
'https://verify.example.org/verify?credential=0x00000000000000000000000000000000000000000000000000000000000000ff'
>>> share_link("http://localhost:8501/", address="0x70997970C51812dc3A010C7d01b50e0d17dc79C8")
'http://localhost:8501/verify?address=0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
"""

from __future__ import annotations

import io
from datetime import datetime
from urllib.parse import urlencode

import qrcode
from eth_utils import is_address, to_checksum_address

from .errors import InputError

__all__ = ["linkedin_add_url", "qr_png", "share_link", "token_hex"]

LINKEDIN_ADD_CERTIFICATION = "https://www.linkedin.com/profile/add"


def token_hex(token_id: int) -> str:
    """A token id as it appears in links and in the CLI: 0x + 64 hex digits."""
    return f"0x{token_id:064x}"


def share_link(base_url: str, *, address: str | None = None, credential: int | None = None) -> str:
    """The app's verify link for one wallet or one credential (exactly one of them)."""
    if (address is None) == (credential is None):
        raise InputError("A share link is for one wallet address or one credential id.")
    if address is not None:
        if not is_address(address):
            raise InputError(f"{address!r} is not a wallet address.")
        query = {"address": str(to_checksum_address(address))}
    else:
        assert credential is not None
        query = {"credential": token_hex(credential)}
    return f"{base_url.rstrip('/')}/verify?{urlencode(query)}"


def qr_png(data: str, *, box_size: int = 8) -> bytes:
    """A QR code of ``data`` as PNG bytes (medium error correction, prints and scans well)."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=2
    )
    code.add_data(data)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def linkedin_add_url(
    *,
    name: str,
    organization: str,
    issued_at: datetime,
    expires_at: datetime | None,
    credential_url: str,
    credential_id: str,
) -> str:
    """LinkedIn's "Add license or certification" form, filled in with the credential."""
    params: dict[str, str | int] = {
        "startTask": "CERTIFICATION_NAME",
        "name": name,
        "organizationName": organization,
        "issueYear": issued_at.year,
        "issueMonth": issued_at.month,
    }
    if expires_at is not None:
        params["expirationYear"] = expires_at.year
        params["expirationMonth"] = expires_at.month
    params["certUrl"] = credential_url
    params["certId"] = credential_id
    return f"{LINKEDIN_ADD_CERTIFICATION}?{urlencode(params)}"
