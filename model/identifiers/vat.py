"""VAT identification number with its country prefix (EU member states, GB, NO, CH).

A VAT identification number (EN 16931 BT-31, BT-48, BT-63) is a two-letter
country prefix followed by the number the country assigns. The prefix is the
ISO 3166-1 alpha-2 code, except that Greece uses ``EL`` (EN 16931 rule BR-CO-09
allows either) and Northern Ireland traders use ``XI`` on UK numbers.
Each country has its own length, layout and check digits; this module
delegates the country check to python-stdnum:

* EU member states (and ``XI``): ``stdnum.eu.vat``, which picks the country module
  (``stdnum.nl.btw`` for NL, ``stdnum.de.vat`` for DE, ...);
* GB, NO and CH: ``stdnum.vatin``, i.e. ``stdnum.gb.vat``, ``stdnum.no.mva``
  (organisation number + ``MVA``) and ``stdnum.ch.vat`` (UID + ``MWST``/``TVA``/``IVA``/``TPV``).

One-stop-shop numbers (``EU``/``IM`` prefix, ``stdnum.eu.oss``) are not country
VAT ids and are rejected here, as is every other prefix. This is an offline
check of form and check digits only: it does not ask VIES whether the number is
assigned.

Sources: python-stdnum 2.2 (``stdnum/eu/vat.py``, ``stdnum/vatin.py`` and the
country modules, each citing its national specification); EN 16931-1 BR-CO-09.

>>> validate('NL 0000.99998.B57')
'NL000099998B57'
>>> country('EL094259216')
'GR'
>>> validate('NL000099998B58')
Traceback (most recent call last):
    ...
model.identifiers._errors.InvalidIdentifier: NL VAT number NL000099998B58: check digit does not match
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stdnum import vatin
from stdnum.eu import vat as eu_vat
from stdnum.util import clean

from model.identifiers import _wrap
from model.identifiers._errors import InvalidIdentifier

if TYPE_CHECKING:
    from stdnum.util import NumberValidationModule

_NON_EU = frozenset({"GB", "NO", "CH"})

PREFIXES: frozenset[str] = frozenset(cc.upper() for cc in eu_vat.MEMBER_STATES) | {"EL"} | _NON_EU
"""The accepted country prefixes (``GR`` is accepted beside ``EL``, as stdnum does)."""

_COUNTRY = {"EL": "GR", "XI": "GB"}


def _head(number: str) -> str:
    return clean(number, " ").strip()[:2].upper()


def has_prefix(number: str) -> bool:
    """True if ``number`` starts with one of the supported :data:`PREFIXES`."""
    return _head(number) in PREFIXES


def _prefix(number: str) -> str:
    """The country prefix of ``number``; InvalidIdentifier if it is not supported."""
    prefix = _head(number)
    if len(prefix) < 2 or not prefix.isalpha():
        raise InvalidIdentifier("VAT number", number, "must start with a two-letter country prefix")
    if prefix not in PREFIXES:
        raise InvalidIdentifier(
            "VAT number",
            number,
            f"country prefix {prefix!r} is not supported "
            "(expected an EU member state, EL, XI, GB, NO or CH)",
        )
    return prefix


def _module(prefix: str) -> NumberValidationModule:
    return vatin if prefix in _NON_EU else eu_vat


def compact(number: str) -> str:
    """Strip separators and upper-case; raise InvalidIdentifier for an unknown prefix."""
    prefix = _prefix(number)
    return _wrap.checked(f"{prefix} VAT number", _module(prefix).compact, number)


def validate(number: str) -> str:
    """Return the compact form (with prefix) or raise InvalidIdentifier."""
    prefix = _prefix(number)
    return _wrap.checked(f"{prefix} VAT number", _module(prefix).validate, number)


def is_valid(number: str) -> bool:
    """True if ``number`` is a valid VAT identification number."""
    return _wrap.is_valid(validate, number)


def country(number: str) -> str:
    """The ISO 3166-1 alpha-2 country of a valid VAT number (``EL`` -> GR, ``XI`` -> GB)."""
    prefix = validate(number)[:2]
    return _COUNTRY.get(prefix, prefix)
