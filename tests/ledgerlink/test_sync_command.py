"""``ledgerlink sync``, ``status``, ``show`` and ``retry`` as a user calls them, with the
issue's settings file; a bad store or an unreachable source says so and loses nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from support.file_sources import FIXTURES
from support.shared import REPO_ROOT
from typer.testing import CliRunner, Result

import ubl
from ledgerlink.cli import app
from ubl.profiles import PEPPOL_CUSTOMIZATION_ID

pytestmark = pytest.mark.usefixtures("artifacts_cache")
runner = CliRunner()
XML = ["nl-standard-21-9.xml", "nl-export-g.xml"]
ISSUE_FILE = """\
[store]
url = "sqlite:///ledgerlink.db"
[channels.archive]
type = "directory"
path = "delivered"
[connections.shop]
connector = "ubl-dir"
path = "inbox"
profile = "auto"
channels = ["archive"]
"""


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("LEDGERLINK_STORE", raising=False)
    monkeypatch.delenv("LEDGERLINK_CONFIG", raising=False)
    (tmp_path / "inbox").mkdir()
    for name in XML:
        shutil.copyfile(FIXTURES / name, tmp_path / "inbox" / name)
    (tmp_path / "ledgerlink.toml").write_text(ISSUE_FILE, encoding="utf-8")
    return tmp_path


def ledgerlink(folder: Path, *args: str) -> Result:
    return runner.invoke(app, ["--config", str(folder / "ledgerlink.toml"), *args])


def test_the_issue_file_delivers_each_valid_document_once_however_often_sync_runs(
    folder: Path,
) -> None:
    first = ledgerlink(folder, "sync", "shop", "--format", "json")
    assert first.exit_code == 0, first.output
    counts = json.loads(first.stdout)["connections"]["shop"]
    assert {key: counts[key] for key in ("pulled", "delivered", "quarantined", "held")} == {
        "pulled": 2,
        "delivered": 2,
        "quarantined": 0,
        "held": 0,
    }
    delivered = sorted(path.name for path in (folder / "delivered").glob("*.xml"))
    assert len(delivered) == 2 and (folder / "ledgerlink.db").exists()
    for _ in range(2):
        again = ledgerlink(folder, "sync", "--format", "json")
        assert again.exit_code == 0, again.output
        shop = json.loads(again.stdout)["connections"]["shop"]
        assert (shop["delivered"], shop["unchanged"]) == (0, 2)
    assert sorted(path.name for path in (folder / "delivered").glob("*.xml")) == delivered


def test_sync_with_workers_validates_in_worker_processes_with_the_same_outcome(
    folder: Path,
) -> None:
    (folder / "inbox" / "invalid.xml").write_bytes(
        (FIXTURES / XML[1])
        .read_bytes()
        .replace(b"<cbc:InvoiceTypeCode>380", b"<cbc:InvoiceTypeCode>999", 1)
        .replace(b"<cbc:ID>", b"<cbc:ID>X", 1)
    )
    result = ledgerlink(folder, "sync", "--workers", "1", "--format", "json")
    assert result.exit_code == 1, result.output  # one document quarantined
    shop = json.loads(result.stdout)["connections"]["shop"]
    assert (shop["pulled"], shop["delivered"], shop["quarantined"]) == (3, 2, 1)
    shown = ledgerlink(folder, "status", "--state", "quarantined", "--format", "json")
    assert len(json.loads(shown.stdout)["documents"]) == 1
    refused = ledgerlink(folder, "sync", "--workers", "-1")
    assert refused.exit_code == 2 and "--workers" in refused.output


def test_status_and_show_tell_what_happened(folder: Path) -> None:
    assert ledgerlink(folder, "sync").exit_code == 0
    listed = ledgerlink(folder, "status", "--format", "json")
    assert listed.exit_code == 0, listed.output
    items = json.loads(listed.stdout)["documents"]
    assert {(item["connection"], item["state"], item["channel"]) for item in items} == {
        ("shop", "delivered", "archive")
    }
    number = items[0]["number"]
    assert ledgerlink(folder, "status", "--state", "quarantined", "--format", "json").stdout
    assert json.loads(
        ledgerlink(folder, "status", "--state", "quarantined", "--format", "json").stdout
    ) == {"documents": []}
    shown = ledgerlink(folder, "show", number, "--ubl", str(folder / "copy.xml"))
    assert shown.exit_code == 0, shown.output
    assert "queued -> delivered" in shown.stdout and "validation report" in shown.stdout
    assert (folder / "copy.xml").read_bytes() == next(
        path.read_bytes()
        for path in (folder / "delivered").glob("*.xml")
        if number.replace("/", "_") in path.name
    )
    assert ledgerlink(folder, "show", "NO-SUCH").exit_code == 1


def test_a_held_record_exits_1_and_retry_delivers_it_after_the_fix(folder: Path) -> None:
    (folder / "inbox" / "broken.xml").write_text("<Invoice", encoding="utf-8")
    held = ledgerlink(folder, "sync", "--format", "json")
    assert held.exit_code == 1
    assert json.loads(held.stdout)["connections"]["shop"]["held"] == 1
    listed = json.loads(ledgerlink(folder, "status", "--state", "held", "--format", "json").stdout)
    assert [(item["number"], item["state"]) for item in listed["documents"]] == [
        ("broken.xml", "held")
    ]
    shown = ledgerlink(folder, "show", "broken.xml")
    assert shown.exit_code == 0 and "RECORD-ERROR" in shown.stdout and "retry" in shown.stdout
    shutil.copyfile(FIXTURES / "be-buyer-ogm.xml", folder / "inbox" / "broken.xml")
    retried = ledgerlink(folder, "retry", "--connection", "shop", "--format", "json")
    assert retried.exit_code == 0, retried.output
    assert json.loads(retried.stdout)["connections"]["shop"]["delivered"] == 1
    assert len(list((folder / "delivered").glob("*.xml"))) == 3


def test_an_unreachable_source_reports_its_error_and_the_others_go_on(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERP_PASSWORD", "x")
    settings = folder / "ledgerlink.toml"
    settings.write_text(
        ISSUE_FILE
        + '[connections.erp]\nconnector = "tryton"\nurl = "http://127.0.0.1:1"\n'
        + 'database = "erp"\nusername = "admin"\npassword_env = "ERP_PASSWORD"\n'
        + '[connections.gone]\nconnector = "ubl-dir"\npath = "gone"\n',
        encoding="utf-8",
    )
    result = ledgerlink(folder, "sync", "erp", "gone", "shop", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)["connections"]
    assert "127.0.0.1:1" in report["erp"]["error"]  # a server that does not answer
    assert "gone" in report["gone"]["error"]  # a folder that is not there
    assert report["shop"]["delivered"] == 2 and report["shop"]["error"] is None


@pytest.mark.parametrize(
    ("store", "complaint"),
    [
        ("sqlite:///missing-folder/ll.db", "does not exist"),
        ("sqlite:///corrupt.db", "not a SQLite database"),
    ],
)
def test_a_store_that_cannot_be_used_says_so_and_nothing_is_sent(
    folder: Path, store: str, complaint: str
) -> None:
    (folder / "corrupt.db").write_bytes(b"this is no database" * 100)
    result = ledgerlink(folder, "sync", "--store", f"sqlite:///{folder / store[10:]}")
    assert result.exit_code == 2
    assert complaint in result.stderr
    assert not (folder / "delivered").exists()


def test_a_postgresql_store_that_is_down_says_so_and_nothing_is_sent(folder: Path) -> None:
    result = ledgerlink(folder, "sync", "--store", "postgresql://ledgerlink@127.0.0.1:1/none")
    assert result.exit_code == 2
    assert "cannot use the store postgresql://ledgerlink@127.0.0.1:1/none" in result.stderr
    assert not (folder / "delivered").exists()


def test_a_settings_file_without_connections_has_nothing_to_sync(folder: Path) -> None:
    (folder / "ledgerlink.toml").write_text('[store]\nurl = "sqlite:///ll.db"\n', encoding="utf-8")
    result = ledgerlink(folder, "sync")
    assert result.exit_code == 2 and "nothing to sync" in result.stderr
    unknown = ledgerlink(folder, "sync", "shop")
    assert unknown.exit_code == 2 and "no connection 'shop'" in unknown.stderr


def test_a_record_held_for_an_unmapped_code_shows_the_override_to_create_and_its_lines(
    tmp_path: Path,
) -> None:
    """The hint names the connection's own override file (never the packaged mapping), how to
    name it in the settings, and the TOML lines: pasted and filled in, retry delivers."""
    demo = REPO_ROOT / "fixtures" / "csv"
    conf, data = tmp_path / "conf", tmp_path / "data"
    conf.mkdir()
    data.mkdir()
    header, *rows = (demo / "lindeboom-export.csv").read_text(encoding="utf-8-sig").splitlines()
    first = [row for row in rows if row.startswith("2026-0101;")]
    assert ";21;299,40;" in first[0]
    first[0] = first[0].replace(";21;299,40;", ";hoog tarief;299,40;")
    (data / "export.csv").write_text("\n".join([header, *first]) + "\n", encoding="utf-8")
    text = (demo / "ledgerlink.toml").read_text(encoding="utf-8")
    text = text.replace('path = "lindeboom-export.csv"', 'path = "../data/export.csv"')
    text = text.replace('encoding = "utf-8-sig"\n', 'channels = ["archive"]\n')
    settings = conf / "ledgerlink.toml"
    settings.write_text(text + '[channels.archive]\ntype = "directory"\npath = "out"\n', "utf-8")
    assert ledgerlink(conf, "sync").exit_code == 1
    shown = ledgerlink(conf, "show", "2026-0101")
    assert shown.exit_code == 0, shown.output
    new = conf / "mappings-lindeboom.toml"
    assert (
        f'create {new} and name it with mappings_override = "mappings-lindeboom.toml" '
        f"under [connections.lindeboom] in {settings}"
    ) in shown.stdout
    assert "mappings/csv.toml" not in shown.stdout
    lines = shown.stdout.splitlines()
    at = lines.index(f"      fix: add to {new}:")
    pasted = [line.removeprefix("        ") for line in lines[at + 1 : at + 4]]
    assert pasted[0] == '[vat."hoog tarief"]', shown.stdout
    new.write_text(
        "\n".join(pasted).replace('"?"', '"S"', 1).replace('rate = "?"', 'rate = "21"'), "utf-8"
    )
    settings.write_text(
        settings.read_text(encoding="utf-8").replace(
            'channels = ["archive"]\n',
            'channels = ["archive"]\nmappings_override = "mappings-lindeboom.toml"\n',
        ),
        encoding="utf-8",
    )
    retried = ledgerlink(conf, "retry", "--format", "json")
    assert retried.exit_code == 0, retried.output
    assert json.loads(retried.stdout)["connections"]["lindeboom"]["delivered"] == 1


@pytest.mark.parametrize(
    ("profile", "fixture", "shown"),
    [
        ("auto", "nl-standard-21-9.xml", "profile nlcius (auto)"),
        ("auto", "be-buyer-ogm.xml", "profile peppol-bis3 (auto)"),
        ("auto", "en16931-buyer-without-endpoint.xml", "profile en16931 (auto)"),
        ("peppol-bis3", "be-buyer-ogm.xml", "profile peppol-bis3,"),
    ],
)
def test_show_names_the_profile_the_document_was_built_for(
    folder: Path, profile: str, fixture: str, shown: str
) -> None:
    for path in (folder / "inbox").iterdir():
        path.unlink()
    shutil.copyfile(FIXTURES / fixture, folder / "inbox" / fixture)
    settings = folder / "ledgerlink.toml"
    settings.write_text(
        ISSUE_FILE.replace('profile = "auto"', f'profile = "{profile}"'), encoding="utf-8"
    )
    synced = ledgerlink(folder, "sync", "--format", "json")
    assert json.loads(synced.stdout)["connections"]["shop"]["delivered"] == 1, synced.output
    (item,) = json.loads(ledgerlink(folder, "status", "--format", "json").stdout)["documents"]
    result = ledgerlink(folder, "show", item["number"])
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("  profile ")]
    assert line.startswith(f"  {shown}"), line


def _csv_connection(folder: Path, profile: str) -> str:
    """The demo CSV export (no BT-24 in it) as connection ``lindeboom``, one invoice."""
    demo = REPO_ROOT / "fixtures" / "csv"
    header, *rows = (demo / "lindeboom-export.csv").read_text(encoding="utf-8-sig").splitlines()
    first = [row for row in rows if row.startswith("2026-0101;")]
    (folder / "export.csv").write_text("\n".join([header, *first]) + "\n", encoding="utf-8")
    text = (demo / "ledgerlink.toml").read_text(encoding="utf-8")
    text = text.replace('path = "lindeboom-export.csv"', 'path = "export.csv"')
    return text.replace(
        'encoding = "utf-8-sig"\n', f'profile = "{profile}"\nchannels = ["archive"]\n'
    )


def _json_connection(folder: Path, profile: str) -> str:
    """A model JSON export whose document states no CustomizationID (BT-24)."""
    data = json.loads((FIXTURES / "nl-standard-21-9.json").read_text(encoding="utf-8"))
    data.pop("customization_id")
    (folder / "export").mkdir()
    (folder / "export" / "inv.json").write_text(json.dumps(data), encoding="utf-8")
    return (
        f'[connections.lindeboom]\nconnector = "model-json"\npath = "export"\n'
        f'profile = "{profile}"\nchannels = ["archive"]\n'
    )


@pytest.mark.parametrize("source", [_csv_connection, _json_connection])
def test_auto_writes_a_model_the_source_built_without_bt24_as_peppol_bis3(
    tmp_path: Path, source: Any
) -> None:
    """A CSV, Tryton or model JSON source builds the model itself and gives no BT-24: auto
    has no ids to keep, so it writes Peppol BIS 3 (what a connection naming no profile builds)
    instead of refusing every document with BR-01; show says so."""
    text = source(tmp_path, "auto")
    settings = tmp_path / "ledgerlink.toml"
    settings.write_text(
        text + '[channels.archive]\ntype = "directory"\npath = "out"\n', encoding="utf-8"
    )
    synced = ledgerlink(tmp_path, "sync", "--format", "json")
    counts = json.loads(synced.stdout)["connections"]["lindeboom"]
    assert (counts["delivered"], counts["quarantined"]) == (1, 0), synced.output
    (delivered,) = (tmp_path / "out").glob("*.xml")
    assert ubl.sniff(delivered.read_bytes()).customization_id == PEPPOL_CUSTOMIZATION_ID
    (item,) = json.loads(ledgerlink(tmp_path, "status", "--format", "json").stdout)["documents"]
    shown = ledgerlink(tmp_path, "show", item["number"])
    (line,) = [line for line in shown.stdout.splitlines() if line.startswith("  profile ")]
    assert line.startswith("  profile peppol-bis3 (auto),"), line


def test_auto_still_refuses_a_ubl_document_without_bt24_with_br01(folder: Path) -> None:
    """Read from UBL, a missing CustomizationID is the document's own fault: BR-01."""
    for path in (folder / "inbox").iterdir():
        path.unlink()
    xml = (FIXTURES / "be-buyer-ogm.xml").read_text(encoding="utf-8")
    start = xml.index("<cbc:CustomizationID>")
    end = xml.index("</cbc:CustomizationID>") + len("</cbc:CustomizationID>")
    (folder / "inbox" / "no-bt24.xml").write_text(xml[:start] + xml[end:], encoding="utf-8")
    synced = ledgerlink(folder, "sync", "--format", "json")
    assert json.loads(synced.stdout)["connections"]["shop"]["quarantined"] == 1, synced.output
    shown = ledgerlink(folder, "show", "VD/2026/1187").stdout
    assert "BR-01" in shown, shown
