"""The ``:86:`` splitters, one module per bank layout, and :func:`split` choosing one.

============  ===========================================================================
layout        recognised by
============  ===========================================================================
ing           an ING file (``{2:I940INGB`` header or an ``INGB`` account), text opens ``/``
abn-trtp      text opens ``/`` and holds ``/TRTP/`` (ABN AMRO, Knab SEPA)
rabobank      any other text opening ``/`` (``/EREF/ /ORDP/ /BENM/ /REMI/``)
triodos       ``>nn`` numbered subfields
knab          ``REK: <IBAN>/NAAM:``
abn-labelled  ``IBAN:``, ``NAAM:``, ``INCASSANT:``, ``BETALINGSKENM.:`` labels
sns           line 1 opens with the ``:61:`` customer reference (the counterparty account)
free-text     anything else (older ING, ABN AMRO pre-SEPA): the whole text
============  ===========================================================================
"""

from __future__ import annotations

import re

from reconcile.statements.mt940.narrative import (
    abn_labelled,
    abn_trtp,
    free_text,
    ing,
    knab,
    rabobank,
    sns,
    triodos,
)
from reconcile.statements.mt940.narrative.base import Narrative

__all__ = ["Narrative", "split"]

_TRIODOS = re.compile(r"^\d{3}>\d\d|>\d\d")


def split(
    lines: list[str],
    *,
    ing_file: bool,
    customer_reference: str | None,
    supplementary: str,
) -> Narrative:
    """The fields of one ``:86:`` (its lines as in the file, or joined for ING files)."""
    first = lines[0].lstrip() if lines else ""
    if not first:
        lines = [line for line in lines if line.strip()] or [""]
        first = lines[0].lstrip()
    if first.startswith("/"):
        if ing_file:
            return ing.split(lines)
        if "/TRTP/" in "".join(lines):
            return abn_trtp.split(lines)
        account = supplementary.splitlines()[-1].strip() if supplementary else None
        return rabobank.split(lines, account or None)
    if _TRIODOS.match(first):
        return triodos.split(lines)
    joined = " ".join(lines)
    if knab.MARK.search(joined):
        return knab.split(lines)
    if abn_labelled.LABEL.search(joined):
        return abn_labelled.split(lines)
    if customer_reference and first.startswith(customer_reference + " ") and supplementary:
        return sns.split(lines, supplementary.strip())
    return free_text.split(lines)
