"""The step reached on a date, per invoice, without a reminder history."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from reconcile.open_items import ItemKind, OpenItem
from reconcile.reminders import evaluate, load_policy

ON = date(2026, 12, 7)


def _item(number: str, days: int | None, open_: str = "121.00", **extra: object) -> OpenItem:
    fields: dict[str, object] = {
        "number": number,
        "kind": ItemKind.INVOICE,
        "debtor": "0106:12345678",
        "debtor_name": "Jan Jansen",
        "currency": "EUR",
        "amount": Decimal("121.00"),
        "open": Decimal(open_),
        "issue_date": date(2026, 1, 1),
        "due_date": None if days is None else ON - timedelta(days=days),
    }
    fields.update(extra)
    return OpenItem(**fields)  # type: ignore[arg-type]


def test_steps_by_days_overdue_and_what_is_left_out() -> None:
    policy = load_policy("nl-b2c")
    items = [
        _item("late", 14),
        _item("paid", 30, "0.00"),
        _item("not-due", 0),
        _item("credit", 30, kind=ItemKind.CREDIT_NOTE),
        _item("undated", None),
        _item("first", 1),
    ]
    found, skipped = evaluate(items, ON, policy)
    assert [(r.item.number, r.step_name, r.fires_today) for r in found] == [
        ("late", "veertiendagenbrief", True),
        ("first", "pre_due", False),
    ]
    assert [(s.number, s.reason) for s in skipped] == [("undated", "no payment due date (BT-9)")]
    late = found[0]
    assert late.letter is not None
    assert late.letter.sent == ON
    assert late.letter.costs == late.costs == Decimal("40.00")
    assert found[1].letter is None and found[1].costs == Decimal("0.00")


def test_a_policy_without_interest_or_costs(tmp_path: Path) -> None:
    path = tmp_path / "soft.toml"
    path.write_text('extend = "nl-b2b"\ninterest = "none"\ncosts = "none"\n', encoding="utf-8")
    (reminder,), _ = evaluate([_item("x", 100)], ON, load_policy(path))
    assert reminder.interest.periods == () and reminder.interest.total == Decimal("0.00")
    assert reminder.costs == Decimal("0.00")
    assert reminder.step_name == "collection"
