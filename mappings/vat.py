"""``[vat]`` entries: a source tax code -> VAT category, rate and exemption reason.

Each entry is checked on its own, against UNCL5305 and VATEX and against the EN 16931 rules
that tie the fields together:

* ``S`` (BR-S-05) needs a rate above zero; ``L``, ``M`` and ``B`` need a rate.
* ``Z``, ``E``, ``AE``, ``K``, ``G`` have rate 0 (BR-Z-05, BR-E-05, BR-AE-05, BR-IC-05, BR-G-05);
  an omitted rate reads as 0, any other rate is a contradiction.
* ``O`` has no rate (BR-O-05).
* ``E``, ``AE``, ``K``, ``G`` and ``O`` need an exemption code or text (BR-E-10, BR-AE-10,
  BR-IC-10, BR-G-10, BR-O-10); ``S``, ``Z``, ``L``, ``M`` and ``B`` have none (BR-S-10, BR-Z-10).
* The category-specific VATEX codes (``VATEX-EU-AE``, ``-IC``, ``-G``, ``-O``) only go with their
  own category.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Final, Protocol

from mappings.errors import MappingFileError
from model.codes import uncl5305, vatex

__all__ = ["VatMapping", "parse_vat_entry"]

_FIELDS: Final = frozenset({"category", "rate", "exemption_code", "exemption_reason"})
_RATE_REQUIRED: Final = frozenset({"S", "L", "M", "B"})
_ZERO_RATED: Final = frozenset({"Z", "E", "AE", "K", "G"})
_EXEMPT: Final = frozenset({"E", "AE", "K", "G", "O"})
_VATEX_CATEGORY: Final = {
    "VATEX-EU-AE": "AE",
    "VATEX-EU-IC": "K",
    "VATEX-EU-G": "G",
    "VATEX-EU-O": "O",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class VatMapping:
    """What one source tax code means in EN 16931 terms.

    ``category`` is the UNCL5305 VAT category code (BT-151, BT-118), ``rate`` the VAT rate as a
    percentage (BT-152, BT-119; None for category ``O``), ``exemption_code`` the VATEX code
    (BT-121) and ``exemption_reason`` its text (BT-120).
    """

    category: str
    rate: Decimal | None
    exemption_code: str | None = None
    exemption_reason: str | None = None


def parse_vat_entry(raw: object, *, path: Path, key: str) -> VatMapping:
    """Check one ``[vat.<key>]`` table read from ``path`` and return its :class:`VatMapping`.

    Raise :class:`MappingFileError` naming the file, ``vat``, the key and the bad value.
    """

    def fail(problem: str, field: str | None = None, value: object = None) -> MappingFileError:
        named = key if field is None else f"{key}.{field}"
        return MappingFileError(problem, path=path, table="vat", key=named, value=value)

    if not isinstance(raw, dict):
        raise fail("a VAT entry is a table with category, rate and exemption fields", value=raw)
    for field in raw.keys() - _FIELDS:
        raise fail(f"unknown field; allowed: {', '.join(sorted(_FIELDS))}", field, raw[field])
    category = _string(raw.get("category"), fail, "category")
    if category is None:
        raise fail("category is required")
    if not uncl5305.is_valid(category):
        raise fail("not a UNCL5305 VAT category code", "category", category)
    rate = _rate(raw.get("rate"), fail)
    code = _string(raw.get("exemption_code"), fail, "exemption_code")
    reason = _string(raw.get("exemption_reason"), fail, "exemption_reason")
    if code is not None and not vatex.is_valid(code):
        raise fail("not a VATEX exemption reason code", "exemption_code", code)

    if category in _RATE_REQUIRED and rate is None:
        raise fail(f"category {category} needs a rate")
    if category == "S" and rate is not None and rate <= 0:
        raise fail("category S needs a rate above zero", "rate", str(rate))
    if category in _ZERO_RATED:
        if rate is None:
            rate = Decimal(0)
        elif rate != 0:
            raise fail(f"category {category} has rate 0", "rate", str(rate))
    if category == "O" and rate is not None:
        raise fail("category O has no rate", "rate", str(rate))
    if category in _EXEMPT and code is None and reason is None:
        raise fail(f"category {category} needs an exemption_code or exemption_reason")
    if category not in _EXEMPT and (code is not None or reason is not None):
        raise fail(f"category {category} has no exemption", "exemption_code", code or reason)
    if code is not None and _VATEX_CATEGORY.get(code, category) != category:
        raise fail(
            f"{code} belongs to category {_VATEX_CATEGORY[code]}, not {category}",
            "exemption_code",
            code,
        )
    return VatMapping(category=category, rate=rate, exemption_code=code, exemption_reason=reason)


class _Fail(Protocol):
    """The signature of the local ``fail`` helper in :func:`parse_vat_entry`."""

    def __call__(
        self, problem: str, field: str | None = None, value: object = None
    ) -> MappingFileError: ...


def _string(value: object, fail: _Fail, field: str) -> str | None:
    """Return ``value`` if it is a non-empty string or absent; fail otherwise."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise fail("must be a non-empty string", field, value)
    return value


def _rate(value: object, fail: _Fail) -> Decimal | None:
    """Parse a rate written as a string (``"21"``, ``"5.5"``); refuse floats and integers."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise fail('write the rate as a string, e.g. rate = "21"', "rate", value)
    try:
        rate = Decimal(value)
    except InvalidOperation:
        raise fail("not a decimal number", "rate", value) from None
    if not rate.is_finite() or rate < 0 or rate > 100:
        raise fail("a rate is a percentage from 0 to 100", "rate", value)
    return rate
