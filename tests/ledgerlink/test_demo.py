"""``ledgerlink demo``: the whole cycle through the sync engine, as a user calls it.

The fates below follow the rule of ``delivery.ap_emulator.demo_script`` (the sum of the
number's digits modulo 6: 0 paid, 1 accepted, 2 under query, 3 partially paid, 4 rejected by
the buyer, 5 rejected by the access point); a buyer without an electronic address (BT-49)
goes to the folder.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from delivery.ap_emulator import ApEmulator, Fault
from ledgerlink.cli import app
from sync.store.schema import documents, events, outbox

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
LEDGERLINK = Path(sys.executable).with_name("ledgerlink")
runner = CliRunner()

FATES = {
    "DS-2026-2240": ("peppol", "paid", "Invoice Response PD"),  # digits 2+0+2+6+2+2+4+0 = 18
    "2026-10455": ("peppol", "accepted", "Invoice Response AP"),  # 19
    "HBE-CN-26-0042": ("peppol", "delivered", "Invoice Response UQ"),  # 14: under query
    "JDKW-2026-014": ("peppol", "accepted", "PPD"),  # 15: PD with PPD, partially paid
    "2026-10470": ("peppol", "rejected", "PRI"),  # 22: the buyer refuses the prices
    "2026-10417": ("peppol", "rejected", "MLR RE"),  # 23: the access point refuses it
    "AGW-2026-1101": ("archive", "delivered", "channel archive"),  # no BT-49
}


def stored(out: Path) -> dict[str, dict[str, Any]]:
    """Per invoice number: its document state, channel, outbox attempts and event states."""
    engine = create_engine(f"sqlite:///{out / 'sync' / 'ledgerlink.db'}")
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    documents.c.id,
                    documents.c.number,
                    documents.c.state,
                    outbox.c.channel,
                    outbox.c.attempts,
                ).join(outbox, outbox.c.document_id == documents.c.id)
            ).all()
            result: dict[str, dict[str, Any]] = {}
            for row in rows:
                assert row.number not in result, f"{row.number} stored twice"
                result[row.number] = {
                    "state": row.state,
                    "channel": row.channel,
                    "attempts": row.attempts,
                    "events": list(
                        conn.execute(
                            select(events.c.to_state)
                            .where(events.c.document_id == row.id)
                            .order_by(events.c.id)
                        ).scalars()
                    ),
                }
    finally:
        engine.dispose()
    return result


def table_row(output: str, number: str) -> str:
    """The credit manager's line of ``number`` and the last answer printed under it."""
    lines = output.splitlines()
    found = [i for i, line in enumerate(lines) if line.startswith(f"{number} ")]
    assert found, f"no row for {number} in\n{output}"
    first = found[0]  # the credit view; the reconciliation table follows
    return f" {lines[first]} {lines[first + 1].strip()} "


def check_run(out: Path, output: str) -> None:
    count = len(list(FIXTURES.glob("*.json")))
    store = stored(out)
    assert len(store) == count
    for number, (channel, state, response) in FATES.items():
        assert store[number]["channel"] == channel, number
        assert store[number]["state"] == state, number
        assert store[number]["attempts"] == 1, number  # sent once
        row = table_row(output, number)
        assert f" {channel} " in row and f" {state} " in row and response in row, row
    paid = store["DS-2026-2240"]["events"]  # MLR AB, IR AB, AP, PD: one event each
    assert paid.count("sent") == 1 and paid[-3:] == ["delivered", "accepted", "paid"], paid
    delivered = out / "sync" / "delivered"
    assert sorted(path.name for path in delivered.glob("*.xml")) == ["AGW-2026-1101.xml"]
    assert (delivered / "AGW-2026-1101.xml").read_bytes() == (
        FIXTURES / "en16931-buyer-without-endpoint.xml"
    ).read_bytes()
    states = [entry["state"] for entry in store.values()]
    assert f"documents sent: {count}; accepted {states.count('accepted')}, " in output
    assert f"rejected {states.count('rejected')}, paid {states.count('paid')}" in output
    # the second cycle pulls what the look-back window reads again (how many depends on the
    # files' times): all of it unchanged, nothing queued or sent
    again = re.search(
        r"second cycle on the same store: (\d+) pulled, (\d+) unchanged, 0 queued, 0 delivered",
        output,
    )
    assert again is not None and again[1] == again[2] and 1 <= int(again[1]) <= count, output
    assert "Reconciliation: a bank statement for these invoices" in output


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # the table rows on one line each


def test_demo_delivers_the_fixtures_and_shows_each_fate(
    tmp_path: Path, artifacts_cache: Path, wide: None
) -> None:
    result = runner.invoke(app, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    check_run(tmp_path, result.stdout)
    assert "poll 1: " in result.stdout and "no new answer" in result.stdout
    assert "unexpected" not in result.stdout


def test_demo_as_a_command_twice_in_the_same_out(tmp_path: Path, artifacts_cache: Path) -> None:
    """Each run starts a fresh store in OUT/sync (its emulator lives only in the run)."""
    env = {
        "COLUMNS": "200",
        "PATH": "/usr/bin:/bin",
        "LEDGERLINK_ARTIFACTS_DIR": str(artifacts_cache),
    }
    for _ in range(2):
        done = subprocess.run(
            [str(LEDGERLINK), "demo", "--out", str(tmp_path)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        check_run(tmp_path, done.stdout)
    settings = tmp_path / "sync" / "ledgerlink.toml"
    status = subprocess.run(
        [str(LEDGERLINK), "--config", str(settings), "status", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert status.returncode == 0, status.stderr
    assert "DS-2026-2240" in status.stdout


def test_demo_refuses_a_sync_folder_it_did_not_write(tmp_path: Path, artifacts_cache: Path) -> None:
    mine = tmp_path / "sync" / "ledgerlink.toml"
    mine.parent.mkdir()
    mine.write_text("[store]\n")
    result = runner.invoke(app, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "was not written by `ledgerlink demo`" in result.stderr
    assert mine.read_text() == "[store]\n"


def test_demo_exits_1_naming_documents_the_access_point_did_not_take(
    tmp_path: Path, artifacts_cache: Path, monkeypatch: pytest.MonkeyPatch, wide: None
) -> None:
    started = ApEmulator.start

    def failing(self: ApEmulator) -> ApEmulator:
        started(self)
        self.fail(Fault.ERROR, times=None, method="POST")
        return self

    monkeypatch.setattr(ApEmulator, "start", failing)
    result = runner.invoke(app, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "unexpected DS-2026-2240 " in result.stdout
    assert "queued, expected paid" in result.stdout
    assert "500" in result.stdout
    store = stored(tmp_path)
    assert store["DS-2026-2240"]["state"] == "queued"
    assert store["AGW-2026-1101"]["state"] == "delivered"  # the folder still took its own
