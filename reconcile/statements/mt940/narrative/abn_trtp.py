"""ABN AMRO (and Knab) SEPA ``:86:``: ``/TRTP/<type>/IBAN/ /BIC/ /NAME/ /REMI/ /EREF/``, the
acceptgiro reference as ``/REMI/ISSUER: CUR  REF: <ref>``."""

from __future__ import annotations

import re

from reconcile.statements.mt940.narrative.base import (
    Narrative,
    compact,
    join_lines,
    no_id,
    slash_tags,
)

__all__ = ["split"]

TAGS = (
    "TRTP",
    "IBAN",
    "BIC",
    "NAME",
    "REMI",
    "EREF",
    "CSID",
    "MARF",
    "RTRN",
    "ORDP",
    "BENM",
    "ADDR",
    "ISDT",
    "ULTD",
    "ULTC",
    "PURP",
)
_ISSUER_REF = re.compile(r"ISSUER:\s*(\w+)\s+REF:\s*(.+)", re.DOTALL)


def split(lines: list[str]) -> Narrative:
    text = join_lines(lines)
    tags = slash_tags(text, TAGS)
    remittance = tags.get("REMI", "")
    reference = None
    found = _ISSUER_REF.match(remittance)
    if found:
        reference = compact(found.group(2))
        remittance = ""
    return Narrative(
        layout="abn-trtp",
        name=tags.get("NAME") or None,
        iban=compact(tags.get("IBAN")),
        bic=compact(tags.get("BIC")),
        ultimate_debtor=(tags.get("ULTD") or "").split("/")[0] or None,
        structured_reference=reference,
        text=remittance,
        end_to_end_id=no_id(tags.get("EREF")),
        bank_code=tags.get("TRTP") or None,
        return_reason=tags.get("RTRN") or None,
        mandate_id=no_id(tags.get("MARF")),
        creditor_id=no_id(tags.get("CSID")),
    )
