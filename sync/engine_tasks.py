"""The procrastinate app of :class:`sync.engine_runner.EngineRunner`: its connector, its
three tasks (``ledgerlink.sync_cycle``, ``ledgerlink.tick``, ``ledgerlink.reap``) and the
runner's coroutines beside the engine's workers (:func:`ping`, :func:`keep_alive`,
:func:`until_finished`).

Imported only by the runner, so procrastinate is loaded only by a daemon on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from sync.engine_runner import (
    CONTROL_QUEUE,
    CYCLE_TASK,
    CYCLES_QUEUE,
    ENGINE_SCHEMA,
    ENGINE_VERSION,
    REAP_TASK,
    TICK_TASK,
    EngineUnavailable,
)

if TYPE_CHECKING:
    from sync.engine_runner import EngineRunner
    from sync.pipeline import CycleSummary
    from sync.runner import Cycle
    from sync.schedule import Schedule
    from sync.store import Store

__all__ = ["build_app", "check_schema", "conninfo", "keep_alive", "ping", "reap", "until_finished"]

_LOG: Final = logging.getLogger("ledgerlink.daemon.engine")
_PING: Final = 1.0
"""Seconds between two checks that the engine's database answers (``ready()``)."""
_POOL_MAX: Final = 4
"""Connections of the engine's pool per daemon (its two workers' queries and heartbeats,
the deferrals, the pings), beside the one LISTEN session of the cycles worker."""


def conninfo(store: Store) -> str:
    """The libpq URL of ``store`` (password included: it stays in this process)."""
    return store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def check_schema(store: Store) -> None:
    """Raise :class:`~sync.engine_runner.EngineUnavailable` unless the installed
    procrastinate is the pinned release and ``store`` has its schema (store revision 0005
    installs it)."""
    import procrastinate
    from sqlalchemy import text

    installed = procrastinate.__version__
    if installed != ENGINE_VERSION:
        raise EngineUnavailable(
            f"procrastinate {installed} is installed, the store's schema is "
            f"{ENGINE_VERSION}'s: reinstall ledgerlink (its pin is {ENGINE_VERSION})"
        )
    with store.begin() as conn:
        found = conn.execute(
            text("SELECT to_regclass(:table)"),
            {"table": f"{ENGINE_SCHEMA}.procrastinate_jobs"},
        ).scalar()
    if found is None:
        raise EngineUnavailable(
            f"the store {store.shown} has no job engine schema: run `ledgerlink store upgrade`"
        )


def build_app(
    runner: EngineRunner, schedules: Mapping[str, Schedule], cycle: Cycle, *, tick: bool
) -> Any:
    """A procrastinate ``App`` on the runner's store, its tasks bound to ``runner``."""
    from procrastinate import App, JobContext, PsycopgConnector
    from procrastinate.exceptions import AlreadyEnqueued

    connector = PsycopgConnector(
        conninfo=conninfo(runner.store),
        kwargs={"options": f"-c search_path={ENGINE_SCHEMA}"},
        min_size=1,
        max_size=_POOL_MAX,
        # a query waits this long for a connection of the pool: a database gone for longer
        # stops the workers (their heartbeat fails), and the daemon exits 3
        timeout=max(5.0, runner.takeover.total_seconds()),
    )
    app = App(connector=connector, periodic_defaults={"max_delay": 60})

    @app.task(name=CYCLE_TASK, queue=CYCLES_QUEUE, pass_context=True, retry=False)
    def sync_cycle(context: JobContext, connection: str) -> None:
        _run_cycle(runner, schedules, cycle, connection, context)

    if tick:

        @app.periodic(cron="* * * * * *", periodic_id="tick")  # every second (seconds last)
        # no queueing_lock: the engine defers each second once across daemons, and a tick
        # still waiting must not make the next second's be skipped (its instants lost)
        @app.task(name=TICK_TASK, queue=CONTROL_QUEUE, retry=False)
        def tick_task(timestamp: int) -> None:
            for name in runner.due_now(schedules, float(timestamp)):
                with contextlib.suppress(AlreadyEnqueued):  # one waits already
                    app.configure_task(
                        CYCLE_TASK, lock=name, queueing_lock=name, queue=CYCLES_QUEUE
                    ).defer(connection=name)

    every = runner._reap_every()

    @app.periodic(cron=f"* * * * * */{every}", periodic_id="reap")
    @app.task(name=REAP_TASK, queue=CONTROL_QUEUE, queueing_lock=REAP_TASK, retry=False)
    async def reap_task(timestamp: int) -> None:
        await reap(app, runner.takeover.total_seconds())

    del sync_cycle, reap_task
    return app


