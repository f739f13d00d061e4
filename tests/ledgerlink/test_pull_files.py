"""``ledgerlink pull`` over the file sources: a model-JSON folder and an inbound UBL folder.

The settings file names each folder relative to itself, as a user writes it; the folders hold
copies of the fixtures and one broken file each.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.file_sources import FIXTURES, line_of
from typer.testing import CliRunner, Result

import ubl
from ledgerlink.cli import app
from model.jsonio import loads

runner = CliRunner()
GOOD = ["nl-standard-21-9", "creditnote-billing-reference"]
NUMBERS = {"nl-standard-21-9": "2026-10417", "creditnote-billing-reference": "HBE-CN-26-0042"}
SETTINGS = """
[connections.migration]
connector = "model-json"
path = "export"

[connections.inbound]
connector = "ubl-dir"
path = "received"
"""
BROKEN_JSON = "nl-zero-rated-z.json"  # its BT-115 written as a JSON float
ORDER = (
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    '<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>\n'
)


def float_amount() -> str:
    text = (FIXTURES / BROKEN_JSON).read_text(encoding="utf-8")
    assert text.count('"payable": "2295.55"') == 1
    return text.replace('"payable": "2295.55"', '"payable": 2295.55')


@pytest.fixture
def settings(tmp_path: Path) -> Path:
    """Settings naming ``export/`` (model JSON) and ``received/`` (UBL) next to the file."""
    for folder, suffix, broken, content in (
        ("export", ".json", "float.json", float_amount()),
        ("received", ".xml", "order.xml", ORDER),
    ):
        (tmp_path / folder).mkdir()
        for stem in GOOD:
            source = FIXTURES / f"{stem}{suffix}"
            (tmp_path / folder / source.name).write_bytes(source.read_bytes())
        (tmp_path / folder / broken).write_text(content, encoding="utf-8")
    path = tmp_path / "ledgerlink.toml"
    path.write_text(SETTINGS, encoding="utf-8")
    return path


def run(config: Path, *args: str) -> Result:
    return runner.invoke(app, ["--config", str(config), *args])


@pytest.mark.parametrize(("connection", "suffix"), [("migration", ".json"), ("inbound", ".xml")])
def test_pull_lists_every_file(settings: Path, connection: str, suffix: str) -> None:
    table = run(settings, "pull", connection)
    assert table.exit_code == 0, table.output
    for stem in GOOD:
        assert f"{stem}{suffix}" in table.output
        assert NUMBERS[stem] in table.output

    result = run(settings, "pull", connection, "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row["data"] for row in json.loads(result.stdout)}
    broken = "float.json" if suffix == ".json" else "order.xml"
    assert sorted(rows) == sorted([broken, *(f"{stem}{suffix}" for stem in GOOD)])
    folder = settings.parent / ("export" if suffix == ".json" else "received")
    for stem in GOOD:
        data = rows[f"{stem}{suffix}"]
        assert data["number"] == NUMBERS[stem]
        assert data["path"] == str(folder / f"{stem}{suffix}")


def test_ubl_dir_writes_the_good_model_json_files_and_quarantines_the_bad_one(
    artifacts_cache: Path, settings: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = run(settings, "pull", "migration", "--ubl-dir", str(out))
    assert result.exit_code == 1, result.output
    assert "1 record(s) quarantined" in result.output
    report = json.loads((out / "quarantine.json").read_text(encoding="utf-8"))
    assert sorted(report["written"]) == sorted(f"{NUMBERS[stem]}.xml" for stem in GOOD)
    for stem in GOOD:
        document = loads((FIXTURES / f"{stem}.json").read_bytes())
        assert (out / f"{NUMBERS[stem]}.xml").read_bytes() == ubl.write(document, "peppol-bis3")
    (held,) = report["quarantined"]
    bad = settings.parent / "export" / "float.json"
    assert held["record"] == "float.json"
    assert held["number"] == "NSB-2026-4410"
    assert held["stage"] == "mapping"
    line = line_of(bad, '"payable": 2295.55')
    assert held["reason"].startswith(f"{bad}:{line}: [totals.payable] JSON number 2295.55 is")


def test_ubl_dir_writes_the_good_inbound_files_and_quarantines_the_order(
    artifacts_cache: Path, settings: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = run(settings, "pull", "inbound", "--ubl-dir", str(out))
    assert result.exit_code == 1, result.output
    report = json.loads((out / "quarantine.json").read_text(encoding="utf-8"))
    assert sorted(report["written"]) == sorted(f"{NUMBERS[stem]}.xml" for stem in GOOD)
    for stem in GOOD:
        document = ubl.parse(FIXTURES / f"{stem}.xml").document
        assert (out / f"{NUMBERS[stem]}.xml").read_bytes() == ubl.write(document, "peppol-bis3")
    (held,) = report["quarantined"]
    bad = settings.parent / "received" / "order.xml"
    assert held["record"] == "order.xml"
    assert held["number"] is None
    assert held["reason"].startswith(f"{bad}:2: wrong root element")


def test_a_missing_path_names_the_setting_and_the_file(tmp_path: Path) -> None:
    config = tmp_path / "ledgerlink.toml"
    config.write_text('[connections.migration]\nconnector = "model-json"\n', encoding="utf-8")
    result = run(config, "pull", "migration")
    assert result.exit_code == 2
    assert (
        result.stderr == f"error: {config}:1: connections.migration.path: required, but not set\n"
    )


def test_a_path_that_does_not_exist_names_the_setting_and_the_file(tmp_path: Path) -> None:
    config = tmp_path / "ledgerlink.toml"
    config.write_text(
        '[connections.inbound]\nconnector = "ubl-dir"\npath = "nowhere"\n', encoding="utf-8"
    )
    result = run(config, "pull", "inbound")
    assert result.exit_code == 2
    assert f"[connections.inbound] in {config}: path: no such file or folder" in result.output
    assert f'{(tmp_path / "nowhere").resolve()} (path = "nowhere" is read' in result.output


def test_pulling_another_stream_is_a_settings_error(settings: Path) -> None:
    result = run(settings, "pull", "inbound", "--stream", "parties")
    assert result.exit_code == 2
    assert "only the invoices stream" in result.output
