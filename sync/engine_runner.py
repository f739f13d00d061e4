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
none was up); one already waiting is left alone. That catch-up and :meth:`run_now` honour
a connection's stored back-off (:func:`sync.engine_fence.waiting`), as the tick does.

Taking over a dead worker's connections: workers send a heartbeat every ``takeover / 3``.
The reaper asks the engine for the ``doing`` jobs of workers silent for ``takeover``
(``get_stalled_jobs``), closes each (``finish_job`` failed) and queues a new cycle of its
connection, unless a later one waits already (:func:`sync.engine_tasks.reap`). Either way
the cycle starts from the committed cursor. Bound: ``takeover`` + the reaper's period +
one second of fetch polling + the heartbeat interval.

During a graceful stop procrastinate stops its workers' heartbeat while it waits for the
running jobs, so a cycle still running ``takeover`` after SIGTERM would look dead and be
handed to another daemon while it runs. This runner keeps the heartbeat of the workers of
its running cycles itself from the first stop until the engine ends
(:func:`sync.engine_tasks.keep_alive`).

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
kill. ``once``: defer one cycle of each scheduled connection (no tick, no back-off check: it
was asked for), work until each of those has ended (in this daemon or another), then stop
(``done``).

A :class:`~sync.store.StoreError` raised by a cycle, or an engine worker that stops by
itself (its heartbeat or its queries lost the database; with ``once``: before each cycle
ended), ends :meth:`EngineRunner.run` with :class:`~sync.store.StoreUnavailable`, even when
another cycle then outlives the grace.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from sync.runner import worker_name
from sync.runner_state import CycleRecord, OnCycle, RunnerState
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


class EngineUnavailable(Exception):
    """The job engine cannot run on this store (its schema is missing or of another
    release, or its database does not answer)."""


class EngineRunner(RunnerState):
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
        on_cycle: OnCycle | None = None,
        holder: str | None = None,
    ) -> None:
        if store.engine.dialect.name != "postgresql":
            raise EngineUnavailable("the job engine's runner needs a PostgreSQL store")
        super().__init__(grace=grace, on_cycle=on_cycle)
        self.store = store
        self.workers = max(1, workers)
        self.takeover = max(takeover, timedelta(seconds=1))
        self.backoff_cap = max(backoff_cap, backoff_base)
        self.backoff_base = backoff_base
        self.holder = holder or worker_name()
        self._running: dict[str, tuple[int, int | None]] = {}
        """Per running cycle: its job id and the id of the engine worker that runs it."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._app: Any = None
        self._worker_tasks: list[asyncio.Task[Any]] = []
        self._cancelled: set[asyncio.Task[Any]] = set()
        self._last_ping: float | None = None
        self._failure: BaseException | None = None
        self._finished = False
        """``once``: each deferred cycle has ended (not just the workers)."""
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

    def run_now(self, name: str) -> bool:
        """Ask for a cycle of ``name`` now and return at once (the webhook handler's thread
        must not wait for the database): True when asked; the cycle is then queued unless
        one waits already or ``name`` backs off (a failure is logged). False when ``name``
        is not scheduled, the runner is stopping or its engine is not running."""
        loop = self._loop
        if loop is None or self.stopping or name not in self._records:
            return False
        try:
            future = asyncio.run_coroutine_threadsafe(self._defer(name), loop)
        except RuntimeError:  # the loop closed meanwhile
            return False
        future.add_done_callback(lambda done: self._asked(name, done))
        return True

    @staticmethod
    def _asked(name: str, done: Any) -> None:
        if done.cancelled():
            return
        if (failure := done.exception()) is not None:
            _LOG.error(
                "queueing a cycle of %s failed: %s: %s",
                name,
                type(failure).__name__,
                failure,
                extra={"event": "run-now-failed", "connection": name},
            )

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

    def _running_now(self) -> str | None:
        return next(iter(sorted(self._running)), None)

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
        if not self.wait_out(self._engine_done, step=_STEP, on_first_stop=self._stop_workers):
            # a lost store stops the runner too: it, not the grace, is why the run ends
            if self._outcome == "grace-expired" and isinstance(self._failure, StoreError):
                raise self._failure
            return
        thread.join()
        failure = self._failure
        if isinstance(failure, StoreError | EngineUnavailable):
            raise failure
        if failure is not None:
            raise StoreUnavailable(
                f"the job engine stopped on the store {self.store.shown}: "
                f"{type(failure).__name__}: {failure}"
            ) from failure
        if not self.stopping and not (once and self._finished):
            raise StoreUnavailable(
                f"the job engine's workers stopped by themselves on {self.store.shown}"
                + (" before each cycle ended" if once else "")
                + " (a lost database connection?)"
            )
        self._outcome = "stopped" if self.stopping else "done"

    def check_schema(self) -> None:
        """Raise :class:`EngineUnavailable` unless the installed procrastinate is the pinned
        release and the store has its schema (:func:`sync.engine_tasks.check_schema`)."""
        from sync.engine_tasks import check_schema

        check_schema(self.store)

    def _stop_workers(self) -> None:
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
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
                self._failure = self._failure or failure
        finally:
            self._loop = None
            self._engine_done.set()

    async def _main(self, schedules: dict[str, Schedule], cycle: Cycle, once: bool) -> None:
        from sync.engine_tasks import build_app, keep_alive, ping, until_finished

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
            side = [
                asyncio.create_task(ping(self, app)),
                asyncio.create_task(keep_alive(self, app)),
            ]
            if once:
                side.append(asyncio.create_task(until_finished(self, app, waiting)))
            try:
                await asyncio.wait([cycles, control], return_when=asyncio.FIRST_COMPLETED)
                self._cancel_workers()
                for task in (cycles, control):
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            finally:
                for task in side:
                    task.cancel()

    async def _defer(self, name: str, *, find: bool = False) -> int | None:
        """Queue a cycle of ``name``: its job id, or None when one waits already or ``name``
        backs off after failures (:func:`sync.engine_fence.waiting`, as the tick checks).
        ``find`` (``once``): no back-off check, and the id of the cycle waiting already."""
        from procrastinate import exceptions

        from sync.engine_fence import waiting

        if not find and name in await asyncio.to_thread(waiting, self.store, datetime.now(UTC)):
            _LOG.info(
                "connection %s backs off after failures: no cycle queued now",
                name,
                extra={"event": "backing-off", "connection": name},
            )
            return None
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

    def started(self, name: str, job_id: int | None, worker_id: int | None = None) -> None:
        """A cycle of ``name`` (engine job ``job_id``, run by engine worker ``worker_id``)
        starts in this daemon."""
        now = datetime.now(UTC)
        with self._mutex:
            self._running[name] = (job_id or 0, worker_id)
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
            record.ended(now, summary, failure)
            record.failures = failures
            if not_before is not None:
                record.next_due = not_before
        self.report(name, summary, failure)
        if not_before is not None:
            self.log_backoff(name, failures, not_before)

    def running_workers(self) -> list[int]:
        """The engine workers that run this daemon's cycles now (their ids)."""
        with self._mutex:
            return sorted({worker for _, worker in self._running.values() if worker is not None})

    def finished(self) -> None:
        """``once``: each deferred cycle has ended; the workers stop."""
        self._finished = True
        self._cancel_workers()

    def store_lost(self, failure: BaseException) -> None:
        """A cycle met a :class:`~sync.store.StoreError`: the daemon ends (exit 3)."""
        if self._failure is None:
            self._failure = failure
        self._stops = max(self._stops, 1)
        if self._stop_at is None:
            self._stop_at = time.monotonic()