async def reap(app: Any, takeover: float) -> list[int]:
    """Take back the ``doing`` jobs of workers silent for ``takeover`` seconds: each is closed
    (``finish_job`` failed) and a new cycle of its connection queued, unless one waits
    already; a stalled tick or reaper is closed (the next instant
    runs). The ids of the cycles taken back."""
    from procrastinate import exceptions, jobs

    taken: list[int] = []
    for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=takeover):
        if job.task_name != CYCLE_TASK:
            await app.job_manager.finish_job(job, status=jobs.Status.FAILED, delete_job=True)
            continue
        # Closed, and a fresh job queued (never retry_job: it keeps the id, and a worker
        # declared dead that wakes up would finish, and delete, the job its successor runs).
        await app.job_manager.finish_job(job, status=jobs.Status.FAILED, delete_job=False)
        connection = job.task_kwargs.get("connection")
        try:
            await app.configure_task(
                CYCLE_TASK, lock=connection, queueing_lock=connection, queue=CYCLES_QUEUE
            ).defer_async(connection=connection)
            how = "closed, and its cycle queued again"
        except exceptions.AlreadyEnqueued:  # a later cycle is queued: it resumes
            how = "closed; the cycle queued after it resumes"
        taken.append(int(job.id))
        _LOG.warning(
            "connection %s: its cycle (job %s) belonged to a worker silent for %gs: %s",
            connection,
            job.id,
            takeover,
            how,
            extra={"event": "takeover", "connection": connection},
        )
    return taken


async def ping(runner: EngineRunner, app: Any) -> None:
    """Note each second that the engine's database answers (``EngineRunner.ready``)."""
    while True:
        try:
            if await app.check_connection_async():
                runner._last_ping = time.monotonic()
        except Exception:  # ready() turns false by itself
            pass
        await asyncio.sleep(_PING)


async def keep_alive(runner: EngineRunner, app: Any) -> None:
    """From the runner's first stop until the engine ends, the heartbeat of each engine
    worker that runs one of its cycles, every half heartbeat interval: procrastinate stops
    its own while a stopping worker waits for its jobs (``Worker._shutdown``), and without
    this a cycle still running ``takeover`` into the grace would look dead and be handed to
    another daemon while it runs. The process is alive and the cycle runs, so the heartbeat
    is true; once the process exits it stops, and the takeover is the engine's as usual."""
    while True:
        await asyncio.sleep(runner.heartbeat / 2)
        if not runner.stopping:
            continue
        for worker in runner.running_workers():
            try:
                await app.job_manager.update_heartbeat(worker)
            except Exception as failure:
                _LOG.warning(
                    "the heartbeat of engine worker %s during the grace failed: %s",
                    worker,
                    failure,
                    extra={"event": "heartbeat-failed"},
                )


async def until_finished(runner: EngineRunner, app: Any, jobs: list[int]) -> None:
    """``once``: when each of ``jobs`` (the deferred cycles) has ended, in any daemon, mark
    the run finished and stop the workers."""
    while jobs:
        rows = await app.connector.execute_query_all_async(
            "SELECT id FROM procrastinate_jobs WHERE id = ANY(%(ids)s) "
            "AND status IN ('todo', 'doing')",
            ids=jobs,
        )
        jobs = [row["id"] for row in rows]
        if jobs:
            await asyncio.sleep(0.2)
    runner.finished()


def _run_cycle(
    runner: EngineRunner,
    schedules: Mapping[str, Schedule],
    cycle: Cycle,
    name: str,
    context: Any,
) -> None:
    """One cycle of ``name`` under a fresh fence token, recorded in ``cycle_holders``."""
    from sync.control import Fenced
    from sync.engine_fence import FenceControl, backoff_of, release, take
    from sync.store import StoreError

    if name not in schedules:
        _LOG.warning(
            "connection %s is not scheduled in this daemon's settings: its cycle is skipped "
            "(daemons on one store must share one settings file)",
            name,
            extra={"event": "not-scheduled", "connection": name},
        )
        return
    job_id = context.job.id
    try:
        held = take(runner.store, name, runner.holder, job_id)
    except StoreError as lost_at_start:
        runner.store_lost(lost_at_start)
        raise
    runner.started(name, job_id, context.job.worker_id)
    control = FenceControl(held, lambda: runner.stopping or context.should_abort())
    summary: CycleSummary | None = None
    failure: BaseException | None = None
    try:
        summary = cycle(name, control)
    except BaseException as caught:
        failure = caught
    outcome = (
        "fenced"
        if isinstance(failure, Fenced)
        else "failed"
        if failure is not None or (summary is not None and summary.error)
        else "stopped"
        if summary is not None and summary.stopped
        else "done"
    )
    failures, not_before = 0, None
    try:
        failures, not_before = release(
            runner.store,
            held,
            outcome,  # type: ignore[arg-type]
            error=outcome == "failed",
            backoff=lambda count: backoff_of(count, runner.backoff_base, runner.backoff_cap),
        )
    except StoreError as lost:
        failure = failure or lost
    runner.ended(name, summary, failure, failures, not_before)
    if isinstance(failure, Fenced):
        _LOG.warning(
            "connection %s: %s", name, failure, extra={"event": "fenced", "connection": name}
        )
    elif isinstance(failure, StoreError):
        runner.store_lost(failure)
        raise failure
    elif failure is not None and not isinstance(failure, Exception):
        raise failure
