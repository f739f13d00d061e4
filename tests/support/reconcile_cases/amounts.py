"""Payments of another amount than what is open: partial payments, instalments (several
payments for one invoice), over-payments whose surplus stays unapplied."""

from __future__ import annotations

from decimal import Decimal

from tests.support.reconcile_cases.builder import Builder, Debtor, money
from tests.support.reconcile_cases.spelling import number_text, spell_reference

__all__ = ["FAMILY"]

_CENT = Decimal("0.01")


def _partial(b: Builder, d: Debtor) -> None:
    inv = b.item(d, reference=b.rng.choice(("rf", "ogm")))
    part = (inv.open * Decimal(b.rng.choice(("0.4", "0.5", "0.25")))).quantize(_CENT)
    b.book("partial", {inv.number: part}, amount=part, payer=d, structured=inv.payment_reference)


def _partial_by_number(b: Builder, d: Debtor) -> None:
    """A known payer pays part of an invoice it names."""
    d.direct_debit = True
    inv = b.item(d, reference=None)
    part = (inv.open / 2).quantize(_CENT)
    b.book(
        "partial_by_number",
        {inv.number: part},
        amount=part,
        payer=d,
        text=f"deelbetaling {number_text(b.rng, inv.number)}",
    )


def _instalments(b: Builder, d: Debtor) -> None:
    inv = b.item(d, reference="kenmerk", amount=money(b.rng, 20000, 500000))
    count = b.rng.randint(2, 4)
    share = (inv.open / count).quantize(_CENT)
    parts = [share] * (count - 1) + [inv.open - share * (count - 1)]
    for index, part in enumerate(parts, 1):
        b.book(
            "instalments",
            {inv.number: part},
            amount=part,
            payer=d,
            text=f"termijn {index}/{count} {spell_reference(b.rng, inv.payment_reference or '')}",
        )


def _overpayment(b: Builder, d: Debtor) -> None:
    inv = b.item(d, reference="ogm")
    surplus = b.rng.choice((Decimal("25.00"), Decimal("0.10"), (inv.open / 10).quantize(_CENT)))
    b.book(
        "overpayment",
        {inv.number: inv.open},
        amount=inv.open + surplus,
        payer=d,
        structured=inv.payment_reference,
    )


FAMILY = {
    "partial": _partial,
    "partial_by_number": _partial_by_number,
    "instalments": _instalments,
    "overpayment": _overpayment,
}
