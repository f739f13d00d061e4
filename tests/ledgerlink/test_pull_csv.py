"""``ledgerlink pull`` over a CSV connection: the demo export of fixtures/csv, plus bad rows.

The settings file is the demo's own (fixtures/csv/ledgerlink.toml), copied next to a folder
``exports/`` holding the demo export and a second export in the same Dutch layout with one
invoice per kind of failure.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from support.shared import REPO_ROOT
from typer.testing import CliRunner, Result

import mappings
import ubl
from ledgerlink.cli import app

runner = CliRunner()
DEMO = REPO_ROOT / "fixtures" / "csv"
DEMO_NUMBERS = ["2026-0101", "2026-0102", "2026-0103", "CN-2026-0007"]
RENAMES: dict[str, str] = tomllib.loads((DEMO / "ledgerlink.toml").read_text(encoding="utf-8"))[
    "connections"
]["lindeboom"]["columns"]
HEADER = (DEMO / "lindeboom-export.csv").read_text(encoding="utf-8").splitlines()[0].split(";")
JANSEN = {
    "issue_date": "20-01-2026",
    "due_date": "19-02-2026",
    "customer_name": "Bakkerij Jansen B.V.",
    "customer_vat": "NL866120932B01",
    "customer_kvk": "30112233",
    "customer_street": "Dorpsstraat 8",
    "customer_postcode": "3732 HJ",
    "customer_city": "De Bilt",
    "customer_country": "Nederland",
    "order_reference": "PO-90001",
    "description": "Nietmachine",
    "quantity": "2",
    "unit": "stuk",
    "unit_price": "12,50",
    "vat_code": "21",
}


def dutch_row(**values: str) -> str:
    """One row of the demo layout: ``values`` by our column names, under the demo's headers."""
    by_header = {RENAMES[name]: value for name, value in values.items()}
    assert set(by_header) <= set(HEADER), set(by_header) - set(HEADER)
    return ";".join(by_header.get(header, "") for header in HEADER)


BAD_EXPORT = "\n".join(
    [
        ";".join(HEADER),
        dutch_row(number="2026-0201", **{**JANSEN, "vat_code": "hoog tarief"}),  # line 2
        dutch_row(**JANSEN),  # line 3: no invoice number
        dutch_row(number="2026-0202", **{**JANSEN, "customer_street": ""}),  # line 4: NL-R-004
        dutch_row(number="2026-0203", **{**JANSEN, "unit_price": "1.012,50"}),  # line 5
        dutch_row(number="2026-0204", **JANSEN),  # line 6: a good one
    ]
)


@pytest.fixture
def settings(tmp_path: Path) -> Path:
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "lindeboom-export.csv").write_bytes((DEMO / "lindeboom-export.csv").read_bytes())
    (exports / "bad.csv").write_text(BAD_EXPORT + "\n", encoding="utf-8")
    text = (DEMO / "ledgerlink.toml").read_text(encoding="utf-8")
    assert text.count('path = "lindeboom-export.csv"') == 1
    path = tmp_path / "ledgerlink.toml"
    path.write_text(text.replace('path = "lindeboom-export.csv"', 'path = "exports"'), "utf-8")
    return path


def run(config: Path, *args: str) -> Result:
    return runner.invoke(app, ["--config", str(config), *args])


def test_the_demo_export_passes_with_its_own_settings(
    artifacts_cache: Path, tmp_path: Path
) -> None:
    out = tmp_path / "ubl"
    result = run(DEMO / "ledgerlink.toml", "pull", "lindeboom", "--ubl-dir", str(out))
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == f"{len(DEMO_NUMBERS)} written to {out}, none quarantined"
    again = run(
        DEMO / "ledgerlink.toml", "pull", "lindeboom", "--format", "json", "--ubl-dir", str(out)
    )
    assert (
        sorted(row["id"] for row in json.loads(again.stdout)) == DEMO_NUMBERS
    )  # the status: stderr
    report = json.loads((out / "quarantine.json").read_text(encoding="utf-8"))
    assert report["quarantined"] == []
    assert sorted(path.stem for path in out.glob("*.xml")) == DEMO_NUMBERS
    for path in out.glob("*.xml"):
        assert ubl.validate(path.read_bytes()).fatal == (), path.name


