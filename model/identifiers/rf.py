"""RF creditor reference (ISO 11649 structured creditor reference).

``RF``, two check digits and a reference of 1 to 21 letters or digits: 5 to 25
characters in all. The check digits follow ISO 7064 MOD 97-10, as in the IBAN:
move ``RF`` and the check digits to the end, replace letters by 10..35 (A=10 ...
Z=35); the resulting integer mod 97 must be 1. To create one, append ``RF00`` to
the reference, convert, and take 98 - (n mod 97), zero-padded to two digits;
check digits therefore lie in 02..98 (``RF00``/``RF01``/``RF99`` would pass the
mod-97 test as aliases of ``RF97``/``RF98``/``RF02`` and are rejected here).
Print format: groups of four characters.

In SEPA/camt it appears as ``CdtrRefInf/Tp/CdOrPrtry/Cd=SCOR``, ``Issr=ISO``.

Worked example: ``539007547034`` + ``RF00`` -> 539007547034271500, mod 97 = 80,
98 - 80 = 18 -> ``RF18539007547034``.

Sources: ISO 11649:2009; Betaalvereniging "Specificaties ISO-betalingskenmerk";
python-stdnum 2.2 ``stdnum.iso11649`` (no ``calc_check_digits``, so :func:`create`
uses ``stdnum.iso7064.mod_97_10.calc_check_digits``).

>>> create('539007547034')
'RF18539007547034'
>>> format('RF18539007547034')
'RF18 5390 0754 7034'
"""

from __future__ import annotations

import re

from stdnum import iso11649
from stdnum.exceptions import InvalidFormat, InvalidLength
from stdnum.iso7064 import mod_97_10

from model.identifiers import _wrap
from model.identifiers._errors import InvalidIdentifier

STANDARD = "RF creditor reference"

_REASONS: _wrap.Reasons = {
    InvalidLength: "must have 5 to 25 characters (RF, 2 check digits, up to 21 more)",
    InvalidFormat: "must be RF, 2 check digits and letters or digits",
}
_SHAPE = re.compile(r"RF(0[2-9]|[1-8][0-9]|9[0-8])[0-9A-Z]{1,21}")
_BODY = re.compile(r"[0-9A-Z]{1,21}")


def compact(number: str) -> str:
    """Strip spaces and common separators and upper-case."""
    return iso11649.compact(number)


def validate(number: str) -> str:
    """Return the compact reference or raise InvalidIdentifier."""
    reference = _wrap.checked(STANDARD, iso11649.validate, number, _REASONS)
    if not _SHAPE.fullmatch(reference):
        raise InvalidIdentifier(
            STANDARD, number, "must be RF, check digits 02-98 and 1 to 21 letters or digits"
        )
    return reference


def is_valid(number: str) -> bool:
    """True if ``number`` is a valid RF creditor reference."""
    return _wrap.is_valid(validate, number)


def format(number: str) -> str:
    """Groups of four characters, e.g. ``'RF18 5390 0754 7034'``."""
    return iso11649.format(number)


def create(body: str) -> str:
    """Make the RF reference for ``body`` (1 to 21 letters or digits)."""
    reference = compact(body)
    if not _BODY.fullmatch(reference):
        raise InvalidIdentifier(STANDARD, body, "reference body must be 1 to 21 letters or digits")
    return f"RF{mod_97_10.calc_check_digits(reference + 'RF')}{reference}"
