"""``ledgerlink statements import`` on the real bank samples of the shared material."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.shared import require_shared
from typer.testing import CliRunner

from ledgerlink.cli import app

BANK = "reference/bank"
RABO = "mt940/oca_rabobank_structured.swi"  # NL34RABO0142623393, balanced, 4 statements
ABN = "mt940/wolph-jejik_abnamro.sta"  # account id 517852257; excerpts that do not add up


def shared_path(*parts: str) -> Path:
    return require_shared("/".join(parts))


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "ledgerlink.toml"
    path.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "store.db"}"\n\n'
        '[connections.shop]\nconnector = "ubl-dir"\npath = "inbox"\n'
        'accounts = ["NL34 RABO 0142 6233 93", "517852257"]\n',
        encoding="utf-8",
    )
    return path


def _run(config: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["--config", str(config), "statements", "import", *args])


def test_json_prints_one_object_per_file_and_a_second_import_adds_nothing(config: Path) -> None:
    rabo = str(shared_path(BANK, RABO))
    first = _run(config, rabo, "--format", "json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == {
        "files": [
            {"path": rabo, "format": "mt940", "transactions": 2, "duplicates": 0, "error": None}
        ]
    }
    again = json.loads(_run(config, rabo, "--format", "json").stdout)
    assert again["files"][0] | {"transactions": 0} == again["files"][0]
    assert again["files"][0]["duplicates"] == 2


def test_a_failing_file_is_reported_and_the_others_still_import(config: Path) -> None:
    abn = str(shared_path(BANK, ABN))
    unknown = str(shared_path(BANK, "camt053/mpdroog_rabobank_camt053.001.02_real_export.xml"))
    wrong = str(shared_path(BANK, "mt940/zilverline_rabobank_mt940_structured.txt"))
    rabo = str(shared_path(BANK, RABO))
    result = _run(config, abn, unknown, wrong, rabo, "--format", "json")
    assert result.exit_code == 1
    files = json.loads(result.stdout)["files"]
    assert [f["transactions"] for f in files] == [0, 0, 0, 2]
    assert "balances do not add up" in files[0]["error"] and "2038.00 EUR" in files[0]["error"]
    assert "NL17RABO0310029597 belongs to no connection" in files[1]["error"]
    assert "NL50RABO0123456789" in files[2]["error"] and "not a valid IBAN" in files[2]["error"]
    assert files[3]["error"] is None


def test_accept_unbalanced_imports_and_says_the_difference(config: Path) -> None:
    abn = str(shared_path(BANK, ABN))
    result = _run(config, abn, "--accept-unbalanced")
    assert result.exit_code == 0, result.output
    assert "10 imported, 0 duplicates skipped" in result.stdout
    assert "difference recorded: 517852257 2038.00" in result.stdout


def test_a_file_that_is_no_statement_names_the_file(config: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.sta"
    text = shared_path(BANK, RABO).read_text(encoding="utf-8")
    cut.write_text(text[: len(text) // 2], encoding="utf-8")
    result = _run(config, str(cut), "--format", "json")
    assert result.exit_code == 1
    (entry,) = json.loads(result.stdout)["files"]
    assert entry["error"].startswith("cut.sta") and "truncated" in entry["error"]
    # the statements complete before the cut are imported, the cut one not at all
    full = json.loads(_run(config, str(shared_path(BANK, RABO)), "--format", "json").stdout)
    assert entry["transactions"] + full["files"][0]["transactions"] == 2
    assert full["files"][0]["duplicates"] == entry["transactions"]