def test_good_invoices_are_written_and_each_bad_one_is_quarantined_with_file_and_line(
    artifacts_cache: Path, settings: Path, tmp_path: Path
) -> None:
    out = tmp_path / "ubl"
    result = run(settings, "pull", "lindeboom", "--ubl-dir", str(out))
    assert result.exit_code == 1, result.output
    assert f"5 written to {out}, 4 record(s) quarantined" in " ".join(result.stderr.split())
    assert sorted(path.stem for path in out.glob("*.xml")) == [
        *DEMO_NUMBERS[:3],
        "2026-0204",
        "CN-2026-0007",
    ]
    for path in out.glob("*.xml"):
        assert ubl.validate(path.read_bytes()).fatal == (), path.name
    report = json.loads((out / "quarantine.json").read_text(encoding="utf-8"))
    held = {entry["record"]: entry for entry in report["quarantined"]}
    bad = settings.parent / "exports" / "bad.csv"
    assert sorted(held) == ["2026-0201", "2026-0202", "2026-0203", "bad.csv:3"]
    assert held["2026-0201"]["stage"] == "mapping"
    assert held["2026-0201"]["reason"].startswith(f'{bad}:2, column "BTW" (vat_code, BT-151): ')
    assert "'hoog tarief'" in held["2026-0201"]["reason"]
    (unmapped,) = held["2026-0201"]["issues"]  # the mapping error, as a finding
    assert (unmapped["layer"], unmapped["rule"]) == ("mapping", "UNMAPPED-CODE")
    assert unmapped["message"] in held["2026-0201"]["reason"]
    new = settings.parent / "mappings-lindeboom.toml"
    assert unmapped["hint"].startswith(f'add to {new}:\n[vat."hoog tarief"]\ncategory = "?"')
    assert (
        f'create {new} and name it with mappings_override = "mappings-lindeboom.toml" '
        f"under [connections.lindeboom] in {settings}"
    ) in unmapped["message"]
    assert str(mappings.packaged_path("csv")) not in held["2026-0201"]["reason"] + unmapped["hint"]
    (no_number,) = held["bad.csv:3"]["issues"]
    assert (no_number["layer"], no_number["rule"]) == ("pull", "RECORD-ERROR")
    assert no_number["message"] == held["bad.csv:3"]["reason"]
    assert held["bad.csv:3"]["reason"].startswith(f"{bad}:3: the row has no invoice number")
    assert held["2026-0203"]["reason"].startswith(f'{bad}:5, column "Prijs" (unit_price, BT-146)')
    # mapped, but a Dutch buyer of a Dutch seller needs a street: the writer's Peppol rules
    assert held["2026-0202"]["stage"] == "validation"
    assert [issue["rule"] for issue in held["2026-0202"]["issues"]] == ["NL-R-004"]
    assert held["2026-0202"]["issues"][0]["layer"] == "profile"


def test_a_mapping_override_in_the_settings_maps_the_missing_code(
    artifacts_cache: Path, settings: Path, tmp_path: Path
) -> None:
    (settings.parent / "csv-lindeboom.toml").write_text(
        '[vat."hoog tarief"]\ncategory = "S"\nrate = "21"\n', encoding="utf-8"
    )
    text = settings.read_text(encoding="utf-8").replace(
        'path = "exports"', 'path = "exports"\nmappings_override = "csv-lindeboom.toml"'
    )
    settings.write_text(text, encoding="utf-8")
    out = tmp_path / "ubl"
    run(settings, "pull", "lindeboom", "--ubl-dir", str(out))
    report = json.loads((out / "quarantine.json").read_text(encoding="utf-8"))
    assert "2026-0201.xml" in report["written"]
    assert "2026-0201" not in {entry["record"] for entry in report["quarantined"]}


