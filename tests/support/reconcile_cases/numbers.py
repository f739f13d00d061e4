"""Payments naming the invoice number (stage 3): in the text, in its many spellings, or in
the EndToEndId."""

from __future__ import annotations

from tests.support.reconcile_cases.builder import Builder, Debtor, iban
from tests.support.reconcile_cases.spelling import number_text

__all__ = ["FAMILY"]


def _number(b: Builder, d: Debtor) -> None:
    """The number in the text; the payer's name in another case or legal form."""
    inv = b.item(d, reference=None)
    if b.rng.random() < 0.3:
        b.item(d, reference=None, amount=inv.amount)  # the same amount open twice
    b.book(
        "invoice_number",
        {inv.number: inv.open},
        amount=inv.open,
        payer=d,
        name=d.spelled(b.rng),
        text=number_text(b.rng, inv.number),
    )


def _e2e(b: Builder, d: Debtor) -> None:
    """The number as the EndToEndId, paid by a related company under another name."""
    inv = b.item(d, reference=None)
    year, seq = inv.number.split("-")
    e2e = b.rng.choice((inv.number, f"INV{year}{seq}", f"{year}/{seq}"))
    b.book(
        "end_to_end_id",
        {inv.number: inv.open},
        amount=inv.open,
        payer=d,
        e2e=e2e,
        name=f"{d.name} Holding",
        iban=iban(b.rng),
    )


def _agent_number(b: Builder, d: Debtor) -> None:
    """A bookkeeping office pays for its client, naming the invoice in the text."""
    inv = b.item(d, reference=None)
    b.book(
        "agent_by_number",
        {inv.number: inv.open},
        amount=inv.open,
        name="Administratiekantoor De Boer",
        iban=iban(b.rng),
        text=f"{number_text(b.rng, inv.number)} namens {d.spelled(b.rng)}",
    )


FAMILY = {"invoice_number": _number, "end_to_end_id": _e2e, "agent_by_number": _agent_number}
