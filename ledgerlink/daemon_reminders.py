"""The daemon's daily reminder run: with ``[reminders] daemon = true`` the daemon runs the
day's reminders (:func:`sync.reminders_run.run_day`, as ``ledgerlink reminders`` does) after
the first cycle it finishes on each day, then once more whenever a cycle finishes on a later
day.

Each step fires once whatever runs it (the ``reminders`` row is the decision), so a restart,
a second daemon on the same PostgreSQL store, or a ``ledgerlink reminders`` by hand on the
same day fires nothing twice. A run that fails is logged and tried again after the next
cycle; it never stops the daemon.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ledgerlink.reminders_settings import ReminderSettings
    from sync.reminder_outputs import MailOutput, WebhookOutput
    from sync.reminders import ReminderPolicies
    from sync.store import Store

__all__ = ["DailyReminders", "daily_reminders"]

_LOG = logging.getLogger("ledgerlink.daemon")


class DailyReminders:
    """Runs the day's reminders at most once per day of this process (see the module)."""

    def __init__(
        self,
        store: Store,
        policies: ReminderPolicies,
        outputs: tuple[WebhookOutput | None, MailOutput | None],
        today: Callable[[], date] = date.today,
    ) -> None:
        self._store = store
        self._policies = policies
        self._webhook, self._mail = outputs
        self._today = today
        self._done: date | None = None
        self._lock = threading.Lock()

    def after_cycle(self) -> None:
        """Run the day's reminders unless this process ran them today already."""
        from sync.reminders_run import run_day

        day = self._today()
        if not self._lock.acquire(blocking=False):
            return  # another cycle's thread is running them
        try:
            if self._done == day:
                return
            try:
                run = run_day(
                    self._store, day, self._policies, webhook=self._webhook, mail=self._mail
                )
            except Exception as failure:  # logged; tried again after the next cycle
                _LOG.error(
                    "reminders on %s failed: %s",
                    day,
                    failure,
                    extra={"event": "reminders-failed", "error": str(failure)},
                )
                return
            self._done = day
            fired = sum(1 for p in run.planned if p.decision.fires is not None)
            _LOG.info(
                "reminders on %s: %d fire, %d recorded by this run",
                day,
                fired,
                len(run.recorded),
                extra={
                    "event": "reminders",
                    "on": day.isoformat(),
                    "fires": fired,
                    "recorded": len(run.recorded),
                    "problems": len(run.problems),
                },
            )
            for problem in run.problems:
                _LOG.warning(problem, extra={"event": "reminders-problem"})
        finally:
            self._lock.release()


def daily_reminders(
    settings: ReminderSettings | None,
    folder: Path,
    channels: dict[str, Any],
    store: Store,
) -> DailyReminders | None:
    """The daemon's daily run when ``[reminders] daemon = true``, its policies loaded and its
    outputs opened (a policy or output that cannot be used ends the daemon at start with
    exit 2, naming it); else None."""
    if settings is None or not settings.daemon:
        return None
    from ledgerlink.reminders_outputs import open_outputs
    from ledgerlink.reminders_store import policies_of

    policies = policies_of(settings, folder, None)
    return DailyReminders(store, policies, open_outputs(settings, folder, channels))
