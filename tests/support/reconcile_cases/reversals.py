"""Reversals and returns: a payment that came back undoes its match and re-opens the
invoice; a return of something never matched stays unmatched."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from reconcile.result import Allocation, Match, Stage
from reconcile.transaction import Counterparty, Transaction
from tests.support.reconcile_cases.builder import DAY, Builder, Debtor, iban, money

__all__ = ["FAMILY"]


def _same_run(b: Builder, d: Debtor) -> None:
    inv = b.item(d, reference="kenmerk")
    e2e = f"E2E{b.seq:08d}"
    b.book(
        "reversal_same_run",
        {inv.number: inv.open},
        amount=inv.open,
        payer=d,
        structured=inv.payment_reference,
        e2e=e2e,
    )
    b.book(
        "reversal_same_run",
        {inv.number: -inv.open},
        amount=-inv.open,
        payer=d,
        structured=inv.payment_reference,
        e2e=e2e,
        reversal=True,
        return_reason=b.rng.choice(("AC04", "AC06", "MS02")),
    )


def _prior(b: Builder, d: Debtor) -> None:
    """A direct debit of an earlier run comes back (the debtor disputes it)."""
    d.direct_debit = True
    amount = money(b.rng)
    inv = b.item(d, reference=None, amount=amount, open_=Decimal("0.00"))
    earlier = Transaction(
        booking_date=DAY - timedelta(days=5),
        amount=amount,
        currency="EUR",
        counterparty=Counterparty(name=d.name, iban=d.iban),
        end_to_end_id=inv.number,
        bank_reference=f"OLD{b.seq:06d}",
    )
    b.prior.append(
        Match(
            bank_reference=f"OLD{b.seq:06d}",
            transaction=earlier,
            allocations=(Allocation(invoice=inv.number, amount=amount),),
            stage=Stage.INVOICE_NUMBER,
            reason="earlier run",
            confidence=0.97,
        )
    )
    b.book(
        "return_prior_run",
        {inv.number: -amount},
        amount=-amount,
        payer=d,
        e2e=inv.number,
        reversal=True,
        return_reason=b.rng.choice(("MD06", "AM04", "MD01")),
        bank_code="PMNT-IDDT-UPDD",
    )


def _unknown_return(b: Builder, d: Debtor) -> None:
    """A transfer of ours to a supplier comes back (account closed): nobody's invoice."""
    b.item(d, reference=None)
    b.book(
        "return_of_our_transfer",
        {},
        amount=money(b.rng),
        name="Leverancier Kantoorbenodigdheden",
        iban=iban(b.rng),
        text="RETOUR AC04 rekening opgeheven",
        reversal=True,
        return_reason="AC04",
        bank_code="PMNT-ICDT-RRTN",
    )


FAMILY = {
    "reversal_same_run": _same_run,
    "return_prior_run": _prior,
    "return_of_our_transfer": _unknown_return,
}
