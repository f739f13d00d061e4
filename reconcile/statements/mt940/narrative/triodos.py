"""Triodos ``:86:`` with numbered subfields ``>nn``, lines joined with nothing.

Two layouts: the IBAN era gives ``>20`` BIC, ``>21`` IBAN and ``>22``... name and text; the
older one ``>10`` the counterparty account, ``>20``-``>29`` text. ``>31`` is our own account."""

from __future__ import annotations

import re

from reconcile.statements.mt940.narrative.base import (
    Narrative,
    compact,
    looks_like_bic,
    looks_like_iban,
)

__all__ = ["split"]

_FIELD = re.compile(r">(\d\d)")


def split(lines: list[str]) -> Narrative:
    text = "".join(lines)
    parts = _FIELD.split(text)
    fields: dict[str, str] = {}
    for number, value in zip(parts[1::2], parts[2::2], strict=False):
        fields[number] = fields.get(number, "") + value
    bic, iban = fields.get("20", "").strip(), fields.get("21", "").strip()
    if looks_like_bic(bic) and looks_like_iban(iban):
        rest = [fields[n] for n in sorted(fields) if "22" <= n <= "29"]
        return Narrative(
            layout="triodos",
            name=fields.get("22", "").strip() or None,
            iban=iban,
            bic=bic,
            text=" ".join("".join(rest).split()),
        )
    account = compact(fields.get("10"))
    if account is not None and not account.strip("0"):
        account = None
    words = [fields[n] for n in sorted(fields) if "20" <= n <= "29"]
    return Narrative(layout="triodos", iban=account, text=" ".join("".join(words).split()))
