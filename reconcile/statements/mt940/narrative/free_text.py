"""The free-text layouts: older ING (``<IBAN> <BIC> <name> NOTPROVIDED <text>``, or a
10-digit account then text, a ``SCOR/CUR/<ref>`` creditor reference), ABN AMRO pre-SEPA
(``GIRO``/``BEA`` text) and anything not recognised: the whole ``:86:`` as text."""

from __future__ import annotations

import re

from reconcile.statements.mt940.narrative.base import Narrative, join_lines

__all__ = ["split"]

_IBAN_BIC = re.compile(
    r"(?P<iban>[A-Z]{2}\d{2}[A-Z0-9]{10,30}) (?P<bic>[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?) (?P<rest>.*)",
    re.DOTALL,
)
_ACCOUNT = re.compile(r"(?P<account>\d{9,10}) (?P<rest>.*)", re.DOTALL)
_SCOR = re.compile(r"SCOR/(\w+)/(\w+)")


def split(lines: list[str]) -> Narrative:
    text = join_lines(lines)
    reference = None
    found_ref = _SCOR.search(text)
    if found_ref:
        reference = found_ref.group(2)
        text = (text[: found_ref.start()] + text[found_ref.end() :]).strip()
    found = _IBAN_BIC.match(text)
    if found:
        rest = found["rest"]
        name, marker, after = rest.partition(" NOTPROVIDED")
        return Narrative(
            layout="ing-text",
            iban=found["iban"],
            bic=found["bic"],
            name=name.strip() if marker else None,
            text=after.strip() if marker else rest.strip(),
            structured_reference=reference,
        )
    found = _ACCOUNT.match(text)
    if found:
        return Narrative(
            layout="free-text",
            iban=found["account"],
            text=found["rest"].strip(),
            structured_reference=reference,
        )
    return Narrative(layout="free-text", text=text, structured_reference=reference)
