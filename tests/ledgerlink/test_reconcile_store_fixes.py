"""``ledgerlink reconcile`` on the store, issue 16 follow-ups: two documents of one connection
with one invoice number; a reversal in a later run of an invoice paid in full before; the
amounts in stored match reasons."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ledgerlink.cli import app
from model.identifiers import rf
from reconcile.transaction import Counterparty, Transaction
from sync.pipeline import connection_id
from sync.reconciliation import open_items
from sync.store import matches, open_store, payment_pushes
from tests.support import reconcile_store
from tests.support.camt_writer import camt053
from tests.support.profile_documents import clean_invoice
from tests.support.reconcile_store import invoice, store_document, write_config

postgres_database = reconcile_store.postgres_database  # the fixtures
store_url = reconcile_store.store_url
runner = CliRunner()
ACCOUNT = "NL91ABNA0417164300"
PAYER = Counterparty(name="Koffiehuis Noord B.V.", iban="NL44RABO0123456789")
DAY = date(2026, 12, 1)
REF_C = rf.create("20260002")
# (number, source id, payment reference): two invoices share a number (a re-issue)
DOCUMENTS = (
    ("2026-0001", "inbox/a.xml", None),
    ("2026-0001", "inbox/b.xml", None),
    ("2026-0002", "inbox/c.xml", REF_C),
)


def _store_documents(
    url: str, stored: tuple[tuple[str, str, str | None], ...] = DOCUMENTS
) -> dict[str, int]:
    """The documents ``stored`` in connection ``shop``: their row ids by source id."""
    with open_store(url, create=True) as store:
        store.ensure()
        with store.begin() as conn:
            shop = connection_id(conn, "shop", "ubl-dir")
            return {
                source_id: store_document(conn, shop, source_id, invoice(number, reference))
                for number, source_id, reference in stored
            }


DUE = clean_invoice().totals.payable  # type: ignore[union-attr]


@pytest.fixture
def config(tmp_path: Path, store_url: str) -> Path:
    return write_config(tmp_path, store_url, ACCOUNT)


def _cli(config: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--config", str(config), *args])


def _import(config: Path, name: str, bookings: list[Transaction], statement_id: str) -> None:
    path = config.parent / name
    path.write_bytes(camt053(ACCOUNT, bookings, statement_id=statement_id))
    imported = _cli(config, "statements", "import", str(path), "--format", "json")
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout)["files"][0]["transactions"] == len(bookings)


def _reconcile(config: Path) -> dict[str, Any]:
    run = _cli(config, "reconcile", "--format", "json")
    assert run.exit_code == 0, run.output
    done: dict[str, Any] = json.loads(run.stdout)
    return done


def _open(url: str) -> dict[str, Decimal]:
    with open_store(url) as store, store.begin() as conn:
        return {
            f"{item.number}@{item.source_id}": item.open
            for item in open_items(conn, include_settled=True)
        }


def test_two_documents_with_one_number_in_one_connection(config: Path, store_url: str) -> None:
    ids = _store_documents(store_url)
    _import(
        config,
        "day.xml",
        [
            Transaction(
                booking_date=DAY,
                amount=DUE,
                currency="EUR",
                counterparty=PAYER,
                structured_reference=REF_C,
                bank_reference="ACR-1",
            ),
            Transaction(
                booking_date=DAY,
                amount=DUE,
                currency="EUR",
                counterparty=PAYER,
                text="factuur 2026-0001",
                bank_reference="ACR-2",
            ),
        ],
        "STMT-1",
    )
    done = _reconcile(config)
    assert [e["invoice"] for e in done["entries"]["ACR-1"]] == ["2026-0002"]
    assert done["unmatched"] == ["ACR-2"]  # the number is ambiguous: never applied
    assert done["open"] == {
        "2026-0001@inbox/a.xml": f"{DUE:.2f}",
        "2026-0001@inbox/b.xml": f"{DUE:.2f}",
        "2026-0002": "0.00",
    }
    text = _cli(config, "reconcile", "--dry-run")
    assert text.exit_code == 0, text.output
    assert "suggest 2026-0001@inbox/a.xml" in text.stdout
    assert "suggest 2026-0001@inbox/b.xml" in text.stdout

    ambiguous = _cli(config, "reconcile", "confirm", "ACR-2", "2026-0001")
    assert ambiguous.exit_code == 1
    assert "'2026-0001' is ambiguous" in ambiguous.output
    assert "2026-0001@inbox/a.xml" in ambiguous.output
    assert "2026-0001@inbox/b.xml" in ambiguous.output
    unknown = _cli(config, "reconcile", "confirm", "ACR-2", "2026-0001@inbox/z.xml")
    assert unknown.exit_code == 1 and "no open document '2026-0001@inbox/z.xml'" in unknown.output

    picked = _cli(config, "reconcile", "confirm", "ACR-2", "2026-0001@inbox/b.xml")
    assert picked.exit_code == 0, picked.output
    assert f"ACR-2: applied by hand to 2026-0001@inbox/b.xml {DUE:.2f}" in picked.stdout
    with open_store(store_url) as store, store.begin() as conn:
        rows = list(conn.execute(select(matches.c.document_id).order_by(matches.c.id)).scalars())
    assert rows == [ids["inbox/c.xml"], ids["inbox/b.xml"]]
    assert _open(store_url) == {
        "2026-0001@inbox/a.xml": DUE,
        "2026-0001@inbox/b.xml": Decimal(0),
        "2026-0002@inbox/c.xml": Decimal(0),
    }


def test_a_reversal_in_a_later_run_reopens_an_invoice_paid_in_full(
    config: Path, store_url: str
) -> None:
    _store_documents(store_url, DOCUMENTS[1:])
    payment = Transaction(
        booking_date=DAY,
        amount=DUE,
        currency="EUR",
        counterparty=PAYER,
        structured_reference=REF_C,
        end_to_end_id="E2E-77",
        bank_reference="ACR-1",
    )
    _import(config, "day1.xml", [payment], "STMT-1")
    assert _reconcile(config)["recorded"] == 1
    assert _open(store_url)["2026-0002@inbox/c.xml"] == 0

    reversal = replace(
        payment,
        booking_date=date(2026, 12, 3),
        amount=-DUE,
        reversal=True,
        return_reason="MD06",
        bank_reference="ACR-9",
    )
    _import(config, "day2.xml", [reversal], "STMT-2")
    done = _reconcile(config)
    assert done["entries"]["ACR-9"] == [
        {"invoice": "2026-0002", "amount": f"{-DUE:.2f}", "stage": "reversal", "confidence": 0.95}
    ]
    assert done["unmatched"] == [] and done["recorded"] == 1
    assert done["open"]["2026-0002"] == f"{DUE:.2f}"
    assert _open(store_url)["2026-0002@inbox/c.xml"] == DUE
    with open_store(store_url) as store, store.begin() as conn:
        stages = list(conn.execute(select(matches.c.stage).order_by(matches.c.id)).scalars())
        pushes = [
            (row.kind, row.amount)
            for row in conn.execute(
                select(payment_pushes.c.kind, payment_pushes.c.amount).order_by(payment_pushes.c.id)
            )
        ]
    assert stages == ["reference", "reversal"]
    assert pushes == [("payment", DUE), ("reversal", DUE)]


def test_stored_reasons_show_the_currency_digits(config: Path, store_url: str) -> None:
    _store_documents(store_url, DOCUMENTS[1:])
    part = Decimal("50.00")
    _import(
        config,
        "day.xml",
        [
            Transaction(
                booking_date=DAY,
                amount=part,
                currency="EUR",
                counterparty=PAYER,
                structured_reference=REF_C,
                bank_reference="ACR-1",
            )
        ],
        "STMT-1",
    )
    assert _reconcile(config)["recorded"] == 1
    with open_store(store_url) as store, store.begin() as conn:
        (reason,) = conn.execute(select(matches.c.reason)).scalars()
    assert f"partial payment, {DUE - part:.2f} stays open" in reason
    assert not re.search(r"\d\.\d{3}", reason), reason
