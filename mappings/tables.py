"""The simple code tables of a mapping file and the code list each one maps onto.

Every table except ``[vat]`` maps a source value (a string) to one code. :data:`CODE_TABLES`
names, per table, the code list that checks the target code and the words used in messages.
``[defaults]`` holds one value per table, under :data:`DEFAULT_KEYS`, for records with no value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from model.codes import eas, icd, iso3166, iso4217, rec20, uncl4461

__all__ = ["CODE_TABLES", "DEFAULT_KEYS", "CodeTableSpec"]


@dataclass(frozen=True, slots=True)
class CodeTableSpec:
    """One code table: its TOML name, the code list it targets and how messages name things."""

    table: str
    code_list: str
    label: str
    source_noun: str
    is_valid: Callable[[str], bool]


def _is_scheme(code: str) -> bool:
    """Return True for an ISO 6523 ICD or an EAS scheme code (NL VAT 9944 is EAS only)."""
    return icd.is_valid(code) or eas.is_valid(code)


CODE_TABLES: Final[dict[str, CodeTableSpec]] = {
    spec.table: spec
    for spec in (
        CodeTableSpec("units", "UN/ECE Rec 20", "unit", "unit", rec20.is_valid),
        CodeTableSpec(
            "payment_methods", "UNCL4461", "payment means", "payment method", uncl4461.is_valid
        ),
        CodeTableSpec("countries", "ISO 3166-1 alpha-2", "country", "country", iso3166.is_valid),
        CodeTableSpec("currencies", "ISO 4217", "currency", "currency", iso4217.is_valid),
        CodeTableSpec(
            "identifier_schemes",
            "ISO 6523 ICD or EAS",
            "identifier scheme",
            "identifier type",
            _is_scheme,
        ),
    )
}
"""Code table name -> its spec."""

DEFAULT_KEYS: Final[dict[str, str]] = {
    "unit": "units",
    "payment_means": "payment_methods",
    "country": "countries",
    "currency": "currencies",
}
"""Key allowed under ``[defaults]`` -> the code table whose code list checks its value."""
