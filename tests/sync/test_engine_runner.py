"""sync.engine_runner on the real PostgreSQL: one cycle per connection at a time across
daemons, each schedule instant queued once, the reaper's two paths, and the fence token
that rolls back the page of a cycle whose connection was taken over."""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, func, select
from support.file_sources import FIXTURES
from support.holders import holder_rows, no_overlap

from sync.control import Fenced, RunControl
from sync.engine_fence import FenceControl, take
from sync.engine_runner import CYCLE_TASK, CYCLES_QUEUE, EngineRunner
from sync.engine_tasks import build_app, reap
from sync.pipeline import CycleSummary
from sync.runner import runner_for
from sync.schedule import Schedule, next_due
from sync.store import cursors, documents, open_store
from sync.store.store import Store


@pytest.fixture
def store(postgres_url: str) -> Iterator[Store]:
    with open_store(postgres_url) as opened:
        opened.upgrade()
        yield opened


def _running(runner: EngineRunner, schedules: dict[str, Schedule], cycle: Any) -> Any:
    raised: list[BaseException] = []

    def target() -> None:
        try:
            runner.run(schedules, cycle)
        except BaseException as failure:
            raised.append(failure)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, raised


def _until(check: Any, what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.05)
    raise AssertionError(f"no {what} within {timeout}s")


def test_runner_for_a_postgres_store_is_the_engine_and_locks_nothing(store: Store) -> None:
    runner, lock = runner_for(store, holder="h1")
    assert isinstance(runner, EngineRunner) and runner.holder == "h1"
    second, _ = runner_for(store, holder="h2")  # a second daemon is welcome
    assert isinstance(second, EngineRunner)
    assert "job engine" in lock.description


def test_two_daemons_never_run_one_connection_twice_at_once(store: Store) -> None:
    every = {name: Schedule(every=timedelta(seconds=1)) for name in ("a", "b", "c")}
    seen: list[tuple[str, str, float, float]] = []
    guard = threading.Lock()
    active: set[str] = set()
    doubled: list[str] = []

    def cycle(name: str, control: RunControl) -> CycleSummary:
        assert isinstance(control, FenceControl)
        with guard:
            if name in active:
                doubled.append(name)
            active.add(name)
        began = time.monotonic()
        time.sleep(0.4)
        with guard:
            active.discard(name)
            seen.append((name, control.held.holder, began, time.monotonic()))
        return CycleSummary()

    runners = [
        EngineRunner(store, workers=3, holder=holder, takeover=timedelta(seconds=30))
        for holder in ("first", "second")
    ]
    started = [_running(runner, every, cycle) for runner in runners]
    _until(lambda: len(seen) >= 12, "12 cycles")
    for runner in runners:
        runner.stop()
    for thread, raised in started:
        thread.join(30)
        assert not thread.is_alive() and not raised
    assert not doubled
    assert {name for name, *_ in seen} == {"a", "b", "c"}
    rows = holder_rows(store)
    assert len(rows) == len(seen)
    no_overlap(rows)
    assert {row.outcome for row in rows} == {"done"}
    assert all(runner.status().outcome == "stopped" for runner in runners)


def test_each_instant_of_a_schedule_is_queued_once_by_two_daemons(store: Store) -> None:
    every = Schedule(every=timedelta(seconds=3))
    runners = [EngineRunner(store, holder=holder) for holder in ("first", "second")]

    def cycle(name: str, control: RunControl) -> CycleSummary:
        return CycleSummary()

    began = datetime.now(UTC)
    started = [_running(runner, {"x": every, "y": every}, cycle) for runner in runners]
    time.sleep(10)
    for runner in runners:
        runner.stop()
    for thread, raised in started:
        thread.join(30)
        assert not raised
    ended = datetime.now(UTC)
    instants, moment = 0, began
    while (moment := next_due(every, moment, name="x")) <= ended:
        instants += 1
    rows = holder_rows(store)
    for name in ("x", "y"):
        mine = [row for row in rows if row.connection == name]
        # one cycle per instant, plus at most one catch-up per daemon's start (only one
        # waits at a time): a tick of each daemon would make it twice as many
        assert instants - 1 <= len(mine) <= instants + 2, (name, instants, len(mine))
    no_overlap(rows)


def _engine(store: Store) -> tuple[EngineRunner, Any]:
    runner = EngineRunner(store, holder="reaper-test", takeover=timedelta(seconds=5))
    return runner, build_app(runner, {"shop": Schedule(every=timedelta(hours=1))}, None, tick=False)  # type: ignore[arg-type]


async def _dead_worker_holds_a_cycle(app: Any) -> tuple[int, int]:
    """(worker id, job id): a cycle of "shop" in ``doing`` under a worker silent for an hour."""
    worker = await app.job_manager.register_worker()
    await app.connector.execute_query_async(
        "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour' "
        "WHERE id = %(id)s",
        id=worker,
    )
    job = await app.configure_task(
        CYCLE_TASK, lock="shop", queueing_lock="shop", queue=CYCLES_QUEUE
    ).defer_async(connection="shop")
    fetched = await app.job_manager.fetch_job(queues=[CYCLES_QUEUE], worker_id=worker)
    assert fetched is not None and fetched.id == job
    return worker, job


