"""ABN AMRO labelled ``:86:``: ``SEPA OVERBOEKING  IBAN: BIC: NAAM: OMSCHRIJVING: KENMERK:``,
``INCASSANT: MACHTIGING:`` for direct debits and ``BETALINGSKENM.:`` for a payment reference.
The words before the first label are the kind of booking."""

from __future__ import annotations

import re

from reconcile.statements.mt940.narrative.base import Narrative, compact, join_lines, no_id

__all__ = ["LABEL", "split"]

LABEL = re.compile(r"(IBAN|BIC|NAAM|OMSCHRIJVING|KENMERK|INCASSANT|MACHTIGING|BETALINGSKENM\.):\s*")


def split(lines: list[str]) -> Narrative:
    text = join_lines(lines)
    found = list(LABEL.finditer(text))
    values: dict[str, str] = {}
    for here, following in zip(found, [*found[1:], None], strict=False):
        end = following.start() if following is not None else len(text)
        values.setdefault(here.group(1), " ".join(text[here.end() : end].split()))
    lead = text[: found[0].start()].strip() if found else text
    return Narrative(
        layout="abn-labelled",
        name=values.get("NAAM") or None,
        iban=compact(values.get("IBAN")),
        bic=compact(values.get("BIC")),
        structured_reference=compact(values.get("BETALINGSKENM.")),
        text=values.get("OMSCHRIJVING", ""),
        end_to_end_id=no_id(values.get("KENMERK")),
        bank_code=lead or None,
        mandate_id=no_id(values.get("MACHTIGING")),
        creditor_id=no_id(values.get("INCASSANT")),
    )