def test_pull_as_json_shows_the_rows_with_their_lines(settings: Path) -> None:
    result = run(settings, "pull", "lindeboom", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert set(DEMO_NUMBERS) < set(rows)
    first = rows["2026-0101"]["data"]
    assert [row["line"] for row in first["rows"]] == [2, 3, 5]  # not consecutive in the file
    assert first["rows"][0]["unit_price"] == "24,95"  # raw, as exported
    assert (first["date"], first["total_amount"]) == ("02-01-2026", "591,77")  # for the table
    assert rows["2026-0102"]["data"]["total_amount"] is None  # that invoice states no total


def test_a_connection_without_a_seller_is_a_settings_error(settings: Path) -> None:
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.split("[connections.lindeboom.seller]")[0], encoding="utf-8")
    result = run(settings, "pull", "lindeboom")
    assert result.exit_code == 2
    assert "connections.lindeboom.seller: required, but not set" in result.output


def test_only_the_invoices_stream_exists(settings: Path) -> None:
    result = run(settings, "pull", "lindeboom", "--stream", "parties")
    assert result.exit_code == 2
    assert "only the invoices stream" in result.output


def test_mappings_check_names_an_unmapped_csv_code_with_its_file_and_line(
    settings: Path,
) -> None:
    result = runner.invoke(
        app, ["--config", str(settings), "mappings", "check", "lindeboom"], env={"COLUMNS": "400"}
    )
    assert result.exit_code == 1, result.output
    assert "hoog tarief" in result.output and "bad.csv:2" in result.output, result.output
    assert "mappings-lindeboom.toml" in result.output and "/csv.toml" not in result.output


def test_mappings_check_passes_on_the_demo_export(tmp_path: Path) -> None:
    result = run(DEMO / "ledgerlink.toml", "mappings", "check", "lindeboom")
    assert result.exit_code == 0, result.output
    found = re.search(r"all (\d+) codes seen", result.output)
    assert found and int(found.group(1)) >= 4, result.output  # VAT codes, units, country, ...


def test_mappings_check_of_a_source_without_codes_says_so(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    config = tmp_path / "ledgerlink.toml"
    config.write_text('[connections.inbox]\nconnector = "ubl-dir"\npath = "in"\n', "utf-8")
    result = run(config, "mappings", "check", "inbox")
    assert result.exit_code == 2
    assert "no mapping to check" in result.output


def test_a_code_an_override_removes_is_unmapped_and_names_the_override(settings: Path) -> None:
    (settings.parent / "csv-lindeboom.toml").write_text(
        '[remove]\nunits = ["uur"]\n', encoding="utf-8"
    )
    text = settings.read_text(encoding="utf-8").replace(
        'path = "exports"', 'path = "exports"\nmappings_override = "csv-lindeboom.toml"'
    )
    settings.write_text(text, encoding="utf-8")
    result = runner.invoke(
        app, ["--config", str(settings), "mappings", "check", "lindeboom"], env={"COLUMNS": "400"}
    )
    assert result.exit_code == 1, result.output
    rows = [" ".join(line.replace("│", " ").split()) for line in result.output.splitlines()]
    assert any(row.startswith("unit uur ") and "lindeboom-export.csv:" in row for row in rows), (
        result.output
    )
    # the override is the file that made "uur" unmapped, so it is the one to edit, and the lines
    # to add there take "uur" out of its [remove] too
    override = settings.parent / "csv-lindeboom.toml"
    assert f"add to {override}:" in rows
    units = rows.index("[units]")
    assert rows[units + 1] == 'uur = "?" # the UN/ECE Rec 20 code'
    assert rows[-1] == f"# and take 'uur' out of [remove] units in {override}"