async def _status(app: Any, job: int) -> str:
    return str((await app.job_manager.get_job_status_async(job)).value)


def test_the_reaper_queues_a_dead_workers_cycle_again(store: Store) -> None:
    _, app = _engine(store)

    async def scenario() -> None:
        async with app.open_async():
            _, job = await _dead_worker_holds_a_cycle(app)
            live = await app.job_manager.register_worker()  # its heartbeat is fresh
            await app.configure_task(CYCLE_TASK, queue=CYCLES_QUEUE, lock="other").defer_async(
                connection="other"
            )
            other = await app.job_manager.fetch_job(queues=[CYCLES_QUEUE], worker_id=live)
            assert await reap(app, 5.0) == [job]
            # closed, and a new job of that connection waits for a live worker: not the same
            # id, so the dead worker, should it wake up, cannot finish its successor's job
            assert await _status(app, job) == "failed"
            again = await app.job_manager.fetch_job(queues=[CYCLES_QUEUE], worker_id=live)
            assert again is not None and again.id != job
            assert again.task_kwargs == {"connection": "shop"}
            assert await _status(app, other.id) == "doing"  # a live worker's cycle stays
            assert await reap(app, 5.0) == []

    asyncio.run(scenario())


def test_the_reaper_closes_a_dead_workers_cycle_when_a_later_one_waits(store: Store) -> None:
    _, app = _engine(store)

    async def scenario() -> None:
        async with app.open_async():
            _, job = await _dead_worker_holds_a_cycle(app)
            later = await app.configure_task(
                CYCLE_TASK, lock="shop", queueing_lock="shop", queue=CYCLES_QUEUE
            ).defer_async(connection="shop")
            # retry_job would make a second waiting cycle: the queueing lock refuses it
            assert await reap(app, 5.0) == [job]
            assert await _status(app, job) == "failed"
            assert await _status(app, later) == "todo"  # it resumes from the cursor
            fetched = await app.job_manager.fetch_job(
                queues=[CYCLES_QUEUE], worker_id=await app.job_manager.register_worker()
            )
            assert fetched is not None and fetched.id == later  # the lock is free

    asyncio.run(scenario())


class _TakenOver:
    """The fence of a cycle whose connection another worker takes at page ``at``."""

    def __init__(self, inner: FenceControl, store: Store, at: int) -> None:
        self.inner, self.store, self.at, self.pages = inner, store, at, 0

    def should_stop(self) -> bool:
        return False

    def fence(self, conn: Connection) -> None:
        self.pages += 1
        if self.pages == self.at:
            take(self.store, self.inner.held.connection, "the-other-worker")
        self.inner.fence(conn)


@pytest.mark.usefixtures("artifacts_cache")
def test_a_cycle_whose_token_was_replaced_is_fenced_and_its_page_rolled_back(
    store: Store, tmp_path: Path
) -> None:
    from connectors.ubl_dir import UblDirectorySource
    from delivery.directory import DirectoryChannel
    from sync import pipeline

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("nl-standard-21-9.xml", "nl-export-g.xml", "nl-zero-rated-z.xml"):
        shutil.copyfile(FIXTURES / name, inbox / name)

    def cycle(control: RunControl) -> CycleSummary:
        return pipeline.sync_connection(
            store,
            name="shop",
            connector=UblDirectorySource(inbox, name="shop", page_size=1),
            kind="ubl-dir",
            profile="auto",
            lookback=timedelta(0),
            channels=[DirectoryChannel("archive", tmp_path / "out")],
            control=control,
        )

    held = take(store, "shop", "this-worker")
    with pytest.raises(Fenced, match="another worker took it over"):
        cycle(_TakenOver(FenceControl(held, lambda: False), store, at=2))
    with store.begin() as conn:
        assert conn.execute(select(func.count()).select_from(documents)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(cursors)).scalar_one() == 1
    assert len(list((tmp_path / "out").glob("*.xml"))) == 1  # page 1 only was sent
    # the worker that holds it now resumes from page 1's cursor
    again = cycle(FenceControl(take(store, "shop", "the-other-worker"), lambda: False))
    assert (again.pulled, again.delivered) == (2, 2)


def _stalled(store: Store, takeover: float) -> int:
    """``doing`` cycles whose worker looks dead to a reaper (``get_stalled_jobs``' test)."""
    from sqlalchemy import text

    with store.begin() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM procrastinate.procrastinate_jobs job"
                    " LEFT JOIN procrastinate.procrastinate_workers w ON w.id = job.worker_id"
                    " WHERE job.status = 'doing' AND (job.worker_id IS NULL OR"
                    " w.last_heartbeat < now() - make_interval(secs => :seconds))"
                ),
                {"seconds": takeover},
            ).scalar_one()
        )


