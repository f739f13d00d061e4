"""``ledgerlink collection export`` as a user runs it: invoices synced into the store, one
partly paid through an imported statement, then exported on a day when one is past the last
step of ``nl-b2b`` and one is not."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from support.camt_writer import camt053
from support.profile_documents import clean_invoice
from support.two_shops import ACCOUNT, ledgerlink, make_folder, write

from model.identifiers import rf
from reconcile.reminders import load_policy, statutory_interest
from reconcile.reminders.rates import rates
from reconcile.transaction import Counterparty, Transaction

pytestmark = pytest.mark.usefixtures("artifacts_cache")
ON = date(2026, 12, 7)
PAID = Decimal("21.00")
DUE = date(2026, 9, 1)
STEP_DAYS = [step.days for step in load_policy("nl-b2b").steps if step.days > 0]


def _invoice(inbox: Path, number: str, due: date) -> None:
    doc = clean_invoice()  # 121.00
    means = replace(doc.payment_means[0], remittance_info=rf.create(number.replace("-", "")))
    write(inbox, replace(doc, number=number, due_date=due, payment_means=(means,)))


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("LEDGERLINK_STORE", raising=False)
    monkeypatch.delenv("LEDGERLINK_CONFIG", raising=False)
    root = make_folder(tmp_path, {})
    _invoice(root / "shop", "S-1", DUE)  # 97 days overdue on ON: past 45
    _invoice(root / "shop", "S-2", date(2026, 11, 30))  # 7 days: reminder_1
    synced = ledgerlink(root, "sync", "--format", "json")
    assert synced.exit_code == 0, synced.output
    partial = Transaction(
        booking_date=date(2026, 9, 20),
        amount=PAID,
        currency="EUR",
        counterparty=Counterparty(name="Koffiehuis Noord B.V.", iban="NL44RABO0123456789"),
        structured_reference=rf.create("S1"),
        bank_reference="ACR-9",
    )
    (root / "day.xml").write_bytes(camt053(ACCOUNT, [partial], opening=Decimal(0)))
    assert ledgerlink(root, "statements", "import", str(root / "day.xml")).exit_code == 0
    matched = ledgerlink(root, "reconcile", "--format", "json")
    assert json.loads(matched.stdout)["entries"]["ACR-9"][0]["invoice"] == "S-1"
    for day in STEP_DAYS[:-1]:  # S-1's reminders up to the final notice, each on its day
        _remind(root, DUE + timedelta(days=day))
    return root


def _remind(folder: Path, on: date) -> dict[str, dict[str, object]]:
    result = ledgerlink(folder, "reminders", "--on", on.isoformat(), "--format", "json")
    assert result.exit_code == 0, result.output
    return {entry["invoice"]: entry for entry in json.loads(result.stdout)["reminders"]}


def _export(folder: Path, *args: str) -> tuple[int, dict[str, list[dict[str, str]]]]:
    result = ledgerlink(
        folder, "collection", "export", *args, "--to", str(folder / "out"),
        "--on", ON.isoformat(), "--format", "json",
    )  # fmt: skip
    return result.exit_code, json.loads(result.stdout)


def test_dossier_of_an_invoice_past_the_last_step(folder: Path) -> None:
    _remind(folder, DUE + timedelta(days=STEP_DAYS[-1]))  # the collection step fires
    code, data = _export(folder, "S-1")
    assert code == 0, data
    [done] = data["exported"]
    dossier = Path(done["folder"])
    assert dossier == folder / "out" / "S-1"
    delivered = next((folder / "delivered").rglob("*S-1*.xml")).read_bytes()
    assert (dossier / "invoice.xml").read_bytes() == delivered
    copy = (dossier / "invoice.html").read_text(encoding="utf-8")
    assert "Invoice S-1" in copy and "Koffiehuis Noord B.V." in copy and "121.00 EUR" in copy

    summary = json.loads((dossier / "summary.json").read_text(encoding="utf-8"))
    left = Decimal("121.00") - PAID
    assert summary["open"] == str(left)
    assert summary["step"] == load_policy("nl-b2b").steps[-1].name
    assert summary["days_overdue"] == (ON - date(2026, 9, 1)).days
    assert summary["costs"] == "40.00"  # the B2B fixed compensation
    interest = statutory_interest(left, date(2026, 9, 1), ON, rates("commercial"))
    assert summary["interest"] == str(interest.total.quantize(Decimal("0.01")))
    assert sum(Decimal(p["amount"]) for p in summary["interest_periods"]) == interest.total
    claim = left + Decimal("40.00") + Decimal(summary["interest"])
    assert summary["claim"] == done["claim"] == str(claim)
    [payment] = summary["payments"]
    assert payment["bank_reference"] == "ACR-9" and payment["amount"] == "21.00"
    assert payment["booking_date"] == "2026-09-20"
    debtor = summary["debtor"]
    assert {"kind": "kvk", "value": "87654321"} in debtor["identifiers"]
    assert debtor["address"]["country"] == "NL" and debtor["address"]["city"]
    assert summary["files"] == {
        "ubl": "invoice.xml",
        "copy": "invoice.html",
        "summary": "summary.json",
    }
    names = load_policy("nl-b2b").steps
    fired = [(DUE + timedelta(days=step.days)).isoformat() for step in names if step.days > 0]
    assert [(r["step"], r["sent_on"]) for r in summary["reminders"]] == [
        (step.name, on) for step, on in zip([s for s in names if s.days > 0], fired, strict=True)
    ]
    first = summary["reminders"][0]
    assert first["channel"] == "recorded" and "recorded in the store" in first["proof"]
    for entry in summary["reminders"]:
        html, text = ((dossier / f).read_text(encoding="utf-8") for f in entry["files"])
        assert "S-1" in html and "S-1" in text and text.startswith("Subject: ")


def test_the_handover_stops_the_reminders_and_shows_in_the_documents_events(
    folder: Path,
) -> None:
    code, data = _export(folder, "S-1")  # the collection step is due: the export fires it
    assert code == 0, data
    summary = json.loads((folder / "out" / "S-1" / "summary.json").read_text(encoding="utf-8"))
    assert summary["reminders"][-1]["step"] == "collection"
    assert summary["reminders"][-1]["sent_on"] == ON.isoformat()
    later = _remind(folder, ON + timedelta(days=30))["S-1"]
    assert later["state"] == "stopped" and "handed over to collection on 2026-12-07" in str(
        later["reason"]
    )
    shown = ledgerlink(folder, "show", "S-1")
    assert shown.exit_code == 0 and "collection handover" in shown.output
    again, data = _export(folder, "S-1")  # written again, the handover kept
    assert again == 0 and data["exported"][0]["invoice"] == "S-1"
    shown = ledgerlink(folder, "show", "S-1")
    assert shown.output.count("collection handover") == 1


def test_a_paused_invoice_is_not_handed_over(folder: Path) -> None:
    paused = ledgerlink(folder, "reminders", "pause", "S-1", "--reason", "dispute")
    assert paused.exit_code == 0, paused.output
    code, data = _export(folder, "S-1")
    assert code == 1 and "paused: dispute" in data["failed"][0]["error"]


def test_one_invoice_that_cannot_go_does_not_stop_the_others(folder: Path) -> None:
    code, data = _export(folder, "S-2", "NOPE", "S-1")
    assert code == 1
    assert [done["invoice"] for done in data["exported"]] == ["S-1"]
    errors = {entry["invoice"]: entry["error"] for entry in data["failed"]}
    assert "at step 'reminder_1' of nl-b2b on 2026-12-07" in errors["S-2"]
    assert "the last step is 'collection'" in errors["S-2"]
    assert "not in the store" in errors["NOPE"]
    assert not (folder / "out" / "S-2").exists()


def test_a_settled_invoice_is_not_handed_over(folder: Path) -> None:
    rest = Transaction(
        booking_date=date(2026, 10, 1),
        amount=Decimal("100.00"),
        currency="EUR",
        counterparty=Counterparty(name="Koffiehuis Noord B.V.", iban="NL44RABO0123456789"),
        structured_reference=rf.create("S1"),
        bank_reference="ACR-10",
    )
    (folder / "rest.xml").write_bytes(camt053(ACCOUNT, [rest], statement_id="STMT-2"))
    assert ledgerlink(folder, "statements", "import", str(folder / "rest.xml")).exit_code == 0
    assert ledgerlink(folder, "reconcile").exit_code == 0
    code, data = _export(folder, "S-1")
    assert code == 1 and "nothing is open" in data["failed"][0]["error"]


def test_usage_errors(folder: Path) -> None:
    bad = ledgerlink(folder, "collection", "export", "S-1", "--to", "x", "--on", "7-12-2026")
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
    bad = ledgerlink(folder, "collection", "export", "S-1", "--to", "x", "--policy", "nope")
    assert bad.exit_code == 2 and "--policy" in bad.output


def test_a_number_two_documents_share_is_named_by_its_source_id(folder: Path) -> None:
    import ubl

    doc = replace(clean_invoice(), number="S-3", due_date=date(2026, 8, 1))
    (folder / "shop" / "S-3a.xml").write_bytes(ubl.write(doc, profile="peppol-bis3"))
    again = replace(doc, issue_date=date(2026, 7, 2))  # re-issued under the same number
    (folder / "shop" / "S-3b.xml").write_bytes(ubl.write(again, profile="peppol-bis3"))
    assert ledgerlink(folder, "sync").exit_code == 0
    code, data = _export(folder, "S-3")
    assert code == 1
    error = data["failed"][0]["error"]
    assert "S-3@S-3a.xml" in error and "S-3@S-3b.xml" in error and "NUMBER@SOURCE_ID" in error
    straight = folder / "straight.toml"  # one step: handed over 30 days after the due date
    straight.write_text(
        'market = "b2b"\n[[step]]\nname = "collection"\ndays = 30\ntype = "collection"\n',
        encoding="utf-8",
    )
    code, data = _export(folder, "S-3@S-3b.xml", "--policy", str(straight))
    assert code == 0, data
    assert data["exported"][0]["folder"] == str(folder / "out" / "S-3@S-3b.xml")
    code, data = _export(folder, "S-3@S-3a.xml", "--policy", str(straight))
    assert code == 0, data  # the other one beside it, not over it
    for source, issued in (("S-3a.xml", "2025-03-01"), ("S-3b.xml", "2026-07-02")):
        written = (folder / "out" / f"S-3@{source}" / "summary.json").read_text(encoding="utf-8")
        summary = json.loads(written)
        assert summary["source_id"] == source and summary["issue_date"] == issued


def test_an_invoice_the_rate_tables_do_not_cover_fails_alone(folder: Path) -> None:
    _invoice(folder / "shop", "OLD-1", date(2012, 1, 31))  # before the tables' first rates
    assert ledgerlink(folder, "sync").exit_code == 0
    _remind(folder, DUE + timedelta(days=STEP_DAYS[-1]))
    code, data = _export(folder, "OLD-1", "S-1")
    assert code == 1
    assert [done["invoice"] for done in data["exported"]] == ["S-1"]
    [failed] = data["failed"]
    assert failed["invoice"] == "OLD-1" and "not reminded" in failed["error"]


def test_a_last_step_that_is_a_letter_must_have_fired(folder: Path) -> None:
    ending = folder / "ending.toml"  # the policy ends with a final notice, no handover step
    ending.write_text(
        'extend = "nl-b2b"\n[[step]]\nname = "collection"\nremove = true\n', encoding="utf-8"
    )
    code, data = _export(folder, "S-1", "--policy", str(ending))
    assert code == 0, data  # S-1's final notice fired in the fixture
    _invoice(folder / "shop", "S-4", date(2026, 11, 1))  # final notice due, not fired
    assert ledgerlink(folder, "sync").exit_code == 0
    code, data = _export(folder, "S-4", "--policy", str(ending))
    assert code == 1 and "the last step is 'final_notice'" in data["failed"][0]["error"]
