"""Importing statements into the store: one transaction per statement, each booking once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from reconcile.transaction import Balance, Counterparty, Statement, Transaction
from sync.bank_rows import from_data, identities, to_data
from sync.statement_import import ImportRefused, Owner, check_statement, import_file
from sync.store import open_store, statements, transactions

ACCOUNT = "NL91ABNA0417164300"
OWNERS = {ACCOUNT: Owner("shop", "ubl-dir")}


def _booking(entry: int, amount: str, reference: str | None, **more: object) -> Transaction:
    fields: dict[str, object] = {
        "booking_date": date(2026, 3, 2),
        "value_date": date(2026, 3, 2),
        "amount": Decimal(amount),
        "currency": "EUR",
        "counterparty": Counterparty(name="Bakkerij Jansen", iban="NL44RABO0123456789"),
        "text": f"factuur 2026-{entry:04d}",
        "bank_reference": reference,
        "entry": entry,
    }
    return Transaction(**(fields | more))  # type: ignore[arg-type]


def _statement(*bookings: Transaction, closing: str | None = None, **more: object) -> Statement:
    total = sum((b.amount for b in bookings), Decimal(0))
    end = Decimal(closing) if closing is not None else Decimal("1000.00") + total
    fields: dict[str, object] = {
        "source": "day.xml",
        "format": "camt.053.001.02",
        "account": ACCOUNT,
        "currency": "EUR",
        "statement_id": "STMT-1",
        "period_from": date(2026, 3, 2),
        "period_to": date(2026, 3, 2),
        "opening": Balance(amount=Decimal("1000.00"), currency="EUR", on=date(2026, 3, 1)),
        "closing": Balance(amount=end, currency="EUR", on=date(2026, 3, 2)),
        "transactions": bookings,
    }
    fields.update(more)
    return Statement(**fields)  # type: ignore[arg-type]


DAY = _statement(
    _booking(1, "121.00", "REF-1"),
    _booking(2, "-50.00", "NONREF"),
    _booking(3, "10.00", None),
    _booking(4, "10.00", None),  # a second identical booking: stays two
)


def _reader(*found: Statement, fail: Exception | None = None):  # type: ignore[no-untyped-def]
    def read(path: Path) -> Iterator[Statement]:
        for statement in found:
            yield replace(statement, source=str(path))
        if fail is not None:
            raise fail

    return read


def _count(url: str, table=transactions) -> int:  # type: ignore[no-untyped-def]
    with open_store(url) as store, store.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.fixture
def store_at(store_url: str) -> str:
    with open_store(store_url, create=True) as store:
        store.ensure()
    return store_url


def test_a_statement_imported_twice_adds_nothing(store_at: str, tmp_path: Path) -> None:
    with open_store(store_at) as store:
        first = import_file(store, tmp_path / "a.xml", _reader(DAY), OWNERS)
        again = import_file(store, tmp_path / "a.xml", _reader(DAY), OWNERS)
    assert (first.transactions, first.duplicates, first.error) == (4, 0, None)
    assert first.format == "camt.053.001.02"
    assert (again.transactions, again.duplicates, again.error) == (0, 4, None)
    assert _count(store_at) == 4
    assert _count(store_at, statements) == 1


def test_an_overlapping_statement_adds_only_the_new_bookings(store_at: str, tmp_path: Path) -> None:
    later = _statement(
        _booking(1, "999.00", "REF-0"),  # a booking before: every entry number shifts
        *(replace(b, entry=b.entry + 1) for b in DAY.transactions),
        _booking(6, "10.00", None),  # a third 10.00 without reference
        statement_id="STMT-2",
    )
    with open_store(store_at) as store:
        import_file(store, tmp_path / "a.xml", _reader(DAY), OWNERS)
        result = import_file(store, tmp_path / "b.xml", _reader(later), OWNERS)
    assert (result.transactions, result.duplicates) == (2, 4)
    assert _count(store_at) == 6


def test_a_reused_bank_reference_with_another_date_or_amount_is_another_booking() -> None:
    same = _booking(1, "10.00", "0001")
    keys = list(
        identities(
            ACCOUNT,
            [
                same,
                replace(same, amount=Decimal("11.00")),
                replace(same, booking_date=date(2026, 3, 3)),
            ],
        )
    )
    assert len(set(keys)) == 3
    assert list(identities(ACCOUNT, [same])) == keys[:1]
    assert list(identities("NL44RABO0123456789", [same])) != keys[:1]


def test_the_stored_transaction_reads_back_exactly(store_at: str, tmp_path: Path) -> None:
    child = _booking(1, "60.50", "CHILD-1", end_to_end_id="E2E-1")
    batch = _booking(
        1,
        "121.00",
        "BATCH-1",
        children=(child, replace(child, bank_reference="CHILD-2")),
        reversal=True,
        return_reason="MD06",
        bank_code="PMNT-RDDT-ESDD",
    )
    with open_store(store_at) as store:
        import_file(store, tmp_path / "a.xml", _reader(_statement(batch)), OWNERS)
        with store.begin() as conn:
            row = conn.execute(select(transactions)).one()
    assert from_data(row.data) == batch
    assert to_data(from_data(row.data)) == row.data
    assert (row.reversal, row.return_reason, row.entry) == (True, "MD06", 1)
    assert row.amount == Decimal("121.0000")


@pytest.mark.parametrize(
    ("statement", "words"),
    [
        (replace(DAY, account="NL02ABNA0123456789"), "belongs to no connection"),
        (replace(DAY, account="NL92ABNA0417164300"), "not a valid IBAN"),
        (replace(DAY, currency="EUX"), "unknown currency 'EUX'"),
        (
            _statement(replace(_booking(2, "5.00", "R"), currency="XYZ")),
            "entry 2: unknown currency 'XYZ'",
        ),
        (
            _statement(
                _booking(3, "5.00", "R", counterparty=Counterparty(iban="NL03RABO0123456789"))
            ),
            "entry 3: counterparty account",
        ),
        (_statement(_booking(1, "5.00", "R"), closing="1004.00"), "= 1.00 EUR"),
    ],
)
def test_bad_statements_are_refused_and_nothing_of_them_imported(
    store_at: str, tmp_path: Path, statement: Statement, words: str
) -> None:
    with open_store(store_at) as store:
        result = import_file(store, tmp_path / "bad.xml", _reader(statement), OWNERS)
    assert result.error is not None and words in result.error, result.error
    assert str(tmp_path / "bad.xml") in result.error
    assert (result.transactions, _count(store_at), _count(store_at, statements)) == (0, 0, 0)


def test_an_unbalanced_statement_accepted_records_its_difference(
    store_at: str, tmp_path: Path
) -> None:
    odd = _statement(_booking(1, "5.00", "R"), closing="1004.50")
    with pytest.raises(ImportRefused, match="pass --accept-unbalanced"):
        check_statement(odd, OWNERS)
    with open_store(store_at) as store:
        result = import_file(
            store, tmp_path / "a.xml", _reader(odd), OWNERS, accept_unbalanced=True
        )
        with store.begin() as conn:
            row = conn.execute(select(statements)).one()
    assert (result.transactions, result.error) == (1, None)
    assert (row.balance, row.difference) == ("accepted-unbalanced", Decimal("0.5000"))


def test_a_statement_without_balances_is_imported_as_such(store_at: str, tmp_path: Path) -> None:
    notice = replace(DAY, opening=None, closing=None, format="camt.054.001.02")
    with open_store(store_at) as store:
        result = import_file(store, tmp_path / "n.xml", _reader(notice), OWNERS)
        again = import_file(store, tmp_path / "n.xml", _reader(notice), OWNERS)
        with store.begin() as conn:
            balance = conn.execute(select(statements.c.balance)).scalar_one()
    assert (result.transactions, again.duplicates, balance) == (4, 4, "no-balances")


def test_a_truncated_file_keeps_the_statements_before_the_break(
    store_at: str, tmp_path: Path
) -> None:
    class Truncated(Exception):
        pass

    first = DAY
    read = _reader(first, fail=Truncated("t.sta: entry 7: the file ends inside :61:"))
    with open_store(store_at) as store:
        result = import_file(store, tmp_path / "t.sta", read, OWNERS, refused=(Truncated,))
    assert result.error == "t.sta: entry 7: the file ends inside :61:"
    assert (result.transactions, _count(store_at)) == (4, 4)


def test_a_missing_file_is_reported(store_at: str, tmp_path: Path) -> None:
    def read(path: Path) -> Iterator[Statement]:
        path.open()
        yield DAY

    with open_store(store_at) as store:
        result = import_file(store, tmp_path / "gone.xml", read, OWNERS)
    assert result.error is not None and "gone.xml: cannot read" in result.error
