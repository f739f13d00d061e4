"""``ledgerlink migrate`` against a store (SQLite and PostgreSQL): the files and index.csv,
held and quarantined records with their reasons, --since, --deliver through the outbox
exactly once, and a run killed with SIGKILL that resumes without doubling anything."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from support.file_sources import (
    FIXTURES,
    PEPPOL_REFUSED,
    PEPPOL_WRITTEN,
    SHARED_MTIME,
    copy_fixtures,
    set_mtime,
)
from typer.testing import CliRunner, Result

import ubl
from ledgerlink.cli import app
from sync.migrate import INDEX_COLUMNS, KILL_ENV

pytestmark = pytest.mark.usefixtures("artifacts_cache")
runner = CliRunner()
JSON_FIXTURES = sorted(FIXTURES.glob("*.json"))
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


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A settings file with a model-JSON connection over eight fixtures (one refused)."""
    monkeypatch.delenv("LEDGERLINK_STORE", raising=False)
    chosen = [FIXTURES / name for name in PEPPOL_WRITTEN]
    copy_fixtures(tmp_path / "export", [*chosen, FIXTURES / REFUSED])
    (tmp_path / "ledgerlink.toml").write_text(SETTINGS, encoding="utf-8")
    return tmp_path


def ledgerlink(folder: Path, store_url: str, *args: str) -> Result:
    return runner.invoke(
        app, ["--config", str(folder / "ledgerlink.toml"), "migrate", *args, "--store", store_url]
    )


def index(out: Path) -> list[dict[str, str]]:
    with (out / "index.csv").open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        assert tuple(reader.fieldnames or ()) == INDEX_COLUMNS
        return list(reader)


def xml_files(out: Path) -> list[str]:
    return sorted(path.name for path in out.iterdir() if path.suffix == ".xml")


def test_each_valid_document_is_one_validated_file_and_every_record_one_index_row(
    folder: Path, store_url: str
) -> None:
    out = folder / "out"
    result = ledgerlink(folder, store_url, "m", "--to", str(out))
    assert result.exit_code == 1, result.output  # one record is quarantined
    rows = index(out)
    assert len(rows) == 8
    written = [row for row in rows if row["state"] == "written"]
    assert sorted(row["file"] for row in written) == xml_files(out) and len(written) == 7
    for row in written:
        document = ubl.parse(out / row["file"]).document
        assert not ubl.validate((out / row["file"]).read_bytes()).fatal
        assert row["number"] == document.number
        assert row["issue_date"] == document.issue_date.isoformat()
        assert row["buyer_name"] == document.buyer.name
        assert Decimal(row["net"]) == document.totals.without_vat
        assert Decimal(row["vat"]) == (document.totals.vat or Decimal(0))
        assert Decimal(row["payable"]) == document.totals.payable
        assert row["currency"] == document.currency
        assert row["kind"] in {"invoice", "credit-note"}
    (refused,) = [row for row in rows if row["state"] != "written"]
    assert refused["state"] == "quarantined" and refused["file"] == ""
    assert "PEPPOL-EN16931-P0112" in refused["reason"]
    assert "7 written, 0 held, 1 quarantined" in result.stdout
    assert f"quarantined {refused['number']}" in result.stdout
    assert "PEPPOL-EN16931-P0112" in result.stdout


def test_running_it_again_writes_nothing_again_and_keeps_one_row_per_record(
    folder: Path, store_url: str
) -> None:
    out = folder / "out"
    ledgerlink(folder, store_url, "m", "--to", str(out))
    before = {name: (out / name).stat().st_mtime_ns for name in xml_files(out)}
    for path in (folder / "export").rglob("*.json"):  # every file seen as changed
        set_mtime(path, int(path.stat().st_mtime) + 60)
    again = ledgerlink(folder, store_url, "m", "--to", str(out))
    assert again.exit_code == 1, again.output
    assert {name: (out / name).stat().st_mtime_ns for name in xml_files(out)} == before
    assert len(index(out)) == 8
    assert "0 taken in this run, 8 by an earlier run" in again.stdout


