"""``ledgerlink report credit|ageing|behaviour`` as a user runs them: invoices synced from two
connections, a bank statement imported and reconciled, then the reports for one day, checked
against figures worked out by hand from the dates below."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from support.camt_writer import camt053
from support.profile_documents import BUYER, clean_invoice
from support.two_shops import ACCOUNT, ledgerlink, make_folder, write

from model.document import Identifier
from model.identifiers import rf
from reconcile.transaction import Counterparty, Transaction

pytestmark = pytest.mark.usefixtures("artifacts_cache")
ON = "2026-12-07"
SIBLING = replace(
    BUYER,
    name="Koffiehuis Werk B.V.",
    vat_id="NL111222333B01",
    legal_registration=Identifier(value="11223344", scheme="0106"),
    endpoint=Identifier(value="11223344", scheme="0106"),
)


def _invoice(folder: Path, number: str, issued: date, due: date, **changes: object) -> None:
    doc = clean_invoice()  # 121.00 each
    means = replace(doc.payment_means[0], remittance_info=rf.create(number.replace("-", "")))
    doc = replace(doc, number=number, issue_date=issued, due_date=due, payment_means=(means,))
    doc = replace(doc, **changes)  # type: ignore[arg-type]
    write(folder, doc)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("LEDGERLINK_STORE", raising=False)
        patch.delenv("LEDGERLINK_CONFIG", raising=False)
        root = make_folder(tmp_path_factory.mktemp("report"), {"kvk:87654321": "200.00 EUR"})
        shop, erp = root / "shop", root / "erp"
        # S-1 paid 10 days late; S-2 6 days overdue; S-3 159 days overdue; E-1 not due.
        _invoice(shop, "S-1", date(2026, 9, 1), date(2026, 10, 1))  # a Tuesday
        _invoice(shop, "S-2", date(2026, 11, 1), date(2026, 12, 1))  # a Sunday
        _invoice(shop, "S-3", date(2026, 6, 1), date(2026, 7, 1))  # a Monday
        _invoice(erp, "E-1", date(2026, 12, 1), date(2026, 12, 31), buyer=SIBLING)
        synced = ledgerlink(root, "sync", "--format", "json")
        assert synced.exit_code == 0, synced.output
        paid = Transaction(
            booking_date=date(2026, 10, 11),
            amount=Decimal("121.00"),
            currency="EUR",
            counterparty=Counterparty(name="Koffiehuis Noord B.V.", iban="NL44RABO0123456789"),
            structured_reference=rf.create("S1"),
            bank_reference="ACR-1",
        )
        (root / "day.xml").write_bytes(camt053(ACCOUNT, [paid]))
        imported = ledgerlink(root, "statements", "import", str(root / "day.xml"))
        assert imported.exit_code == 0, imported.output
        matched = ledgerlink(root, "reconcile", "--format", "json")
        assert json.loads(matched.stdout)["entries"]["ACR-1"][0]["invoice"] == "S-1"
        yield root


def test_ageing_buckets_per_debtor_and_in_total(folder: Path) -> None:
    result = ledgerlink(folder, "report", "ageing", "--on", ON, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["buckets"] == ["not due", "1-30", "31-60", "61-90", "90+"]
    rows = {row["debtor"]: row for row in data["debtors"]}
    koffie, werk = rows["0106:87654321"], rows["0106:11223344"]
    assert (koffie["1-30"], koffie["90+"], koffie["not due"], koffie["total"]) == (
        "121.00", "121.00", "0", "242.00",
    )  # fmt: skip
    assert (werk["not due"], werk["total"]) == ("121.00", "121.00")
    (total,) = data["totals"]
    assert (total["currency"], total["total"]) == ("EUR", "363.00")
    listed = list(csv.DictReader(io.StringIO(ledgerlink(folder, "report", "ageing", "--on", ON,
                                                        "--format", "csv").stdout)))  # fmt: skip
    assert [(r["debtor"], r["90+"]) for r in listed] == [
        ("0106:11223344", "0"),
        ("0106:87654321", "121.00"),
    ]


def test_credit_report_limits_concentration_and_dso(folder: Path) -> None:
    result = ledgerlink(folder, "report", "credit", "--on", ON, "--months", "4", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    koffie = next(r for r in data["debtors"] if r["debtor"] == "0106:87654321")
    assert (koffie["exposure"], koffie["utilisation"], koffie["alert"]) == (
        "242.00", "121.00", "breach",
    )  # fmt: skip
    eur = data["concentration"]["EUR"]
    # 242 and 121 owed: the top 20 % (1 debtor) hold 2/3; HHI = (2/3)^2 + (1/3)^2.
    assert (eur["debtors"], eur["top_share"], eur["hhi"]) == (2, "0.6667", "0.5556")
    months = {m["month"]: m for m in data["dso"]["EUR"]}
    assert list(months) == ["2026-09", "2026-10", "2026-11", "2026-12"]
    # December: 363 open, 121 sold: simple 363/121 x 31 = 93.0. Count-back: December's 121
    # (31 days), November's 121 (30), October sold nothing (31), September's 121 covers the
    # rest (30): 122.0.
    assert (months["2026-12"]["simple"], months["2026-12"]["countback"]) == ("93.0", "122.0")
    # October: S-1 paid on the 11th, so only S-3 (121) is open of no October sales.
    assert months["2026-10"]["simple"] is None


def test_behaviour_days_late_and_late_rates(folder: Path) -> None:
    result = ledgerlink(folder, "report", "behaviour", "--on", ON, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    koffie = next(r for r in data["debtors"] if r["debtor"] == "0106:87654321")
    assert (koffie["paid"], koffie["days_to_pay"], koffie["days_late"]) == (1, "40.0", "10.0")
    assert {m["month"]: m["days_late"] for m in koffie["monthly_days_late"]}["2026-10"] == "10.0"
    bands = {b["band"]: (b["invoices"], b["late"]) for b in data["late_by_band"]}
    assert bands["100-1,000"] == (3, 3)  # S-1 paid late, S-2 and S-3 open past due; E-1 not due
    days = {d["weekday"]: d["invoices"] for d in data["late_by_weekday"]}
    assert (days["Monday"], days["Tuesday"], days["Sunday"]) == (1, 1, 1)


def test_svg_charts_draw_one_bar_per_bucket_and_per_limited_debtor(folder: Path) -> None:
    ageing = ledgerlink(folder, "report", "ageing", "--on", ON, "--format", "svg")
    assert ageing.exit_code == 0, ageing.output
    svg = etree.fromstring(ageing.stdout.encode())
    bars = svg.findall(".//{http://www.w3.org/2000/svg}rect[@class='bar']")
    widths = [int(bar.get("width")) for bar in bars]
    assert len(bars) == 5 and widths[0] == widths[1] == widths[4] > 0 and widths[2] == 0
    credit = ledgerlink(folder, "report", "credit", "--on", ON, "--format", "svg")
    svg = etree.fromstring(credit.stdout.encode())
    (bar,) = svg.findall(".//{http://www.w3.org/2000/svg}rect[@class='bar']")
    assert bar.get("fill") == "#b0413e"  # over its limit
    dso = ledgerlink(folder, "report", "credit", "--on", ON, "--months", "4", "--format", "svg",
                     "--chart", "dso")  # fmt: skip
    svg = etree.fromstring(dso.stdout.encode())
    columns = svg.findall(".//{http://www.w3.org/2000/svg}rect[@class='bar']")
    # 4 months x 2 series, less October's simple DSO (no sales that month) and September's
    # count-back (242 open, 121 sold, and no month before it to count the rest back into).
    assert len(columns) == 6
    heights = [int(c.get("height")) for c in columns]
    assert max(heights) == heights[-1]  # December's count-back, 122.0 days, is the largest


def test_text_reports_and_usage_errors(folder: Path) -> None:
    for report in ("credit", "ageing", "behaviour"):
        shown = ledgerlink(folder, "report", report, "--on", ON)
        assert shown.exit_code == 0, shown.output
        assert "Koffiehuis" in shown.stdout
    assert "HHI 0.5556" in ledgerlink(folder, "report", "credit", "--on", ON).stdout
    assert ledgerlink(folder, "report", "behaviour", "--format", "svg").exit_code == 2
    bad_day = ledgerlink(folder, "report", "ageing", "--on", "7-12-2026")
    assert bad_day.exit_code == 2 and "YYYY-MM-DD" in bad_day.output
