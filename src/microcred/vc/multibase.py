"""Multibase base58btc (the ``z`` prefix): how did:key names keys and Data Integrity encodes proofs.

>>> encode_base58btc(bytes([0, 0, 1]))
'z112'
>>> decode_base58btc("z112")
b'\\x00\\x00\\x01'
"""

from __future__ import annotations

__all__ = ["decode_base58btc", "encode_base58btc"]

# The Bitcoin alphabet: no 0, O, I or l, so a printed key cannot be misread.
_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: value for value, char in enumerate(_ALPHABET)}


def encode_base58btc(data: bytes) -> str:
    """``z`` followed by the base58btc digits of ``data`` (each leading zero byte a ``1``)."""
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(_ALPHABET[remainder])
    leading_zeros = len(data) - len(data.lstrip(b"\0"))
    return "z" + "1" * leading_zeros + "".join(reversed(digits))


def decode_base58btc(text: str) -> bytes:
    """The bytes of a ``z``-prefixed base58btc string; ``ValueError`` for anything else."""
    if not text.startswith("z"):
        raise ValueError("a multibase base58btc value starts with 'z'")
    digits = text[1:]
    number = 0
    for char in digits:
        if char not in _INDEX:
            raise ValueError(f"{char!r} is not a base58btc digit")
        number = number * 58 + _INDEX[char]
    leading_zeros = len(digits) - len(digits.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * leading_zeros + body
