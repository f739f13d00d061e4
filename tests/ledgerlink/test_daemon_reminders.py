"""The daemon's daily reminder run (``[reminders] daemon = true``), as real processes: two
runs of ``ledgerlink daemon --once`` on one day fire each step once, the second run finds
it fired; ``ledgerlink reminders`` by hand on the same day fires nothing more."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from support.daemon_processes import lines, raw, start, wait
from support.profile_documents import clean_invoice
from support.two_shops import write
from typer.testing import CliRunner

from ledgerlink.cli import app
from sync.store import open_store
from sync.store.schema import reminders

pytestmark = pytest.mark.usefixtures("artifacts_cache")
TODAY = date.today()


def _settings(folder: Path, daemon: bool) -> Path:
    path = folder / "ledgerlink.toml"
    path.write_text(
        f"""\
[store]
url = "sqlite:///ledgerlink.db"
[daemon]
listen = "127.0.0.1:0"
workers = 1
[channels.archive]
type = "directory"
path = "delivered"
[connections.shop]
connector = "ubl-dir"
path = "inbox"
channels = ["archive"]
every = "1h"
[reminders]
policy = "nl-b2b"
daemon = {str(daemon).lower()}
""",
        encoding="utf-8",
    )
    return path


def _fired(folder: Path) -> list[tuple[str, str, date]]:
    with open_store(f"sqlite:///{folder / 'ledgerlink.db'}") as store, store.begin() as conn:
        rows = conn.execute(select(reminders.c.number, reminders.c.step, reminders.c.fired_on))
        return sorted((row.number, row.step, row.fired_on) for row in rows)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "inbox").mkdir()
    doc = clean_invoice()
    write(tmp_path / "inbox", replace(doc, number="R-1", due_date=TODAY - timedelta(days=10)))
    write(tmp_path / "inbox", replace(doc, number="R-2", due_date=TODAY + timedelta(days=20)))
    return tmp_path


def test_two_daemon_runs_on_one_day_fire_each_step_once(folder: Path) -> None:
    settings = _settings(folder, daemon=True)
    first = start(settings, "--once")
    assert wait(first) == 0, raw(first)
    [run] = [line for line in lines(first) if line["event"] == "reminders"]
    assert (run["on"], run["fires"], run["recorded"]) == (TODAY.isoformat(), 1, 1)
    assert _fired(folder) == [("R-1", "reminder_1", TODAY)]

    second = start(settings, "--once")
    assert wait(second) == 0, raw(second)
    [again] = [line for line in lines(second) if line["event"] == "reminders"]
    assert (again["fires"], again["recorded"]) == (0, 0)
    assert _fired(folder) == [("R-1", "reminder_1", TODAY)]

    by_hand = CliRunner().invoke(app, ["--config", str(settings), "reminders", "--format", "json"])
    assert by_hand.exit_code == 0, by_hand.output
    [entry] = [e for e in json.loads(by_hand.stdout)["reminders"] if e["invoice"] == "R-1"]
    assert entry["step"] == "reminder_1" and entry["fires"] is False
    assert entry["fired_on"] == TODAY.isoformat()
    assert _fired(folder) == [("R-1", "reminder_1", TODAY)]


def test_without_the_setting_the_daemon_runs_no_reminders(folder: Path) -> None:
    daemon = start(_settings(folder, daemon=False), "--once")
    assert wait(daemon) == 0, raw(daemon)
    assert not [line for line in lines(daemon) if line["event"].startswith("reminders")]
    assert _fired(folder) == []
