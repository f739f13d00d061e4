"""sync.runner: the in-process runner's schedule, back-off, stops and store lock."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from sync.control import RunControl
from sync.pipeline import CycleSummary
from sync.runner import InProcessRunner, Runner, RunnerBusy, store_lock
from sync.schedule import Schedule
from sync.store import StoreUnavailable, open_store

FAST = Schedule(every=timedelta(milliseconds=20))


def _in_thread(runner: InProcessRunner, schedules: dict[str, Schedule], cycle: object) -> list:
    raised: list[BaseException] = []

    def target() -> None:
        try:
            runner.run(schedules, cycle)  # type: ignore[arg-type]
        except BaseException as failure:
            raised.append(failure)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return [thread, raised]


def test_a_failing_connection_backs_off_while_the_others_go_on() -> None:
    runs: dict[str, int] = {"bad": 0, "good": 0, "broken": 0}

    def cycle(name: str, control: RunControl) -> CycleSummary:
        runs[name] += 1
        if name == "broken":
            raise RuntimeError("the connector fell over")
        return CycleSummary(error="source unreachable" if name == "bad" else None)

    runner = InProcessRunner(
        backoff_base=timedelta(seconds=5), backoff_cap=timedelta(seconds=5), grace=timedelta(0)
    )
    thread, raised = _in_thread(runner, {"bad": FAST, "good": FAST, "broken": FAST}, cycle)
    time.sleep(0.6)
    runner.stop()
    thread.join(5)
    assert not thread.is_alive() and not raised
    status = runner.status().connections
    assert runs["good"] >= 5
    # the failing ones ran at the start, then wait out a back-off of up to 5 s (drawn from
    # 0: at most a few more tries in 0.6 s, far fewer than the good one)
    assert 1 <= runs["bad"] < runs["good"] and 1 <= runs["broken"] < runs["good"]
    assert (
        status["bad"].failures == runs["bad"] and status["bad"].last_error == "source unreachable"
    )
    assert status["broken"].last_error == "RuntimeError: the connector fell over"
    assert status["good"].failures == 0 and status["good"].last_success is not None
    assert runner.status().outcome == "stopped"


def test_a_store_error_ends_the_run() -> None:
    def cycle(name: str, control: RunControl) -> CycleSummary:
        raise StoreUnavailable("the store went away")

    runner = InProcessRunner()
    with pytest.raises(StoreUnavailable, match="went away"):
        runner.run({"shop": FAST}, cycle)


def _paging(pages: list[int], gate: threading.Event | None = None):  # type: ignore[no-untyped-def]
    def cycle(name: str, control: RunControl) -> CycleSummary:
        while True:
            time.sleep(0.02)  # a page
            if gate is not None:
                gate.wait()
            pages.append(1)
            if control.should_stop():
                return CycleSummary(stopped=True)

    return cycle


def test_a_first_stop_lets_the_running_cycle_finish_its_page() -> None:
    pages: list[int] = []
    runner = InProcessRunner(grace=timedelta(seconds=10))
    thread, raised = _in_thread(runner, {"shop": FAST}, _paging(pages))
    while len(pages) < 3:
        time.sleep(0.01)
    runner.stop()
    thread.join(5)
    assert not thread.is_alive() and not raised
    assert runner.status().outcome == "stopped"
    assert runner.status().connections["shop"].cycles == 1  # no new cycle after the stop
    assert runner.status().running is None


def test_the_grace_bounds_a_stop_and_a_second_stop_does_not_wait() -> None:
    for second in (False, True):
        gate = threading.Event()  # a page that does not end
        runner = InProcessRunner(grace=timedelta(seconds=0.3 if not second else 30))
        thread, _ = _in_thread(runner, {"shop": FAST}, _paging([], gate))
        time.sleep(0.1)
        began = time.monotonic()
        runner.stop()
        if second:
            runner.stop()
        thread.join(5)
        took = time.monotonic() - began
        gate.set()
        assert not thread.is_alive()
        assert runner.status().outcome == ("hard-stop" if second else "grace-expired")
        assert took < (1.0 if second else 2.0)


def test_run_now_and_once() -> None:
    seen: list[str] = []

    def cycle(name: str, control: RunControl) -> CycleSummary:
        seen.append(name)
        return CycleSummary()

    runner: Runner = InProcessRunner()  # the protocol the daemon asks for
    runner.run({"a": FAST, "b": FAST}, cycle, once=True)
    assert seen == ["a", "b"] and runner.status().outcome == "done"
    hourly = Schedule(every=timedelta(hours=1))
    runner = InProcessRunner()
    thread, _ = _in_thread(runner, {"a": hourly}, cycle)
    while (record := runner.status().connections.get("a")) is None or record.last_ended is None:
        time.sleep(0.01)
    assert runner.run_now("a") and not runner.run_now("a")  # already due
    assert not runner.run_now("nobody")
    while len(seen) < 4:
        time.sleep(0.01)
    runner.stop()
    thread.join(5)
    assert seen == ["a", "b", "a", "a"]


def test_a_second_daemon_on_a_sqlite_store_is_refused_naming_the_lock(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledgerlink.db'}"
    with open_store(url, create=True) as first, open_store(url, create=True) as second:
        with store_lock(first) as held:
            assert held.held and held.description.endswith("ledgerlink.db.daemon.lock")
            with pytest.raises(RunnerBusy, match=r"ledgerlink\.db\.daemon\.lock is held"):
                store_lock(second)
        with store_lock(second):  # released with the first daemon
            pass


def test_no_daemon_lock_is_taken_on_a_postgres_store(postgres_url: str) -> None:
    # several daemons share a PostgreSQL store through the job engine's runner
    with open_store(postgres_url) as store, pytest.raises(RunnerBusy, match="job engine"):
        store_lock(store)
