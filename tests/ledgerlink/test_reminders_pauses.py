"""Pauses and stops of the reminder triggers, on the store: ``ledgerlink reminders
pause|resume`` as a user types them, Peppol Invoice Responses recorded by the sync engine's
own answer path (UQ and CA pause, RE stops, AP lifts), and payments from an imported
statement (a full one ends the reminders, a partial one lowers the next letter)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from support.camt_writer import camt053
from support.profile_documents import clean_invoice
from support.two_shops import ACCOUNT, ledgerlink, make_folder, write

from delivery.base import DeliveryState, StatusEvent
from model.identifiers import rf
from reconcile.transaction import Counterparty, Transaction
from sync.answers import apply_status
from sync.store import open_store
from sync.store.schema import documents, outbox

pytestmark = pytest.mark.usefixtures("artifacts_cache")
ON = date(2026, 12, 7)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = make_folder(tmp_path, {})
    for number, days in (("S-1", 7), ("S-2", 7)):
        due = ON - timedelta(days=days)
        means = replace(clean_invoice().payment_means[0], remittance_info=rf.create(number[2:]))
        doc = replace(
            clean_invoice(),
            number=number,
            issue_date=due - timedelta(days=30),
            due_date=due,
            payment_means=(means,),
        )
        write(root / "shop", doc)
    result = ledgerlink(root, "sync")
    assert result.exit_code == 0, result.output
    return root


def _run(root: Path, on: date = ON, *args: str) -> dict[str, dict[str, Any]]:
    result = ledgerlink(root, "reminders", "--on", on.isoformat(), "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return {r["invoice"]: r for r in json.loads(result.stdout)["reminders"]}


def _answer(root: Path, number: str, code: str, response_id: str) -> None:
    with open_store(f"sqlite:///{root / 'ledgerlink.db'}") as store, store.begin() as conn:
        row = conn.execute(
            select(outbox.c.id, outbox.c.document_id)
            .join(documents, documents.c.id == outbox.c.document_id)
            .where(documents.c.number == number)
        ).one()
        state = {"RE": DeliveryState.REJECTED, "AP": DeliveryState.ACCEPTED}.get(
            code, DeliveryState.DELIVERED
        )
        status = StatusEvent(
            state=state, kind="invoice-response", code=code, response_id=response_id
        )
        apply_status(conn, row.id, row.document_id, "archive", status, [])


def test_a_promise_pauses_until_its_day_and_resume_ends_a_dispute(shop: Path) -> None:
    paused = ledgerlink(
        shop, "reminders", "pause", "S-1", "--reason", "promise", "--until", "2026-12-09",
        "--note", "belt: betaalt woensdag",
    )  # fmt: skip
    assert paused.exit_code == 0, paused.output
    assert "S-1 (shop): reminders paused (promise) until 2026-12-09" in paused.stdout
    rows = _run(shop)
    assert (rows["S-1"]["state"], rows["S-1"]["fires"]) == ("paused", False)
    assert rows["S-1"]["reason"] == "paused: promise until 2026-12-09"
    assert rows["S-2"]["fires"] is True
    # the day after the promise's last day it fires: reminder_1, not skipped
    later = _run(shop, ON + timedelta(days=3))
    assert (later["S-1"]["step"], later["S-1"]["recorded"]) == ("reminder_1", True)
    # a dispute holds until resumed
    assert ledgerlink(shop, "reminders", "pause", "S-2", "--reason", "dispute").exit_code == 0
    assert _run(shop, ON + timedelta(days=14))["S-2"]["state"] == "paused"
    resumed = ledgerlink(shop, "reminders", "resume", "S-2")
    assert "S-2 (shop): 1 pause ended" in resumed.stdout
    assert _run(shop, ON + timedelta(days=14))["S-2"]["step"] == "aanmaning"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["pause", "S-9", "--reason", "dispute"], "no stored invoice 'S-9'"),
        (["pause", "S-1", "--reason", "holiday"], "--reason must be one of dispute, promise, plan"),
        (["pause", "S-1", "--reason", "plan", "--until", "9-12"], "YYYY-MM-DD"),
        (["resume", "S-1", "--connection", "erp"], "no stored invoice 'S-1' in connection 'erp'"),
    ],
)
def test_pause_errors(shop: Path, args: list[str], message: str) -> None:
    result = ledgerlink(shop, "reminders", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_invoice_responses_uq_and_ca_pause_re_stops_ap_lifts(shop: Path) -> None:
    _answer(shop, "S-1", "UQ", "r1")
    _answer(shop, "S-2", "CA", "r2")
    rows = _run(shop, ON, "--dry-run")
    assert rows["S-1"]["reason"] == "paused: invoice response UQ"
    assert rows["S-2"]["reason"] == "paused: invoice response CA"
    _answer(shop, "S-1", "AP", "r3")
    _answer(shop, "S-2", "RE", "r4")
    rows = _run(shop)
    assert (rows["S-1"]["state"], rows["S-1"]["recorded"]) == ("fires", True)
    assert rows["S-2"]["state"] == "stopped"
    assert _run(shop, ON + timedelta(days=30))["S-2"]["step"] == "none"


def test_a_payment_ends_the_reminders_and_a_partial_one_lowers_the_next_letter(
    shop: Path,
) -> None:
    first = _run(shop)
    assert first["S-1"]["open"] == "121.00" and first["S-1"]["recorded"]

    def paid(number: str, amount: str, ref: str) -> Transaction:
        return Transaction(
            booking_date=ON + timedelta(days=2),
            amount=Decimal(amount),
            currency="EUR",
            counterparty=Counterparty(name="Koffiehuis Noord B.V.", iban="NL44RABO0123456789"),
            structured_reference=rf.create(number[2:]),
            bank_reference=ref,
        )

    statement = camt053(ACCOUNT, [paid("S-1", "121.00", "ACR-1"), paid("S-2", "21.00", "ACR-2")])
    (shop / "day.xml").write_bytes(statement)
    assert ledgerlink(shop, "statements", "import", str(shop / "day.xml")).exit_code == 0
    matched = ledgerlink(shop, "reconcile", "--format", "json", "--tolerance", "0")
    assert matched.exit_code == 0, matched.output
    week = _run(shop, ON + timedelta(days=7))
    assert "S-1" not in week  # paid: nothing more
    assert (week["S-2"]["step"], week["S-2"]["open"]) == ("aanmaning", "100.00")
    # commercial interest on what is open: 100.00 x 10.15 % x 14 days (1 to 14 December) / 365
    expected = (Decimal("100.00") * Decimal("10.15") / 100 * 14 / 365).quantize(Decimal("0.01"))
    assert week["S-2"]["interest"] == str(expected)
