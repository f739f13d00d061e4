"""BIC (Business Identifier Code, ISO 9362; also "SWIFT code").

Eight or eleven characters: four letters (institution), a two-letter ISO 3166
country code, two letters or digits (location) and optionally three letters or
digits (branch). There is no check digit; python-stdnum checks the layout and
that the country code exists. It is written without spaces.

Source: python-stdnum 2.2 ``stdnum.bic`` (ISO 9362:2014).

>>> validate('abna nl 2a')
'ABNANL2A'
"""

from __future__ import annotations

from stdnum import bic
from stdnum.exceptions import InvalidComponent, InvalidFormat, InvalidLength

from model.identifiers import _wrap

_REASONS: _wrap.Reasons = {
    InvalidLength: "must have 8 or 11 characters",
    InvalidFormat: "must be 4 letters, 2-letter country, 2 and optionally 3 letters/digits",
    InvalidComponent: "unknown country code",
}


def compact(number: str) -> str:
    """Strip spaces and dashes and upper-case."""
    return bic.compact(number)


def validate(number: str) -> str:
    """Return the compact BIC or raise InvalidIdentifier."""
    return _wrap.checked("BIC", bic.validate, number, _REASONS)


def is_valid(number: str) -> bool:
    """True if ``number`` is a valid BIC."""
    return _wrap.is_valid(validate, number)
