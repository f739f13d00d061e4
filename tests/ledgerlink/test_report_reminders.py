"""``ledgerlink report reminders`` as a user runs it, after a week of reminder runs on a
store synced from the shop: per step what fired and what the letters stated, the pauses in
force, csv rows per reminder and an svg chart by step."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from lxml import etree
from support.profile_documents import clean_invoice
from support.two_shops import ledgerlink, make_folder, write

pytestmark = pytest.mark.usefixtures("artifacts_cache")
ON = date(2026, 12, 7)


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("LEDGERLINK_STORE", raising=False)
        patch.delenv("LEDGERLINK_CONFIG", raising=False)
        root = make_folder(tmp_path_factory.mktemp("report-reminders"), {})
        for number, days in (("S-1", 7), ("S-2", 7), ("S-3", 3)):
            due = ON - timedelta(days=days)
            doc = replace(
                clean_invoice(), number=number, issue_date=due - timedelta(30), due_date=due
            )
            write(root / "shop", doc)
        assert ledgerlink(root, "sync").exit_code == 0
        for day in (ON, ON + timedelta(days=4), ON + timedelta(days=7)):
            ran = ledgerlink(root, "reminders", "--on", day.isoformat())
            assert ran.exit_code == 0, ran.output
        paused = ledgerlink(root, "reminders", "pause", "S-3", "--reason", "plan")
        assert paused.exit_code == 0, paused.output
        yield root


def _report(root: Path, *args: str) -> str:
    result = ledgerlink(root, "report", "reminders", "--on", "2026-12-14", *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_json_per_step_and_the_pauses(week: Path) -> None:
    data = json.loads(_report(week, "--format", "json"))
    steps = {s["step"]: s for s in data["steps"]}
    assert list(steps) == ["reminder_1", "aanmaning"]  # in the order the policy has them
    assert steps["reminder_1"]["fired"] == 3 and steps["aanmaning"]["fired"] == 2
    assert steps["reminder_1"]["open"] == {"EUR": "363.00"}
    assert steps["reminder_1"]["costs"] == "120.00"  # EUR 40 per late invoice
    assert [(p["invoice"], p["reason"], p["until"]) for p in data["paused"]] == [
        ("S-3", "plan", None)
    ]
    assert [r["invoice"] for r in data["reminders"] if r["step"] == "aanmaning"] == ["S-1", "S-2"]
    since = json.loads(_report(week, "--format", "json", "--since", "2026-12-10"))
    assert [s["step"] for s in since["steps"]] == ["reminder_1", "aanmaning"]
    assert sum(s["fired"] for s in since["steps"]) == 3  # S-3's reminder_1 and the aanmaningen
    before = json.loads(
        ledgerlink(week, "report", "reminders", "--on", "2026-12-07", "--format", "json").stdout
    )
    assert [(s["step"], s["fired"]) for s in before["steps"]] == [("reminder_1", 2)]


def test_csv_svg_and_text(week: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(_report(week, "--format", "csv"))))
    assert len(rows) == 5
    assert {r["invoice"] for r in rows} == {"S-1", "S-2", "S-3"}
    assert rows[0]["fired_on"] == "2026-12-07" and rows[0]["costs"] == "40.00"
    svg = etree.fromstring(_report(week, "--format", "svg").encode())
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "reminder_1" in texts and "aanmaning" in texts
    text = _report(week)
    assert "reminder_1" in text and "Paused" in text and "plan" in text


def test_a_bad_format_is_a_usage_error(week: Path) -> None:
    result = ledgerlink(week, "report", "reminders", "--format", "pdf")
    assert result.exit_code == 2 and "--format must be one of" in result.output
