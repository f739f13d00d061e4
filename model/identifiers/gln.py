"""GLN (GS1 Global Location Number).

A GLN identifies a party or location. It is 13 digits: a GS1 company prefix,
a location reference and a check digit. The check digit is the GS1 standard one
(the same as for EAN-13): weights 3 and 1 alternating from the rightmost data
digit, check digit = (10 - sum mod 10) mod 10. GLNs are written without spaces.

In Peppol the scheme is ICD/EAS 0088 ("EAN Location Code"); PEPPOL-COMMON-R040
checks 13 digits and the GS1 check digit.

Sources: GS1 General Specifications (GLN, GS1 check digit calculation), as
implemented by python-stdnum 2.2 ``stdnum.ean`` (which also accepts 8, 12 and 14
digit keys; only its check digit function is used here); Peppol BIS Billing 3.0
PEPPOL-COMMON-R040.

>>> validate('4000001123452')
'4000001123452'
>>> calc_check_digit('400000112345')
'2'
"""

from __future__ import annotations

from stdnum import ean

from model.identifiers import _wrap
from model.identifiers._errors import InvalidIdentifier

STANDARD = "GLN"


def compact(number: str) -> str:
    """Strip spaces, dashes and dots."""
    return _wrap.compact_digits(number)


def calc_check_digit(number: str) -> str:
    """The GS1 check digit for the first 12 digits of a GLN."""
    return ean.calc_check_digit(number)


def validate(number: str) -> str:
    """Return the 13-digit GLN or raise InvalidIdentifier."""
    digits = _wrap.digits(STANDARD, number, (13,), "13 digits")
    if calc_check_digit(digits[:-1]) != digits[-1]:
        raise InvalidIdentifier(STANDARD, number, "check digit does not match")
    return digits


def is_valid(number: str) -> bool:
    """True if ``number`` is a valid GLN."""
    return _wrap.is_valid(validate, number)
