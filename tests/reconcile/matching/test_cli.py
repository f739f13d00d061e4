"""``ledgerlink reconcile`` store-free: UBL invoices written by the repo's writer, a camt.053
statement written by tests/support/camt_writer, the JSON contract of issue 16 section 4."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

import ubl
from ledgerlink.cli import app
from model.document import Invoice
from model.identifiers import betalingskenmerk, rf
from reconcile.transaction import Counterparty, Transaction
from tests.support.camt_writer import camt053
from tests.support.profile_documents import clean_invoice, credit_note
from tests.support.shared import require_shared

runner = CliRunner()
ACCOUNT = "NL91ABNA0417164300"
PAYER = Counterparty(name="Koffiehuis Noord B.V.", iban="NL02ABNA0123456789")


def _invoice(number: str, reference: str | None) -> Invoice:
    doc = clean_invoice()
    means = replace(doc.payment_means[0], remittance_info=reference)
    return replace(doc, number=number, payment_means=(means,))


def _documents(directory: Path) -> dict[str, str]:
    refs = {
        "2026-0001": rf.create("20260001"),
        "2026-0002": betalingskenmerk.create("000000000020260002"[-15:]),
        "2026-0003": None,
        "2026-0004": None,
    }
    for number, reference in refs.items():
        (directory / f"{number}.xml").write_bytes(ubl.write(_invoice(number, reference)))
    note = replace(credit_note(clean_invoice()), number="CN-0001")
    (directory / "CN-0001.xml").write_bytes(ubl.write(note, "en16931"))
    return {k: v for k, v in refs.items() if v}


def _statement(path: Path, refs: dict[str, str]) -> None:
    day = date(2026, 12, 1)
    bookings = [
        Transaction(
            booking_date=day,
            amount=Decimal("121.00"),
            currency="EUR",
            counterparty=PAYER,
            structured_reference=refs["2026-0001"],
            bank_reference="ACR-1",
        ),
        Transaction(
            booking_date=day,
            amount=Decimal("60.00"),
            currency="EUR",
            counterparty=PAYER,
            text=f"BETALINGSKENM. {refs['2026-0002']}",
            bank_reference="ACR-2",
        ),
        Transaction(
            booking_date=day,
            amount=Decimal("121.00"),
            currency="EUR",
            counterparty=PAYER,
            text="fact 2026-0003",
            bank_reference="ACR-3",
        ),
        Transaction(
            booking_date=day,
            amount=Decimal("-1500.00"),
            currency="EUR",
            counterparty=Counterparty(name="Vastgoed BV", iban="NL18RABO0123459876"),
            text="huur december",
            bank_reference="ACR-4",
        ),
        Transaction(
            booking_date=day,
            amount=Decimal("121.00"),
            currency="EUR",
            counterparty=Counterparty(name="Onbekend"),
            text="bedankt",
        ),
    ]
    path.write_bytes(camt053(ACCOUNT, bookings, statement_id="2026-12-01"))


def test_camt_writer_output_is_schema_valid(tmp_path: Path) -> None:
    xsd = require_shared("reference/bank/schema/camt.053.001.02.xsd")
    target = tmp_path / "s.xml"
    _statement(target, {"2026-0001": rf.create("1"), "2026-0002": "5000056789012345"})
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    document = etree.parse(str(target))
    assert schema.validate(document), schema.error_log


def test_without_invoices_and_statement_it_runs_on_the_store_and_names_a_missing_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["reconcile", "--format", "json"])
    assert result.exit_code == 2
    assert "no store" in result.output
    assert "ledgerlink.db" in result.output


def test_invoices_need_a_statement(tmp_path: Path) -> None:
    result = runner.invoke(app, ["reconcile", "--invoices", str(tmp_path)])
    assert result.exit_code == 2
    assert "--statement" in result.output


def test_an_unreadable_invoice_is_named(tmp_path: Path) -> None:
    pytest.importorskip("reconcile.statements")
    (tmp_path / "broken.xml").write_text("<Invoice>", encoding="utf-8")
    statement = tmp_path / "s.camt"
    _statement(statement, {"2026-0001": rf.create("1"), "2026-0002": "5000056789012345"})
    result = runner.invoke(
        app, ["reconcile", "--invoices", str(tmp_path), "--statement", str(statement)]
    )
    assert result.exit_code == 1
    assert "broken.xml" in result.output


def test_store_free_json(tmp_path: Path) -> None:
    pytest.importorskip("reconcile.statements")
    invoices = tmp_path / "open"
    invoices.mkdir()
    refs = _documents(invoices)
    statement = tmp_path / "statement.xml"
    _statement(statement, refs)
    result = runner.invoke(
        app,
        [
            "reconcile",
            "--invoices",
            str(invoices),
            "--statement",
            str(statement),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert set(out) == {"entries", "unmatched", "open"}
    assert out["entries"]["ACR-1"] == [
        {"invoice": "2026-0001", "amount": "121.00", "stage": "reference", "confidence": 0.99}
    ]
    assert out["entries"]["ACR-2"][0]["invoice"] == "2026-0002"
    assert out["entries"]["ACR-2"][0]["amount"] == "60.00"
    assert out["entries"]["ACR-3"][0]["stage"] == "invoice_number"
    assert "ACR-4" in out["unmatched"]
    assert f"{ACCOUNT}/2026-12-01/5" in out["unmatched"]
    assert out["open"]["2026-0001"] == "0.00"
    assert out["open"]["2026-0002"] == "61.00"
    assert out["open"]["2026-0004"] == "121.00"
    assert out["open"]["CN-0001"] == "121.00"


def test_store_free_text(tmp_path: Path) -> None:
    pytest.importorskip("reconcile.statements")
    invoices = tmp_path / "open"
    invoices.mkdir()
    statement = tmp_path / "statement.xml"
    _statement(statement, _documents(invoices))
    result = runner.invoke(
        app, ["reconcile", "--invoices", str(invoices), "--statement", str(statement)]
    )
    assert result.exit_code == 0, result.output
    assert "ACR-1  reference  0.99  2026-0001 121.00" in result.output
    assert "partial payment" in result.output
    assert "unmatched: 2" in result.output