def test_a_held_record_names_the_code_and_the_mapping_file(tmp_path: Path, store_url: str) -> None:
    for name in ("ledgerlink.toml", "lindeboom-export.csv"):
        shutil.copyfile(FIXTURES / "csv" / name, tmp_path / name)
    export = tmp_path / "lindeboom-export.csv"
    lines = export.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    lines[1] = lines[1].replace(";21;299,40;", ";super-hoog;299,40;")
    export.write_text("".join(lines), encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            *("--config", str(tmp_path / "ledgerlink.toml"), "migrate", "lindeboom"),
            *("--to", str(out), "--store", store_url),
        ],
    )
    assert result.exit_code == 1, result.output
    (held,) = [row for row in index(out) if row["state"] == "held"]
    assert held["number"] == "2026-0101" and held["file"] == ""
    for text in (held["reason"], result.stdout):
        assert "UNMAPPED-CODE" in text and "super-hoog" in text and "mappings_override" in text
    # the reason is one line, in index.csv and in the summary; the hint's TOML lines (several
    # lines, to paste) are named, not spilled over the summary
    (said,) = [line for line in result.stdout.splitlines() if line.startswith("  held 2026-0101")]
    assert "\n" not in held["reason"] and said.endswith(held["reason"])
    assert "the lines `ledgerlink mappings check` prints" in said
    assert "[vat." not in result.stdout  # the TOML lines stay with the finding
    assert "1 held" in result.stdout
    assert "2026-0101.xml" not in xml_files(out) and len(xml_files(out)) == 3


def test_one_number_twice_gets_a_second_name_and_the_index_says_so(
    tmp_path: Path, store_url: str
) -> None:
    export = tmp_path / "export"
    for sub in ("a", "b"):
        (export / sub).mkdir(parents=True)
        shutil.copyfile(JSON_FIXTURES[0], export / sub / "inv.json")
        data = json.loads((export / sub / "inv.json").read_text(encoding="utf-8"))
        data["buyer"]["name"] = f"Buyer {sub}"  # other content, same number
        (export / sub / "inv.json").write_text(json.dumps(data), encoding="utf-8")
    (tmp_path / "ledgerlink.toml").write_text(
        '[connections.m]\nconnector = "model-json"\npath = "export"\n', encoding="utf-8"
    )
    out = tmp_path / "out"
    result = ledgerlink(tmp_path, store_url, "m", "--to", str(out))
    assert result.exit_code == 0, result.output
    rows = index(out)
    assert len({row["file"] for row in rows}) == 2 == len(xml_files(out))
    (renamed,) = [row for row in rows if row["reason"]]
    plain = next(row["file"] for row in rows if not row["reason"])
    assert "~" in renamed["file"] and plain in renamed["reason"]
    assert renamed["file"] in result.stdout


def test_since_starts_at_the_records_changed_that_day_or_later(
    folder: Path, store_url: str
) -> None:
    # a file changed when the later of its mtime and ctime says: only the future can be set
    paths = sorted((folder / "export").rglob("*.json"))
    for path in paths[3:]:
        set_mtime(path, SHARED_MTIME)  # 2100-01-01
    out = folder / "out"
    result = ledgerlink(folder, store_url, "m", "--to", str(out), "--since", "2100-01-01")
    assert sorted(row["number"] for row in index(out)) == sorted(
        json.loads(path.read_text(encoding="utf-8"))["number"] for path in paths[3:]
    ), result.output
    other = folder / "other"
    ledgerlink(folder, store_url, "m", "--to", str(other), "--since", "2020-01-01")
    assert len(index(other)) == len(paths)
    changed = ledgerlink(folder, store_url, "m", "--to", str(out), "--since", "2020-01-01")
    assert changed.exit_code == 2 and "--since 2100-01-01" in changed.output


def test_deliver_replays_through_the_outbox_once_however_often_it_runs(
    folder: Path, store_url: str
) -> None:
    out = folder / "out"
    for _ in range(2):
        result = ledgerlink(folder, store_url, "m", "--to", str(out), "--deliver")
        assert result.exit_code == 1, result.output
    delivered = xml_files(folder / "delivered")
    assert len(delivered) == 7
    rows = index(out)
    assert {row["delivery"] for row in rows if row["state"] == "written"} == {"delivered"}
    synced = runner.invoke(
        app,
        [
            *("--config", str(folder / "ledgerlink.toml"), "sync"),
            *("--format", "json", "--store", store_url),
        ],
    )
    counts = json.loads(synced.stdout)["connections"]["m"]
    assert counts["delivered"] == 0 and counts["queued"] == 0
    assert xml_files(folder / "delivered") == delivered


