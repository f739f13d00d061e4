"""``ledgerlink migrate`` as a user calls it, without a store: bad input exits 2 naming
what is wrong, ``--dry-run`` writes nothing, the progress display (a bar on a terminal,
plain lines otherwise), and the file names ``pull --ubl-dir`` would give."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest
from support.file_sources import FIXTURES, PEPPOL_REFUSED, PEPPOL_WRITTEN, copy_fixtures
from typer.testing import CliRunner, Result

from ledgerlink import migrate_command
from ledgerlink.cli import app
from ledgerlink.pull_command import DocumentFiles
from sync.migrate import file_name

runner = CliRunner()
REFUSED = PEPPOL_REFUSED
SETTINGS = """\
[channels.archive]
type = "directory"
path = "delivered"
[connections.m]
connector = "model-json"
path = "export"
page_size = 3
channels = ["archive"]
"""
ANSI = re.compile(r"\x1b\[")


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Eight model-JSON fixtures (one refused by the Peppol writer) and a settings file."""
    monkeypatch.delenv("LEDGERLINK_STORE", raising=False)
    chosen = [FIXTURES / name for name in PEPPOL_WRITTEN]
    copy_fixtures(tmp_path / "export", [*chosen, FIXTURES / REFUSED])
    (tmp_path / "ledgerlink.toml").write_text(SETTINGS, encoding="utf-8")
    return tmp_path


def ledgerlink(folder: Path, *args: str) -> Result:
    return runner.invoke(app, ["--config", str(folder / "ledgerlink.toml"), "migrate", *args])


@pytest.mark.parametrize("since", ["2026-02-30", "yesterday", "2026-1-5", "05-01-2026"])
def test_a_since_that_is_not_a_date_is_exit_2_naming_it(folder: Path, since: str) -> None:
    result = ledgerlink(folder, "m", "--to", str(folder / "out"), "--since", since)
    assert result.exit_code == 2
    assert f"--since {since!r} is not a date" in result.stderr and "YYYY-MM-DD" in result.stderr
    assert not (folder / "out").exists() and not (folder / "ledgerlink.db").exists()


def test_an_unknown_connection_is_exit_2_naming_the_known_ones(folder: Path) -> None:
    result = ledgerlink(folder, "shop", "--to", str(folder / "out"))
    assert result.exit_code == 2
    assert "no connection 'shop'" in result.stderr and "known: m" in result.stderr
    assert not (folder / "out").exists() and not (folder / "ledgerlink.db").exists()


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_folder_that_cannot_be_written_is_exit_2(folder: Path, dry_run: bool) -> None:
    blocker = folder / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    for target in (blocker, blocker / "below"):
        result = ledgerlink(folder, "m", "--to", str(target), *(["--dry-run"] if dry_run else []))
        assert result.exit_code == 2, result.output
        assert f"--to {target}" in result.stderr
    assert not (folder / "ledgerlink.db").exists()


@pytest.mark.usefixtures("artifacts_cache")
def test_a_dry_run_builds_and_validates_everything_and_writes_nothing(folder: Path) -> None:
    out = folder / "out"
    result = ledgerlink(folder, "m", "--to", str(out), "--dry-run", "--deliver")
    assert result.exit_code == 1, result.output  # the refused record is reported as in a run
    assert "7 written, 0 held, 1 quarantined" in result.stdout
    assert "nothing written (dry run)" in result.stdout and "nothing sent" in result.stdout
    assert "PEPPOL-EN16931-P0112" in result.stdout
    assert not out.exists()
    assert not (folder / "ledgerlink.db").exists() and not (folder / "delivered").exists()


@pytest.mark.usefixtures("artifacts_cache")
def test_without_a_terminal_progress_is_plain_lines(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(migrate_command, "PLAIN_EVERY", 3)
    result = ledgerlink(folder, "m", "--to", str(folder / "out"), "--dry-run")
    lines = [line for line in result.stderr.splitlines() if line.startswith("migrate m:")]
    assert [int(line.split()[2]) for line in lines] == [3, 6, 8]
    assert all(line.endswith("/s") for line in lines)
    assert not ANSI.search(result.stderr) and not ANSI.search(result.stdout)


@pytest.mark.usefixtures("artifacts_cache")
def test_on_a_terminal_a_progress_bar_shows_count_rate_and_time_left(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rich.console import Console

    screen = io.StringIO()
    monkeypatch.setattr(
        migrate_command,
        "_console",
        lambda: Console(file=screen, force_terminal=True, width=120),
    )
    result = ledgerlink(folder, "m", "--to", str(folder / "out"), "--dry-run")
    assert result.exit_code == 1, result.output
    shown = screen.getvalue()
    assert ANSI.search(shown)
    assert "8/8" in shown and re.search(r"\d+\.\d/s", shown) and "left" in shown
    assert "migrate m:" not in result.stderr  # no plain lines beside the bar


@pytest.mark.usefixtures("artifacts_cache")
def test_in_a_real_pseudo_terminal_the_bar_is_drawn(folder: Path) -> None:
    controller, terminal = pty.openpty()
    command = [sys.executable, "-c", "from ledgerlink.cli import main; main()"]
    command += ["--config", str(folder / "ledgerlink.toml"), "migrate", "m"]
    command += ["--to", str(folder / "out"), "--dry-run"]
    env = {**os.environ, "COLUMNS": "120", "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=terminal, env=env)
    os.close(terminal)
    drawn = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the other side closed
            break
        if not chunk:
            break
        drawn += chunk
    stdout, _ = process.communicate(timeout=60)
    os.close(controller)
    text = drawn.decode("utf-8", "replace")
    assert "8/8" in text and "left" in text, text
    assert b"7 written" in stdout and b"\x1b[" not in stdout


@pytest.mark.parametrize(
    "numbers",
    [
        [("INV-7", "a/inv.json"), ("INV-7", "b/inv.json"), ("INV-7", "b/inv.json")],
        [("CN/001", "slash.json"), ("CN_001", "underscore.json"), ("cn_001", "lower.json")],
        [("", "empty.json"), ("..", "dots.json")],
    ],
)
def test_file_names_are_the_ones_pull_ubl_dir_gives(numbers: list[tuple[str, str]]) -> None:
    pulled = DocumentFiles()
    taken: set[str] = set()
    for number, record in numbers:
        chosen = file_name(number, record, lambda name: name.casefold() in taken)
        taken.add(chosen[0].casefold())
        assert chosen == pulled.name(number, record)
