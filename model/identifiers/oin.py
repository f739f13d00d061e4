"""OIN (Organisatie-identificatienummer, Dutch government organisation number).

The OIN identifies organisations in digital traffic with and within the Dutch
government (Digikoppeling, PKIoverheid certificates, whose subject serial
number field sets its length of 20 positions). Logius assigns it and publishes
it in the COR (Centrale OIN Raadpleegvoorziening). Its structure:

============  =========  ==================================================
element       length     value
============  =========  ==================================================
prefix        8          the source register, see below
main number   8 or 9     the number in that register (8 for a KvK number)
suffix        4 or 3     ``0000`` after an 8-position, ``000`` after a
                         9-position main number
============  =========  ==================================================

Published prefixes: 00000001 RSIN (Handelsregister), 00000002 fiscal number
(Belastingdienst), 00000003 KvK number, 00000004 SubOIN register, 00000005
unassigned, 00000006 OIN main number issued by Logius, 00000007 BRIN number,
00000008 foreign organisations, 00000009 Dezi care providers, 00000010 TRR-BD,
00000011 Dezi health insurers, 00000099 test OINs. Example:
``00000001822477348000`` is prefix 00000001, RSIN 822477348, suffix 000.

What is checked: 20 digits (Peppol PEPPOL-COMMON-R055 for ICD 0190) and a prefix
from the published family ``000000nn`` other than ``00000000``. The register list
is maintained by Logius and may grow, so unknown ``000000nn`` prefixes are
accepted; the suffix is not checked, as older OINs may not follow the rule.
There is no check digit.

Sources: Logius, "OIN-stelsel", chapter "Data Architectuur" (github.com/
Logius-standaarden/OIN-Stelsel, ``ch06_Data Architectuur.md``); OpenPeppol
peppol-bis-invoice-3 PEPPOL-COMMON-R055 ("MUST be stated in the correct format
(12345678901234567890)", i.e. ``^[0-9]{20}$``). python-stdnum 2.2 has no module.

>>> validate('00000001822477348000')
'00000001822477348000'
"""

from __future__ import annotations

from model.identifiers import _wrap
from model.identifiers._errors import InvalidIdentifier

STANDARD = "OIN"


def compact(number: str) -> str:
    """Strip spaces, dashes and dots."""
    return _wrap.compact_digits(number)


def validate(number: str) -> str:
    """Return the 20-digit OIN or raise InvalidIdentifier."""
    digits = _wrap.digits(STANDARD, number, (20,), "20 digits")
    prefix = digits[:8]
    if not prefix.startswith("000000") or prefix == "00000000":
        raise InvalidIdentifier(
            STANDARD, number, f"prefix {prefix} is not an OIN register prefix (000000nn)"
        )
    return digits


def is_valid(number: str) -> bool:
    """True if ``number`` is a well-formed OIN."""
    return _wrap.is_valid(validate, number)
