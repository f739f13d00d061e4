"""With a reminder history: which step fires for an invoice on a day, or why none does.

The store mode of ``ledgerlink reminders`` keeps every step that fired (:class:`Fired`).
Steps fire in the policy's order, each once, and none is skipped (a consumer must have had
the 14-day letter before anything that states costs):

* the next step is the first one after the last step that fired. It is due on the due
  date (BT-9) plus its ``days``, and no earlier than the last firing plus the policy's
  spacing between the two steps (so that after a pause, or a first run over old invoices,
  the letters keep their intervals);
* a step after the fourteen-day letter fires no earlier than the day the letter's term
  has passed (:attr:`FourteenDayLetter.costs_from`, from the day the letter fired);
* a pre-due step (negative ``days``) fires only before the due date; once it has passed
  the step is passed over;
* a :class:`Hold` (a pause: dispute, promise to pay, payment plan, Peppol Invoice
  Response UQ or CA; or a stop: Invoice Response RE, a rejected document) fires nothing.

The amounts are those of the open amount on the day (a partial payment lowers them): the
costs the step's letter states and the interest from the day after the due date to the day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from reconcile.open_items import OpenItem
from reconcile.reminders.evaluate import Reminder, letter_costs, step_costs, step_interest
from reconcile.reminders.letter import FourteenDayLetter, fourteen_day_letter
from reconcile.reminders.policy import Policy, Step

__all__ = ["Decision", "Fired", "Hold", "decide"]


@dataclass(frozen=True, slots=True)
class Fired:
    """A step that fired for the invoice, and the day it did."""

    step: str
    on: date


@dataclass(frozen=True, slots=True)
class Hold:
    """Why an invoice's triggers do not fire: ``paused`` (they resume) or ``stopped``."""

    kind: str
    reason: str
    """``dispute``, ``promise``, ``plan``, ``invoice response UQ`` ..."""
    until: date | None = None
    """The last day of a pause that ends by itself (a promise to pay until a date)."""

    @property
    def text(self) -> str:
        return f"{self.kind}: {self.reason}" + (f" until {self.until}" if self.until else "")


@dataclass(frozen=True, slots=True)
class Decision:
    """One invoice on the day: the step it is at, and whether a step fires now."""

    reminder: Reminder
    """At the step firing now, else the last step that fired (``none`` before any); no
    costs before the due date has passed."""
    fires: Step | None
    state: str
    """``fires``, ``waiting`` (the next step is not due yet), ``paused``, ``stopped`` or
    ``done`` (the last step has fired)."""
    reason: str
    """Why, in words."""
    last: Fired | None
    """The last step that fired (the one firing now included)."""
    next_step: Step | None
    """The step after it; None when the last step has fired."""
    next_on: date | None
    """The day the next step is due (it fires on the first run from then on)."""


@lru_cache(maxsize=64)
def _order(policy: Policy) -> dict[str, int]:
    """Each step's index in the policy (computed once per policy)."""
    return {step.name: index for index, step in enumerate(policy.steps)}


@lru_cache(maxsize=64)
def _letter_step(policy: Policy) -> Step | None:
    return policy.fourteen_day_letter


def _letter(
    policy: Policy, item: OpenItem, fired: dict[str, date], firing: Step | None, on: date
) -> FourteenDayLetter | None:
    step = _letter_step(policy)
    if step is None:
        return None
    sent = fired.get(step.name) or (on if firing == step else None)
    if sent is None:
        return None
    return fourteen_day_letter(
        sent, item.open, letter_costs(policy, item, sent), receipt_days=policy.receipt_days
    )


def _upcoming(
    policy: Policy,
    item: OpenItem,
    days: int,
    done: dict[str, date],
    on: date,
) -> tuple[tuple[Step, date] | None, Step | None, date | None]:
    """The last step that fired (with its day), the next step and the day it is due: the
    due date plus its days, no earlier than the last firing plus the spacing, and after the
    14-day letter's term for a step that follows the letter."""
    assert item.due_date is not None
    order = _order(policy)
    steps = policy.steps
    last_name = max(done, key=order.__getitem__) if done else None
    last = (steps[order[last_name]], done[last_name]) if last_name else None
    upcoming = next(
        (
            step
            for step in steps[(order[last_name] + 1 if last_name else 0) :]
            if not (step.days < 0 and days > 0)
        ),
        None,
    )
    if upcoming is None:
        return last, None, None
    when = item.due_date + timedelta(days=upcoming.days)
    if last is not None:
        when = max(when, last[1] + timedelta(days=upcoming.days - last[0].days))
    letter_step = _letter_step(policy)
    if letter_step is not None and upcoming.days > letter_step.days and letter_step.name in done:
        letter = _letter(policy, item, done, None, on)
        assert letter is not None
        when = max(when, letter.costs_from)
    return last, upcoming, when


def decide(
    item: OpenItem,
    on: date,
    policy: Policy,
    fired: Sequence[Fired] = (),
    hold: Hold | None = None,
    *,
    only_firing: bool = False,
) -> Decision | None:
    """The invoice on ``on`` given the steps that fired for it; None when it is not due yet
    and no step fired or fires (nothing to show), and with ``only_firing`` (the day's run
    of ``--due-today``) when no step fires. ``item`` must have a due date (BT-9)."""
    assert item.due_date is not None
    due = item.due_date
    days = (on - due).days
    known = _order(policy)
    done = {f.step: f.on for f in fired if f.step in known}
    last, upcoming, next_on = _upcoming(policy, item, days, done, on)
    fires = upcoming if hold is None and next_on is not None and on >= next_on else None
    if fires is None and (only_firing or (last is None and days < 1)):
        return None
    if hold is not None:
        state, reason = hold.kind, hold.text
    elif fires is not None:
        state, reason = "fires", f"{fires.name} due on {next_on} (due date {due} + {fires.days})"
        last, upcoming, next_on = _upcoming(policy, item, days, {**done, fires.name: on}, on)
    elif upcoming is None:
        state, reason = "done", "the policy's last step has fired"
    else:
        state, reason = "waiting", f"next: {upcoming.name} on {next_on}"
    at = last[0] if last else None
    overdue = days >= 1
    reminder = Reminder(
        item=item,
        days_overdue=days,
        step=at,
        costs=step_costs(policy, item, at, due) if overdue else Decimal("0.00"),
        interest=step_interest(policy, item, due, on),
        letter=_letter(policy, item, done, fires, on)
        if at is not None and at.days >= _letter_day(policy)
        else None,
    )
    return Decision(
        reminder=reminder,
        fires=fires,
        state=state,
        reason=reason,
        last=Fired(last[0].name, last[1]) if last else None,
        next_step=upcoming,
        next_on=next_on,
    )


def _letter_day(policy: Policy) -> int:
    step = policy.fourteen_day_letter
    return step.days if step is not None else 10**9
