"""``ledgerlink pull`` and ``ledgerlink mappings check`` against the real trytond demo database.

The settings file is the exact form of issue 4, written to tmp_path and passed with --config;
the password comes from TRYTON_PASSWORD.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from tryton.server import TrytonServer
from typer.testing import CliRunner, Result

import ubl
from ledgerlink.cli import app
from mappings import packaged_path

runner = CliRunner()
DOCUMENTS = ["CN-1", "INV-1", "INV-2", "INV-3"]
PARTIES = """
[connections.demo.parties]      # identifiers the source system cannot hold
company = { COMPANY }
"NL000099998B57" = { kvk = "87654321" }
"""


def write_settings(
    folder: Path, server: TrytonServer, *, company: str = 'kvk = "12345678"', extra: str = ""
) -> Path:
    """The issue's settings file for ``server``, with ``company``'s identifiers."""
    path = folder / "ledgerlink.toml"
    path.write_text(
        f"""
[connections.demo]
connector = "tryton"
url = "{server.url}"
database = "{server.database}"
username = "{server.username}"
password_env = "TRYTON_PASSWORD"
{extra}
{PARTIES.replace("COMPANY", company)}
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def settings(tryton_server: TrytonServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRYTON_PASSWORD", tryton_server.password)
    return write_settings(tmp_path, tryton_server)


def run(config: Path, *args: str) -> Result:
    return runner.invoke(app, ["--config", str(config), *args])


def without_tax_code(folder: Path, code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the packaged Tryton mapping lack ``[vat."<code>"]`` (a system mapping with a gap)."""
    text = packaged_path("tryton").read_text(encoding="utf-8")
    pattern = re.compile(rf'^\[vat\."{re.escape(code)}"\][^\[]*', re.MULTILINE)
    assert pattern.search(text), f"the packaged mapping has no {code!r}"
    folder.mkdir()
    (folder / "tryton.toml").write_text(pattern.sub("", text), encoding="utf-8")
    monkeypatch.setattr("mappings.loader._PACKAGE_DIR", folder)


def test_pull_lists_the_demo_invoices_and_credit_note(settings: Path) -> None:
    result = run(settings, "pull", "demo")
    assert result.exit_code == 0, result.output
    for number in DOCUMENTS:
        assert number in result.output


def test_pull_as_json_parses(settings: Path) -> None:
    result = run(settings, "pull", "demo", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert sorted(row["data"]["number"] for row in rows) == DOCUMENTS
    assert all(row["id"] and row["updated_at"] for row in rows)


def test_since_after_every_change_yields_nothing(settings: Path) -> None:
    result = run(settings, "pull", "demo", "--format", "json", "--since", "2999-01-01")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


def test_pull_other_streams(settings: Path) -> None:
    parties = json.loads(
        run(settings, "pull", "demo", "--stream", "parties", "--format", "json").stdout
    )
    assert parties and all("name" in row["data"] for row in parties)
    result = run(settings, "pull", "demo", "--stream", "payments")
    assert result.exit_code == 0, result.output


def test_ubl_dir_writes_one_valid_file_per_document(
    artifacts_cache: Path, settings: Path, tmp_path: Path
) -> None:
    out = tmp_path / "ubl"
    result = run(settings, "pull", "demo", "--ubl-dir", str(out))
    assert result.exit_code == 0, result.output
    report = json.loads((out / "quarantine.json").read_text(encoding="utf-8"))
    assert report["quarantined"] == []
    assert sorted(path.stem for path in out.glob("*.xml")) == DOCUMENTS
    for path in out.glob("*.xml"):
        assert ubl.validate(path.read_bytes()).fatal == (), path.name


def test_a_dutch_supplier_without_kvk_or_oin_fails_nl_r_003(
    artifacts_cache: Path,
    tryton_server: TrytonServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Dutch supplier's legal id must be KvK or OIN (NL-R-003); a Belgian one is refused."""
    monkeypatch.setenv("TRYTON_PASSWORD", tryton_server.password)
    config = write_settings(tmp_path, tryton_server, company='kbo = "0897290877"')
    out = tmp_path / "ubl"
    result = run(config, "pull", "demo", "--ubl-dir", str(out))
    assert result.exit_code == 1, result.output
    held = json.loads((out / "quarantine.json").read_text(encoding="utf-8"))["quarantined"]
    assert sorted(entry["number"] for entry in held) == DOCUMENTS
    assert all(
        entry["stage"] == "validation" and "NL-R-003" in {i["rule"] for i in entry["issues"]}
        for entry in held
    )
    assert list(out.glob("*.xml")) == []


def test_an_unmapped_tax_code_quarantines_the_documents_using_it(
    artifacts_cache: Path, settings: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    without_tax_code(tmp_path / "mappings", "BTW 9%", monkeypatch)
    out = tmp_path / "ubl"
    result = run(settings, "pull", "demo", "--ubl-dir", str(out))
    assert result.exit_code == 1, result.output
    held = json.loads((out / "quarantine.json").read_text(encoding="utf-8"))["quarantined"]
    assert held, "no document uses 'BTW 9%'"
    assert all(entry["stage"] == "mapping" and "BTW 9%" in entry["reason"] for entry in held)
    written = {path.stem for path in out.glob("*.xml")}
    assert written and written | {entry["number"] for entry in held} == set(DOCUMENTS)


def test_mappings_check_passes_with_the_packaged_mapping(settings: Path) -> None:
    result = run(settings, "mappings", "check", "demo")
    assert result.exit_code == 0, result.output
    found = re.search(r"all (\d+) codes seen", result.output)
    # currency, country, units and the tax codes of the demo lines at least
    assert found and int(found.group(1)) >= 4, result.output


def test_mappings_check_lists_a_code_the_mapping_lacks(
    settings: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    without_tax_code(tmp_path / "mappings", "BTW 9%", monkeypatch)
    result = run(settings, "mappings", "check", "demo")
    assert result.exit_code == 1, result.output
    assert "BTW 9%" in result.output and "tryton.toml" not in result.output  # never the packaged
    assert 'mappings_override = "mappings-demo.toml" under [connections.demo]' in result.output


def test_a_tenant_override_is_read_and_named_as_the_file_to_edit(
    tryton_server: TrytonServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRYTON_PASSWORD", tryton_server.password)
    without_tax_code(tmp_path / "mappings", "BTW 9%", monkeypatch)
    (tmp_path / "tenant.toml").write_text('[units]\n"Dozen" = "DZN"\n', encoding="utf-8")
    config = write_settings(tmp_path, tryton_server, extra='mappings_override = "tenant.toml"')
    result = run(config, "mappings", "check", "demo")
    assert result.exit_code == 1, result.output
    assert "tenant.toml" in result.output


def test_settings_errors_name_the_setting_and_the_file(
    tryton_server: TrytonServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRYTON_PASSWORD", raising=False)
    config = write_settings(tmp_path, tryton_server)
    result = run(config, "pull", "demo")
    assert result.exit_code == 2
    assert "TRYTON_PASSWORD" in result.stderr and str(config) in result.stderr
    config.write_text('[connections.demo]\nconnector = "sap"\n', encoding="utf-8")
    result = run(config, "pull", "demo")
    assert result.exit_code == 2 and "sap" in result.stderr and str(config) in result.stderr
    config.write_text('[connections.demo]\nconnector = "tryton"\npassword_env = "X"\n')
    monkeypatch.setenv("X", "secret")
    result = run(config, "pull", "demo")
    assert result.exit_code == 2 and "url" in result.stderr and str(config) in result.stderr
    assert run(tmp_path / "none.toml", "pull", "demo").exit_code == 2
