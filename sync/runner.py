"""The in-process runner of ``ledgerlink daemon``: each scheduled connection's cycle when it
is due, one cycle at a time, with back-off, a graceful stop and one daemon per store
(``docs/decisions/0001-job-engine.md``, "The interface in ``sync/``").

:class:`InProcessRunner` runs the cycles one after another. A connection runs once at
the start (it catches up on what a stopped daemon missed), then at each instant of its
:class:`~sync.schedule.Schedule` (:func:`~sync.schedule.next_due`); instants that pass
while a cycle runs are not run twice. A cycle that fails (:attr:`CycleSummary.error
<sync.pipeline.CycleSummary.error>`, or an exception other than a
:class:`~sync.store.StoreError`) makes its connection wait (:class:`~sync.schedule.Backoff`:
never before its next instant, and the wait grows with each failure in a row); the others
go on. A :class:`~sync.store.StoreError` ends :meth:`InProcessRunner.run`: without the
store no connection can go on, and the cursors stay where the last committed page left
them.

Stopping (:meth:`InProcessRunner.stop`, the daemon's SIGTERM or SIGINT): the first call
starts no new cycle, and the running one sees :meth:`~sync.control.RunControl.should_stop`
true after the page in hand: it records the pages already validated, delivers what is
queued and returns; :meth:`~InProcessRunner.run` returns when it has, or when ``grace``
has passed (:attr:`RunnerStatus.outcome` says which). The second call returns from
:meth:`~InProcessRunner.run` at once, without waiting for the cycle: the process that
exits then can leave outbox rows ``sending`` (a send begun, its result not recorded);
:func:`sync.outbox.deliver` recovers them on the next start (it asks the channel, else
sends again under the same idempotency key), and the page in hand is rolled back, so its
records are pulled again from the committed cursor.

One daemon per SQLite store (:func:`store_lock`): an exclusive ``flock`` on a lock file
beside the database (``ledgerlink.db.daemon.lock``); a second daemon gets
:class:`RunnerBusy` naming the lock. The stop flags, the grace wait, the records and the
status are :class:`sync.runner_state.RunnerState`'s, shared with the engine's runner. The in-process runner owns its store, so its
:meth:`~sync.control.RunControl.fence` does nothing.

:func:`runner_for` chooses the runner of a store: this one on SQLite, the job engine's
(:class:`sync.engine_runner.EngineRunner`, procrastinate, imported only then) on
PostgreSQL, where several daemons share one store and no daemon lock is taken.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import IO, TYPE_CHECKING, Any, Final, Protocol, TypeAlias

from sync.runner_state import CycleRecord, OnCycle, Outcome, RunnerState, RunnerStatus
from sync.schedule import DEFAULT_BACKOFF_BASE, DEFAULT_BACKOFF_CAP, Backoff, Schedule, next_due

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from sync.control import RunControl
    from sync.pipeline import CycleSummary
    from sync.store import Store

__all__ = [
    "Cycle",
    "CycleRecord",
    "InProcessRunner",
    "Outcome",
    "Runner",
    "RunnerBusy",
    "RunnerStatus",
    "StoreLock",
    "runner_for",
    "store_lock",
    "worker_name",
]

Cycle: TypeAlias = Callable[[str, "RunControl"], "CycleSummary"]
"""Runs one cycle of the named connection (:func:`sync.pipeline.sync_connection`)."""


class RunnerBusy(Exception):
    """Another daemon runs on this store; ``str()`` names the lock it holds."""

    def __init__(self, message: str, lock: str) -> None:
        super().__init__(message)
        self.lock = lock


# -- one daemon per store ------------------------------------------------------------------


class StoreLock:
    """Held while a daemon runs on a store (:func:`store_lock`); :meth:`release` frees it."""

    def __init__(self, description: str, release: Callable[[], None]) -> None:
        self.description = description
        """What is held: the lock file's path."""
        self._release: Callable[[], None] | None = release

    @property
    def held(self) -> bool:
        return self._release is not None

    def release(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            release()

    def __enter__(self) -> StoreLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"StoreLock({self.description!r}, held={self.held})"


def store_lock(store: Store) -> StoreLock:
    """Take the SQLite store's daemon lock, or raise :class:`RunnerBusy` naming it:
    ``fcntl.flock(LOCK_EX | LOCK_NB)`` on ``<database>.daemon.lock`` (the file holds the
    owner's process id; the kernel frees the lock when that process ends, however it
    ends). An in-memory SQLite store has no other daemon to meet: nothing is taken. Any
    other store is refused: on PostgreSQL several daemons share the store through the job
    engine (:func:`runner_for`), and nothing is locked."""
    dialect = store.engine.dialect.name
    if dialect == "sqlite":
        database = store.engine.url.database
        if not database or database == ":memory:":
            return StoreLock("an in-memory store (no lock)", lambda: None)
        return _file_lock(Path(database).resolve().with_name(Path(database).name + ".daemon.lock"))
    raise RunnerBusy(
        f"ledgerlink daemon takes no lock on a {dialect} store (on PostgreSQL the job "
        "engine's runner shares it)",
        dialect,
    )


def _file_lock(path: Path) -> StoreLock:
    import fcntl
    import os

    handle: IO[str] = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        owner = handle.read().strip()
        handle.close()
        by = f" by process {owner}" if owner.isdigit() else ""
        raise RunnerBusy(
            f"another ledgerlink daemon runs on this store: the lock {path} is held{by}",
            str(path),
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()

    def release() -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()

    return StoreLock(str(path), release)


# -- status ----------------------------------------------------------------------------------


class Runner(Protocol):
    """What ``ledgerlink daemon`` asks of a runner: :class:`InProcessRunner` (SQLite, one
    daemon) or :class:`sync.engine_runner.EngineRunner` (PostgreSQL, several daemons);
    :func:`runner_for` chooses. ``run`` blocks until stopped (``once``: one cycle of each
    connection) and raises :class:`~sync.store.StoreError` when the store is lost;
    ``run_now`` queues a cycle (False when one is queued or running already); ``stop`` is
    safe in a signal handler (a second call: at once); ``ready`` is ``/readyz``'s view of
    the runner; ``status`` a snapshot."""

    def run(
        self, schedules: Mapping[str, Schedule], cycle: Cycle, *, once: bool = False
    ) -> None: ...

    def run_now(self, name: str) -> bool: ...

    def stop(self) -> None: ...

    def ready(self) -> bool: ...

    def status(self) -> RunnerStatus: ...


class _Control:
    """The :class:`~sync.control.RunControl` of one cycle of the in-process runner."""

    def __init__(self, runner: InProcessRunner) -> None:
        self._runner = runner

    def should_stop(self) -> bool:
        return self._runner.stopping

    def fence(self, conn: Connection) -> None:
        """Nothing to check: this daemon holds the store's lock for its whole life."""


# -- the runner --------------------------------------------------------------------------------


_STEP: Final = 0.05
"""Seconds between two looks at the stop flags while the runner waits for a due time."""


class InProcessRunner(RunnerState):
    """Runs the cycles of the scheduled connections in this process (see the module
    docstring). ``grace``: how long :meth:`run` waits for the running cycle after a first
    :meth:`stop`; ``backoff_cap`` (and ``backoff_base``): :class:`~sync.schedule.Backoff`
    of a failing connection; ``lock``: the store's daemon lock (:func:`store_lock`), for
    :meth:`ready`; ``on_cycle(name, summary, failure)``: called after each cycle, with its
    summary or the exception it raised (metrics and logs). ``clock`` and ``random`` are
    for tests."""

    def __init__(
        self,
        *,
        grace: timedelta = timedelta(seconds=30),
        backoff_cap: timedelta = DEFAULT_BACKOFF_CAP,
        backoff_base: timedelta = DEFAULT_BACKOFF_BASE,
        lock: StoreLock | None = None,
        on_cycle: OnCycle | None = None,
        clock: Callable[[], datetime] | None = None,
        random: Random | None = None,
    ) -> None:
        super().__init__(grace=grace, on_cycle=on_cycle)
        self.backoff_cap = max(backoff_cap, backoff_base)
        self.backoff_base = backoff_base
        self.lock = lock
        self._clock = clock or (lambda: datetime.now(UTC))
        self._random = random
        self._wake = threading.Event()
        self._backoffs: dict[str, Backoff] = {}
        self._running: str | None = None

    def __repr__(self) -> str:
        return f"InProcessRunner(grace={self.grace}, stops={self._stops})"

    # -- control ---------------------------------------------------------------------------

    def run_now(self, name: str) -> bool:
        """Make ``name`` due now (a webhook, an operator); False when it is running, already
        due, unknown or the runner is stopping."""
        with self._mutex:
            record = self._records.get(name)
            if record is None or self.stopping or self._running == name:
                return False
            now = self._clock()
            if record.next_due <= now:
                return False
            record.next_due = now
        self._wake.set()
        return True

    def ready(self) -> bool:
        """The store's lock is held (when there is one) and the runner is not stopping."""
        return not self.stopping and (self.lock is None or self.lock.held)

    def _running_now(self) -> str | None:
        return self._running

    # -- the loop ----------------------------------------------------------------------------

    def run(self, schedules: Mapping[str, Schedule], cycle: Cycle, *, once: bool = False) -> None:
        """Run the connections of ``schedules`` until :meth:`stop`, one cycle at a time
        (``once``: each one cycle, in the given order, then return). Raises the
        :class:`~sync.store.StoreError` a cycle raised."""
        start = self._clock()
        with self._mutex:
            self._records = {name: CycleRecord(next_due=start) for name in schedules}
            self._backoffs = {
                name: Backoff(self.backoff_base, self.backoff_cap, random=self._random)
                for name in schedules
            }
        left = list(schedules)
        while not self.stopping:
            if once:
                if not left:
                    self._outcome = "done"
                    return
                name: str | None = left.pop(0)
            else:
                name = self._next(schedules)
            if name is None:
                continue
            if not self._run_one(name, schedules[name], cycle, advance=not once):
                return
        self._outcome = "stopped"

    def _next(self, schedules: Mapping[str, Schedule]) -> str | None:
        """The connection due first, once it is due (None when woken or stopped before)."""
        with self._mutex:
            name = min(self._records, key=lambda each: (self._records[each].next_due, each))
            wait = (self._records[name].next_due - self._clock()).total_seconds()
        if wait <= 0:
            return name
        until = time.monotonic() + min(wait, 60.0)  # re-reads the clock at least once a minute
        while not self.stopping and time.monotonic() < until:
            if self._wake.wait(min(_STEP, max(until - time.monotonic(), 0.0))):
                break  # run_now
        self._wake.clear()
        return None

    def _run_one(self, name: str, schedule: Schedule, cycle: Cycle, *, advance: bool) -> bool:
        """Run one cycle of ``name`` on a thread of its own and wait for it; False when
        :meth:`run` must return now (grace over, second stop)."""
        from sync.store import StoreError

        started = self._clock()
        with self._mutex:
            self._running = name
            record = self._records[name]
            record.last_started = started
            record.cycles += 1
        result: dict[str, Any] = {}
        done = threading.Event()

        def work() -> None:
            try:
                result["summary"] = cycle(name, _Control(self))
            except BaseException as failure:  # handed to the runner's thread
                result["failure"] = failure
            finally:
                done.set()

        thread = threading.Thread(target=work, name=f"cycle-{name}", daemon=True)
        thread.start()
        if not self.wait_out(done):
            with self._mutex:
                self._running = None
            return False
        thread.join()
        summary: CycleSummary | None = result.get("summary")
        failure: BaseException | None = result.get("failure")
        ended = self._clock()
        with self._mutex:
            self._running = None
            error = record.ended(ended, summary, failure)
            backoff = self._backoffs[name]
            wait = timedelta(0)
            if error is None:
                backoff.succeeded()
            else:
                wait = backoff.failed()
            record.failures = backoff.failures
            if advance:
                record.next_due = max(next_due(schedule, ended, name=name), ended + wait)
        self.report(name, summary, failure)
        if isinstance(failure, StoreError):
            raise failure
        if failure is not None and not isinstance(failure, Exception):
            raise failure  # KeyboardInterrupt, SystemExit: not a connection's failure
        if error is not None and advance:
            self.log_backoff(name, record.failures, record.next_due)
        return True


def worker_name() -> str:
    """This daemon's worker id, in its log lines and in ``cycle_holders``: ``host:pid``."""
    import os
    import socket

    return f"{socket.gethostname()}:{os.getpid()}"


# -- choosing ----------------------------------------------------------------------------------


def runner_for(
    store: Store,
    *,
    workers: int = 1,
    grace: timedelta = timedelta(seconds=30),
    takeover: timedelta = timedelta(seconds=30),
    backoff_cap: timedelta = DEFAULT_BACKOFF_CAP,
    on_cycle: OnCycle | None = None,
    holder: str | None = None,
) -> tuple[Runner, StoreLock]:
    """The runner of ``store`` and the lock it holds (release it when the daemon ends).

    SQLite: :class:`InProcessRunner` under the store's daemon lock (:func:`store_lock`; a
    second daemon gets :class:`RunnerBusy`). PostgreSQL:
    :class:`~sync.engine_runner.EngineRunner` (``workers`` cycles at once, ``takeover``),
    with nothing locked: the other daemons of the store share its work. Raises
    :class:`~sync.engine_runner.EngineUnavailable` for a PostgreSQL store without the
    engine's schema, :class:`RunnerBusy` for a database neither runner can use."""
    dialect = store.engine.dialect.name
    if dialect == "postgresql":
        from sync.engine_runner import EngineRunner

        engine = EngineRunner(
            store,
            workers=workers,
            grace=grace,
            takeover=takeover,
            backoff_cap=backoff_cap,
            on_cycle=on_cycle,
            holder=holder,
        )
        engine.check_schema()
        shared = StoreLock(
            f"none: daemons share {store.shown} through the job engine (worker {engine.holder})",
            lambda: None,
        )
        return engine, shared
    lock = store_lock(store)
    runner = InProcessRunner(grace=grace, backoff_cap=backoff_cap, lock=lock, on_cycle=on_cycle)
    return runner, lock
