"""Bookings that are nobody's invoice and must stay unmatched: rent, salaries (one booking
or our salary batch), tax (a Belastingdienst betalingskenmerk that is not ours), bank fees,
a refund to a customer naming its invoice, a tax refund, an insurance pay-out whose policy
number looks like a reference."""

from __future__ import annotations

from decimal import Decimal

from model.identifiers import betalingskenmerk
from reconcile.transaction import Counterparty, Transaction
from tests.support.reconcile_cases.builder import DAY, Builder, Debtor, iban, money

__all__ = ["FAMILY"]


def _unrelated(b: Builder, d: Debtor) -> None:
    inv = b.item(d, reference=None)
    rng = b.rng
    kind = rng.randrange(9)
    if kind == 0:
        b.book(
            "unrelated",
            {},
            amount=-money(rng, 100000, 300000),
            name="Vastgoed BV",
            iban=iban(rng),
            text="huur december 2026",
        )
    elif kind == 1:
        b.book(
            "unrelated",
            {},
            amount=-money(rng, 200000, 400000),
            name="M. Bakker",
            iban=iban(rng),
            text="salaris november",
        )
    elif kind == 2:
        b.book(
            "unrelated",
            {},
            amount=-money(rng),
            name="Belastingdienst",
            structured=betalingskenmerk.create(f"{rng.randint(0, 10**15 - 1):015d}"),
            text="omzetbelasting",
        )
    elif kind == 3:
        b.book("unrelated", {}, amount=-Decimal("12.50"), text="kosten betalingsverkeer")
    elif kind == 4:
        b.book("unrelated", {}, amount=-inv.open, payer=d, text=f"terugbetaling {inv.number}")
    elif kind == 5:
        b.book(
            "unrelated",
            {},
            amount=money(rng),
            name="Belastingdienst",
            iban=iban(rng),
            text="teruggaaf vennootschapsbelasting",
        )
    elif kind == 6:
        children = tuple(
            Transaction(
                booking_date=DAY,
                amount=-money(rng, 200000, 450000),
                currency="EUR",
                counterparty=Counterparty(name=f"Medewerker {k}", iban=iban(rng)),
                end_to_end_id=f"SAL-2026-11-{k:03d}",
            )
            for k in range(rng.randint(2, 5))
        )
        b.book(
            "unrelated",
            {},
            amount=sum((c.amount for c in children), Decimal(0)),
            text="salarisbatch november",
            children=children,
            bank_code="PMNT-ICDT-ESCT",
        )
    elif kind == 7:
        policy = betalingskenmerk.create(f"{rng.randint(0, 10**12 - 1):012d}")
        b.book(
            "unrelated",
            {},
            amount=money(rng),
            name="Verzekeraar Zekerheid N.V.",
            iban=iban(rng),
            text=f"uitkering schade polis {policy}",
        )
    else:
        b.book(
            "unrelated",
            {},
            amount=-money(rng, 1000, 20000),
            name="Leasemaatschappij",
            iban=iban(rng),
            text=f"incasso lease contract {rng.randint(100000, 999999)}",
            bank_code="PMNT-IDDT-ESDD",
        )


FAMILY = {"unrelated": _unrelated}
