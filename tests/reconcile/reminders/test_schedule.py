"""With a history of fired steps: which step fires on a day, or why none does."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from reconcile.open_items import ItemKind, OpenItem
from reconcile.reminders import Fired, Hold, decide, load_policy

ON = date(2026, 12, 7)  # a Monday


def _item(days: int, open_: str = "121.00") -> OpenItem:
    return OpenItem(
        number="INV-1",
        kind=ItemKind.INVOICE,
        debtor="0106:12345678",
        debtor_name="Jan Jansen",
        currency="EUR",
        amount=Decimal("121.00"),
        open=Decimal(open_),
        issue_date=date(2026, 1, 1),
        due_date=ON - timedelta(days=days),
    )


def test_steps_fire_in_order_and_none_is_skipped() -> None:
    policy = load_policy("nl-b2b")
    first = decide(_item(40), ON, policy)
    assert first is not None and first.fires is not None
    assert first.fires.name == "reminder_1"  # not the final notice its 40 days would give
    assert (first.next_step and first.next_step.name, first.next_on) == (
        "aanmaning",
        ON + timedelta(7),
    )
    later = decide(_item(40), ON + timedelta(6), policy, [Fired("reminder_1", ON)])
    assert later is not None and (later.state, later.fires) == ("waiting", None)
    assert later.reminder.step is not None and later.reminder.step.name == "reminder_1"


def test_a_pre_due_step_is_passed_over_once_the_due_date_has_passed() -> None:
    policy = load_policy("nl-b2b")
    before = decide(_item(-5), ON, policy)
    assert before is not None and before.fires is not None and before.fires.name == "pre_due"
    assert before.reminder.costs == Decimal("0.00")  # the EUR 40 is owed after the due date
    assert decide(_item(-6), ON, policy) is None
    overdue = decide(_item(3), ON, policy)
    assert overdue is not None and overdue.next_step is not None
    assert (overdue.state, overdue.next_step.name) == ("waiting", "reminder_1")


def test_a_step_after_the_fourteen_day_letter_waits_for_its_term(tmp_path: Path) -> None:
    path = tmp_path / "quick.toml"
    path.write_text(
        'extend = "nl-b2c"\n[[step]]\nname = "final_notice"\ndays = 16\n'
        '[[step]]\nname = "collection"\nremove = true\n',
        encoding="utf-8",
    )
    policy = load_policy(path)
    letter_day = ON - timedelta(days=2)  # a Saturday: received Tuesday 8 December
    fired = [Fired("reminder_1", ON - timedelta(9)), Fired("veertiendagenbrief", letter_day)]
    decision = decide(_item(16), ON, policy, fired)
    assert decision is not None and decision.fires is None
    assert decision.reminder.letter is not None
    assert decision.reminder.letter.last_day_to_pay == date(2026, 12, 22)
    assert decision.next_on == date(2026, 12, 23)  # the day after the term, not day 16
    assert decision.reminder.costs == Decimal("40.00")  # what the letter stated


def test_a_hold_fires_nothing_and_says_why() -> None:
    policy = load_policy("nl-b2b")
    decision = decide(_item(7), ON, policy, (), Hold("paused", "promise", ON + timedelta(3)))
    assert decision is not None and decision.fires is None
    assert (decision.state, decision.reason) == ("paused", "paused: promise until 2026-12-10")
    stopped = decide(_item(7), ON, policy, (), Hold("stopped", "invoice response RE (rejected)"))
    assert stopped is not None and stopped.state == "stopped"


def test_a_partial_payment_lowers_the_next_letter() -> None:
    policy = load_policy("nl-b2c")
    fired = [Fired("reminder_1", ON - timedelta(7))]
    full = decide(_item(14), ON, policy, fired)
    part = decide(_item(14, "60.50"), ON, policy, fired)
    assert full is not None and part is not None
    assert part.reminder.interest.total < full.reminder.interest.total
    assert part.reminder.letter is not None and part.reminder.letter.amount == Decimal("60.50")
