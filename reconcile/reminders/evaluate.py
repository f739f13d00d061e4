"""The step each overdue invoice has reached on a date, with what its letter states.

Without a reminder history (the store-free mode) each invoice is at the step its days
overdue give (:meth:`Policy.step_at`). The costs are what that step's letter states: for
``fixed`` the B2B compensation, for ``wik`` the WIK amount on the open amount from the
``costs_from`` step on (0.00 before it). The interest runs from the day after the due date
(BT-9) to the date, inclusive, on the open amount.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from reconcile.open_items import ItemKind, OpenItem
from reconcile.reminders.costs import collection_costs
from reconcile.reminders.interest import Interest, statutory_interest
from reconcile.reminders.letter import FourteenDayLetter, fourteen_day_letter
from reconcile.reminders.policy import Policy, Step
from reconcile.reminders.rates import rates

__all__ = ["Reminder", "Skipped", "evaluate", "letter_costs", "step_costs", "step_interest"]

_ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Reminder:
    """One overdue invoice on the evaluation date."""

    item: OpenItem
    days_overdue: int
    step: Step | None
    """The step reached; ``None`` before the policy's first step."""
    costs: Decimal
    interest: Interest
    letter: FourteenDayLetter | None = None
    """The 14-day letter, once its step is reached (B2C)."""

    @property
    def due_date(self) -> date:
        assert self.item.due_date is not None
        return self.item.due_date

    @property
    def step_name(self) -> str:
        return self.step.name if self.step is not None else "none"

    @property
    def fires_today(self) -> bool:
        """Whether the step was reached on the evaluation date itself."""
        return self.step is not None and self.step.days == self.days_overdue


@dataclass(frozen=True, slots=True)
class Skipped:
    """An open invoice that cannot be evaluated, and why."""

    number: str
    reason: str


def step_interest(policy: Policy, item: OpenItem, due: date, on: date) -> Interest:
    """The policy's interest on the open amount from the day after ``due`` to ``on``."""
    if policy.interest == "none":
        return Interest(start=due + timedelta(days=1), end=on, periods=())
    return statutory_interest(item.open, due, on, rates(policy.interest))


def step_costs(policy: Policy, item: OpenItem, step: Step | None, due: date) -> Decimal:
    """What the letter of ``step`` states as costs on the open amount (0.00: none)."""
    if not policy.states_costs(step):
        return _ZERO
    table = collection_costs()
    if policy.costs == "fixed":
        return table.fixed(on=due + timedelta(days=1))
    assert step is not None
    return table.wik(item.open, vat_percent=policy.vat_on_costs, on=due + timedelta(step.days))


def _letter(policy: Policy, item: OpenItem, days: int, due: date) -> FourteenDayLetter | None:
    step = policy.fourteen_day_letter
    if step is None or step.days > days:
        return None
    sent = due + timedelta(days=step.days)
    return fourteen_day_letter(
        sent, item.open, letter_costs(policy, item, sent), receipt_days=policy.receipt_days
    )


def letter_costs(policy: Policy, item: OpenItem, sent: date) -> Decimal:
    """The WIK costs a 14-day letter sent on ``sent`` states (0.00 without WIK costs)."""
    if policy.costs != "wik":
        return _ZERO
    return collection_costs().wik(item.open, vat_percent=policy.vat_on_costs, on=sent)


def evaluate(
    items: Iterable[OpenItem], on: date, policy: Policy
) -> tuple[list[Reminder], list[Skipped]]:
    """Every invoice with an amount still open after its due date, at the step it has
    reached on ``on``, in due-date then number order; and the open invoices without a due
    date (BT-9), which cannot be evaluated. Credit notes are not reminded."""
    found: list[Reminder] = []
    skipped: list[Skipped] = []
    for item in items:
        if item.kind is ItemKind.CREDIT_NOTE or item.open <= 0:
            continue
        if item.due_date is None:
            skipped.append(Skipped(item.number, "no payment due date (BT-9)"))
            continue
        days = (on - item.due_date).days
        if days < 1:
            continue
        step = policy.step_at(days)
        found.append(
            Reminder(
                item=item,
                days_overdue=days,
                step=step,
                costs=step_costs(policy, item, step, item.due_date),
                interest=step_interest(policy, item, item.due_date, on),
                letter=_letter(policy, item, days, item.due_date),
            )
        )
    found.sort(key=lambda r: (r.due_date, r.item.number))
    return found, skipped