def test_a_cycle_running_into_the_grace_keeps_its_heartbeat(store: Store) -> None:
    """procrastinate stops a stopping worker's heartbeat: without the runner's own, a cycle
    still running ``takeover`` after the stop would be handed to another daemon."""
    takeover = 1.5
    runner = EngineRunner(
        store, holder="slow", grace=timedelta(seconds=20), takeover=timedelta(seconds=takeover)
    )
    began, release = threading.Event(), threading.Event()

    def cycle(name: str, control: RunControl) -> CycleSummary:
        began.set()
        release.wait(30)  # one long page: it ignores should_stop() until it ends
        return CycleSummary()

    thread, raised = _running(runner, {"shop": Schedule(every=timedelta(hours=1))}, cycle)
    assert began.wait(30)
    runner.stop()
    looked_dead = 0
    until = time.monotonic() + 3 * takeover
    while time.monotonic() < until:
        looked_dead += _stalled(store, takeover)
        time.sleep(0.1)
    release.set()
    thread.join(30)
    assert not raised and not thread.is_alive()
    assert looked_dead == 0
    assert runner.status().outcome == "stopped"


def test_run_now_returns_at_once_while_the_database_is_slow(store: Store) -> None:
    from sqlalchemy import text

    runner = EngineRunner(store, holder="webhooks")
    ran: list[str] = []

    def cycle(name: str, control: RunControl) -> CycleSummary:
        ran.append(name)
        return CycleSummary()

    thread, raised = _running(runner, {"shop": Schedule(every=timedelta(hours=1))}, cycle)
    try:
        _until(lambda: ran == ["shop"] and not runner.status().running, "the catch-up cycle")
        _until(runner.ready, "a ready runner")
        with store.engine.connect() as blocker:  # no job can be queued while this is held
            blocker.execute(text("LOCK TABLE procrastinate.procrastinate_jobs IN EXCLUSIVE MODE"))
            asked = time.monotonic()
            assert runner.run_now("shop") is True
            took = time.monotonic() - asked
            time.sleep(0.5)
            assert ran == ["shop"]
            blocker.rollback()
        _until(lambda: len(ran) == 2, "the cycle asked for")
        assert took < 0.5, took  # the webhook's thread did not wait for the database
    finally:
        runner.stop()
        thread.join(30)
    assert not raised


def test_a_connection_that_backs_off_is_not_queued_by_the_catch_up_or_run_now(
    store: Store,
) -> None:
    from sync.engine_fence import release

    failing = take(store, "failing", "an-earlier-daemon")
    release(store, failing, "failed", error=True, backoff=lambda count: timedelta(hours=1))
    runner = EngineRunner(store, holder="after-failures")
    ran: list[str] = []

    def cycle(name: str, control: RunControl) -> CycleSummary:
        ran.append(name)
        return CycleSummary()

    hourly = Schedule(every=timedelta(hours=1))
    thread, raised = _running(runner, {"failing": hourly, "fine": hourly}, cycle)
    try:
        _until(lambda: "fine" in ran, "the catch-up of the healthy connection")
        assert runner.run_now("failing") is True  # asked; the back-off refuses it
        assert runner.run_now("fine") is True
        _until(lambda: ran.count("fine") == 2, "the healthy connection's second cycle")
        time.sleep(1.5)
        assert "failing" not in ran
    finally:
        runner.stop()
        thread.join(30)
    assert not raised


def test_once_fails_when_an_engine_worker_ends_before_each_cycle_did(store: Store) -> None:
    """An engine worker that stops by itself (procrastinate stops one whose heartbeat or
    listener failed) must not end ``--once`` as done while cycles never ran."""
    from sync.store import StoreUnavailable

    runner = EngineRunner(store, holder="once", workers=1)
    ran: list[str] = []

    def cycle(name: str, control: RunControl) -> CycleSummary:
        if not ran:  # the control worker ends, as after its side task failed
            loop = runner._loop
            assert loop is not None
            loop.call_soon_threadsafe(runner._worker_tasks[1].cancel)
            time.sleep(0.5)
        ran.append(name)
        return CycleSummary()

    hourly = Schedule(every=timedelta(hours=1))
    with pytest.raises(
        StoreUnavailable, match=r"stopped by themselves on .* before each cycle ended"
    ):
        runner.run({"a": hourly, "b": hourly}, cycle, once=True)
    assert ran == ["a"]


def test_a_lost_store_wins_over_a_cycle_that_outlives_the_grace(store: Store) -> None:
    from sync.store import StoreUnavailable

    runner = EngineRunner(store, holder="lost", workers=2, grace=timedelta(seconds=1))
    slow_began, release = threading.Event(), threading.Event()

    def cycle(name: str, control: RunControl) -> CycleSummary:
        if name == "slow":
            slow_began.set()
            release.wait(30)
            return CycleSummary()
        assert slow_began.wait(30)
        raise StoreUnavailable("cannot use the store: the server closed the connection")

    hourly = Schedule(every=timedelta(hours=1))
    try:
        with pytest.raises(StoreUnavailable, match="server closed the connection"):
            runner.run({"slow": hourly, "lost": hourly}, cycle)
        assert runner.status().outcome == "grace-expired"
    finally:
        release.set()
