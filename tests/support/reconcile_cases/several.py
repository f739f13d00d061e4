"""One payment for several documents: invoices named together, an invoice net of its credit
note, and our own SEPA direct-debit batch with one child per invoice."""

from __future__ import annotations

from decimal import Decimal

from reconcile.open_items import ItemKind
from reconcile.transaction import Counterparty, Transaction
from tests.support.reconcile_cases.builder import DAY, Builder, Debtor
from tests.support.reconcile_cases.spelling import number_text

__all__ = ["FAMILY"]


def _credit_net(b: Builder, d: Debtor) -> None:
    by_amount = b.rng.random() < 0.5
    d.direct_debit = d.direct_debit or by_amount
    inv = b.item(d, reference=None)
    credit = b.item(d, kind=ItemKind.CREDIT_NOTE, amount=(inv.open / 4).quantize(Decimal("0.01")))
    net = inv.open - credit.open
    truth = {inv.number: inv.open, credit.number: -credit.open}
    if by_amount:
        b.book("credit_note", truth, amount=net, payer=d)
    else:
        minus = b.rng.choice(("minus creditnota", "-/- CN", "verrekend met creditnota"))
        b.book(
            "credit_note",
            truth,
            amount=net,
            payer=d,
            text=f"fact {inv.number} {minus} {credit.number}",
        )


def _several(b: Builder, d: Debtor) -> None:
    chosen = [b.item(d, reference=None) for _ in range(b.rng.randint(2, 3))]
    texts = [number_text(b.rng, i.number) for i in chosen]
    b.book(
        "several_invoices",
        {i.number: i.open for i in chosen},
        amount=sum((i.open for i in chosen), Decimal(0)),
        payer=d,
        name=d.spelled(b.rng),
        text=b.rng.choice(("facturen ", "", "betr. "))
        + b.rng.choice((" en ", ", ", " + ")).join(texts),
    )


def _batch(b: Builder, d: Debtor) -> None:
    """Our collection: one child per invoice, its EndToEndId the number (in one of the
    spellings our own collection software writes) and the debtor's account."""
    others = [b.debtor(10_000 + b.seq + k) for k in range(b.rng.randint(2, 6))]
    children = []
    truth: dict[str, Decimal] = {}
    style = b.rng.choice(("{n}", "DD-{n}", "{y}{s}"))
    for debtor in [d, *others]:
        debtor.direct_debit = True
        inv = b.item(debtor, reference=None)
        year, seq = inv.number.split("-")
        truth[inv.number] = inv.open
        children.append(
            Transaction(
                booking_date=DAY,
                amount=inv.open,
                currency="EUR",
                counterparty=Counterparty(name=debtor.spelled(b.rng), iban=debtor.iban),
                end_to_end_id=style.format(n=inv.number, y=year, s=seq),
                bank_code="PMNT-IDDT-ESDD",
            )
        )
    b.book(
        "direct_debit_batch",
        truth,
        amount=sum(truth.values(), Decimal(0)),
        text="SEPA incasso batch",
        children=tuple(children),
        bank_code="PMNT-IDDT-ESDD",
    )


FAMILY = {
    "credit_note": _credit_net,
    "several_invoices": _several,
    "direct_debit_batch": _batch,
}
