"""Usage errors of the store commands as a user meets them: the upgrade hint names the store
the command was given, and an unknown ``--state`` is refused naming the known ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ledgerlink.cli import app
from sync.store import open_store
from sync.store.schema import DOCUMENT_STATES, OUTBOX_STATES

runner = CliRunner()


def ledgerlink(*args: str, env: dict[str, str | None] | None = None) -> Result:
    unset: dict[str, str | None] = {"LEDGERLINK_STORE": None, "LEDGERLINK_CONFIG": None}
    return runner.invoke(app, list(args), env={**unset, **(env or {})})


def one_line_error(result: Result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def older(url: str) -> str:
    with open_store(url, create=True) as store:
        store.upgrade()
        with store.begin() as connection:
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
    return url


@pytest.mark.usefixtures("artifacts_cache")
@pytest.mark.parametrize(
    "command", [["status"], ["show", "INV-1"], ["outbox", "list"], ["sync"], ["retry"]]
)
def test_the_upgrade_hint_of_an_older_store_carries_the_store_given(
    store_url: str, tmp_path: Path, command: list[str]
) -> None:
    (tmp_path / "inbox").mkdir()
    settings = tmp_path / "ledgerlink.toml"
    settings.write_text('[connections.shop]\nconnector = "ubl-dir"\npath = "inbox"\n')
    line = one_line_error(
        ledgerlink("--config", str(settings), *command, "--store", older(store_url))
    )
    assert "at revision 0001" in line
    assert f"`ledgerlink store upgrade --store {store_url}`" in line


def test_the_upgrade_hint_names_the_environment_variable_that_chose_the_store(
    sqlite_url: str,
) -> None:
    line = one_line_error(ledgerlink("status", env={"LEDGERLINK_STORE": older(sqlite_url)}))
    assert "`ledgerlink store upgrade` with the same LEDGERLINK_STORE" in line


@pytest.mark.parametrize(
    ("command", "known"), [(["status"], DOCUMENT_STATES), (["outbox", "list"], OUTBOX_STATES)]
)
def test_an_unknown_state_is_a_usage_error_naming_the_known_ones(
    store_url: str, command: list[str], known: tuple[str, ...]
) -> None:
    with open_store(store_url, create=True) as store:
        store.ensure()
    line = one_line_error(ledgerlink(*command, "--state", "bogus", "--store", store_url))
    assert "'bogus'" in line and all(state in line for state in known)
    if command == ["status"]:
        assert "held" in line
    listed = ledgerlink(*command, "--state", known[0], "--store", store_url)
    assert listed.exit_code == 0, listed.output
