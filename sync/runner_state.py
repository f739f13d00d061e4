"""What both runners of ``ledgerlink daemon`` keep the same way (:class:`RunnerState`): the
stop flags, the wait for running cycles under ``grace`` (a second stop: at once), each
connection's :class:`CycleRecord`, the :class:`RunnerStatus` snapshot and the report of
each cycle to the daemon's ``on_cycle``.

:class:`sync.runner.InProcessRunner` (SQLite) and :class:`sync.engine_runner.EngineRunner`
(PostgreSQL) build on it; ``sync.runner`` re-exports the types.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final, Literal, TypeAlias

if TYPE_CHECKING:
    from sync.pipeline import CycleSummary

__all__ = ["CycleRecord", "OnCycle", "Outcome", "RunnerState", "RunnerStatus"]

_LOG: Final = logging.getLogger("ledgerlink.daemon.runner")

Outcome: TypeAlias = Literal["running", "done", "stopped", "grace-expired", "hard-stop"]
OnCycle: TypeAlias = Callable[[str, "CycleSummary | None", "BaseException | None"], None]
"""``on_cycle(name, summary, failure)``: called after each cycle (metrics and logs)."""


@dataclass
class CycleRecord:
    """What the runner knows of one connection."""

    next_due: datetime
    """When its next cycle may start."""
    cycles: int = 0
    failures: int = 0
    """Failed cycles in a row (0 after a success)."""
    last_started: datetime | None = None
    last_ended: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None

    def ended(
        self, at: datetime, summary: CycleSummary | None, failure: BaseException | None
    ) -> str | None:
        """Record a cycle that ended at ``at``: its error (the summary's, else the exception
        raised), or None and ``last_success`` after a success. Returns the error."""
        self.last_ended = at
        error = (
            summary.error
            if summary is not None
            else f"{type(failure).__name__}: {failure}"
            if failure is not None
            else None
        )
        if error is None:
            self.last_success, self.last_error = at, None
        else:
            self.last_error = error
        return error


@dataclass
class RunnerStatus:
    """A snapshot of the runner (``/metrics``, logs, tests)."""

    running: str | None
    """The connection whose cycle runs now (the engine's runner: one of them)."""
    connections: dict[str, CycleRecord] = field(default_factory=dict)
    outcome: Outcome = "running"
    """How ``run`` ended: ``done`` (``once``: each connection ran), ``stopped`` (a graceful
    stop, the cycles finished), ``grace-expired`` (a cycle was still running when the grace
    ended), ``hard-stop`` (a second stop)."""


class RunnerState:
    """The stop flags, records and report of a runner. ``grace``: how long a first
    :meth:`stop` waits for running cycles (:meth:`wait_out`); ``on_cycle``: see
    :data:`OnCycle`."""

    def __init__(self, *, grace: timedelta, on_cycle: OnCycle | None) -> None:
        self.grace = grace
        self._on_cycle = on_cycle
        self._mutex = threading.Lock()
        self._stops = 0
        self._stop_at: float | None = None
        self._records: dict[str, CycleRecord] = {}
        self._outcome: Outcome = "running"

    @property
    def stopping(self) -> bool:
        """True once :meth:`stop` was called: running cycles end after their page."""
        return self._stops > 0

    def stop(self) -> None:
        """First call: no new cycles, running ones finish their page (``run`` waits for them
        up to ``grace``). Second call: ``run`` returns at once. Safe from a signal handler:
        it only sets plain attributes (an Event's ``set`` takes a lock the interrupted main
        thread may hold), and the waits look at them in short steps."""
        self._stops += 1
        if self._stop_at is None:
            self._stop_at = time.monotonic()

    def _running_now(self) -> str | None:
        """The connection :meth:`status` names as running (under the mutex)."""
        return None

    def status(self) -> RunnerStatus:
        """A copy of what the runner knows now."""
        with self._mutex:
            return RunnerStatus(
                running=self._running_now(),
                connections={
                    name: CycleRecord(**vars(record)) for name, record in self._records.items()
                },
                outcome=self._outcome,
            )

    def wait_out(
        self,
        done: threading.Event,
        *,
        step: float = 0.01,
        on_first_stop: Callable[[], None] | None = None,
    ) -> bool:
        """Wait for ``done`` in short steps (so signal handlers run); True when it is set,
        False when the grace after a first stop ended first (outcome ``grace-expired``) or
        at a second stop (``hard-stop``). ``on_first_stop`` runs once, at the first stop."""
        told = False
        while not done.wait(step):
            if self._stops and not told:
                told = True
                if on_first_stop is not None:
                    on_first_stop()
            if self._stops >= 2:
                self._outcome = "hard-stop"
                _LOG.warning(
                    "second stop: not waiting for the running cycles", extra={"event": "hard-stop"}
                )
                return False
            stop_at = self._stop_at
            if stop_at is not None and time.monotonic() - stop_at >= self.grace.total_seconds():
                self._outcome = "grace-expired"
                _LOG.warning(
                    "the running cycles did not end within the grace of %gs",
                    self.grace.total_seconds(),
                    extra={"event": "grace-expired"},
                )
                return False
        return True

    def report(
        self, name: str, summary: CycleSummary | None, failure: BaseException | None
    ) -> None:
        """Hand one ended cycle to ``on_cycle``; a report that fails is logged, never raised
        (it must not stop the daemon)."""
        if self._on_cycle is None:
            return
        try:
            self._on_cycle(name, summary, failure)
        except Exception:
            _LOG.exception(
                "reporting the cycle of %s failed",
                name,
                extra={"event": "report-failed", "connection": name},
            )

    @staticmethod
    def log_backoff(name: str, failures: int, until: datetime) -> None:
        """The log line of a connection that failed and waits until ``until``."""
        _LOG.warning(
            "connection %s failed (%d in a row): no cycle before %s",
            name,
            failures,
            until.isoformat(timespec="seconds"),
            extra={
                "event": "backoff",
                "connection": name,
                "failures": failures,
                "next_due": until.isoformat(),
            },
        )
