"""Currency codes (ISO 4217 through :mod:`model.codes.iso4217`) and their minor units."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from model.codes import iso4217

__all__ = ["amount", "check_currency", "minor_unit"]

# ISO 4217 minor units that are not 2 (the 2018 list); every other code has 2.
_ZERO = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "UYI",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
_THREE = frozenset(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"])
_FOUR = frozenset(("CLF", "UYW"))


def minor_unit(currency: str) -> int:
    """The number of decimals of ``currency`` (EUR 2, JPY 0, KWD 3)."""
    if currency in _ZERO:
        return 0
    if currency in _THREE:
        return 3
    if currency in _FOUR:
        return 4
    return 2


def check_currency(code: str) -> str | None:
    """None when ``code`` is an ISO 4217 currency, else the message to raise."""
    if iso4217.CODES.get(code) is None:
        return f"unknown currency {code!r}"
    return None


def amount(text: str, currency: str) -> Decimal:
    """``text`` ('12.5', MT940 '12,5' or '9,') as a Decimal quantized to the currency's
    minor unit; ValueError when it is no amount or has more decimals than the currency."""
    cleaned = text.strip().replace(",", ".")
    if cleaned.endswith("."):
        cleaned += "0"
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"amount {text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"amount {text!r} is not a number")
    exponent = Decimal(1).scaleb(-minor_unit(currency))
    quantized = value.quantize(exponent)
    if quantized != value:
        raise ValueError(f"amount {text!r} has more decimals than {currency} allows")
    return quantized
