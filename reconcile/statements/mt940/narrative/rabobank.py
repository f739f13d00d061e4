"""Rabobank structured ``:86:``: ``/EREF/ /ORDP//NAME/ /BENM//NAME/ /ADDR/ /REMI/ /ISDT/``,
the creditor reference as ``/REMI//CDTRREFTP//CD/SCOR/ISSR/CUR/CDTRREF/<ref>/``. The
counterparty account is line 2 of the ``:61:``."""

from __future__ import annotations

import re

from reconcile.statements.mt940.narrative.base import (
    RABOBANK_WRAP,
    Narrative,
    compact,
    join_lines,
    no_id,
    slash_tags,
)

__all__ = ["split"]

TAGS = (
    "EREF",
    "ORDP",
    "BENM",
    "NAME",
    "ADDR",
    "REMI",
    "ISDT",
    "CSID",
    "MARF",
    "RTRN",
    "PREF",
    "ULTD",
    "ULTC",
    "PURP",
    "BIC",
    "ID",
)
_CREDITOR_REF = re.compile(r"/CDTRREFTP//CD/(\w+)/ISSR/(\w+)/CDTRREF/([^/]+)")


def split(lines: list[str], account: str | None) -> Narrative:
    text = join_lines(lines, RABOBANK_WRAP)
    tags = slash_tags(text, TAGS)
    remittance = tags.get("REMI", "")
    reference = None
    found = _CREDITOR_REF.match(remittance)
    if found:
        reference = compact(found.group(3))
        remittance = remittance[found.end() :].strip("/ ")
    return Narrative(
        layout="rabobank",
        name=tags.get("NAME") or None,
        iban=account,
        ultimate_debtor=(tags.get("ULTD") or "").split("/")[0] or None,
        structured_reference=reference,
        text=remittance,
        end_to_end_id=no_id(tags.get("EREF")),
        return_reason=tags.get("RTRN") or None,
        mandate_id=no_id(tags.get("MARF")),
        creditor_id=no_id(tags.get("CSID")),
    )
