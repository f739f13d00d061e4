"""The inbound UBL folder source against real files: the fixtures, copied, and broken ones."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from support.file_sources import (
    SHARED_MTIME,
    all_records,
    assert_resumes_exactly_once,
    copy_fixtures,
    documents_and_errors,
    fixture_files,
    line_of,
    set_mtime,
)

import ubl
from connectors.base import (
    Capability,
    Connector,
    DocumentRef,
    DocumentSource,
    DocumentStatus,
    Payment,
    StatusUpdate,
    Stream,
)
from connectors.errors import ConfigurationError, RecordError
from connectors.ubl_dir import HEADER_BYTES, UblDirectorySource

STANDARD = "nl-standard-21-9.xml"


def fixture(name: str) -> Path:
    (path,) = (path for path in fixture_files(".xml") if path.name == name)
    return path


def test_every_fixture_comes_back_as_ubl_parse_reads_it(tmp_path: Path) -> None:
    copied = copy_fixtures(tmp_path, fixture_files(".xml"))
    assert len(copied) == 24
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
    assert entry.path.endswith("cbc:UBLVersionID")
    assert entry.line == line_of(path, "UBLVersionID")
    assert source.document(record) == ubl.parse(fixture(STANDARD)).document
    assert record.data["number"] == "2026-10417"


def test_the_source_is_a_read_only_document_source(tmp_path: Path) -> None:
    source = UblDirectorySource(tmp_path, name="inbound")
    assert isinstance(source, Connector)
    assert isinstance(source, DocumentSource)
    assert source.name == "inbound"
    assert source.capabilities == frozenset({Capability.PULL_INVOICES})
    for stream in (Stream.PARTIES, Stream.PAYMENTS):
        with pytest.raises(ConfigurationError, match="only the invoices stream"):
            source.pull(stream, None)
    ref = DocumentRef(record_id=STANDARD, number="2026-10417")
    with pytest.raises(ConfigurationError, match=r"read-only.*2026-10417"):
        source.push_status(ref, StatusUpdate(status=DocumentStatus.SENT))
    payment = Payment(amount=Decimal("1.00"), currency="EUR", paid_on=date(2026, 1, 2))
    with pytest.raises(ConfigurationError, match=r"read-only.*2026-10417"):
        source.push_payment(ref, payment)


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


def test_a_header_past_the_scanned_bytes_leaves_the_number_out(tmp_path: Path) -> None:
    """A long note before BT-1: the summary stops at HEADER_BYTES, the document is whole."""
    text = fixture(STANDARD).read_text(encoding="utf-8")
    anchor = "  <cbc:ID>2026-10417</cbc:ID>"
    note = "x" * HEADER_BYTES
    path = tmp_path / "long.xml"
    path.write_text(
        text.replace(anchor, f"  <cbc:UBLVersionID>{note}</cbc:UBLVersionID>\n{anchor}", 1),
        encoding="utf-8",
    )
    source = UblDirectorySource(tmp_path)
    (record,) = all_records(source)
    assert record.data == {"path": str(path), "kind": "invoice"}
    assert source.document(record).number == "2026-10417"


def test_a_file_over_max_bytes_is_refused_unread(tmp_path: Path) -> None:
    copy_fixtures(tmp_path, [fixture(STANDARD), fixture("large-120-lines.xml")])
    limit = fixture(STANDARD).stat().st_size
    source = UblDirectorySource(tmp_path, max_bytes=limit)
    documents, errors = documents_and_errors(source, source.document)
    assert list(documents) == [STANDARD]
    big = tmp_path / "large-120-lines.xml"
    assert errors["large-120-lines.xml"].reason == (
        f"{big}: too big: more than {limit} bytes (the source's max_bytes)"
    )


def test_a_file_removed_after_the_pull_is_a_record_error(tmp_path: Path) -> None:
    copy_fixtures(tmp_path, [fixture(STANDARD)])
    source = UblDirectorySource(tmp_path)
    (record,) = all_records(source)
    (tmp_path / STANDARD).unlink()
    with pytest.raises(RecordError, match=re.escape(f"{tmp_path / STANDARD}: cannot read")):
        source.document(record)


def test_a_single_file_is_a_source_of_one_record(tmp_path: Path) -> None:
    path = tmp_path / "received.xml"
    path.write_bytes(fixture(STANDARD).read_bytes())
    source = UblDirectorySource(path)
    (record,) = all_records(source)
    assert record.id == "received.xml"
    assert source.document(record) == ubl.parse(path).document


# ------------------------------------------------------------------------- resuming


def seven_files(folder: Path) -> list[str]:
    return sorted(copy_fixtures(folder, fixture_files(".xml")[-7:]))


@pytest.mark.parametrize("page_size", [1, 2, 3])
def test_resume_after_any_page_when_all_files_share_one_mtime(
    tmp_path: Path, page_size: int
) -> None:
    ids = seven_files(tmp_path)
    for record_id in ids:
        set_mtime(tmp_path / record_id, SHARED_MTIME)
    assert_resumes_exactly_once(lambda: UblDirectorySource(tmp_path, page_size=page_size), ids)


@pytest.mark.parametrize("page_size", [1, 2, 3])
def test_resume_after_any_page_with_mtimes_against_the_name_order(
    tmp_path: Path, page_size: int
) -> None:
    ids = seven_files(tmp_path)
    seconds = [SHARED_MTIME + offset for offset in (60, 60, 60, 30, 20, 20, 10)]
    for record_id, moment in zip(ids, seconds, strict=True):
        set_mtime(tmp_path / record_id, moment)
    expected = [ids[6], *sorted(ids[4:6]), ids[3], *sorted(ids[0:3])]
    assert_resumes_exactly_once(lambda: UblDirectorySource(tmp_path, page_size=page_size), expected)


def test_a_file_rewritten_after_the_pull_comes_back_once(tmp_path: Path) -> None:
    ids = seven_files(tmp_path)
    for record_id in ids:
        set_mtime(tmp_path / record_id, SHARED_MTIME)
    source = UblDirectorySource(tmp_path, page_size=3)
    *_, last = source.pull(Stream.INVOICES, None)

    rewritten = tmp_path / ids[0]
    number = ubl.parse(rewritten).document.number
    data = rewritten.read_bytes()
    old = f"<cbc:ID>{number}</cbc:ID>".encode()
    assert data.count(old) == 1
    rewritten.write_bytes(data.replace(old, f"<cbc:ID>{number}-R</cbc:ID>".encode()))
    set_mtime(rewritten, SHARED_MTIME + 1)

    pages = list(source.pull(Stream.INVOICES, last.next_cursor))
    assert [record.id for page in pages for record in page.records] == [ids[0]]
    (record,) = pages[0].records
    assert record.data["number"] == f"{number}-R"
    assert source.document(record).number == f"{number}-R"
    assert list(source.pull(Stream.INVOICES, pages[-1].next_cursor)) == []
