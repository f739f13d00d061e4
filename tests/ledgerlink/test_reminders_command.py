"""``ledgerlink reminders`` store-free, run as a user would (typer's CliRunner) on UBL
invoices written by the repo's writer into tmp, and a camt.053 statement reconciled first:
the JSON contract of issue 17 section 2, the text and csv formats, and the errors. Interest
is checked against the day-by-day computation of tests/support/day_interest.py and the WIK
costs against a piecewise formula of the staffel, not against the package."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ubl
from ledgerlink.cli import app
from model.document import Invoice
from model.identifiers import rf
from reconcile.transaction import Counterparty, Transaction
from tests.support.camt_writer import camt053
from tests.support.day_interest import COMMERCIAL, STATUTORY, day_by_day
from tests.support.profile_documents import clean_invoice, credit_note

runner = CliRunner()
ON = date(2026, 12, 7)
D = Decimal
KEYS = {
    "invoice",
    "debtor",
    "due_date",
    "days_overdue",
    "step",
    "open",
    "costs",
    "interest",
    "interest_periods",
}


def _invoice(number: str, due: date, net: str, reference: str | None = None) -> Invoice:
    doc = clean_invoice()
    amount = D(net)
    vat = (amount * D("0.21")).quantize(D("0.01"))
    line = replace(
        doc.lines[0],
        quantity=D(1),
        net_amount=amount,
        price=replace(doc.lines[0].price, net=amount),
    )
    totals = replace(
        doc.totals,
        line_net=amount,
        without_vat=amount,
        vat=vat,
        with_vat=amount + vat,
        payable=amount + vat,
    )
    breakdown = replace(doc.vat_breakdown[0], taxable_amount=amount, tax_amount=vat)
    means = replace(doc.payment_means[0], remittance_info=reference)
    return replace(
        doc,
        number=number,
        issue_date=due - timedelta(days=30),
        due_date=due,
        lines=(line,),
        totals=totals,
        vat_breakdown=(breakdown,),
        payment_means=(means,),
    )


def _write(directory: Path, *documents: Invoice) -> None:
    directory.mkdir(exist_ok=True)
    for document in documents:
        (directory / f"{document.number}.xml").write_bytes(ubl.write(document))


def _run(*args: str) -> dict[str, object]:
    result = runner.invoke(app, ["reminders", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _independent_wik(principal: Decimal) -> Decimal:
    """The WIK staffel (Stb. 2012, 141, art. 2) as a piecewise formula over the cumulative
    costs at each band's start: written apart from the package's band loop."""
    p = principal
    if p <= 2500:
        cost = p * D("0.15")
    elif p <= 5000:
        cost = 375 + (p - 2500) * D("0.10")
    elif p <= 10000:
        cost = 625 + (p - 5000) * D("0.05")
    elif p <= 200000:
        cost = 875 + (p - 10000) * D("0.01")
    else:
        cost = 2775 + (p - 200000) * D("0.005")
    return min(max(cost, D(40)), D(6775)).quantize(D("0.01"), ROUND_HALF_UP)


def _check_interest(row: dict[str, object], table: list[tuple[date, str]]) -> None:
    due = date.fromisoformat(str(row["due_date"]))
    expected = day_by_day(D(str(row["open"])), due, ON, table)
    assert row["interest_periods"] == [
        {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "rate": str(rate.quantize(D("0.01"))),
            "amount": str(amount),
        }
        for start, end, rate, amount in expected
    ]
    assert D(str(row["interest"])) == sum(amount for *_, amount in expected)


def _documents(directory: Path) -> None:
    _write(
        directory,
        _invoice("B-1", date(2025, 6, 30), "1000.00"),  # 525 days: collection
        _invoice("B-2", ON - timedelta(days=7), "50.00"),  # reminder 1 today
        _invoice("B-3", ON - timedelta(days=6), "80.00"),  # before reminder 1
        _invoice("B-4", ON, "70.00"),  # due today: not overdue
        _invoice("B-5", ON + timedelta(days=3), "60.00"),  # pre-due, not overdue
    )
    note = replace(credit_note(clean_invoice()), number="CN-1", due_date=date(2025, 1, 1))
    (directory / "CN-1.xml").write_bytes(ubl.write(note, "en16931"))


def test_b2b_json_contract(tmp_path: Path) -> None:
    _documents(tmp_path / "inv")
    out = _run(
        "--invoices",
        str(tmp_path / "inv"),
        "--on",
        ON.isoformat(),
        "--policy",
        "nl-b2b",
        "--format",
        "json",
    )
    assert set(out) == {"on", "policy", "reminders"}
    assert (out["on"], out["policy"]) == ("2026-12-07", "nl-b2b")
    rows = out["reminders"]
    assert isinstance(rows, list)
    assert [r["invoice"] for r in rows] == ["B-1", "B-2", "B-3"]  # by due date
    for row in rows:
        assert set(row) == KEYS
        assert row["costs"] == "40.00"  # due without a reminder from the day after due
        assert row["debtor"] == "Koffiehuis Noord B.V."
        _check_interest(row, COMMERCIAL)
    by = {r["invoice"]: r for r in rows}
    assert (by["B-1"]["days_overdue"], by["B-1"]["step"], by["B-1"]["open"]) == (
        525,
        "collection",
        "1210.00",
    )
    assert (by["B-2"]["days_overdue"], by["B-2"]["step"]) == (7, "reminder_1")
    assert (by["B-3"]["days_overdue"], by["B-3"]["step"]) == (6, "pre_due")
    assert by["B-1"]["interest_periods"][0]["from"] == "2025-07-01"
    assert by["B-1"]["interest_periods"][-1]["to"] == "2026-12-07"
    # one full year at 10.15 %, then the same rate on the principal plus that year's interest
    first, second = by["B-1"]["interest_periods"]
    assert (first["to"], first["amount"]) == ("2026-06-30", "122.82")  # 1,210 x 10.15 %
    assert second["from"] == "2026-07-01"


def test_b2c_costs_from_the_fourteen_day_letter_on(tmp_path: Path) -> None:
    _write(
        tmp_path / "inv",
        _invoice("C-13", ON - timedelta(days=13), "2500.00"),
        _invoice("C-14", ON - timedelta(days=14), "2500.00"),
        _invoice("C-60", ON - timedelta(days=60), "10000.00"),
        _invoice("C-400", ON - timedelta(days=400), "150.00"),
    )
    out = _run(
        "--invoices",
        str(tmp_path / "inv"),
        "--on",
        ON.isoformat(),
        "--policy",
        "nl-b2c",
        "--format",
        "json",
    )
    by = {r["invoice"]: r for r in out["reminders"]}  # type: ignore[union-attr]
    assert by["C-13"]["step"] == "reminder_1" and by["C-13"]["costs"] == "0.00"
    assert by["C-14"]["step"] == "veertiendagenbrief"
    assert by["C-14"]["costs"] == str(_independent_wik(D("3025.00"))) == "427.50"
    assert by["C-60"]["step"] == "collection"
    assert by["C-60"]["costs"] == str(_independent_wik(D("12100.00")))
    assert by["C-400"]["costs"] == "40.00"
    for row in by.values():
        _check_interest(row, STATUTORY)
    assert len(by["C-400"]["interest_periods"]) >= 3  # rate change and the anniversary


def test_a_statement_is_reconciled_first(tmp_path: Path) -> None:
    refs = {"P-1": rf.create("9001"), "P-2": rf.create("9002")}
    _write(
        tmp_path / "inv",
        _invoice("P-1", date(2026, 10, 1), "100.00", refs["P-1"]),
        _invoice("P-2", date(2026, 10, 1), "100.00", refs["P-2"]),
    )
    payer = Counterparty(name="Koffiehuis Noord B.V.", iban="NL02ABNA0123456789")
    bookings = [
        Transaction(
            booking_date=date(2026, 11, 1),
            amount=D("21.00"),
            currency="EUR",
            counterparty=payer,
            structured_reference=refs["P-1"],
            bank_reference="ACR-1",
        ),
        Transaction(
            booking_date=date(2026, 11, 1),
            amount=D("121.00"),
            currency="EUR",
            counterparty=payer,
            structured_reference=refs["P-2"],
            bank_reference="ACR-2",
        ),
    ]
    statement = tmp_path / "statement.xml"
    statement.write_bytes(camt053("NL91ABNA0417164300", bookings))
    out = _run(
        "--invoices",
        str(tmp_path / "inv"),
        "--statement",
        str(statement),
        "--on",
        ON.isoformat(),
        "--policy",
        "nl-b2b",
        "--format",
        "json",
    )
    rows = out["reminders"]
    assert [r["invoice"] for r in rows] == ["P-1"]  # type: ignore[union-attr,index]
    (row,) = rows  # type: ignore[misc]
    assert row["open"] == "100.00"
    _check_interest(row, COMMERCIAL)


def test_text_shows_the_fourteen_day_letter_end_date(tmp_path: Path) -> None:
    due = ON - timedelta(days=20)
    _write(tmp_path / "inv", _invoice("T-1", due, "100.00"))
    result = runner.invoke(
        app,
        [
            "reminders",
            "--invoices",
            str(tmp_path / "inv"),
            "--on",
            ON.isoformat(),
            "--policy",
            "nl-b2c",
        ],
    )
    assert result.exit_code == 0, result.output
    sent = due + timedelta(days=14)
    received = sent + timedelta(days=1)
    while (
        sum(1 for n in range(1, (received - sent).days + 1) if (sent + timedelta(n)).weekday() < 5)
        < 2
    ):
        received += timedelta(days=1)
    assert "invoice" in result.stdout and "interest" in result.stdout
    assert "T-1" in result.stdout and "veertiendagenbrief" in result.stdout
    assert (
        f"by {received + timedelta(days=14)}, else costs 40.00 from {received + timedelta(days=15)}"
        in result.stdout
    )
    assert "1 overdue: open 121.00, costs 40.00" in result.stdout


def test_csv_and_due_today(tmp_path: Path) -> None:
    _documents(tmp_path / "inv")
    args = [
        "reminders",
        "--invoices",
        str(tmp_path / "inv"),
        "--on",
        ON.isoformat(),
        "--policy",
        "nl-b2b",
        "--format",
        "csv",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == [
        "invoice",
        "debtor",
        "due_date",
        "days_overdue",
        "step",
        "open",
        "costs",
        "interest",
        "pay_by",
    ]
    assert [r["invoice"] for r in rows] == ["B-1", "B-2", "B-3"]
    today = runner.invoke(app, [*args, "--due-today"])
    assert [r["invoice"] for r in csv.DictReader(io.StringIO(today.stdout))] == ["B-2"]


def test_a_policy_file_extending_a_preset(tmp_path: Path) -> None:
    _documents(tmp_path / "inv")
    policy = tmp_path / "acme.toml"
    policy.write_text(
        'extend = "nl-b2b"\n[[step]]\nname = "reminder_1"\ndays = 5\n', encoding="utf-8"
    )
    out = _run(
        "--invoices",
        str(tmp_path / "inv"),
        "--on",
        ON.isoformat(),
        "--policy",
        str(policy),
        "--format",
        "json",
    )
    assert out["policy"] == "acme"
    steps = {r["invoice"]: r["step"] for r in out["reminders"]}  # type: ignore[union-attr]
    assert steps["B-3"] == "reminder_1"  # day 6 is past the tenant's day 5


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["--on", "2026-12-07", "--policy", "nl-b2b", "--store", "sqlite:///{inv}/none.db"],
            2,
            "does not exist",
        ),
        (["--statement", "{inv}/a.xml", "--on", "2026-12-07"], 2, "--statement needs --invoices"),
        (["--invoices", "{inv}", "--on", "7-12-2026", "--policy", "nl-b2b"], 2, "YYYY-MM-DD"),
        (
            ["--invoices", "{inv}", "--on", "2026-12-07", "--policy", "nl-b2b", "--format", "xml"],
            2,
            "text, json or csv",
        ),
        (["--invoices", "{inv}", "--on", "2026-12-07"], 2, "--policy is required"),
        (
            ["--invoices", "{inv}", "--on", "2026-12-07", "--policy", "{bad}"],
            2,
            "bad.toml: field 'costs': must be one of wik",
        ),
        (
            ["--invoices", "{inv}", "--on", "2026-12-07", "--policy", "nl-b2x"],
            2,
            "nl-b2x: no such policy file",
        ),
    ],
)
def test_usage_errors(tmp_path: Path, args: list[str], code: int, message: str) -> None:
    _write(tmp_path / "inv", _invoice("E-1", date(2026, 11, 1), "10.00"))
    bad = tmp_path / "bad.toml"
    bad.write_text('extend = "nl-b2b"\ncosts = "lots"\n', encoding="utf-8")
    filled = [a.format(inv=tmp_path / "inv", bad=bad) for a in args]
    result = runner.invoke(app, ["reminders", *filled])
    assert result.exit_code == code, result.output
    assert message in result.output


def test_a_due_date_before_the_rate_table_names_the_data_file(tmp_path: Path) -> None:
    _write(tmp_path / "inv", _invoice("OLD-1", date(2014, 6, 30), "10.00"))
    result = runner.invoke(
        app,
        [
            "reminders",
            "--invoices",
            str(tmp_path / "inv"),
            "--on",
            ON.isoformat(),
            "--policy",
            "nl-b2c",
        ],
    )
    assert result.exit_code == 1
    assert (
        "statutory_interest.toml: no wettelijke rente rate in force on 2014-07-01" in result.output
    )


def test_an_invoice_in_another_currency_is_named(tmp_path: Path) -> None:
    _write(tmp_path / "inv", replace(_invoice("USD-1", date(2026, 11, 1), "10.00"), currency="USD"))
    result = runner.invoke(
        app,
        [
            "reminders",
            "--invoices",
            str(tmp_path / "inv"),
            "--on",
            ON.isoformat(),
            "--policy",
            "nl-b2b",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "USD-1: currency USD: the costs are EUR amounts" in result.stderr
    assert "USD-1" in result.stdout


def test_the_console_script(tmp_path: Path) -> None:
    """The installed ``ledgerlink`` in a fresh process finds its packaged tables and presets."""
    import subprocess
    import sys

    script = Path(sys.executable).with_name("ledgerlink")
    if not script.exists():
        pytest.skip("no ledgerlink console script next to this interpreter")
    _write(tmp_path / "inv", _invoice("S-1", ON - timedelta(days=30), "100.00"))
    done = subprocess.run(
        [
            str(script),
            "reminders",
            "--invoices",
            str(tmp_path / "inv"),
            "--on",
            ON.isoformat(),
            "--policy",
            "nl-b2c",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)["reminders"]
    assert (row["invoice"], row["step"], row["costs"]) == ("S-1", "veertiendagenbrief", "40.00")
    _check_interest(row, STATUTORY)
