"""Match events and the payment pushes they queue: open amounts, exactly one push each,
what happens after a crash, and what a source cannot take."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, update
from support.outbox_doubles import add_document
from support.payment_ledger import AskableLedger, PaymentLedger

from reconcile.result import Allocation, Match, Stage
from reconcile.transaction import Transaction
from sync.bank_rows import to_data
from sync.payment_push import push_payments
from sync.reconciliation import Booking, pending_bookings, record_matches
from sync.store import open_store, payment_pushes, transactions
from sync.store.store import Store

PAID_ON = date(2026, 3, 2)


def _booking(conn, reference: str, amount: str) -> Booking:  # type: ignore[no-untyped-def]
    transaction = Transaction(
        booking_date=PAID_ON, amount=Decimal(amount), currency="EUR", bank_reference=reference
    )
    row_id = conn.execute(
        transactions.insert()
        .values(
            tenant_id=1,
            account="NL91ABNA0417164300",
            booking_date=PAID_ON,
            amount=transaction.amount,
            currency="EUR",
            bank_reference=reference,
            identity=reference.ljust(64, "x"),
            connection_id=1,
            reversal=transaction.amount < 0,
            data=to_data(transaction),
            created_at=__import__("datetime").datetime.now(__import__("datetime").UTC),
        )
        .returning(transactions.c.id)
    ).scalar_one()
    return Booking(row_id, reference, 1, transaction)


def _match(booking: Booking, *parts: tuple[str, str], stage: Stage = Stage.REFERENCE) -> Match:
    return Match(
        bank_reference=booking.key,
        transaction=booking.transaction,
        allocations=tuple(Allocation(invoice=n, amount=Decimal(a)) for n, a in parts),
        stage=stage,
        reason="test",
        confidence=0.99,
    )


@pytest.fixture
def store(store_url: str):  # type: ignore[no-untyped-def]
    with open_store(store_url, create=True) as opened:
        opened.ensure()
        with opened.begin() as conn:
            for number in ("INV-1", "INV-2", "INV-3"):
                add_document(conn, number)  # 121.00 each, connection shop (id 1)
        yield opened


def _states(store: Store) -> list[tuple[str, str]]:
    with store.begin() as conn:
        return [
            (r.kind, r.state)
            for r in conn.execute(
                select(payment_pushes.c.kind, payment_pushes.c.state).order_by(payment_pushes.c.id)
            )
        ]


def test_each_match_is_pushed_once_however_often_the_queue_runs(
    store: Store, tmp_path: Path
) -> None:
    with store.begin() as conn:
        one = _booking(conn, "REF-1", "200.00")
        record_matches(conn, [(one, _match(one, ("INV-1", "121.00"), ("INV-2", "79.00")))])
        assert pending_bookings(conn) == []
    ledger = PaymentLedger(tmp_path)
    first = push_payments(store, {"shop": ledger})
    again = push_payments(store, {"shop": ledger})
    assert (first.pushed, again.pushed) == (2, 0)
    assert ledger.bookings() == {("rec-INV-1", "REF-1"): 1, ("rec-INV-2", "REF-1"): 1}
    assert [line["amount"] for line in ledger.lines()] == ["121.0000", "79.0000"]
    assert _states(store) == [("payment", "pushed"), ("payment", "pushed")]


def test_a_push_interrupted_is_asked_for_before_it_is_pushed_again(
    store: Store, tmp_path: Path
) -> None:
    with store.begin() as conn:
        one, two = _booking(conn, "REF-1", "121.00"), _booking(conn, "REF-2", "121.00")
        record_matches(conn, [(one, _match(one, ("INV-1", "121.00")))])
        record_matches(conn, [(two, _match(two, ("INV-2", "121.00")))])
        # both were claimed when the process died; only the first reached the source
        conn.execute(update(payment_pushes).values(state="pushing", attempts=1))
    ledger = AskableLedger(tmp_path)
    ledger.push_payment(
        __import__("connectors.base").base.DocumentRef(record_id="rec-INV-1", number="INV-1"),
        __import__("connectors.base").base.Payment(
            amount=Decimal("121.00"), currency="EUR", paid_on=PAID_ON, reference="REF-1"
        ),
    )
    summary = push_payments(store, {"shop": ledger})
    assert (summary.found, summary.pushed) == (1, 1)
    assert set(ledger.bookings().values()) == {1}
    assert _states(store) == [("payment", "found"), ("payment", "pushed")]


def test_an_interrupted_push_to_a_source_that_cannot_be_asked_is_in_doubt(
    store: Store, tmp_path: Path
) -> None:
    with store.begin() as conn:
        one = _booking(conn, "REF-1", "121.00")
        record_matches(conn, [(one, _match(one, ("INV-1", "121.00")))])
        conn.execute(update(payment_pushes).values(state="pushing", attempts=1))
    ledger = PaymentLedger(tmp_path)
    summary = push_payments(store, {"shop": ledger})
    assert (summary.in_doubt, summary.pushed, ledger.lines()) == (1, 0, [])
    assert "cannot be asked" in summary.problems[0]
    assert _states(store) == [("payment", "in-doubt")]


def test_a_reversal_the_source_cannot_take_is_reported_not_pushed(
    store: Store, tmp_path: Path
) -> None:
    with store.begin() as conn:
        paid = _booking(conn, "REF-1", "121.00")
        back = _booking(conn, "REF-1-RV", "-121.00")
        record_matches(conn, [(paid, _match(paid, ("INV-1", "121.00")))])
        record_matches(conn, [(back, _match(back, ("INV-1", "-121.00"), stage=Stage.REVERSAL))])
    ledger = AskableLedger(tmp_path)
    summary = push_payments(store, {"shop": ledger})
    assert (summary.pushed, summary.unsupported) == (1, 1)
    assert "cannot take a reversal" in summary.problems[0] and "INV-1" in summary.problems[0]
    assert _states(store) == [("payment", "pushed"), ("reversal", "unsupported")]
    assert len(ledger.lines()) == 1
