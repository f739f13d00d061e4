"""``ledgerlink pull --ubl-dir`` loses nothing: one file per record whatever the numbers, files
written atomically, page by page, and the quarantine in the one finding shape."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from support.file_sources import FIXTURES
from typer.testing import CliRunner, Result

import ubl
from connectors import registry
from connectors._file_source import ReadOnlySource
from connectors.base import Cursor, Page, Record, Stream
from connectors.errors import TransientError
from ledgerlink.cli import app
from ledgerlink.pull_command import DocumentFiles, write_atomically
from model import Invoice
from model.findings import FINDING_KEYS
from model.jsonio import loads

runner = CliRunner()
INVOICE = "nl-standard-21-9.json"
CREDIT_NOTE = "creditnote-billing-reference.json"


def with_number(fixture: str, number: str) -> str:
    data = json.loads((FIXTURES / fixture).read_text(encoding="utf-8"))
    data["number"] = number
    return json.dumps(data, indent=2)


def run(config: Path, *args: str) -> Result:
    return runner.invoke(app, ["--config", str(config), *args])


@pytest.fixture
def colliding(tmp_path: Path) -> Path:
    """Model-JSON documents whose numbers give one file name twice over: one number from two
    suppliers, an invoice and a credit note with one number, ``CN/001`` and ``CN_001``."""
    export = tmp_path / "export"
    for relative, fixture, number in (
        ("supplier-a/inv.json", INVOICE, "INV-7"),
        ("supplier-b/inv.json", INVOICE, "INV-7"),
        ("invoice-42.json", INVOICE, "2026-42"),
        ("credit-42.json", CREDIT_NOTE, "2026-42"),
        ("slash.json", CREDIT_NOTE, "CN/001"),
        ("underscore.json", CREDIT_NOTE, "CN_001"),
    ):
        path = export / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(with_number(fixture, number), encoding="utf-8")
    config = tmp_path / "ledgerlink.toml"
    config.write_text('[connections.m]\nconnector = "model-json"\npath = "export"\n', "utf-8")
    return config


def test_every_record_gets_its_own_file_and_a_collision_is_reported(
    artifacts_cache: Path, colliding: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = run(colliding, "pull", "m", "--ubl-dir", str(out), "--format", "json")
    assert result.exit_code == 0, result.output
    files = sorted(path.name for path in out.glob("*.xml"))
    assert len(files) == 6, files
    numbers = sorted(ubl.parse(out / name).document.number for name in files)
    assert numbers == sorted(["INV-7", "INV-7", "2026-42", "2026-42", "CN/001", "CN_001"])

    report = json.loads((out / "quarantine.json").read_text(encoding="utf-8"))
    assert sorted(report["written"]) == files
    assert report["quarantined"] == []
    renamed = {item["record"]: item for item in report["renamed"]}
    assert len(renamed) == 3
    assert {item["taken"] for item in renamed.values()} == {
        "INV-7.xml",
        "2026-42.xml",
        "CN_001.xml",
    }
    for record_id, item in renamed.items():
        assert item["file"] in files and item["file"] != item["taken"]
        assert ubl.parse(out / item["file"]).document.number == item["number"]
        assert item["file"].startswith(item["taken"].removesuffix(".xml") + "~")
        assert record_id.replace("/", "_") in item["file"]

    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert sorted(row["ubl_file"] for row in rows.values()) == files
    assert {row["ubl_file_taken"] for row in rows.values()} - {None} == {
        item["taken"] for item in renamed.values()
    }
    assert "6 written to" in result.stderr and "3 renamed" in result.stderr
    for item in renamed.values():
        assert f"{item['file']} ({item['taken']} taken)" in result.stderr

    again = run(colliding, "pull", "m", "--ubl-dir", str(out), "--format", "json")
    assert again.exit_code == 0, again.output
    assert json.loads((out / "quarantine.json").read_text(encoding="utf-8")) == report
    assert sorted(path.name for path in out.glob("*.xml")) == files  # the same names again


def test_a_pull_of_nothing_still_writes_its_report(colliding: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run(colliding, "pull", "m", "--ubl-dir", str(out), "--since", "2999-01-01")
    assert result.exit_code == 0, result.output
    report = json.loads((out / "quarantine.json").read_text(encoding="utf-8"))
    assert (report["written"], report["quarantined"], report["stopped"]) == ([], [], None)
    assert result.stderr.strip() == f"0 written to {out}, none quarantined"


def test_the_table_shows_the_file_of_each_record(
    artifacts_cache: Path, colliding: Path, tmp_path: Path
) -> None:
    result = run(colliding, "pull", "m", "--ubl-dir", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert "(CN_001.xml taken)" in " ".join(result.stdout.split())


def test_names_are_given_in_order_without_case_and_never_twice() -> None:
    files = DocumentFiles()
    assert files.name("CN/001", "a") == ("CN_001.xml", None)
    assert files.name("cn_001", "b") == ("cn_001~b.xml", "cn_001.xml")
    assert files.name("CN_001", "b") == ("CN_001~b~2.xml", "CN_001.xml")
    assert files.name("../etc/passwd", "c") == ("_etc_passwd.xml", None)
    assert files.name("", "sub/d.json") == ("document.xml", None)


def test_a_file_is_replaced_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "INV-1.xml"
    write_atomically(target, b"old")
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"

    def crash(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="No space left"):
        write_atomically(target, b"half")
    assert target.read_bytes() == b"new"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["INV-1.xml"]  # no temporary


# -- a connector that hands out pages lazily ----------------------------------------------------


class _NoSettings(BaseModel):
    pass


class LazyPages(ReadOnlySource):
    """Two pages of invoices; asking for the second records which files exist by then, and a
    third page fails when ``fail_on_third`` is set."""

    kind = "lazy-pages"
    out: Path
    seen_before_page_2: list[str]
    fail_on_third = False

    def __init__(self, name: str) -> None:
        super().__init__(name=name)
        self._invoice = loads((FIXTURES / INVOICE).read_text(encoding="utf-8"))

    def pull(self, stream: Stream, cursor: Cursor | None) -> Iterator[Page]:
        self._only_invoices(stream)
        moment = datetime(2026, 11, 1, tzinfo=UTC)

        def page(*numbers: str) -> Page:
            records = tuple(
                Record(id=number, updated_at=moment, data={"number": number}) for number in numbers
            )
            return Page(records, Cursor(value=moment.isoformat(), tie_breaker=numbers[-1]))

        yield page("P1-1", "P1-2")
        type(self).seen_before_page_2 = sorted(path.name for path in self.out.glob("*"))
        yield page("P2-1")
        if self.fail_on_third:
            raise TransientError("the source went away")

    def document(self, record: Record) -> Invoice:
        return replace(self._invoice, number=record.id)


@pytest.fixture
def lazy(tmp_path: Path) -> Iterator[Path]:
    LazyPages.out = tmp_path / "out"
    LazyPages.seen_before_page_2 = []
    LazyPages.fail_on_third = False
    registry.register(
        registry.ConnectorType(
            kind="lazy-pages",
            settings=_NoSettings,
            open=lambda settings, context: LazyPages(context.name),
        )
    )
    config = tmp_path / "ledgerlink.toml"
    config.write_text('[connections.lazy]\nconnector = "lazy-pages"\n', encoding="utf-8")
    yield config
    registry._REGISTERED.pop("lazy-pages")


def test_a_pages_files_are_written_before_the_next_page_is_asked_for(
    artifacts_cache: Path, lazy: Path
) -> None:
    result = run(lazy, "pull", "lazy", "--ubl-dir", str(LazyPages.out))
    assert result.exit_code == 0, result.output
    assert LazyPages.seen_before_page_2 == ["P1-1.xml", "P1-2.xml", "quarantine.json"]
    assert sorted(path.name for path in LazyPages.out.glob("*.xml")) == [
        "P1-1.xml",
        "P1-2.xml",
        "P2-1.xml",
    ]


def test_a_source_failing_mid_pull_keeps_what_was_written_and_says_so(
    artifacts_cache: Path, lazy: Path
) -> None:
    LazyPages.fail_on_third = True
    result = run(lazy, "pull", "lazy", "--ubl-dir", str(LazyPages.out), "--format", "json")
    assert result.exit_code == 1
    assert "the source went away" in result.stderr
    assert "3 written to" in result.stderr
    assert [row["id"] for row in json.loads(result.stdout)] == ["P1-1", "P1-2", "P2-1"]
    report = json.loads((LazyPages.out / "quarantine.json").read_text(encoding="utf-8"))
    assert report["written"] == ["P1-1.xml", "P1-2.xml", "P2-1.xml"]
    assert report["stopped"] == "the source went away"


def test_quarantined_findings_have_the_finding_shape_with_the_old_keys(
    artifacts_cache: Path, tmp_path: Path
) -> None:
    export = tmp_path / "export"
    export.mkdir()
    data: dict[str, Any] = json.loads((FIXTURES / INVOICE).read_text(encoding="utf-8"))
    data["totals"]["payable"] = str(Decimal(data["totals"]["payable"]) + 100)  # BR-CO-16
    (export / "too-much.json").write_text(json.dumps(data), encoding="utf-8")
    config = tmp_path / "ledgerlink.toml"
    config.write_text('[connections.m]\nconnector = "model-json"\npath = "export"\n', "utf-8")
    out = tmp_path / "out"
    result = run(config, "pull", "m", "--ubl-dir", str(out))
    assert result.exit_code == 1
    (held,) = json.loads((out / "quarantine.json").read_text(encoding="utf-8"))["quarantined"]
    assert set(held) == {"record", "number", "stage", "reason", "issues"}
    assert held["stage"] == "validation"
    assert held["issues"]
    for issue in held["issues"]:
        assert tuple(issue) == FINDING_KEYS
        assert issue["layer"] in {"calculation", "profile", "schematron", "xsd"}
        assert issue["severity"] == "fatal" and issue["rule"] and issue["message"]