def _killed_run(folder: Path, store_url: str, out: Path, kill: str | None) -> int:
    env = {**os.environ, KILL_ENV: kill} if kill else dict(os.environ)
    env.pop("LEDGERLINK_STORE", None)
    command = [
        sys.executable,
        "-c",
        "from ledgerlink.cli import main; main()",
        "--config",
        str(folder / "ledgerlink.toml"),
        "migrate",
        "m",
        "--to",
        str(out),
        "--deliver",
        "--store",
        store_url,
    ]
    return subprocess.run(
        command, env=env, capture_output=True, check=False, timeout=300
    ).returncode


def test_a_run_killed_with_sigkill_resumes_and_nothing_is_written_or_sent_twice(
    folder: Path, store_url: str
) -> None:
    out = folder / "out"
    # killed after the 4th file is written but before it is recorded, then after the 2nd
    # record of the next run is committed (its page not finished: the cursor is behind it)
    assert _killed_run(folder, store_url, out, "4:written") == -signal.SIGKILL
    assert len(xml_files(out)) == 4 and not (out / "index.csv").exists()
    assert _killed_run(folder, store_url, out, "2") == -signal.SIGKILL
    assert _killed_run(folder, store_url, out, None) == 1  # done; one record quarantined
    rows = index(out)
    quarantined = [row["number"] for row in rows if row["state"] == "quarantined"]
    assert sorted(row["number"] for row in rows) == sorted(
        [ubl.parse(out / name).document.number for name in xml_files(out)] + quarantined
    )
    assert len(rows) == 8 and len({(row["number"], row["kind"]) for row in rows}) == 8
    assert sorted(row["file"] for row in rows if row["file"]) == xml_files(out)
    assert not any("~" in name for name in xml_files(out))  # no file written twice
    assert not [path for path in out.iterdir() if path.name.endswith(".tmp")]
    delivered = xml_files(folder / "delivered")
    assert len(delivered) == 7  # each valid document sent once
    assert {row["delivery"] for row in rows if row["state"] == "written"} == {"delivered"}


def test_after_ctrl_c_the_same_command_continues_where_it_stopped(
    folder: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sync.migrate

    real = sync.migrate.validate
    calls: list[int] = []

    def interrupted(built: object) -> object:
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return real(built)  # type: ignore[arg-type]

    monkeypatch.setattr(sync.migrate, "validate", interrupted)
    out = folder / "out"
    stopped = ledgerlink(folder, store_url, "m", "--to", str(out))
    assert stopped.exit_code == 130
    assert "run the same command again to continue" in stopped.stderr
    assert len(index(out)) == 4 == len(xml_files(out))  # what was done is kept and listed
    monkeypatch.setattr(sync.migrate, "validate", real)
    resumed = ledgerlink(folder, store_url, "m", "--to", str(out))
    assert "4 taken in this run, 4 by an earlier run" in resumed.stdout, resumed.output
    assert len(index(out)) == 8 and len(xml_files(out)) == 7
    assert not any("~" in name for name in xml_files(out))


def test_a_migration_continues_only_the_way_it_began_with_or_without_deliver(
    folder: Path, store_url: str
) -> None:
    out, other = folder / "out", folder / "other"
    ledgerlink(folder, store_url, "m", "--to", str(out))
    refused = ledgerlink(folder, store_url, "m", "--to", str(out), "--deliver")
    assert refused.exit_code == 2 and "began without --deliver" in refused.stderr
    assert not (folder / "delivered").exists()
    ledgerlink(folder, store_url, "m", "--to", str(other), "--deliver")
    assert len(xml_files(folder / "delivered")) == 7
    plain = ledgerlink(folder, store_url, "m", "--to", str(other))
    assert plain.exit_code == 2 and "began with --deliver" in plain.stderr


def test_deliver_links_a_document_sync_took_under_another_record_id(
    folder: Path, store_url: str
) -> None:
    synced = runner.invoke(
        app, ["--config", str(folder / "ledgerlink.toml"), "sync", "--store", store_url]
    )
    assert synced.exit_code == 1, synced.output  # the refused record
    delivered = xml_files(folder / "delivered")
    for path in sorted((folder / "export").rglob("*.json")):  # every file renamed
        path.rename(path.with_name(f"renamed-{path.name}"))
    out = folder / "out"
    result = ledgerlink(folder, store_url, "m", "--to", str(out), "--deliver")
    assert result.exit_code == 1, result.output
    assert xml_files(folder / "delivered") == delivered  # same content: never sent again
    assert {row["delivery"] for row in index(out) if row["state"] == "written"} == {"delivered"}
