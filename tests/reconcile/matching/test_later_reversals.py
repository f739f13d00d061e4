"""A return in a later run, after an earlier payment of the same document was reversed:
the return is of the new payment (issue 16, reversals)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from model.identifiers import rf
from reconcile.matching import match
from reconcile.open_items import ItemKind, OpenItem
from reconcile.result import Allocation, Match, Stage
from reconcile.transaction import Counterparty, Transaction

PAYER = Counterparty(name="Koffiehuis Noord B.V.", iban="NL91ABNA0417164300")
RF_B = rf.create("20260101")


def _item(number: str, amount: str, source_id: str, **kw: object) -> OpenItem:
    values: dict[str, object] = {
        "number": number,
        "kind": ItemKind.INVOICE,
        "debtor": "0106:87654321",
        "debtor_name": "Koffiehuis Noord B.V.",
        "currency": "EUR",
        "amount": Decimal(amount),
        "open": Decimal(amount),
        "issue_date": date(2026, 11, 1),
        "source_id": source_id,
    }
    values.update(kw)
    return OpenItem(**values)  # type: ignore[arg-type]


def _tx(amount: str, **kw: object) -> Transaction:
    return Transaction(
        booking_date=date(2026, 12, 1),
        amount=Decimal(amount),
        currency="EUR",
        counterparty=PAYER,
        **kw,  # type: ignore[arg-type]
    )


def test_a_return_after_a_prior_reversal_undoes_the_new_payment() -> None:
    """A payment, its reversal (both in earlier runs), a new payment and its return: the
    return is of the new payment, not of the one already reversed."""
    key = (None, "new")
    first = _tx("121.00", structured_reference=RF_B, bank_reference="P-1")
    prior = [
        Match(
            bank_reference="P-1",
            transaction=first,
            allocations=(Allocation(invoice="2026-0100", document=key, amount=Decimal("121.00")),),
            stage=Stage.REFERENCE,
            reason="earlier",
            confidence=0.99,
        ),
        Match(
            bank_reference="R-1",
            transaction=_tx(
                "-121.00", structured_reference=RF_B, reversal=True, bank_reference="R-1"
            ),
            allocations=(Allocation(invoice="2026-0100", document=key, amount=Decimal("-121.00")),),
            stage=Stage.REVERSAL,
            reason="earlier reversal",
            confidence=0.95,
        ),
    ]
    items = [_item("2026-0100", "121.00", "new", payment_reference=RF_B)]
    bookings = {
        "P-2": _tx("121.00", structured_reference=RF_B),
        "R-2": _tx("-121.00", structured_reference=RF_B, reversal=True),
    }
    outcome = match(bookings, items, prior=prior)
    assert [(m.bank_reference, m.stage, m.reverses) for m in outcome.matches] == [
        ("P-2", Stage.REFERENCE, None),
        ("R-2", Stage.REVERSAL, "P-2"),
    ]
    assert outcome.open == {"2026-0100": Decimal("121.00")}
