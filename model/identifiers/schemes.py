"""Check an identifier by its ICD / EAS scheme id.

EN 16931 party identifiers (BT-29, BT-30, BT-46, BT-47, ...) carry an ISO 6523
ICD scheme id and electronic addresses (BT-34, BT-49) a CEF EAS code; the two
lists share their codes for the schemes below. :func:`validate_scheme` sends
the value to the module that knows its standard:

====  ===============================  ======================================
id    scheme                           checked by
====  ===============================  ======================================
0088  GLN                              :mod:`.gln`
0106  KvK number                       :mod:`.kvk`
0190  OIN                              :mod:`.oin`
0192  Norwegian organisation number    ``stdnum.no.orgnr``
0208  Belgian enterprise number        :mod:`.be_enterprise`
99xx  VAT number of one country        :mod:`.vat`, country must match
====  ===============================  ======================================

The VAT schemes handled are the EAS "<country> VAT number" codes whose country
:mod:`.vat` supports: 9910 HU, 9914 AT, 9920 ES, 9925 BE, 9926 BG, 9927 CH,
9928 CY, 9929 CZ, 9930 DE, 9931 EE, 9932 GB, 9933 GR (prefix EL), 9934 HR,
9935 IE, 9937 LT, 9938 LU, 9939 LV, 9943 MT, 9944 NL, 9945 PL, 9946 PT,
9947 RO, 9949 SI, 9950 SK, 9957 FR. Their value is the VAT number with its
country prefix (Peppol PEPPOL-COMMON-R056-1 requires ``NL`` for 9944); a value
given without the prefix gets it, and the prefixed compact form is returned.

Every other scheme id (DUNS, SIRET, Leitweg-ID, Italian codes, the VAT schemes
of AD, AL, BA, LI, MC, ME, MK, RS, SM, TR, VA, ...) is **accepted unchanged**:
:func:`validate_scheme` returns the value as given, because this module has no
rule for it, not because it was found valid. Use :data:`SCHEME_NAMES` to know
whether a scheme was checked.

Sources: CEF EAS code list and ISO 6523 ICD list as shipped by OpenPeppol
peppol-bis-invoice-3 (``structure/codelist/eas.xml``, ``icd.xml``); the Peppol
participant identifier scheme list (9920 = ES:VAT); OpenPeppol
PEPPOL-COMMON-R040..R043, R054..R056.

>>> validate_scheme('9944', 'NL000099998B57')
'NL000099998B57'
>>> validate_scheme('0060', ' 123456789 ')
' 123456789 '
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from types import MappingProxyType

from stdnum.no import orgnr

from model.identifiers import _wrap, be_enterprise, gln, kvk, oin, vat
from model.identifiers._errors import InvalidIdentifier

_VAT_COUNTRIES: Mapping[str, str] = {
    "9910": "HU", "9914": "AT", "9920": "ES", "9925": "BE", "9926": "BG",
    "9927": "CH", "9928": "CY", "9929": "CZ", "9930": "DE", "9931": "EE",
    "9932": "GB", "9933": "GR", "9934": "HR", "9935": "IE", "9937": "LT",
    "9938": "LU", "9939": "LV", "9943": "MT", "9944": "NL", "9945": "PL",
    "9946": "PT", "9947": "RO", "9949": "SI", "9950": "SK", "9957": "FR",
}  # fmt: skip

_VAT_PREFIX = {"GR": "EL"}
"""The prefix added to a VAT value given without one, where it is not the country code."""


def _vat_of(country: str, value: str) -> str:
    """Validate ``value`` as a VAT number of ``country``, adding the prefix if it lacks one."""
    if not vat.has_prefix(value):
        value = _VAT_PREFIX.get(country, country) + value.strip()
    number = vat.validate(value)
    if vat.country(number) != country:
        raise InvalidIdentifier(
            f"{country} VAT number", value, f"is a VAT number of {vat.country(number)}"
        )
    return number


def _no_orgnr(value: str) -> str:
    return _wrap.checked("Norwegian organisation number", orgnr.validate, value)


_CHECKS: Mapping[str, tuple[str, Callable[[str], str]]] = {
    "0088": ("GLN (GS1 Global Location Number)", gln.validate),
    "0106": ("KvK number (Dutch Chamber of Commerce)", kvk.validate),
    "0190": ("OIN (Dutch government organisation number)", oin.validate),
    "0192": ("Norwegian organisation number (Enhetsregisteret)", _no_orgnr),
    "0208": ("Belgian enterprise number (KBO/BCE)", be_enterprise.validate),
    **{
        scheme: (f"{country} VAT number", partial(_vat_of, country))
        for scheme, country in _VAT_COUNTRIES.items()
    },
}

SCHEME_NAMES: Mapping[str, str] = MappingProxyType(
    {scheme: name for scheme, (name, _) in sorted(_CHECKS.items())}
)
"""The scheme ids that :func:`validate_scheme` checks, with the name of each."""


def validate_scheme(scheme_id: str, value: str) -> str:
    """Check ``value`` under ICD/EAS ``scheme_id``; return its compact form.

    Raise InvalidIdentifier (naming the scheme, the standard and the value) if a
    handled scheme rejects it. An unknown scheme id returns ``value`` unchanged.
    """
    check = _CHECKS.get(scheme_id.strip())
    if check is None:
        return value
    try:
        return check[1](value)
    except InvalidIdentifier as error:
        raise InvalidIdentifier(
            f"{error.standard} (scheme {scheme_id.strip()})", value, error.reason
        ) from error


def is_valid_scheme(scheme_id: str, value: str) -> bool:
    """True unless :func:`validate_scheme` raises."""
    try:
        validate_scheme(scheme_id, value)
    except InvalidIdentifier:
        return False
    return True
