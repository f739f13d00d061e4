"""What the Tryton connector reports an invoice was paid in Tryton itself (its payment
lines, connectors/tryton_paid.py), against a real trytond 8.2 over a fresh copy of the
``--extra 6`` template (tests/tryton/open_invoices.py): INV-1 (id 1) paid in full and INV-2
(id 2) 100.00 paid by the demo's bookkeeper, CN-1 (id 4) open, INV-4 (id 5), INV-6 (id 7)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from tryton.open_invoices import CN_1, INV_1, INV_2, INV_3, INV_4, INV_6, open_invoices_tryton

from connectors.base import DocumentRef, Payment
from connectors.tryton import TrytonConnector
from sync.source_payments import SourcePaymentReader

TODAY = dt.date.today()


@pytest.fixture
def tryton(tryton_template: Path, tmp_path: Path) -> Iterator[TrytonConnector]:
    with open_invoices_tryton(tryton_template, tmp_path / "tryton") as conn:
        yield conn


def _total(tryton: TrytonConnector, ref: DocumentRef) -> tuple[Decimal, Decimal]:
    (row,) = tryton.rpc.read(
        "account.invoice", [int(ref.record_id)], ("total_amount", "amount_to_pay")
    )
    return row["total_amount"], row["amount_to_pay"]


def test_the_payment_lines_of_each_invoice_add_up_to_what_tryton_says_is_paid(
    tryton: TrytonConnector,
) -> None:
    assert isinstance(tryton, SourcePaymentReader)
    missing = DocumentRef(record_id="999", number="INV-999")
    paid = tryton.paid_at_source([INV_1, INV_2, INV_3, CN_1, missing])
    assert set(paid) == {"1", "2", "3", "4"}  # Tryton has no invoice 999
    assert paid["3"] == paid["4"] == []
    (inv2,) = paid["2"]
    assert (inv2.amount, inv2.paid_on, inv2.reference, inv2.credit_note) == (
        Decimal("100.00"),
        TODAY,
        None,  # the demo's bookkeeper gave no description
        None,
    )
    total, to_pay = _total(tryton, INV_2)
    assert inv2.amount == total - to_pay
    total, to_pay = _total(tryton, INV_1)
    assert to_pay == 0 and sum(line.amount for line in paid["1"]) == total  # paid: reconciled


def test_a_payment_pushed_carries_its_reference_and_a_reversal_leaves_no_line(
    tryton: TrytonConnector,
) -> None:
    total, _ = _total(tryton, INV_4)
    tryton.push_payment(
        INV_4, Payment(amount=total, currency="EUR", paid_on=TODAY, reference="B-1")
    )
    (line,) = tryton.paid_at_source([INV_4])["5"]
    assert (line.amount, line.reference) == (total, "B-1")
    back = Payment(amount=total, currency="EUR", paid_on=TODAY, reference="B-2")
    tryton.reverse_payment(INV_4, back, "B-1")
    assert tryton.paid_at_source([INV_4]) == {"5": []}


def test_a_credit_note_netted_against_an_invoice_is_reported_with_its_record(
    tryton: TrytonConnector,
) -> None:
    _, credit = _total(tryton, CN_1)
    tryton.apply_credit(
        CN_1, INV_6, Payment(amount=-credit, currency="EUR", paid_on=TODAY, reference=None)
    )
    paid = tryton.paid_at_source([INV_6, CN_1])
    (line,) = paid["7"]
    assert (line.amount, line.credit_note) == (-credit, "4")
    assert paid["4"] == []  # the credit note's own line pays INV-6, not itself
