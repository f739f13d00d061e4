"""KvK-nummer (Dutch Chamber of Commerce number, Handelsregister).

Every enterprise or legal entity registered in the Dutch Handelsregister gets a
KvK number of exactly 8 digits. It is a plain serial number: KvK publishes no
check digit or other internal structure, so the only offline check is "8
digits" (any modulus test would reject real numbers). Whether the number is
assigned can only be asked of the Handelsregister itself.

Not to be confused with the 12-digit *vestigingsnummer* (establishment number,
Peppol ICD 0217), which identifies one branch and is rejected here, nor with the
9-digit RSIN. A number changes when the business is transferred or changes its
legal form.

In Peppol the scheme is ICD/EAS 0106; PEPPOL-COMMON-R054 requires 8 digits and
NLCIUS BR-NL-1 / Peppol NL-R-003 require a KvK (0106) or OIN (0190) legal
entity id for Dutch suppliers.

Sources: KVK, "KVK-nummer: alles wat je moet weten" (kvk.nl: "een uniek
8-cijferig KVK-nummer") and "Numbers in the Business Register" (12-digit
establishment number); Logius OIN-stelsel, Bijlage A ("dit KvK-nummer bestaat
altijd uit 8 cijfers"); OpenPeppol peppol-bis-invoice-3 PEPPOL-COMMON-R054.
python-stdnum 2.2 has no module for it.

>>> validate('1234 5678')
'12345678'
"""

from __future__ import annotations

from model.identifiers import _wrap
from model.identifiers._errors import InvalidIdentifier

STANDARD = "KvK number"


def compact(number: str) -> str:
    """Strip spaces, dashes and dots."""
    return _wrap.compact_digits(number)


def validate(number: str) -> str:
    """Return the 8-digit KvK number or raise InvalidIdentifier."""
    digits = _wrap.digits(STANDARD, number, (8, 12), "8 digits")
    if len(digits) == 12:
        raise InvalidIdentifier(
            STANDARD,
            number,
            "must have 8 digits; 12 digits is a vestigingsnummer (establishment number, "
            "ICD 0217), not a KvK number",
        )
    return digits


def is_valid(number: str) -> bool:
    """True if ``number`` is 8 digits."""
    return _wrap.is_valid(validate, number)
