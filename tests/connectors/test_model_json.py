"""The model-JSON folder source against real files: the fixtures, copied, and broken ones."""

from __future__ import annotations

import json
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

from connectors.base import (
    Capability,
    Connector,
    DocumentRef,
    DocumentSource,
    DocumentStatus,
    Payment,
    Record,
    StatusUpdate,
    Stream,
)
from connectors.errors import ConfigurationError, RecordError
from connectors.model_json import ModelJsonSource
from model.jsonio import loads

STANDARD = "nl-standard-21-9.json"


def fixture(name: str) -> Path:
    (path,) = (path for path in fixture_files(".json") if path.name == name)
    return path


def test_every_fixture_comes_back_as_jsonio_reads_it(tmp_path: Path) -> None:
    copied = copy_fixtures(tmp_path, fixture_files(".json"))
    assert len(copied) == 24
    source = ModelJsonSource(tmp_path, page_size=7)
    records = all_records(source)
    assert sorted(record.id for record in records) == sorted(copied)
    for record in records:
        document = source.document(record)
        assert document == loads(copied[record.id].read_bytes()), record.id
        assert record.data["path"] == str(tmp_path / record.id)
        assert record.data["number"] == document.number
        assert record.data["date"] == document.issue_date.isoformat()
        assert record.data["kind"] == document.kind.value
        assert record.data["currency"] == document.currency
        assert Decimal(record.data["total_amount"]) == document.totals.payable


def test_the_source_is_a_read_only_document_source(tmp_path: Path) -> None:
    source = ModelJsonSource(tmp_path, name="migration")
    assert isinstance(source, Connector)
    assert isinstance(source, DocumentSource)
    assert source.name == "migration"
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


def text_of(name: str) -> str:
    return fixture(name).read_text(encoding="utf-8")


def changed(old: str, new: str) -> Callable[[], bytes]:
    """The standard fixture with ``old`` (found exactly once) replaced by ``new``."""

    def content() -> bytes:
        text = text_of(STANDARD)
        assert text.count(old) == 1
        return text.replace(old, new).encode()

    return content


def wrong_line_amount() -> bytes:
    """Totals left out (to be derived) and a line net amount BT-131 that is 0.01 off."""
    data = json.loads(text_of(STANDARD))
    del data["totals"], data["vat_breakdown"]
    assert data["lines"][0]["net_amount"] == "299.40"
    data["lines"][0]["net_amount"] = "299.41"
    return json.dumps(data, indent=2).encode()


def not_utf8() -> bytes:
    """A byte that is not UTF-8 (a Latin-1 ``ÿ``) in BT-10, the buyer reference."""
    data = fixture(STANDARD).read_bytes()
    assert data.count(b"JANSEN-INKOOP-17") == 1
    return data.replace(b"JANSEN-INKOOP-17", b"JANSEN-\xffINKOOP-17")


BAD_JSON = b'{\n  "kind": "invoice",\n  "number": "X-1",\n  "issue_date": 2026-01-01,\n}\n'
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"

# name: (content, the text on the line the error must name (None: line 1), what the reason says)
BROKEN: dict[str, tuple[Callable[[], bytes], str | None, str]] = {
    "bad-json.json": (lambda: BAD_JSON, '"issue_date": 2026', "not valid JSON"),
    "float-amount.json": (
        changed('"payable": "629.10"', '"payable": 629.10'),
        '"payable": 629.10',
        "[totals.payable] JSON number 629.10 is a float",
    ),
    "unknown-key.json": (
        changed('"buyer_reference"', '"buyer_referense"'),
        "buyer_referense",
        "[buyer_referense] unknown field 'buyer_referense' in Invoice",
    ),
    "wrong-line-amount.json": (
        wrong_line_amount,
        '"299.41"',
        "[lines[0].net_amount] 1 figure differ from the EN 16931 calculation",
    ),
    "not-utf8.json": (not_utf8, "JANSEN-", "not UTF-8 text: invalid start byte (byte 0xff)"),
    "empty.json": (lambda: b"", None, "not valid JSON"),
    "binary.json": (lambda: PNG, None, "not UTF-8 text"),
}


