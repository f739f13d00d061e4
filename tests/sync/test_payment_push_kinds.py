"""What a match carries besides a payment, pushed where the source can take it and reported
where it cannot: a credit note netted against an invoice, a write-off, a reversal; and the
lookup each kind asks after a crash. (Against a real Tryton: tests/connectors/
test_tryton_settle.py and tests/sync/test_reconcile_tryton.py.)"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, update
from support.outbox_doubles import add_document
from support.payment_ledger import AskableLedger

from connectors.base import DocumentRef, Payment
from reconcile.result import Allocation, Match, Stage
from reconcile.transaction import Transaction
from sync.bank_rows import to_data
from sync.payment_push import push_payments
from sync.reconciliation import Booking, record_matches
from sync.store import documents, open_store, payment_pushes, transactions
from sync.store.store import Store

PAID_ON = date(2026, 3, 2)


class TakesEverything(AskableLedger):
    """A source that also takes credit notes, write-offs and reversals, logging each call."""

    def _log(self, **line: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / "other.jsonl").open("a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")

    def calls(self) -> list[dict[str, str]]:
        path = self.folder / "other.jsonl"
        lines = path.read_text("utf-8").splitlines() if path.exists() else []
        return [json.loads(line) for line in lines]

    def apply_credit(self, credit: DocumentRef, target: DocumentRef, payment: Payment) -> None:
        self._log(
            call="credit", credit=credit.number, target=target.number, amount=str(payment.amount)
        )

    def credit_applied(self, credit: DocumentRef, target: DocumentRef, payment: Payment) -> bool:
        return any(c["call"] == "credit" and c["credit"] == credit.number for c in self.calls())

    def settle_payment(self, ref: DocumentRef, payment: Payment, written_off: Decimal) -> None:
        self._log(
            call="settle", number=ref.number, amount=str(payment.amount), off=str(written_off)
        )

    def reverse_payment(
        self, ref: DocumentRef, payment: Payment, original: str | None = None
    ) -> None:
        self._log(
            call="reverse",
            number=ref.number,
            amount=str(payment.amount),
            reference=payment.reference or "",
            original=original or "",
        )

    def reversal_booked(self, ref: DocumentRef, payment: Payment) -> bool:
        return any(
            c["call"] == "reverse" and c["reference"] == payment.reference for c in self.calls()
        )


@pytest.fixture
def store(store_url: str):  # type: ignore[no-untyped-def]
    with open_store(store_url, create=True) as opened:
        opened.ensure()
        with opened.begin() as conn:
            for number in ("INV-1", "INV-2", "CN-1"):
                add_document(conn, number)  # 121.00 each, connection shop (id 1)
            conn.execute(
                update(documents)
                .where(documents.c.number == "CN-1")
                .values(kind="credit-note", type_code="381")
            )
        yield opened


def _booking(conn, reference: str, amount: str) -> Booking:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    tx = Transaction(
        booking_date=PAID_ON, amount=Decimal(amount), currency="EUR", bank_reference=reference
    )
    row_id = conn.execute(
        transactions.insert()
        .values(
            tenant_id=1,
            account="NL91ABNA0417164300",
            booking_date=PAID_ON,
            amount=tx.amount,
            currency="EUR",
            bank_reference=reference,
            identity=reference.ljust(64, "x"),
            connection_id=1,
            reversal=tx.amount < 0,
            data=to_data(tx),
            created_at=datetime.now(UTC),
        )
        .returning(transactions.c.id)
    ).scalar_one()
    return Booking(row_id, reference, 1, tx)


def _match(booking: Booking, *parts: tuple[str, str], stage: Stage = Stage.REFERENCE) -> Match:
    return Match(
        bank_reference=booking.key,
        transaction=booking.transaction,
        allocations=tuple(Allocation(invoice=n, amount=Decimal(a)) for n, a in parts),
        stage=stage,
        reason="test",
        confidence=0.99,
    )


def _pushes(store: Store) -> list[tuple[str, str, str]]:
    with store.begin() as conn:
        rows = conn.execute(
            select(payment_pushes.c.kind, payment_pushes.c.amount, payment_pushes.c.state).order_by(
                payment_pushes.c.id
            )
        )
        return [(r.kind, f"{r.amount:.2f}", r.state) for r in rows]


def _netted(store: Store) -> None:
    with store.begin() as conn:
        paid = _booking(conn, "REF-1", "100.00")
        record_matches(conn, [(paid, _match(paid, ("INV-1", "121.00"), ("CN-1", "-21.00")))])


def test_an_invoice_netted_with_a_credit_note_is_pushed_as_the_money_received(
    store: Store, tmp_path: Path
) -> None:
    _netted(store)
    ledger = AskableLedger(tmp_path)  # takes payments only
    summary = push_payments(store, {"shop": ledger})
    assert [line["amount"] for line in ledger.lines()] == ["100.0000"]  # not 121: 21 was credit
    assert _pushes(store) == [("credit", "21.00", "unsupported"), ("payment", "100.00", "pushed")]
    assert (summary.pushed, summary.unsupported) == (1, 1)
    assert "book 21.00 EUR of CN-1 against INV-1 in the source" in summary.problems[0]


def test_a_source_that_takes_credit_notes_gets_the_credit_before_the_money(
    store: Store, tmp_path: Path
) -> None:
    _netted(store)
    source = TakesEverything(tmp_path)
    summary = push_payments(store, {"shop": source})
    assert source.calls() == [
        {"call": "credit", "credit": "CN-1", "target": "INV-1", "amount": "21.0000"}
    ]
    assert [line["amount"] for line in source.lines()] == ["100.0000"]
    assert (summary.pushed, summary.unsupported) == (2, 0)


def test_an_invoice_paid_by_its_credit_note_alone_has_no_money_push(
    store: Store, tmp_path: Path
) -> None:
    with store.begin() as conn:
        nil = _booking(conn, "REF-0", "0.00")
        record_matches(conn, [(nil, _match(nil, ("INV-1", "121.00"), ("CN-1", "-121.00")))])
    assert _pushes(store) == [("credit", "121.00", "pending")]


def test_a_credit_note_netted_against_two_invoices_is_reported(
    store: Store, tmp_path: Path
) -> None:
    with store.begin() as conn:
        paid = _booking(conn, "REF-1", "221.00")
        parts = (("INV-1", "121.00"), ("INV-2", "121.00"), ("CN-1", "-21.00"))
        record_matches(conn, [(paid, _match(paid, *parts))])
    source = TakesEverything(tmp_path)
    summary = push_payments(store, {"shop": source})
    assert source.calls() == []
    assert "CN-1 is netted against 2 invoices in one booking" in summary.problems[0]
    assert sorted(line["amount"] for line in source.lines()) == ["100.0000", "121.0000"]


def test_a_write_off_goes_with_its_payment_where_the_source_takes_it(
    store: Store, tmp_path: Path
) -> None:
    with store.begin() as conn:
        short = _booking(conn, "REF-1", "119.00")
        found = replace(_match(short, ("INV-1", "119.00")), written_off=Decimal("2.00"))
        record_matches(conn, [(short, found)])
    source = TakesEverything(tmp_path)
    push_payments(store, {"shop": source})
    assert source.calls() == [
        {"call": "settle", "number": "INV-1", "amount": "119.0000", "off": "2.0000"}
    ]
    assert source.lines() == []


def test_a_write_off_the_source_cannot_take_is_reported_and_the_payment_pushed(
    store: Store, tmp_path: Path
) -> None:
    with store.begin() as conn:
        short = _booking(conn, "REF-1", "119.00")
        found = replace(_match(short, ("INV-1", "119.00")), written_off=Decimal("2.00"))
        record_matches(conn, [(short, found)])
    ledger = AskableLedger(tmp_path)
    summary = push_payments(store, {"shop": ledger})
    assert [line["amount"] for line in ledger.lines()] == ["119.0000"]
    assert (summary.pushed, summary.unsupported) == (1, 1)
    assert "cannot take a write-off: write off 2.00 EUR on INV-1" in summary.problems[0]
    assert _pushes(store) == [("payment", "119.00", "pushed")]


def test_a_reversal_is_pushed_naming_the_payment_it_takes_back(
    store: Store, tmp_path: Path
) -> None:
    with store.begin() as conn:
        paid = _booking(conn, "REF-1", "121.00")
        back = _booking(conn, "REF-1-RV", "-121.00")
        record_matches(conn, [(paid, _match(paid, ("INV-1", "121.00")))])
        record_matches(conn, [(back, _match(back, ("INV-1", "-121.00"), stage=Stage.REVERSAL))])
    source = TakesEverything(tmp_path)
    summary = push_payments(store, {"shop": source})
    assert (summary.pushed, summary.unsupported) == (2, 0)
    (call,) = source.calls()
    assert (call["call"], call["reference"], call["original"]) == ("reverse", "REF-1-RV", "REF-1")


@pytest.mark.parametrize("booked", [True, False], ids=["reached-source", "did-not"])
def test_an_interrupted_reversal_asks_the_source_before_pushing_again(
    store: Store, tmp_path: Path, booked: bool
) -> None:
    with store.begin() as conn:
        back = _booking(conn, "REF-1-RV", "-121.00")
        record_matches(conn, [(back, _match(back, ("INV-1", "-121.00"), stage=Stage.REVERSAL))])
        conn.execute(update(payment_pushes).values(state="pushing", attempts=1))
    source = TakesEverything(tmp_path)
    if booked:
        source.reverse_payment(
            DocumentRef(record_id="rec-INV-1", number="INV-1"),
            Payment(amount=Decimal("121"), currency="EUR", paid_on=PAID_ON, reference="REF-1-RV"),
        )
    summary = push_payments(store, {"shop": source})
    assert len(source.calls()) == 1
    assert (summary.found, summary.pushed) == ((1, 0) if booked else (0, 1))
