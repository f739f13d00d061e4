"""One day's reminder run on the store, as ``ledgerlink reminders`` (and a scheduler, such
as a daemon's daily job) runs it: plan, record what fires, send the outputs.

:func:`run_day` plans in one transaction (:func:`sync.reminders.plan`), records in another
(:func:`sync.reminders.record`: the insert-or-ignore decides, whatever another run
recorded since this one planned), then works the pending outputs
(:func:`sync.reminder_outputs.send_pending`), cancelling those of an invoice that is no
longer open or whose triggers stopped. A crash anywhere leaves a state the next run
completes: nothing planned is lost (it is planned again), nothing recorded fires twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sync.reminder_outputs import MailOutput, WebhookOutput
    from sync.reminders import Planned, ReminderPolicies
    from sync.store import Store

__all__ = ["DayRun", "run_day"]


@dataclass(frozen=True, slots=True)
class DayRun:
    planned: list[Planned]
    recorded: set[tuple[int, str]] = field(default_factory=set)
    """(connection id, source id) of each invoice whose step this run recorded."""
    outputs: dict[str, Any] = field(default_factory=dict)
    """What the outputs did (:meth:`OutputSummary.as_dict`); empty without outputs."""
    problems: list[str] = field(default_factory=list)
    """Invoices that could not be decided, and why (left out; the rest went on)."""


def run_day(
    store: Store,
    on: date,
    policies: ReminderPolicies,
    *,
    dry_run: bool = False,
    only_firing: bool = False,
    webhook: WebhookOutput | None = None,
    mail: MailOutput | None = None,
) -> DayRun:
    """Plan ``on``; unless ``dry_run``, record what fires and send the pending outputs.
    ``only_firing``: plan only what fires (``--due-today``). An invoice that cannot be
    decided (a day the rate tables do not cover) is left out and named in ``problems``."""
    import sync.reminders as reminders
    from sync.reminder_outputs import send_pending

    due: set[tuple[str, str]] = set()
    problems: list[str] = []
    with store.begin() as conn:
        planned = reminders.plan(
            conn, on, policies, only_firing=only_firing, still_due=due, problems=problems
        )
    reminders.checkpoint("decided")
    if dry_run:
        return DayRun(planned, problems=problems)
    with store.begin() as conn:
        written = reminders.record(
            conn, planned, on, webhook=webhook is not None, email=mail is not None
        )
    recorded = {(p.connection_id, p.source_id) for p, _ in written}
    reminders.checkpoint("recorded")
    if webhook is None and mail is None:
        return DayRun(planned, recorded, problems=problems)
    summary = send_pending(store, webhook=webhook, mail=mail, still_due=lambda c, s: (c, s) in due)
    return DayRun(planned, recorded, summary.as_dict(), problems)