@pytest.fixture
def folder_with_broken_files(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    good = copy_fixtures(tmp_path, fixture_files(".json"))
    for name, (content, _, _) in BROKEN.items():
        (tmp_path / name).write_bytes(content())
    return tmp_path, good


def test_broken_files_are_record_errors_naming_file_and_line_and_the_rest_goes_on(
    folder_with_broken_files: tuple[Path, dict[str, Path]],
) -> None:
    folder, good = folder_with_broken_files
    source = ModelJsonSource(folder, page_size=5)
    documents, errors = documents_and_errors(source, source.document)
    assert sorted(errors) == sorted(BROKEN)
    assert sorted(documents) == sorted(good)
    for record_id, document in documents.items():
        assert document == loads(good[record_id].read_bytes()), record_id
    for name, (_, on_line, says) in BROKEN.items():
        path = folder / name
        line = 1 if on_line is None else line_of(path, on_line)
        assert f"{path}:{line}: " in errors[name].reason, errors[name].reason
        assert says in errors[name].reason


def test_a_file_that_does_not_parse_is_listed_with_its_path_alone(
    folder_with_broken_files: tuple[Path, dict[str, Path]],
) -> None:
    folder, _ = folder_with_broken_files
    data = {record.id: record.data for record in all_records(ModelJsonSource(folder))}
    for name in ("bad-json.json", "empty.json", "binary.json", "not-utf8.json"):
        assert data[name] == {"path": str(folder / name)}
    # still readable as JSON: the summary shows what the file states
    assert data["float-amount.json"]["number"] == "2026-10417"


def test_a_missing_mandatory_field_names_the_file_and_the_field(tmp_path: Path) -> None:
    """jsonio knows no line for a key that is not there: the field path says what to add."""
    (tmp_path / "no-number.json").write_bytes(changed('"number": "2026-10417",', "")())
    source = ModelJsonSource(tmp_path)
    (record,) = all_records(source)
    with pytest.raises(RecordError) as caught:
        source.document(record)
    assert caught.value.reason.startswith(f"{tmp_path / 'no-number.json'}: [number] required")


def test_json_nested_too_deeply_is_a_record_error(tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    source = ModelJsonSource(tmp_path)
    (record,) = all_records(source)
    assert record.data == {"path": str(tmp_path / "deep.json")}
    with pytest.raises(RecordError, match=r"deep\.json.*nested too deeply"):
        source.document(record)


def test_a_file_over_max_bytes_is_refused_unread(tmp_path: Path) -> None:
    copied = copy_fixtures(tmp_path, [fixture(STANDARD), fixture("large-120-lines.json")])
    limit = fixture(STANDARD).stat().st_size
    assert fixture("large-120-lines.json").stat().st_size > limit
    source = ModelJsonSource(tmp_path, max_bytes=limit)
    documents, errors = documents_and_errors(source, source.document)
    assert list(documents) == [STANDARD]
    assert list(errors) == ["large-120-lines.json"]
    big = tmp_path / "large-120-lines.json"
    assert errors["large-120-lines.json"].reason == (
        f"{big}: too big: more than {limit} bytes (the source's max_bytes)"
    )
    assert sorted(copied) == sorted([*documents, *errors])


def test_a_file_removed_after_the_pull_is_a_record_error(tmp_path: Path) -> None:
    copy_fixtures(tmp_path, [fixture(STANDARD)])
    source = ModelJsonSource(tmp_path)
    (record,) = all_records(source)
    (tmp_path / STANDARD).unlink()
    with pytest.raises(
        RecordError, match=re.escape(f"{tmp_path / STANDARD}: cannot read: No such file")
    ):
        source.document(record)


def test_a_record_id_outside_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "inner").mkdir()
    (tmp_path / STANDARD).write_bytes(fixture(STANDARD).read_bytes())
    source = ModelJsonSource(tmp_path / "inner")
    forged = Record(
        id=f"../{STANDARD}", updated_at=all_records(ModelJsonSource(tmp_path))[0].updated_at
    )
    with pytest.raises(RecordError, match=re.escape("not a .json file under")):
        source.document(forged)


# ------------------------------------------------------------------------- roots


def test_a_single_file_is_a_source_of_one_record(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(fixture(STANDARD).read_bytes())
    source = ModelJsonSource(path)
    (record,) = all_records(source)
    assert record.id == "export.json"
    assert source.document(record) == loads(path.read_bytes())


def test_hidden_entries_and_other_files_are_skipped(tmp_path: Path) -> None:
    names = (".partial.json", ".tmp/a.json", "notes.txt", "b.json.bak", "real.json", "UP.JSON")
    for relative in names:
        target = tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(fixture(STANDARD).read_bytes())
    source = ModelJsonSource(tmp_path)
    records = all_records(source)
    assert sorted(record.id for record in records) == ["UP.JSON", "real.json"]
    assert source.document(records[0]) == source.document(records[1])


def test_a_root_that_does_not_exist_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no such file or folder"):
        ModelJsonSource(tmp_path / "missing").pull(Stream.INVOICES, None)


# ------------------------------------------------------------------------- resuming


def seven_files(folder: Path) -> list[str]:
    """Seven fixtures copied into ``folder`` (two in a sub-folder); their ids, sorted."""
    return sorted(copy_fixtures(folder, fixture_files(".json")[:7]))


@pytest.mark.parametrize("page_size", [1, 2, 3])
def test_resume_after_any_page_when_all_files_share_one_mtime(
    tmp_path: Path, page_size: int
) -> None:
    ids = seven_files(tmp_path)
    for record_id in ids:
        set_mtime(tmp_path / record_id, SHARED_MTIME)
    # one moment: the relative path orders the stream
    assert_resumes_exactly_once(lambda: ModelJsonSource(tmp_path, page_size=page_size), ids)


@pytest.mark.parametrize("page_size", [1, 2, 3])
def test_resume_after_any_page_with_mtimes_against_the_name_order(
    tmp_path: Path, page_size: int
) -> None:
    ids = seven_files(tmp_path)
    # newest first by name, with the middle three on one moment: the mtime orders the stream
    seconds = [SHARED_MTIME + offset for offset in (60, 50, 40, 40, 40, 20, 10)]
    for record_id, moment in zip(ids, seconds, strict=True):
        set_mtime(tmp_path / record_id, moment)
    expected = [ids[6], ids[5], *sorted(ids[2:5]), ids[1], ids[0]]
    assert_resumes_exactly_once(lambda: ModelJsonSource(tmp_path, page_size=page_size), expected)


def test_a_file_rewritten_after_the_pull_comes_back_once(tmp_path: Path) -> None:
    ids = seven_files(tmp_path)
    for record_id in ids:
        set_mtime(tmp_path / record_id, SHARED_MTIME)
    source = ModelJsonSource(tmp_path, page_size=2)
    *_, last = source.pull(Stream.INVOICES, None)
    assert list(source.pull(Stream.INVOICES, last.next_cursor)) == []

    rewritten = tmp_path / ids[3]
    text = rewritten.read_text(encoding="utf-8")
    number = loads(text).number
    rewritten.write_text(text.replace(f'"{number}"', f'"{number}-R"', 1), encoding="utf-8")
    set_mtime(rewritten, SHARED_MTIME + 1)

    pages = list(source.pull(Stream.INVOICES, last.next_cursor))
    assert [record.id for page in pages for record in page.records] == [ids[3]]
    (record,) = pages[0].records
    assert record.data["number"] == f"{number}-R"
    assert source.document(record).number == f"{number}-R"
    assert list(source.pull(Stream.INVOICES, pages[-1].next_cursor)) == []
