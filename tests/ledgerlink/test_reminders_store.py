"""``ledgerlink reminders`` on the store, as a user runs it: invoices synced from two
connections into a SQLite store, then the day's run, reruns, dry runs and later days. Each
step fires once per invoice; the amounts are checked against the WIK staffel written
apart and against the 14-day letter's dates counted by hand."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from support.profile_documents import BUYER, clean_invoice
from support.two_shops import ledgerlink, make_folder, write

from model.document import Contact, Identifier, Party

pytestmark = pytest.mark.usefixtures("artifacts_cache")
ON = date(2026, 12, 7)  # a Monday
CONSUMER = Party(
    name="J. de Vries",
    address=BUYER.address,
    endpoint=Identifier(value="8712345000004", scheme="0088"),  # e.g. a portal address
    contact=Contact(email="j.devries@example.nl"),
)
"""A buyer without VAT id or KvK number: a consumer under ``market = "auto"``."""


def _invoice(folder: Path, number: str, due: date, buyer: Party = BUYER) -> None:
    doc = replace(
        clean_invoice(),  # 121.00
        number=number,
        issue_date=due - timedelta(days=30),
        due_date=due,
        buyer=buyer,
    )
    write(folder, doc)


def _folder(root: Path, extra: str = "") -> Path:
    make_folder(root, {})
    settings = root / "ledgerlink.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8") + '[reminders]\nmarket = "auto"\n' + extra,
        encoding="utf-8",
    )
    return root


def _sync(root: Path) -> None:
    synced = ledgerlink(root, "sync", "--format", "json")
    assert synced.exit_code == 0, synced.output


def _run(root: Path, on: date, *args: str) -> dict[str, Any]:
    result = ledgerlink(root, "reminders", "--on", on.isoformat(), "--format", "json", *args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _rows(root: Path) -> list[tuple[str, str, date]]:
    engine = create_engine(f"sqlite:///{root / 'ledgerlink.db'}")
    with engine.connect() as conn:
        from sync.store.schema import reminders

        found = [
            (r.number, r.step, r.fired_on)
            for r in conn.execute(select(reminders).order_by(reminders.c.id))
        ]
    engine.dispose()
    return found


@pytest.fixture
def shops(tmp_path: Path) -> Path:
    root = _folder(tmp_path)
    _invoice(root / "shop", "S-1", ON - timedelta(days=7))  # reminder_1 today
    _invoice(root / "shop", "S-2", ON + timedelta(days=5))  # pre-due today
    _invoice(root / "shop", "S-3", ON - timedelta(days=3))  # waiting for reminder_1
    _invoice(root / "shop", "S-4", ON - timedelta(days=60))  # old: reminder_1 first
    _invoice(root / "shop", "S-5", ON + timedelta(days=20))  # not due, nothing
    _sync(root)
    return root


def test_each_step_fires_once_and_a_rerun_fires_nothing(shops: Path) -> None:
    first = _run(shops, ON)
    by = {r["invoice"]: r for r in first["reminders"]}
    assert set(by) == {"S-1", "S-2", "S-3", "S-4"}
    fired = {n: by[n]["step"] for n in by if by[n]["fires"]}
    assert fired == {"S-1": "reminder_1", "S-2": "pre_due", "S-4": "reminder_1"}
    assert all(by[n]["recorded"] for n in fired) and not by["S-3"]["recorded"]
    assert (by["S-3"]["state"], by["S-3"]["next_on"]) == ("waiting", "2026-12-11")
    # the pre-due reminder, not overdue: no costs (the EUR 40 is owed after the due date)
    assert (by["S-2"]["days_overdue"], by["S-2"]["costs"], by["S-2"]["interest"]) == (
        -5, "0.00", "0.00",
    )  # fmt: skip
    # the old one does not skip reminder_1: the aanmaning follows 7 days after it
    assert (by["S-4"]["next_step"], by["S-4"]["next_on"]) == ("aanmaning", "2026-12-14")
    assert sorted(_rows(shops)) == [
        ("S-1", "reminder_1", ON), ("S-2", "pre_due", ON), ("S-4", "reminder_1", ON),
    ]  # fmt: skip
    again = _run(shops, ON)
    assert not any(r["fires"] or r["recorded"] for r in again["reminders"])
    s1 = next(r for r in again["reminders"] if r["invoice"] == "S-1")
    assert (s1["step"], s1["fired_on"], s1["state"]) == ("reminder_1", ON.isoformat(), "waiting")
    assert _run(shops, ON, "--due-today")["reminders"] == []
    assert len(_rows(shops)) == 3


def test_dry_run_records_nothing_and_due_today_shows_what_fires(shops: Path) -> None:
    dry = _run(shops, ON, "--dry-run", "--due-today")
    assert dry["dry_run"] is True
    assert sorted(r["invoice"] for r in dry["reminders"]) == ["S-1", "S-2", "S-4"]
    assert not any(r["recorded"] for r in dry["reminders"])
    assert _rows(shops) == []
    assert len(_run(shops, ON, "--due-today")["reminders"]) == 3


def test_later_days_fire_the_next_steps_in_order_and_keep_their_spacing(shops: Path) -> None:
    def fires(days: int) -> list[tuple[str, str]]:
        found = _run(shops, ON + timedelta(days=days), "--due-today")["reminders"]
        return sorted((r["invoice"], r["step"]) for r in found)

    assert len(fires(0)) == 3
    # S-3's reminder_1 was due on day 4; the run of day 6 is the first to see it
    assert fires(6) == [("S-3", "reminder_1")]
    assert fires(7) == [("S-1", "aanmaning"), ("S-4", "aanmaning")]
    # S-2 (due day 5) reaches reminder_1; S-3's aanmaning (due day 11) waits 7 days after
    # its reminder_1 of day 6
    assert fires(12) == [("S-2", "reminder_1")]
    assert fires(13) == [("S-3", "aanmaning")]
    assert fires(13) == []
    steps = [(n, s) for n, s, _ in _rows(shops)]
    assert len(steps) == len(set(steps)) == 8


def test_a_consumer_gets_the_fourteen_day_letter_with_wik_costs_and_its_end_date(
    tmp_path: Path,
) -> None:
    root = _folder(tmp_path)
    _invoice(root / "erp", "C-1", ON - timedelta(days=14), buyer=CONSUMER)
    _sync(root)
    first = _run(root, ON - timedelta(days=7))["reminders"]
    assert [(r["step"], r["market"], r["costs"]) for r in first] == [("reminder_1", "b2c", "0.00")]
    (letter,) = _run(root, ON)["reminders"]
    assert (letter["step"], letter["policy"], letter["fires"]) == (
        "veertiendagenbrief",
        "nl-b2c",
        True,
    )
    # WIK on 121.00: 15 % is 18.15, under the EUR 40 minimum
    assert letter["costs"] == "40.00"
    # sent Monday 7 December, received 2 business days later (Wednesday 9), 14 days from
    # the day after: the last day is 23 December
    assert letter["pay_by"] == "2026-12-23"
    # the final notice: day 35 after the due date (28 December), after the term's end
    assert (letter["next_step"], letter["next_on"]) == ("final_notice", "2026-12-28")
    table = list(csv.DictReader(io.StringIO(ledgerlink(root, "reminders", "--on", ON.isoformat(),
                                                       "--format", "csv").stdout)))  # fmt: skip
    assert (table[0]["pay_by"], table[0]["state"], table[0]["fires"]) == (
        "2026-12-23", "waiting", "false",
    )  # fmt: skip


def test_per_debtor_market_and_a_policy_file(tmp_path: Path) -> None:
    policy = tmp_path / "slow.toml"
    policy.write_text(
        'extend = "nl-b2b"\n[[step]]\nname = "reminder_1"\ndays = 10\n', encoding="utf-8"
    )
    root = _folder(tmp_path, 'policy = "slow.toml"\n[reminders.debtors]\n"kvk:87654321" = "b2c"\n')
    _invoice(root / "shop", "S-1", ON - timedelta(days=10))
    _sync(root)
    (row,) = _run(root, ON)["reminders"]
    assert (row["policy"], row["step"]) == ("nl-b2c", "reminder_1")  # listed: consumer
    # --policy applies one policy to every debtor
    (row,) = _run(root, ON + timedelta(days=1), "--policy", str(policy), "--dry-run")["reminders"]
    assert (row["policy"], row["state"]) == ("slow", "waiting")


def test_text_output_says_why(shops: Path) -> None:
    result = ledgerlink(shops, "reminders", "--on", ON.isoformat(), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run: nothing recorded or sent" in result.stdout
    assert "fires: reminder_1 due on 2026-12-07" in result.stdout
    assert "waiting: next: reminder_1 on 2026-12-11" in result.stdout


def test_a_bad_reminders_table_names_the_key(tmp_path: Path) -> None:
    root = _folder(tmp_path, 'colour = "red"\n')
    result = ledgerlink(root, "reminders", "--on", ON.isoformat())
    assert result.exit_code == 2
    assert "colour" in result.output


def test_money_is_decimal_text(shops: Path) -> None:
    rows = _run(shops, ON)["reminders"]
    assert all(Decimal(r["open"]) == Decimal("121.00") for r in rows)


def test_a_new_version_of_the_invoice_does_not_fire_its_steps_again(shops: Path) -> None:
    from model.document import Note

    first = _run(shops, ON)
    assert next(r for r in first["reminders"] if r["invoice"] == "S-1")["recorded"]
    due = ON - timedelta(days=7)
    changed = replace(
        clean_invoice(),
        number="S-1",
        issue_date=due - timedelta(days=30),
        due_date=due,
        notes=(Note(text="Corrected delivery address"),),
    )
    write(shops / "shop", changed)
    synced = ledgerlink(shops, "sync", "--format", "json")
    assert synced.exit_code == 0, synced.output
    engine = create_engine(f"sqlite:///{shops / 'ledgerlink.db'}")
    with engine.connect() as conn:
        from sync.store.schema import documents

        versions = conn.execute(select(documents.c.id).where(documents.c.number == "S-1")).all()
    engine.dispose()
    assert len(versions) == 2  # the source's new version is a new document row
    again = next(r for r in _run(shops, ON)["reminders"] if r["invoice"] == "S-1")
    assert (again["recorded"], again["step"], again["state"]) == (False, "reminder_1", "waiting")
    assert [s for n, s, _ in _rows(shops) if n == "S-1"] == ["reminder_1"]


def test_an_invoice_the_rate_tables_do_not_cover_is_named_and_the_rest_goes_on(
    tmp_path: Path,
) -> None:
    root = _folder(tmp_path)
    _invoice(root / "shop", "OLD-1", date(2015, 6, 30))  # before the commercial rate table
    _invoice(root / "shop", "S-1", ON - timedelta(days=7))
    _sync(root)
    result = ledgerlink(root, "reminders", "--on", ON.isoformat(), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [r["invoice"] for r in data["reminders"]] == ["S-1"]
    (problem,) = data["problems"]
    assert problem.startswith("OLD-1 (shop): ") and "commercial_interest.toml" in problem
    assert "OLD-1 (shop)" in result.stderr
    assert _rows(root) == [("S-1", "reminder_1", ON)]
