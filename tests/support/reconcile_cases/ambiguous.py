"""Payments the matcher must not apply on its own: a known debtor with several open items of
the same amount (found by account, by name or through an agent), two combinations that fit,
an unknown payer with only an amount, a reference of an invoice already paid."""

from __future__ import annotations

from decimal import Decimal

from tests.support.reconcile_cases.builder import Builder, Debtor, iban, money

__all__ = ["FAMILY"]


def _by_account(b: Builder, d: Debtor) -> None:
    d.direct_debit = True
    amount = money(b.rng)
    for _ in range(b.rng.randint(2, 3)):
        b.item(d, reference=None, amount=amount)
    b.book("ambiguous", {}, amount=amount, payer=d, text=b.rng.choice(("", "betaling", "maand")))


def _by_name(b: Builder, d: Debtor) -> None:
    """Two equal open items; the payer known only by its name, spelled otherwise."""
    d.direct_debit = False
    amount = money(b.rng)
    b.item(d, reference=None, amount=amount)
    b.item(d, reference=None, amount=amount)
    b.book("ambiguous_by_name", {}, amount=amount, name=d.spelled(b.rng), iban=iban(b.rng))


def _by_agent(b: Builder, d: Debtor) -> None:
    amount = money(b.rng)
    b.item(d, reference=None, amount=amount)
    b.item(d, reference=None, amount=amount)
    b.book(
        "ambiguous_agent",
        {},
        amount=amount,
        name="Administratiekantoor Smit",
        iban=iban(b.rng),
        ultimate_debtor=d.spelled(b.rng),
    )


def _combinations(b: Builder, d: Debtor) -> None:
    """Two different sets of the debtor's open items add up to the payment."""
    d.direct_debit = True
    base = money(b.rng, 5000, 200000)
    other = money(b.rng, 5000, 200000)
    while other == base:
        other += Decimal("1.00")
    b.item(d, reference=None, amount=base)
    b.item(d, reference=None, amount=other)
    b.item(d, reference=None, amount=other)
    b.book("ambiguous_combination", {}, amount=base + other, payer=d)


def _amount_only(b: Builder, d: Debtor) -> None:
    """An unknown payer paying exactly what one open invoice of somebody is: no evidence of
    who, so nothing is applied."""
    inv = b.item(d, reference=None)
    b.book(
        "amount_only",
        {},
        amount=inv.open,
        name="Onbekende Betaler",
        iban=iban(b.rng),
        text="diversen",
    )


def _paid_twice(b: Builder, d: Debtor) -> None:
    inv = b.item(d, reference="rf", open_=Decimal("0.00"))
    b.book("paid_twice", {}, amount=inv.amount, payer=d, structured=inv.payment_reference)


FAMILY = {
    "ambiguous": _by_account,
    "ambiguous_by_name": _by_name,
    "ambiguous_agent": _by_agent,
    "ambiguous_combination": _combinations,
    "amount_only": _amount_only,
    "paid_twice": _paid_twice,
}
