"""A return in a later run, after an earlier payment of the same document was reversed:
the return is of the new payment (issue 16, reversals)."""

from __future__ import annotations

from decimal import Decimal

from model.identifiers import rf
from reconcile.matching import match
from reconcile.result import Allocation, Match, Stage
from tests.support.open_items import booking, item

RF_B = rf.create("20260101")


def test_a_return_after_a_prior_reversal_undoes_the_new_payment() -> None:
    """A payment, its reversal (both in earlier runs), a new payment and its return: the
    return is of the new payment, not of the one already reversed."""
    key = (None, "new")
    first = booking("121.00", structured_reference=RF_B, bank_reference="P-1")
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
            transaction=booking(
                "-121.00", structured_reference=RF_B, reversal=True, bank_reference="R-1"
            ),
            allocations=(Allocation(invoice="2026-0100", document=key, amount=Decimal("-121.00")),),
            stage=Stage.REVERSAL,
            reason="earlier reversal",
            confidence=0.95,
        ),
    ]
    items = [item("2026-0100", "121.00", "new", payment_reference=RF_B)]
    bookings = {
        "P-2": booking("121.00", structured_reference=RF_B),
        "R-2": booking("-121.00", structured_reference=RF_B, reversal=True),
    }
    outcome = match(bookings, items, prior=prior)
    assert [(m.bank_reference, m.stage, m.reverses) for m in outcome.matches] == [
        ("P-2", Stage.REFERENCE, None),
        ("R-2", Stage.REVERSAL, "P-2"),
    ]
    assert outcome.open == {"2026-0100": Decimal("121.00")}
