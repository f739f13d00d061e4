"""The job engine's runner of ``ledgerlink daemon``: several daemons on one PostgreSQL
store, on procrastinate 3.10.0 (``docs/decisions/0001-job-engine.md``).

Each daemon runs two procrastinate workers in an event loop of its own (a thread):

* queue ``cycles`` (``concurrency = [daemon] workers``): the task ``ledgerlink.sync_cycle``,
  one job per cycle of a connection, deferred with ``lock=name`` (no two cycles of a
  connection run at once: a unique index over the ``doing`` jobs) and
  ``queueing_lock=name`` (at most one waiting cycle per connection); engine retries off,
  since the schedule is the retry and a cycle resumes from the committed cursor;
* queue ``control`` (one at a time): the periodic tasks ``ledgerlink.tick`` (every
  second: defers a cycle of each connection with an instant of its schedule in that
  second, :func:`sync.schedule.due`, unless it backs off after failures) and
  ``ledgerlink.reap`` (every ``takeover / 3``: takes a dead worker's cycles back, below).
  Periodic deferral is deduplicated by the engine across daemons, so each second is
  ticked once, by whichever daemon is first.

A daemon that starts also defers one cycle of each connection (what no daemon ran while
none was up); one already waiting is left alone.

Taking over a dead worker's connections: workers send a heartbeat every ``takeover / 3``.
The reaper asks the engine for the ``doing`` jobs of workers silent for ``takeover``
(``get_stalled_jobs``) and queues each again (``retry_job``); when a later cycle of that
connection is queued already (the queueing lock refuses a second), it closes the dead job
instead (``finish_job`` failed) and the queued cycle runs. Either way the cycle starts
from the committed cursor. Bound: ``takeover`` + the reaper's period + one second of
fetch polling + the heartbeat interval.

What the engine cannot do, written here and in :mod:`sync.engine_fence`: the reaper (the
engine leaves stalled jobs ``doing`` for ever), the tick (schedules of any ``every``,
back-off), and the fence token that voids the work of a worker declared dead while still
alive. No lease is written by hand: the engine's ``doing`` + ``lock`` is the lease, its
worker heartbeat the heartbeat, ``get_stalled_jobs`` the expiry.

Stopping: the first :meth:`EngineRunner.stop` stops both workers from fetching; running
cycles see :meth:`~sync.control.RunControl.should_stop` true after their page, deliver
what is queued and return; :meth:`EngineRunner.run` returns when they have (``stopped``)
or when ``grace`` has passed (``grace-expired``); a second stop returns at once
(``hard-stop``). A cycle left running by a process that exits is taken over as after a
kill. ``once``: defer one cycle of each scheduled connection (no tick), work until each of
those has ended (in this daemon or another), then stop (``done``).

A :class:`~sync.store.StoreError` raised by a cycle, or an engine worker that stops by
itself (its heartbeat or its queries lost the database), ends :meth:`EngineRunner.run`
with :class:`~sync.store.StoreUnavailable`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from sync.runner import CycleRecord, Outcome, RunnerStatus, worker_name
from sync.schedule import DEFAULT_BACKOFF_BASE, DEFAULT_BACKOFF_CAP, Schedule, due

if TYPE_CHECKING:
    from sync.pipeline import CycleSummary
    from sync.runner import Cycle
    from sync.store import Store

__all__ = [
    "CONTROL_QUEUE",
    "CYCLES_QUEUE",
    "CYCLE_TASK",
    "ENGINE_SCHEMA",
    "ENGINE_VERSION",
    "EngineRunner",
    "EngineUnavailable",
]

_LOG: Final = logging.getLogger("ledgerlink.daemon.engine")

ENGINE_VERSION: Final = "3.10.0"
"""The procrastinate release whose schema revision 0005 installs."""
ENGINE_SCHEMA: Final = "procrastinate"
CYCLES_QUEUE: Final = "cycles"
CONTROL_QUEUE: Final = "control"
CYCLE_TASK: Final = "ledgerlink.sync_cycle"
TICK_TASK: Final = "ledgerlink.tick"
REAP_TASK: Final = "ledgerlink.reap"
TICK: Final = timedelta(seconds=1)
"""The tick's period: a connection's instant is caught within a second."""
_STEP: Final = 0.05
_PING: Final = 1.0
"""Seconds between two checks that the engine's database answers (:meth:`ready`)."""
_FINAL: Final = ("succeeded", "failed", "cancelled", "aborted")


class EngineUnavailable(Exception):
    """The job engine cannot run on this store (its schema is missing or of another
    release, or its database does not answer)."""


