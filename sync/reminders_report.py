"""The reminders report of the store: what fired per step, where it went, what is paused.

Read by ``ledgerlink report reminders`` (:mod:`ledgerlink.report_command`): every
``reminders`` row fired on or before the day (since a day, if given), per step the number
fired and the amounts their letters stated, per output the states reached, and the pauses
in force on the day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from sync.store.schema import connections, reminder_pauses, reminders

__all__ = ["FiredReminder", "ReminderReport", "StepTotal", "reminder_report"]


@dataclass(frozen=True, slots=True)
class FiredReminder:
    connection: str
    invoice: str
    step: str
    step_type: str
    policy: str
    fired_on: date
    days_overdue: int
    currency: str
    open: Decimal
    costs: Decimal
    interest: Decimal
    webhook: str | None
    email: str | None


@dataclass
class StepTotal:
    step: str
    step_type: str
    fired: int = 0
    open: dict[str, Decimal] = field(default_factory=dict)
    """Per currency: the open amounts the letters stated."""
    costs: Decimal = Decimal("0.00")
    interest: dict[str, Decimal] = field(default_factory=dict)
    first_day: int = 0
    """The fewest days overdue it fired at: orders the steps as the policies do."""


@dataclass(frozen=True, slots=True)
class ReminderReport:
    on: date
    since: date | None
    fired: list[FiredReminder]
    steps: list[StepTotal]
    outputs: dict[str, dict[str, int]]
    paused: list[dict[str, Any]]


def _cents(value: Any) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def reminder_report(conn: Connection, on: date, since: date | None = None) -> ReminderReport:
    """The report for ``on`` (reminders fired up to it, from ``since`` on)."""
    query = (
        select(reminders, connections.c.name.label("connection"))
        .join(connections, connections.c.id == reminders.c.connection_id)
        .where(reminders.c.fired_on <= on)
        .order_by(reminders.c.fired_on, reminders.c.number, reminders.c.id)
    )
    if since is not None:
        query = query.where(reminders.c.fired_on >= since)
    fired = [
        FiredReminder(
            connection=row.connection,
            invoice=row.number,
            step=row.step,
            step_type=row.step_type,
            policy=row.policy,
            fired_on=row.fired_on,
            days_overdue=row.days_overdue,
            currency=row.currency,
            open=_cents(row.open),
            costs=_cents(row.costs),
            interest=_cents(row.interest),
            webhook=row.webhook_state,
            email=row.email_state,
        )
        for row in conn.execute(query)
    ]
    steps: dict[str, StepTotal] = {}
    outputs: dict[str, dict[str, int]] = {}
    for entry in fired:
        total = steps.get(entry.step)
        if total is None:
            total = steps[entry.step] = StepTotal(
                entry.step, entry.step_type, first_day=entry.days_overdue
            )
        total.fired += 1
        total.first_day = min(total.first_day, entry.days_overdue)
        total.open[entry.currency] = total.open.get(entry.currency, Decimal("0.00")) + entry.open
        total.costs += entry.costs
        total.interest[entry.currency] = (
            total.interest.get(entry.currency, Decimal("0.00")) + entry.interest
        )
        for name, state in (("webhook", entry.webhook), ("email", entry.email)):
            if state is not None:
                per = outputs.setdefault(name, {})
                per[state] = per.get(state, 0) + 1
    paused = [
        {
            "connection": row.connection,
            "invoice": row.number,
            "reason": row.reason,
            "until": row.until.isoformat() if row.until else None,
            "note": row.note,
        }
        for row in conn.execute(
            select(reminder_pauses, connections.c.name.label("connection"))
            .join(connections, connections.c.id == reminder_pauses.c.connection_id)
            .where(reminder_pauses.c.resumed_at.is_(None))
            .where(reminder_pauses.c.until.is_(None) | (reminder_pauses.c.until >= on))
            .order_by(reminder_pauses.c.number, reminder_pauses.c.id)
        )
    ]
    ordered = sorted(steps.values(), key=lambda s: (s.first_day, s.step))
    return ReminderReport(on, since, fired, ordered, outputs, paused)
