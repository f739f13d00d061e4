"""IBAN (International Bank Account Number, ISO 13616).

An IBAN is a two-letter country code, two check digits and the national account
number (BBAN), up to 34 characters. The check digits make the whole number,
rearranged with the first four characters moved to the end and letters replaced
by 10..35, equal 1 modulo 97 (ISO 7064 MOD 97-10). Each country fixes the
length and layout of its BBAN (the SWIFT IBAN registry); python-stdnum also runs
the national check where it has one (e.g. the Dutch, Belgian and German account
number checks). The print format is groups of four characters.

Source: python-stdnum 2.2 ``stdnum.iban`` (ISO 13616, SWIFT IBAN registry).

>>> validate('NL91 ABNA 0417 1643 00')
'NL91ABNA0417164300'
>>> format('NL91ABNA0417164300')
'NL91 ABNA 0417 1643 00'
"""

from __future__ import annotations

from stdnum import iban
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat

from model.identifiers import _wrap

_REASONS: _wrap.Reasons = {
    InvalidChecksum: "check digits do not match",
    InvalidComponent: "unknown country code or bank code",
    InvalidFormat: "invalid characters, or the account part does not match the country's IBAN layout",
}


def compact(number: str) -> str:
    """Strip spaces, dashes and dots and upper-case."""
    return iban.compact(number)


def validate(number: str) -> str:
    """Return the compact IBAN or raise InvalidIdentifier."""
    return _wrap.checked("IBAN", iban.validate, number, _REASONS)


def is_valid(number: str) -> bool:
    """True if ``number`` is a valid IBAN."""
    return _wrap.is_valid(validate, number)


def format(number: str) -> str:
    """Groups of four characters, e.g. ``'NL91 ABNA 0417 1643 00'``."""
    return iban.format(number)