def conninfo(store: Store) -> str:
    """The libpq URL of ``store`` (password included: it stays in this process)."""
    return store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class EngineRunner:
    """Runs the scheduled connections' cycles on procrastinate (see the module docstring).

    ``workers``: cycles at once in this daemon; ``grace``: how long :meth:`run` waits for
    running cycles after a first :meth:`stop`; ``takeover``: after how long without a
    heartbeat a worker's cycles go to another; ``backoff_cap``/``backoff_base``: the wait
    of a failing connection (:class:`~sync.schedule.Backoff`, kept in the store so every
    daemon's tick honours it); ``on_cycle(name, summary, failure)``: called after each
    cycle this daemon ran; ``holder``: this daemon's worker id (:func:`worker_name`)."""

    def __init__(
        self,
        store: Store,
        *,
        workers: int = 1,
        grace: timedelta = timedelta(seconds=30),
        takeover: timedelta = timedelta(seconds=30),
        backoff_cap: timedelta = DEFAULT_BACKOFF_CAP,
        backoff_base: timedelta = DEFAULT_BACKOFF_BASE,
        on_cycle: Callable[[str, CycleSummary | None, BaseException | None], None] | None = None,
        holder: str | None = None,
    ) -> None:
        if store.engine.dialect.name != "postgresql":
            raise EngineUnavailable("the job engine's runner needs a PostgreSQL store")
        self.store = store
        self.workers = max(1, workers)
        self.grace = grace
        self.takeover = max(takeover, timedelta(seconds=1))
        self.backoff_cap = max(backoff_cap, backoff_base)
        self.backoff_base = backoff_base
        self.holder = holder or worker_name()
        self._on_cycle = on_cycle
        self._mutex = threading.Lock()
        self._stops = 0
        self._stop_at: float | None = None
        self._stop_sent = False
        self._records: dict[str, CycleRecord] = {}
        self._running: dict[str, int] = {}
        self._outcome: Outcome = "running"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._app: Any = None
        self._worker_tasks: list[asyncio.Task[Any]] = []
        self._cancelled: set[asyncio.Task[Any]] = set()
        self._last_ping: float | None = None
        self._failure: BaseException | None = None
        self._engine_done = threading.Event()

    def __repr__(self) -> str:
        return f"EngineRunner(holder={self.holder!r}, workers={self.workers}, stops={self._stops})"

    @property
    def heartbeat(self) -> float:
        """Seconds between two heartbeats of this daemon's workers (``takeover / 3``)."""
        return max(self.takeover.total_seconds() / 3, 0.2)

    @property
    def takeover_bound(self) -> timedelta:
        """The longest a dead worker's cycle waits before another worker resumes it."""
        return self.takeover + timedelta(seconds=self._reap_every() + 1.0 + self.heartbeat)

    def _reap_every(self) -> int:
        return max(1, round(self.takeover.total_seconds() / 3))

    # -- control ---------------------------------------------------------------------------

    @property
    def stopping(self) -> bool:
        return self._stops > 0

    def stop(self) -> None:
        """First call: no new cycles, running ones end after their page (up to ``grace``);
        second call: :meth:`run` returns at once. Only sets attributes (signal-safe)."""
        self._stops += 1
        if self._stop_at is None:
            self._stop_at = time.monotonic()

    def run_now(self, name: str) -> bool:
        """Queue a cycle of ``name`` now; False when one is queued already, ``name`` is not
        scheduled, the runner is stopping or its engine is not running."""
        loop = self._loop
        if loop is None or self.stopping or name not in self._records:
            return False
        future = asyncio.run_coroutine_threadsafe(self._defer(name), loop)
        try:
            return future.result(timeout=10) is not None
        except Exception:
            _LOG.exception("queueing a cycle of %s failed", name, extra={"connection": name})
            return False

    def ready(self) -> bool:
        """Not stopping, the engine's workers run, and its database answered within the
        last few seconds (a lost connection turns this false)."""
        last = self._last_ping
        return (
            not self.stopping
            and self._loop is not None
            and not self._engine_done.is_set()
            and last is not None
            and time.monotonic() - last < 3 * _PING + 2
        )

    def status(self) -> RunnerStatus:
        """A copy of what this daemon knows (``running``: one of its running cycles)."""
        with self._mutex:
            return RunnerStatus(
                running=next(iter(sorted(self._running)), None),
                connections={
                    name: CycleRecord(**vars(each)) for name, each in self._records.items()
                },
                outcome=self._outcome,
            )

    # -- the run -----------------------------------------------------------------------------

    def run(self, schedules: Mapping[str, Schedule], cycle: Cycle, *, once: bool = False) -> None:
        """Work the cycles of ``schedules`` with the other daemons of the store until
        :meth:`stop` (``once``: one cycle of each, see the module docstring). Raises
        :class:`EngineUnavailable` when the engine cannot start, and
        :class:`~sync.store.StoreUnavailable` when the store is lost while it runs."""
        from sync.store import StoreError, StoreUnavailable

        now = datetime.now(UTC)
        with self._mutex:
            self._records = {name: CycleRecord(next_due=now) for name in schedules}
        self.check_schema()
        thread = threading.Thread(
            target=self._engine_main,
            args=(dict(schedules), cycle, once),
            name="job-engine",
            daemon=True,
        )
        thread.start()
        while not self._engine_done.wait(_STEP):
            if self._stops and not self._stop_sent:
                self._stop_sent = True
                self._stop_workers()
            if self._stops >= 2:
                self._outcome = "hard-stop"
                _LOG.warning(
                    "second stop: not waiting for the running cycles", extra={"event": "hard-stop"}
                )
                return
            stop_at = self._stop_at
            if stop_at is not None and time.monotonic() - stop_at >= self.grace.total_seconds():
                self._outcome = "grace-expired"
                _LOG.warning(
                    "the running cycles did not end within the grace of %gs",
                    self.grace.total_seconds(),
                    extra={"event": "grace-expired"},
                )
                return
        thread.join()
        failure = self._failure
        if isinstance(failure, StoreError):
            raise failure
        if isinstance(failure, EngineUnavailable):
            raise failure
        if failure is not None:
            raise StoreUnavailable(
                f"the job engine stopped on the store {self.store.shown}: "
                f"{type(failure).__name__}: {failure}"
            ) from failure
        if not self.stopping and not once:
            raise StoreUnavailable(
                f"the job engine's workers stopped by themselves on {self.store.shown} "
                "(a lost database connection?)"
            )
        self._outcome = "stopped" if self.stopping else "done"

    def check_schema(self) -> None:
        """Raise :class:`EngineUnavailable` unless the installed procrastinate is the pinned
        release and the store has its schema (revision 0005)."""
        import procrastinate
        from sqlalchemy import text

        installed = procrastinate.__version__
        if installed != ENGINE_VERSION:
            raise EngineUnavailable(
                f"procrastinate {installed} is installed, the store's schema is "
                f"{ENGINE_VERSION}'s: reinstall ledgerlink (its pin is {ENGINE_VERSION})"
            )
        with self.store.begin() as conn:
            found = conn.execute(
                text("SELECT to_regclass(:table)"),
                {"table": f"{ENGINE_SCHEMA}.procrastinate_jobs"},
            ).scalar()
        if found is None:
            raise EngineUnavailable(
                f"the store {self.store.shown} has no job engine schema: run "
                "`ledgerlink store upgrade`"
            )

    def _stop_workers(self) -> None:
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(self._cancel_workers)

    def _cancel_workers(self) -> None:
        """Cancel each engine worker once: a cancelled procrastinate worker stops gracefully
        (it waits for its running jobs), and a second cancel would cut that wait short and
        leave the running job ``doing`` until the reaper takes it."""
        for task in self._worker_tasks:
            if task not in self._cancelled:
                self._cancelled.add(task)
                task.cancel()

    def _engine_main(self, schedules: dict[str, Schedule], cycle: Cycle, once: bool) -> None:
        try:
            asyncio.run(self._main(schedules, cycle, once))
        except BaseException as failure:  # handed to run()
            if not isinstance(failure, asyncio.CancelledError):
                self._failure = failure
        finally:
            self._loop = None
            self._engine_done.set()

    async def _main(self, schedules: dict[str, Schedule], cycle: Cycle, once: bool) -> None:
        from sync.engine_tasks import build_app

        app = build_app(self, schedules, cycle, tick=not once)
        self._app = app
        async with app.open_async():
            await app.check_connection_async()
            self._last_ping = time.monotonic()
            self._loop = asyncio.get_running_loop()
            waiting = [job for name in schedules if (job := await self._defer(name, find=once))]
            if self._stops:  # stopped while starting
                return
            common: dict[str, Any] = {
                "install_signal_handlers": False,
                "update_heartbeat_interval": self.heartbeat,
                "stalled_worker_timeout": self.takeover.total_seconds(),
                "abort_job_polling_interval": 1.0,
            }
            cycles = asyncio.create_task(
                app.run_worker_async(
                    queues=[CYCLES_QUEUE],
                    name=f"cycles@{self.holder}",
                    concurrency=self.workers,
                    shutdown_graceful_timeout=self.grace.total_seconds(),
                    fetch_job_polling_interval=1.0,
                    delete_jobs="successful",
                    **common,
                )
            )
            control = asyncio.create_task(
                app.run_worker_async(
                    queues=[CONTROL_QUEUE],
                    name=f"control@{self.holder}",
                    concurrency=1,
                    listen_notify=False,
                    fetch_job_polling_interval=0.5,
                    delete_jobs="always",
                    **common,
                )
            )
            self._worker_tasks = [cycles, control]
            if self._stops:
                self._cancel_workers()
            side = [asyncio.create_task(self._ping(app))]
            if once:
                side.append(asyncio.create_task(self._until_finished(app, waiting)))
            try:
                await asyncio.wait([cycles, control], return_when=asyncio.FIRST_COMPLETED)
                self._cancel_workers()
                for task in (cycles, control):
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            finally:
                for task in side:
                    task.cancel()

    async def _ping(self, app: Any) -> None:
        while True:
            try:
                if await app.check_connection_async():
                    self._last_ping = time.monotonic()
            except Exception:  # ready() turns false by itself
                pass
            await asyncio.sleep(_PING)

    async def _until_finished(self, app: Any, jobs: list[int]) -> None:
        """``once``: stop the workers when each deferred cycle has ended."""
        while jobs:
            rows = await app.connector.execute_query_all_async(
                "SELECT id FROM procrastinate_jobs WHERE id = ANY(%(ids)s) "
                "AND status IN ('todo', 'doing')",
                ids=jobs,
            )
            jobs = [row["id"] for row in rows]
            if jobs:
                await asyncio.sleep(0.2)
        self._cancel_workers()

    async def _defer(self, name: str, *, find: bool = False) -> int | None:
        """Queue a cycle of ``name``: its job id, or None when one waits already (``find``:
        that one's id)."""
        from procrastinate import exceptions

        app = self._app
        try:
            job_id: int = await app.configure_task(
                CYCLE_TASK, lock=name, queueing_lock=name, queue=CYCLES_QUEUE
            ).defer_async(connection=name)
            return job_id
        except exceptions.AlreadyEnqueued:
            if not find:
                return None
        rows = await app.connector.execute_query_all_async(
            "SELECT id FROM procrastinate_jobs WHERE queueing_lock = %(name)s "
            "AND status IN ('todo', 'doing')",
            name=name,
        )
        return int(rows[0]["id"]) if rows else None

    # -- what the tasks call ------------------------------------------------------------------

    def due_now(self, schedules: Mapping[str, Schedule], timestamp: float) -> list[str]:
        """The connections with an instant in the tick ending at ``timestamp`` that do not
        back off (:func:`sync.engine_fence.waiting`)."""
        from sync.engine_fence import waiting

        until = datetime.fromtimestamp(timestamp, UTC)
        after = until - TICK
        names = [name for name, each in schedules.items() if due(each, after, until, name=name)]
        if not names:
            return []
        resting = waiting(self.store, until)
        return [name for name in names if name not in resting]

    def started(self, name: str, job_id: int | None) -> None:
        now = datetime.now(UTC)
        with self._mutex:
            self._running[name] = job_id or 0
            record = self._records.setdefault(name, CycleRecord(next_due=now))
            record.cycles += 1
            record.last_started = now

    def ended(
        self,
        name: str,
        summary: CycleSummary | None,
        failure: BaseException | None,
        failures: int,
        not_before: datetime | None,
    ) -> None:
        now = datetime.now(UTC)
        with self._mutex:
            self._running.pop(name, None)
            record = self._records.setdefault(name, CycleRecord(next_due=now))
            record.last_ended = now
            record.failures = failures
            error = (
                summary.error
                if summary is not None
                else f"{type(failure).__name__}: {failure}"
                if failure is not None
                else None
            )
            if error is None:
                record.last_success, record.last_error = now, None
            else:
                record.last_error = error
            if not_before is not None:
                record.next_due = not_before
        self._report(name, summary, failure)
        if not_before is not None:
            _LOG.warning(
                "connection %s failed (%d in a row): no cycle before %s",
                name,
                failures,
                not_before.isoformat(timespec="seconds"),
                extra={
                    "event": "backoff",
                    "connection": name,
                    "failures": failures,
                    "next_due": not_before.isoformat(),
                },
            )

    def _report(
        self, name: str, summary: CycleSummary | None, failure: BaseException | None
    ) -> None:
        if self._on_cycle is None:
            return
        try:
            self._on_cycle(name, summary, failure)
        except Exception:  # a report that fails must not stop the daemon
            _LOG.exception(
                "reporting the cycle of %s failed",
                name,
                extra={"event": "report-failed", "connection": name},
            )

    def store_lost(self, failure: BaseException) -> None:
        """A cycle met a :class:`~sync.store.StoreError`: the daemon ends (exit 3)."""
        if self._failure is None:
            self._failure = failure
        self._stops = max(self._stops, 1)
        if self._stop_at is None:
            self._stop_at = time.monotonic()
