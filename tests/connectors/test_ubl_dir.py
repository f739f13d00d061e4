"""The inbound UBL folder source against real files: the fixtures read back, the listing's
header scan, and broken ones (what every file source shares is in test_file_sources.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support.file_sources import (
    all_records,
    copy_fixtures,
    documents_and_errors,
    fixture_files,
    line_of,
    opened_files,
)

import ubl
from connectors.base import Stream
from connectors.errors import RecordError
from connectors.ubl_dir import HEADER_BYTES, UblDirectorySource

STANDARD = "nl-standard-21-9.xml"


def fixture(name: str) -> Path:
    (path,) = (path for path in fixture_files(".xml") if path.name == name)
    return path


def test_every_fixture_comes_back_as_ubl_parse_reads_it(tmp_path: Path) -> None:
    copied = copy_fixtures(tmp_path, fixture_files(".xml"))
    assert len(copied) == 25
    source = UblDirectorySource(tmp_path, page_size=7)
    records = all_records(source)
    assert sorted(record.id for record in records) == sorted(copied)
    for record in records:
        direct = ubl.parse(copied[record.id])
        result = source.parsed(record)
        assert result.document == direct.document, record.id
        assert result.report == direct.report
        assert result.source == str(tmp_path / record.id)
        assert source.document(record) == direct.document
        document = direct.document
        assert record.data == {
            "path": str(tmp_path / record.id),
            "kind": document.kind.value,
            "number": document.number,
            "date": document.issue_date.isoformat(),
            "currency": document.currency,
        }


def test_content_en16931_does_not_cover_is_kept_in_the_parse_report(tmp_path: Path) -> None:
    text = fixture(STANDARD).read_text(encoding="utf-8")
    anchor = "  <cbc:CustomizationID>"
    assert text.count(anchor) == 1
    path = tmp_path / "with-version.xml"
    path.write_text(
        text.replace(anchor, f"  <cbc:UBLVersionID>2.1</cbc:UBLVersionID>\n{anchor}"),
        encoding="utf-8",
    )
    source = UblDirectorySource(tmp_path)
    (record,) = all_records(source)
    result = source.parsed(record)
    assert result.report == ubl.parse(path).report
    (entry,) = result.report
    assert entry.location is not None and entry.location.endswith("cbc:UBLVersionID")
    assert entry.line == line_of(path, "UBLVersionID")
    assert source.document(record) == ubl.parse(fixture(STANDARD)).document
    assert record.data["number"] == "2026-10417"


# ------------------------------------------------------------------------- broken files

DECLARATION = b"<?xml version='1.0' encoding='UTF-8'?>\n"
ORDER = DECLARATION + (
    b'<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2" xmlns:cbc="'
    b'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">\n'
    b"  <cbc:ID>PO-1</cbc:ID>\n</Order>\n"
)
DOCTYPE = DECLARATION + (
    b'<!DOCTYPE Invoice [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>\n'
    b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol2;</Invoice>\n'
)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


def bad_issue_date() -> bytes:
    data = fixture(STANDARD).read_bytes()
    assert data.count(b"<cbc:IssueDate>2026-11-02<") == 1
    return data.replace(b"<cbc:IssueDate>2026-11-02<", b"<cbc:IssueDate>2026-13-45<")


# name: (content, the text on the line the error must name, what the reason says)
BROKEN: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "not-xml.xml": (lambda: b"Invoice 2026-1\ntotal 12.50\n", "Invoice 2026-1", "not well-formed"),
    "empty.xml": (lambda: b"", "", "not well-formed XML: Document is empty"),
    "binary.xml": (lambda: PNG, "PNG", "not well-formed XML"),
    "doctype.xml": (lambda: DOCTYPE, "<!DOCTYPE", "DOCTYPE declarations are not allowed"),
    "order.xml": (lambda: ORDER, "<Order", "wrong root element"),
    "bad-date.xml": (bad_issue_date, "2026-13-45", "[/Invoice/cbc:IssueDate] invalid value"),
}


@pytest.fixture
def folder_with_broken_files(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    good = copy_fixtures(tmp_path, fixture_files(".xml"))
    for name, (content, _, _) in BROKEN.items():
        (tmp_path / name).write_bytes(content())
    return tmp_path, good


def test_broken_files_are_record_errors_naming_file_and_line_and_the_rest_goes_on(
    folder_with_broken_files: tuple[Path, dict[str, Path]],
) -> None:
    folder, good = folder_with_broken_files
    source = UblDirectorySource(folder, page_size=5)
    documents, errors = documents_and_errors(source, source.document)
    assert sorted(errors) == sorted(BROKEN)
    assert sorted(documents) == sorted(good)
    for record_id, document in documents.items():
        assert document == ubl.parse(good[record_id]).document, record_id
    for name, (_, on_line, says) in BROKEN.items():
        path = folder / name
        line = line_of(path, on_line) if on_line else 1
        assert errors[name].reason.startswith(f"{path}:{line}: "), errors[name].reason
        assert says in errors[name].reason


def test_a_file_the_header_scan_refuses_is_listed_with_its_path_alone(
    folder_with_broken_files: tuple[Path, dict[str, Path]],
) -> None:
    folder, _ = folder_with_broken_files
    data = {record.id: record.data for record in all_records(UblDirectorySource(folder))}
    for name in ("not-xml.xml", "empty.xml", "binary.xml", "doctype.xml", "order.xml"):
        assert data[name] == {"path": str(folder / name)}, name


def test_a_header_past_the_scanned_bytes_is_summarised_from_the_parsed_document(
    tmp_path: Path,
) -> None:
    """A long note before BT-1: the parsed document gives the summary; for a file the
    parser refuses, the header scan stops at HEADER_BYTES and leaves the number out."""
    text = fixture(STANDARD).read_text(encoding="utf-8")
    anchor = "  <cbc:ID>2026-10417</cbc:ID>"
    note = "x" * HEADER_BYTES
    long = text.replace(anchor, f"  <cbc:UBLVersionID>{note}</cbc:UBLVersionID>\n{anchor}", 1)
    path = tmp_path / "long.xml"
    path.write_text(long, encoding="utf-8")
    broken = tmp_path / "long-bad-date.xml"
    assert long.count("<cbc:IssueDate>2026-11-02<") == 1
    broken.write_text(long.replace("2026-11-02<", "2026-13-45<"), encoding="utf-8")
    source = UblDirectorySource(tmp_path)
    (page,) = source.pull(Stream.INVOICES, None)
    data = {record.id: record.data for record in page.records}
    assert data["long.xml"] == {
        "path": str(path),
        "kind": "invoice",
        "number": "2026-10417",
        "date": "2026-11-02",
        "currency": "EUR",
    }
    assert data["long-bad-date.xml"] == {"path": str(broken), "kind": "invoice"}
    (record,) = (each for each in page.records if each.id == "long.xml")
    assert source.document(record).number == "2026-10417"


def test_a_broken_file_read_with_its_page_is_parsed_once_and_fails_the_same(
    folder_with_broken_files: tuple[Path, dict[str, Path]],
) -> None:
    """The parser's error is kept with the page like a document: the reason is the one a
    file read again gives (file, line, what is wrong), and the file is opened once."""
    folder, _ = folder_with_broken_files
    _, read_again = documents_and_errors(
        UblDirectorySource(folder), UblDirectorySource(folder).document
    )
    source = UblDirectorySource(folder, page_size=5)
    reasons = {}
    with opened_files() as opened:
        for page in source.pull(Stream.INVOICES, None):
            for record in page.records:
                try:
                    source.document(record)
                except RecordError as failure:
                    reasons[record.id] = failure.reason
    assert reasons == {name: error.reason for name, error in read_again.items()}
    assert sorted(reasons) == sorted(BROKEN)
    for name in BROKEN:
        assert opened.count(str(folder / name)) == 1, name
