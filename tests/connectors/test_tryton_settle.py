"""A reversal, a credit note netted against an invoice and a write-off, booked in a real
trytond 8.2 (tests/tryton/open_invoices.py: INV-4 id 5 1273.01, INV-5 id 6 490.50, INV-6 id 7
353.41, INV-7 id 8 1273.01, CN-1 id 4 -353.41), each once, with ``amount_to_pay`` moving by
exactly what was booked. Every test gets a server over a fresh copy of the template."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tryton.open_invoices import (
    CN_1,
    INV_4,
    INV_5,
    INV_6,
    INV_7,
    add_write_off_method,
    open_invoices_tryton,
)

from connectors.base import DocumentRef, Payment
from connectors.errors import RecordError
from connectors.tryton import TrytonConnector
from sync.payment_push import CreditTarget, PaymentLookup, ReversalTarget, WriteOffTarget

PAID_ON = dt.date.today()
RETURNED_ON = PAID_ON + dt.timedelta(days=3)


@pytest.fixture
def tryton(tryton_template: Path, tmp_path: Path) -> Iterator[TrytonConnector]:
    with open_invoices_tryton(tryton_template, tmp_path / "tryton") as conn:
        yield conn


def money(amount: str, reference: str, on: dt.date = PAID_ON) -> Payment:
    return Payment(amount=Decimal(amount), currency="EUR", paid_on=on, reference=reference)


def state(tryton: TrytonConnector, ref: DocumentRef) -> tuple[str, Decimal]:
    (row,) = tryton.rpc.read("account.invoice", [int(ref.record_id)], ("state", "amount_to_pay"))
    return row["state"], row["amount_to_pay"]


def moves(tryton: TrytonConnector) -> list[dict[str, Any]]:
    return tryton.rpc.search_read("account.move", [], fields=("description", "date", "state"))


def test_the_tryton_connector_offers_every_kind_of_push(tryton: TrytonConnector) -> None:
    for protocol in (PaymentLookup, ReversalTarget, CreditTarget, WriteOffTarget):
        assert isinstance(tryton, protocol), protocol.__name__


# Reversal


def test_a_reversal_re_opens_a_paid_invoice_on_its_own_date_once(tryton: TrytonConnector) -> None:
    tryton.push_payment(INV_4, money("1273.01", "BANK-1"))
    assert state(tryton, INV_4) == ("paid", Decimal("0"))
    reversal = money("1273.01", "BANK-R1", RETURNED_ON)
    assert not tryton.reversal_booked(INV_4, reversal)

    tryton.reverse_payment(INV_4, reversal, "BANK-1")
    assert state(tryton, INV_4) == ("posted", Decimal("1273.01"))
    assert tryton.reversal_booked(INV_4, reversal)
    booked = [m for m in moves(tryton) if m["description"] == "BANK-R1"]
    assert [(m["date"], m["state"]) for m in booked] == [(RETURNED_ON, "posted")]

    tryton.reverse_payment(INV_4, reversal, "BANK-1")  # pushed again: nothing more
    assert state(tryton, INV_4) == ("posted", Decimal("1273.01"))
    assert len([m for m in moves(tryton) if m["description"] == "BANK-R1"]) == 1


def test_a_reversed_invoice_can_be_paid_again(tryton: TrytonConnector) -> None:
    tryton.push_payment(INV_4, money("1273.01", "BANK-1"))
    tryton.reverse_payment(INV_4, money("1273.01", "BANK-R1", RETURNED_ON), "BANK-1")
    tryton.push_payment(INV_4, money("1273.01", "BANK-2", RETURNED_ON))
    assert state(tryton, INV_4) == ("paid", Decimal("0"))


def test_a_reversal_takes_back_the_payment_it_names_of_two(tryton: TrytonConnector) -> None:
    tryton.push_payment(INV_5, money("100.00", "BANK-1"))
    tryton.push_payment(INV_5, money("100.00", "BANK-2"))
    tryton.push_payment(INV_5, money("50.00", "BANK-3"))
    assert state(tryton, INV_5) == ("posted", Decimal("240.50"))
    tryton.reverse_payment(INV_5, money("100.00", "BANK-R2", RETURNED_ON), "BANK-2")
    assert state(tryton, INV_5) == ("posted", Decimal("340.50"))
    lines = tryton.rpc.search_read(
        "account.move.line", [("invoice_payment", "=", 6)], fields=("move.description",)
    )
    assert sorted(line["move."]["description"] for line in lines) == ["BANK-1", "BANK-3"]


def test_a_reversal_without_a_payment_of_its_amount_is_refused(tryton: TrytonConnector) -> None:
    tryton.push_payment(INV_5, money("100.00", "BANK-1"))
    with pytest.raises(RecordError, match=r"no open payment lines of 200\.00 on INV-5"):
        tryton.reverse_payment(INV_5, money("200.00", "BANK-R1", RETURNED_ON), "BANK-1")
    assert state(tryton, INV_5) == ("posted", Decimal("390.50"))
    assert not [m for m in moves(tryton) if m["description"] == "BANK-R1"]


def test_a_reversal_left_as_a_draft_move_is_finished_not_booked_twice(
    tryton: TrytonConnector,
) -> None:
    """A crash after the reversal's move was created, before it was posted: pushed again,
    the same move is posted and reconciled, and no second one is made."""
    from connectors.tryton_settle import _opposite_move, invoice

    tryton.push_payment(INV_6, money("353.41", "BANK-1"))
    reversal = money("353.41", "BANK-R1", RETURNED_ON)
    _opposite_move(tryton.rpc, INV_6, invoice(tryton.rpc, INV_6), reversal, 1)
    assert not tryton.reversal_booked(INV_6, reversal)
    tryton.reverse_payment(INV_6, reversal, "BANK-1")
    assert [m["state"] for m in moves(tryton) if m["description"] == "BANK-R1"] == ["posted"]
    assert state(tryton, INV_6) == ("posted", Decimal("353.41"))


# Credit note netted against an invoice


def test_a_credit_note_netted_against_an_invoice_settles_both_with_the_money_received(
    tryton: TrytonConnector,
) -> None:
    consumed = money("353.41", "BANK-3")
    assert not tryton.credit_applied(CN_1, INV_7, consumed)
    tryton.apply_credit(CN_1, INV_7, consumed)
    assert tryton.credit_applied(CN_1, INV_7, consumed)
    assert state(tryton, INV_7) == ("posted", Decimal("919.60"))
    tryton.apply_credit(CN_1, INV_7, consumed)  # again: nothing more
    assert state(tryton, INV_7) == ("posted", Decimal("919.60"))

    tryton.push_payment(INV_7, money("919.60", "BANK-3"))
    assert state(tryton, INV_7) == ("paid", Decimal("0"))
    assert state(tryton, CN_1) == ("paid", Decimal("0"))


def test_a_credit_note_covering_the_invoice_settles_both_without_money(
    tryton: TrytonConnector,
) -> None:
    tryton.apply_credit(CN_1, INV_6, money("353.41", "BANK-4"))
    assert state(tryton, INV_6) == ("paid", Decimal("0"))
    assert state(tryton, CN_1) == ("paid", Decimal("0"))


def test_a_netting_cut_off_before_its_reconciliation_is_not_booked_until_finished(
    tryton: TrytonConnector,
) -> None:
    """A crash between the credit note's line added to the invoice and the reconciliation
    that settles both: asked after the crash, Tryton does not hold the netting yet (the
    credit note is still open there), and pushing it again finishes it, adding nothing."""
    covering = money("353.41", "BANK-4")
    (note,) = tryton.rpc.read("account.invoice", [int(CN_1.record_id)], ("lines_to_pay",))
    tryton.rpc.model(
        "account.invoice",
        "write",
        [int(INV_6.record_id)],
        {"payment_lines": [("add", note["lines_to_pay"])]},
    )
    assert state(tryton, CN_1) == ("posted", Decimal("-353.41"))
    assert not tryton.credit_applied(CN_1, INV_6, covering)
    tryton.apply_credit(CN_1, INV_6, covering)
    assert tryton.credit_applied(CN_1, INV_6, covering)
    assert state(tryton, INV_6) == ("paid", Decimal("0"))
    assert state(tryton, CN_1) == ("paid", Decimal("0"))
    (row,) = tryton.rpc.read("account.invoice", [int(INV_6.record_id)], ("payment_lines",))
    assert row["payment_lines"] == note["lines_to_pay"]  # the one line, added once


def test_part_of_a_credit_note_is_refused_naming_why(tryton: TrytonConnector) -> None:
    with pytest.raises(RecordError, match=r"100\.00 of credit note CN-1 \(open 353\.41\)"):
        tryton.apply_credit(CN_1, INV_7, money("100.00", "BANK-3"))
    assert state(tryton, INV_7) == ("posted", Decimal("1273.01"))
    assert state(tryton, CN_1) == ("posted", Decimal("-353.41"))


def test_a_credit_note_larger_than_the_invoice_is_left_is_refused(
    tryton: TrytonConnector,
) -> None:
    tryton.push_payment(INV_7, money("1000.00", "BANK-1"))
    with pytest.raises(RecordError, match=r"INV-7 \(posted, 273\.01 to pay\) cannot take"):
        tryton.apply_credit(CN_1, INV_7, money("353.41", "BANK-3"))
    assert state(tryton, CN_1) == ("posted", Decimal("-353.41"))


# Write-off


def test_a_shortfall_is_written_off_with_the_payment_once(tryton: TrytonConnector) -> None:
    add_write_off_method(tryton.rpc)
    payment = money("350.00", "BANK-5")
    tryton.settle_payment(INV_6, payment, Decimal("3.41"))
    assert state(tryton, INV_6) == ("paid", Decimal("0"))
    assert tryton.payment_booked(INV_6, payment)
    tryton.settle_payment(INV_6, payment, Decimal("3.41"))
    assert len([m for m in moves(tryton) if m["description"] == "BANK-5"]) == 1
    write_offs = tryton.rpc.search_read(
        "account.move.line",
        [("account.code", "=", "5.2.3")],
        fields=("debit", "credit"),
    )
    assert [(line["debit"], line["credit"]) for line in write_offs] == [
        (Decimal("3.41"), Decimal("0"))
    ]


def test_a_write_off_that_does_not_settle_the_invoice_is_refused(
    tryton: TrytonConnector,
) -> None:
    add_write_off_method(tryton.rpc)
    with pytest.raises(RecordError, match=r"350\.00 paid and 2\.00 written off is not the 353\.41"):
        tryton.settle_payment(INV_6, money("350.00", "BANK-5"), Decimal("2.00"))
    assert state(tryton, INV_6) == ("posted", Decimal("353.41"))


def test_a_write_off_without_a_write_off_method_is_refused(tryton: TrytonConnector) -> None:
    with pytest.raises(RecordError, match="no write-off method"):
        tryton.settle_payment(INV_6, money("350.00", "BANK-5"), Decimal("3.41"))
    assert state(tryton, INV_6) == ("posted", Decimal("353.41"))
