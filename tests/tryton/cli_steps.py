"""The user's first steps of the section 5 scenario, through the CLI as a user runs them:
``ledgerlink sync`` of the Tryton connection and ``ledgerlink statements import`` of the
day's statement, in a folder written by :func:`tryton.demo_statement.write_folder`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tryton.demo_statement import STATEMENT
from typer.testing import CliRunner, Result

from ledgerlink.cli import app

runner = CliRunner()


def ledgerlink(folder: Path, *args: str) -> Result:
    """``ledgerlink --config FOLDER/ledgerlink.toml ARGS...`` in this process."""
    return runner.invoke(app, ["--config", str(folder / "ledgerlink.toml"), *args])


def sync_and_import(folder: Path) -> dict[str, Any]:
    """Sync connection ``demo`` into the store and import ``day.xml``; the sync's JSON."""
    synced = ledgerlink(folder, "sync", "demo", "--format", "json")
    assert synced.exit_code == 0, synced.output
    imported = ledgerlink(
        folder, "statements", "import", str(folder / "day.xml"), "--format", "json"
    )
    assert imported.exit_code == 0, imported.output
    (file,) = json.loads(imported.stdout)["files"]
    assert (file["transactions"], file["duplicates"], file["error"]) == (len(STATEMENT), 0, None)
    result: dict[str, Any] = json.loads(synced.stdout)
    return result
