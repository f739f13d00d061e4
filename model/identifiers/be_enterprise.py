"""Belgian enterprise number (ondernemingsnummer / numéro d'entreprise, KBO/BCE).

The number that the Crossroads Bank for Enterprises (KBO/BCE) gives every
enterprise; it is also the body of the Belgian VAT number (``BE`` + enterprise
number). It is 10 digits, the first being 0 or 1; the last two digits are a
check: 97 - (first 8 digits mod 97). Old 9-digit numbers get a leading 0. It is
written ``0403.019.261``.

In Peppol the scheme is ICD 0208; PEPPOL-COMMON-R043 checks the same rule.

Source: python-stdnum 2.2 ``stdnum.be.vat`` (2.2 has no separate ``be.bce``
module; ``stdnum.be.businessid`` is an alias of ``be.vat``), which accepts and
strips a ``BE`` prefix.

>>> validate('BE 403.019.261')
'0403019261'
>>> format('0403019261')
'0403.019.261'
"""

from __future__ import annotations

from stdnum.be import vat
from stdnum.exceptions import InvalidComponent, InvalidLength

from model.identifiers import _wrap

_REASONS: _wrap.Reasons = {
    InvalidLength: "must have 10 digits (or 9 without the leading 0)",
    InvalidComponent: "must start with 0 or 1",
}


def compact(number: str) -> str:
    """Strip separators and a ``BE`` prefix; add the leading 0 to old 9-digit numbers."""
    return vat.compact(number)


def validate(number: str) -> str:
    """Return the 10-digit enterprise number or raise InvalidIdentifier."""
    return _wrap.checked("BE enterprise number", vat.validate, number, _REASONS)


def is_valid(number: str) -> bool:
    """True if ``number`` is a valid Belgian enterprise number."""
    return _wrap.is_valid(validate, number)


def format(number: str) -> str:
    """The usual print form ``0403.019.261``."""
    number = compact(number)
    return f"{number[:4]}.{number[4:7]}.{number[7:]}"
