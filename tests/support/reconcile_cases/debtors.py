"""Payments known only by who pays (stage 4) and the tolerance rule (stage 5): the debtor's
account, an account learned from an earlier payment, an agent paying for a debtor, the exact
amount of one open item or of a combination."""

from __future__ import annotations

from decimal import Decimal

from tests.support.reconcile_cases.builder import Builder, Debtor, iban, money

__all__ = ["FAMILY"]


def _debtor_amount(b: Builder, d: Debtor) -> None:
    d.direct_debit = True
    inv = b.item(d, reference=None)
    b.item(d)  # another open invoice of the same debtor
    b.book(
        "debtor_amount",
        {inv.number: inv.open},
        amount=inv.open,
        payer=d,
        text=b.rng.choice(("betaling", "", "zie specificatie", "ok")),
        name=b.rng.choice(("J. de Vries", d.spelled(b.rng))),
    )


def _combination(b: Builder, d: Debtor) -> None:
    d.direct_debit = True
    chosen = [b.item(d, reference=None) for _ in range(b.rng.randint(2, 4))]
    b.item(d)
    total = sum((i.open for i in chosen), Decimal(0))
    b.book("combination", {i.number: i.open for i in chosen}, amount=total, payer=d)


def _tolerance(b: Builder, d: Debtor) -> None:
    inv = b.item(d, reference=None, amount=money(b.rng, 10000, 500000))
    paid = inv.open - Decimal("2.50")
    d.direct_debit = True
    b.book("tolerance", {inv.number: paid}, amount=paid, payer=d, text="betaling")


def _agent(b: Builder, d: Debtor) -> None:
    """An agent pays on the debtor's behalf; the ultimate debtor's name in capitals or
    without its legal form."""
    inv = b.item(d, reference=None)
    b.book(
        "agent",
        {inv.number: inv.open},
        amount=inv.open,
        name=b.rng.choice(("Administratiekantoor Smit", "Holland Factoring B.V.")),
        iban=iban(b.rng),
        ultimate_debtor=d.spelled(b.rng),
    )


def _learned(b: Builder, d: Debtor) -> None:
    d.direct_debit = False
    first = b.item(d, reference="rf")
    second = b.item(d, reference=None)
    b.book(
        "learned_account",
        {first.number: first.open},
        amount=first.open,
        name="P. Jansen",
        iban=d.iban,
        structured=first.payment_reference,
    )
    b.book(
        "learned_account",
        {second.number: second.open},
        amount=second.open,
        name="P. Jansen",
        iban=d.iban,
    )


def _by_name(b: Builder, d: Debtor) -> None:
    """A payer with an account nobody knows yet, under the debtor's name spelled otherwise
    (capitals, no or another legal form), paying one open invoice exactly."""
    d.direct_debit = False
    inv = b.item(d, reference=None)
    b.book(
        "debtor_by_name",
        {inv.number: inv.open},
        amount=inv.open,
        name=d.spelled(b.rng),
        iban=iban(b.rng),
        text="betaling",
    )


FAMILY = {
    "debtor_amount": _debtor_amount,
    "combination": _combination,
    "tolerance": _tolerance,
    "agent": _agent,
    "learned_account": _learned,
    "debtor_by_name": _by_name,
}
