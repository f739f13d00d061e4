"""The model-JSON folder source against real files: the fixtures read back, and broken ones
(what every file source shares is in test_file_sources.py)."""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from support.file_sources import (
    all_records,
    copy_fixtures,
    documents_and_errors,
    fixture_files,
    line_of,
)

from connectors.errors import RecordError
from connectors.model_json import ModelJsonSource
from model.jsonio import loads

STANDARD = "nl-standard-21-9.json"


def fixture(name: str) -> Path:
    (path,) = (path for path in fixture_files(".json") if path.name == name)
    return path


def test_every_fixture_comes_back_as_jsonio_reads_it(tmp_path: Path) -> None:
    copied = copy_fixtures(tmp_path, fixture_files(".json"))
    assert len(copied) == 25
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


def infinity_after_its_name_in_a_string() -> bytes:
    """``-Infinity`` as BT-115, after a note (BT-22) that says ``Infinity`` and ``NaN`` (an
    escaped quote between them): words in a string are not the constant."""
    text = text_of(STANDARD)
    assert text.count('"payable": "629.10"') == 1 and text.count('"buyer_reference"') == 1
    note = '"notes": [{"text": "Infinity and NaN \\" NaN"}],\n  "buyer_reference"'
    text = text.replace('"buyer_reference"', note)
    return text.replace('"payable": "629.10"', '"payable": -Infinity').encode()


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
        "[lines[0].net_amount] 1 figure differs from the EN 16931 calculation",
    ),
    "nan-amount.json": (
        changed('"payable": "629.10"', '"payable": NaN'),
        '"payable": NaN',
        '[$] NaN is not a number JSON allows; write an amount as a decimal string ("12.50")',
    ),
    "infinity-amount.json": (
        infinity_after_its_name_in_a_string,
        '"payable": -Infinity',
        "[$] -Infinity is not a number JSON allows",
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
    not_json = ("bad-json.json", "empty.json", "binary.json", "not-utf8.json")
    # NaN and Infinity are no JSON either, whatever the json module takes by default
    for name in (*not_json, "nan-amount.json", "infinity-amount.json"):
        assert data[name] == {"path": str(folder / name)}, name
    # still readable as JSON: the summary shows what the file states
    assert data["float-amount.json"]["number"] == "2026-10417"


def test_a_file_with_a_byte_order_mark_is_read_as_without_it(tmp_path: Path) -> None:
    plain = fixture("nl-export-g.json").read_bytes()
    (tmp_path / "bom.json").write_bytes(codecs.BOM_UTF8 + plain)
    source = ModelJsonSource(tmp_path)
    (record,) = all_records(source)
    assert record.data["number"] == loads(plain).number
    assert source.document(record) == loads(plain)


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
