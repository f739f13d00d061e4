"""Each reminder step fires once per invoice, on SQLite and on PostgreSQL: under a rerun,
under two runs that planned at the same time, and under a crash between deciding and
recording (the recorded row is the decision)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from support.profile_documents import clean_invoice
from support.two_shops import ledgerlink, make_folder, write

import sync.reminders
from reconcile.reminders import load_policy
from sync.reminders import ReminderPolicies, plan, record
from sync.store import open_store
from sync.store.schema import reminders

pytestmark = pytest.mark.usefixtures("artifacts_cache")
ON = date(2026, 12, 7)


@pytest.fixture
def synced(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two overdue invoices (reminder_1 due today) synced into the store under test."""
    monkeypatch.setenv("LEDGERLINK_STORE", store_url)
    root = make_folder(tmp_path, {})
    for number in ("S-1", "S-2"):
        due = ON - timedelta(days=7)
        doc = replace(clean_invoice(), number=number, issue_date=due - timedelta(30), due_date=due)
        write(root / "shop", doc)
    result = ledgerlink(root, "sync", "--store", store_url)
    assert result.exit_code == 0, result.output
    return root


def _count(store_url: str) -> int:
    with open_store(store_url) as store, store.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(reminders)).scalar_one())


def _fired(root: Path, store_url: str) -> list[str]:
    result = ledgerlink(
        root, "reminders", "--store", store_url, "--on", ON.isoformat(), "--format", "json"
    )
    assert result.exit_code == 0, result.output
    return sorted(r["invoice"] for r in json.loads(result.stdout)["reminders"] if r["recorded"])


def test_a_rerun_fires_nothing(synced: Path, store_url: str) -> None:
    assert _fired(synced, store_url) == ["S-1", "S-2"]
    assert _fired(synced, store_url) == []
    assert _count(store_url) == 2


def test_two_runs_that_planned_together_record_each_step_once(synced: Path, store_url: str) -> None:
    b2b = load_policy("nl-b2b")
    policies = ReminderPolicies(b2b=b2b, b2c=load_policy("nl-b2c"))
    with open_store(store_url) as store:
        with store.begin() as conn:
            first = plan(conn, ON, policies)
        with store.begin() as conn:
            second = plan(conn, ON, policies)
        assert [p.decision.fires for p in first] == [p.decision.fires for p in second]
        assert all(p.decision.fires is not None for p in first)
        with store.begin() as conn:
            won = record(conn, second, ON, webhook=True, email=False)
        with store.begin() as conn:
            lost = record(conn, first, ON, webhook=True, email=False)
    assert len(won) == 2 and lost == []
    assert _count(store_url) == 2


class Crash(Exception):
    pass


def test_a_crash_between_deciding_and_recording_fires_on_the_next_run_once(
    synced: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(name: str) -> None:
        if name == "decided":
            raise Crash(name)

    monkeypatch.setattr(sync.reminders, "checkpoint", crash)
    result = ledgerlink(synced, "reminders", "--store", store_url, "--on", ON.isoformat())
    assert isinstance(result.exception, Crash)
    assert _count(store_url) == 0  # decided, not recorded: nothing fired
    monkeypatch.undo()
    assert _fired(synced, store_url) == ["S-1", "S-2"]
    assert _fired(synced, store_url) == []


def test_a_crash_after_recording_does_not_decide_again(
    synced: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(name: str) -> None:
        if name == "recorded":
            raise Crash(name)

    monkeypatch.setattr(sync.reminders, "checkpoint", crash)
    result = ledgerlink(synced, "reminders", "--store", store_url, "--on", ON.isoformat())
    assert isinstance(result.exception, Crash)
    assert _count(store_url) == 2  # the decision stands
    monkeypatch.undo()
    assert _fired(synced, store_url) == []
    assert _count(store_url) == 2


@pytest.mark.parametrize("point", ["decided", "recorded"])
def test_kill_9_at_a_checkpoint_then_a_rerun_fires_each_step_once(
    synced: Path, store_url: str, tmp_path: Path, point: str
) -> None:
    from support.kill_points import run_to_kill_point

    settings = str(synced / "ledgerlink.toml")
    args = ["-m", "support.reminders_worker", settings, ON.isoformat(), store_url]
    assert run_to_kill_point(args, tmp_path, point) == "killed"
    assert _count(store_url) == (0 if point == "decided" else 2)
    assert run_to_kill_point(args, tmp_path, None) == "done"
    assert _count(store_url) == 2
    assert _fired(synced, store_url) == []
