"""``ledgerlink migrate`` against the real Tryton server: its history as validated UBL, with
the index, and a second run that takes nothing again."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from tryton.server import TrytonServer
from typer.testing import CliRunner

import ubl
from ledgerlink.cli import app

runner = CliRunner()
DOCUMENTS = ["CN-1", "INV-1", "INV-2", "INV-3"]  # the demo database's posted documents


def test_a_tryton_history_becomes_validated_files_and_an_index_once(
    artifacts_cache: Path,
    tryton_server: TrytonServer,
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRYTON_PASSWORD", tryton_server.password)
    monkeypatch.delenv("LEDGERLINK_STORE", raising=False)
    config = tmp_path / "ledgerlink.toml"
    config.write_text(
        f"""
[connections.demo]
connector = "tryton"
url = "{tryton_server.url}"
database = "{tryton_server.database}"
username = "{tryton_server.username}"
password_env = "TRYTON_PASSWORD"
[connections.demo.parties]
company = {{ kvk = "12345678" }}
"NL000099998B57" = {{ kvk = "87654321" }}
""",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    args = ["--config", str(config), "migrate", "demo", "--to", str(out), "--store", store_url]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert sorted(path.stem for path in out.glob("*.xml")) == DOCUMENTS
    for path in out.glob("*.xml"):
        assert ubl.validate(path.read_bytes()).fatal == (), path.name
    with (out / "index.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert sorted(row["number"] for row in rows) == DOCUMENTS
    assert {row["state"] for row in rows} == {"written"}
    assert {row["kind"] for row in rows} == {"invoice", "credit-note"}
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "0 taken in this run, 4 by an earlier run" in again.stdout
