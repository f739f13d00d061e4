"""What the one-file-per-document sources share (``model-json`` and ``ubl-dir``), each test
run against both: a read-only source of the invoices stream, its folder or file, its limits,
and resuming by ``(changed, path)``. The format of each (its fixtures read back, broken files,
its listing) is tested in ``test_model_json.py`` and ``test_ubl_dir.py``."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from support.file_sources import (
    LONG_AGO,
    SHARED_MTIME,
    all_records,
    assert_resumes_exactly_once,
    copy_fixtures,
    documents_and_errors,
    fixture_files,
    opened_files,
    set_mtime,
)

import ubl
from connectors._file_source import OneFilePerDocument
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
from connectors.ubl_dir import UblDirectorySource
from model import Invoice
from model.jsonio import loads


def _renumbered_json(data: bytes, number: str, new: str) -> bytes:
    old = f'"number": "{number}"'.encode()
    assert data.count(old) == 1
    return data.replace(old, f'"number": "{new}"'.encode())


def _renumbered_xml(data: bytes, number: str, new: str) -> bytes:
    old = f"<cbc:ID>{number}</cbc:ID>".encode()
    assert data.count(old) == 1
    return data.replace(old, f"<cbc:ID>{new}</cbc:ID>".encode())


@dataclass(frozen=True)
class Kind:
    """One file source under test: its class, its files, and its format's own reader."""

    name: str
    source: type[OneFilePerDocument]
    suffix: str
    read: Callable[[Path], Invoice]
    renumbered: Callable[[bytes, str, str], bytes]

    def fixture(self, stem: str) -> Path:
        (path,) = (path for path in fixture_files(self.suffix) if path.stem == stem)
        return path

    @property
    def standard(self) -> Path:
        return self.fixture("nl-standard-21-9")


KINDS = [
    Kind(
        "model-json",
        ModelJsonSource,
        ".json",
        lambda path: loads(path.read_bytes()),
        _renumbered_json,
    ),
    Kind(
        "ubl-dir",
        UblDirectorySource,
        ".xml",
        lambda path: ubl.parse(path).document,
        _renumbered_xml,
    ),
]


@pytest.fixture(params=KINDS, ids=[kind.name for kind in KINDS])
def kind(request: pytest.FixtureRequest) -> Kind:
    chosen: Kind = request.param
    return chosen


def test_the_source_is_a_read_only_document_source(kind: Kind, tmp_path: Path) -> None:
    source = kind.source(tmp_path, name="migration")
    assert isinstance(source, Connector)
    assert isinstance(source, DocumentSource)
    assert source.name == "migration"
    assert source.capabilities == frozenset({Capability.PULL_INVOICES})
    for stream in (Stream.PARTIES, Stream.PAYMENTS):
        with pytest.raises(ConfigurationError, match="only the invoices stream"):
            source.pull(stream, None)
    ref = DocumentRef(record_id=kind.standard.name, number="2026-10417")
    with pytest.raises(ConfigurationError, match=r"read-only.*2026-10417"):
        source.push_status(ref, StatusUpdate(status=DocumentStatus.SENT))
    payment = Payment(amount=Decimal("1.00"), currency="EUR", paid_on=date(2026, 1, 2))
    with pytest.raises(ConfigurationError, match=r"read-only.*2026-10417"):
        source.push_payment(ref, payment)


# ------------------------------------------------------------------------- limits


def test_a_file_over_max_bytes_is_refused_unread(kind: Kind, tmp_path: Path) -> None:
    large = kind.fixture("large-120-lines")
    copied = copy_fixtures(tmp_path, [kind.standard, large])
    limit = kind.standard.stat().st_size
    assert large.stat().st_size > limit
    source = kind.source(tmp_path, max_bytes=limit)
    documents, errors = documents_and_errors(source, source.document)
    assert list(documents) == [kind.standard.name]
    assert list(errors) == [large.name]
    assert errors[large.name].reason == (
        f"{tmp_path / large.name}: too big: {large.stat().st_size} bytes, more than {limit} "
        "bytes (the source's max_bytes)"
    )
    assert sorted(copied) == sorted([*documents, *errors])


def test_a_file_removed_after_the_pull_is_a_record_error(kind: Kind, tmp_path: Path) -> None:
    copy_fixtures(tmp_path, [kind.standard])
    source = kind.source(tmp_path)
    (record,) = all_records(source)
    (tmp_path / kind.standard.name).unlink()
    gone = tmp_path / kind.standard.name
    with pytest.raises(RecordError, match=re.escape(f"{gone}: cannot read: No such file")):
        source.document(record)


def test_a_file_rewritten_between_the_pull_and_its_document_is_read_again(
    kind: Kind, tmp_path: Path
) -> None:
    """What the listing read of a file is never handed out once the file has changed."""
    copy_fixtures(tmp_path, [kind.standard])
    path = tmp_path / kind.standard.name
    number = kind.read(path).number
    source = kind.source(tmp_path)
    (page,) = source.pull(Stream.INVOICES, None)
    path.write_bytes(kind.renumbered(path.read_bytes(), number, f"{number}-R"))
    (record,) = page.records
    assert record.data["number"] == number
    assert source.document(record).number == f"{number}-R"


def test_a_link_to_a_folder_is_not_followed_a_link_to_a_file_is(kind: Kind, tmp_path: Path) -> None:
    """As ``Path.rglob`` lists: no folder is walked twice (or forever, a link to a parent)."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / f"a{kind.suffix}").write_bytes(kind.standard.read_bytes())
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "linked").symlink_to(elsewhere, target_is_directory=True)
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    (folder / f"b{kind.suffix}").symlink_to(elsewhere / f"a{kind.suffix}")
    source = kind.source(folder)
    (record,) = all_records(source)
    assert record.id == f"b{kind.suffix}"
    assert source.document(record) == kind.read(elsewhere / f"a{kind.suffix}")


def test_a_record_id_outside_the_folder_is_refused(kind: Kind, tmp_path: Path) -> None:
    (tmp_path / "inner").mkdir()
    (tmp_path / kind.standard.name).write_bytes(kind.standard.read_bytes())
    source = kind.source(tmp_path / "inner")
    (listed,) = all_records(kind.source(tmp_path))
    forged = Record(id=f"../{kind.standard.name}", updated_at=listed.updated_at)
    with pytest.raises(RecordError, match=re.escape(f"not a {kind.suffix} file under")):
        source.document(forged)


# ------------------------------------------------------------------------- roots


def test_a_single_file_is_a_source_of_one_record(kind: Kind, tmp_path: Path) -> None:
    path = tmp_path / f"export{kind.suffix}"
    path.write_bytes(kind.standard.read_bytes())
    source = kind.source(path)
    (record,) = all_records(source)
    assert record.id == path.name
    assert source.document(record) == kind.read(path)


def test_hidden_entries_and_other_files_are_skipped(kind: Kind, tmp_path: Path) -> None:
    suffix = kind.suffix
    names = (f".partial{suffix}", f".tmp/a{suffix}", "notes.txt", f"b{suffix}.bak")
    wanted = (f"real{suffix}", f"UP{suffix.upper()}")
    for relative in (*names, *wanted):
        target = tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(kind.standard.read_bytes())
    source = kind.source(tmp_path)
    records = all_records(source)
    assert sorted(record.id for record in records) == sorted(wanted)
    assert source.document(records[0]) == source.document(records[1])


def test_a_root_that_does_not_exist_is_a_configuration_error(kind: Kind, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    with pytest.raises(ConfigurationError) as caught:
        kind.source(tmp_path / "sub" / ".." / "missing").pull(Stream.INVOICES, None)
    # the folder looked for, resolved, once
    assert str(caught.value) == f"path: no such file or folder {tmp_path / 'missing'}"


# ------------------------------------------------------------------------- resuming


def seven_files(kind: Kind, folder: Path) -> list[str]:
    """Seven fixtures copied into ``folder`` (two in a sub-folder); their ids, sorted."""
    return sorted(copy_fixtures(folder, fixture_files(kind.suffix)[:7]))


@pytest.mark.parametrize("page_size", [1, 2, 3])
def test_resume_after_any_page_when_all_files_share_one_mtime(
    kind: Kind, tmp_path: Path, page_size: int
) -> None:
    ids = seven_files(kind, tmp_path)
    for record_id in ids:
        set_mtime(tmp_path / record_id, SHARED_MTIME)
    # one moment: the relative path orders the stream
    assert_resumes_exactly_once(lambda: kind.source(tmp_path, page_size=page_size), ids)


#: Offsets from SHARED_MTIME for the seven files in name order, and the stream order they
#: give (indexes into the sorted ids): newest first by name, with runs of shared moments.
ORDERS = {
    "middle three shared": ((60, 50, 40, 40, 40, 20, 10), (6, 5, 2, 3, 4, 1, 0)),
    "ends shared": ((60, 60, 60, 30, 20, 20, 10), (6, 4, 5, 3, 0, 1, 2)),
}


@pytest.mark.parametrize("order", sorted(ORDERS))
@pytest.mark.parametrize("page_size", [1, 2, 3])
def test_resume_after_any_page_with_mtimes_against_the_name_order(
    kind: Kind, tmp_path: Path, page_size: int, order: str
) -> None:
    ids = seven_files(kind, tmp_path)
    offsets, stream = ORDERS[order]
    for record_id, offset in zip(ids, offsets, strict=True):
        set_mtime(tmp_path / record_id, SHARED_MTIME + offset)
    expected = [ids[index] for index in stream]
    assert_resumes_exactly_once(lambda: kind.source(tmp_path, page_size=page_size), expected)


def test_a_file_copied_in_with_its_old_mtime_after_a_pull_is_pulled_on_resume(
    kind: Kind, tmp_path: Path
) -> None:
    ids = seven_files(kind, tmp_path)
    source = kind.source(tmp_path, page_size=3)
    first = list(source.pull(Stream.INVOICES, None))
    assert sorted(record.id for page in first for record in page.records) == ids
    cursor = first[-1].next_cursor

    # cp -p, rsync -a or a restore: the copy keeps a modification time from long before
    late = tmp_path / f"zz-restored{kind.suffix}"
    late.write_bytes(kind.standard.read_bytes())
    set_mtime(late, LONG_AGO)
    assert late.stat().st_mtime < datetime.fromisoformat(cursor.value).timestamp()

    pages = list(source.pull(Stream.INVOICES, cursor))
    assert [record.id for page in pages for record in page.records] == [late.name]
    assert list(source.pull(Stream.INVOICES, pages[-1].next_cursor)) == []


def test_a_file_rewritten_after_the_pull_comes_back_once(kind: Kind, tmp_path: Path) -> None:
    ids = seven_files(kind, tmp_path)
    for record_id in ids:
        set_mtime(tmp_path / record_id, SHARED_MTIME)
    source = kind.source(tmp_path, page_size=2)
    *_, last = source.pull(Stream.INVOICES, None)
    assert list(source.pull(Stream.INVOICES, last.next_cursor)) == []

    rewritten = tmp_path / ids[3]
    number = kind.read(rewritten).number
    rewritten.write_bytes(kind.renumbered(rewritten.read_bytes(), number, f"{number}-R"))
    set_mtime(rewritten, SHARED_MTIME + 1)

    pages = list(source.pull(Stream.INVOICES, last.next_cursor))
    assert [record.id for page in pages for record in page.records] == [ids[3]]
    (record,) = pages[0].records
    assert record.data["number"] == f"{number}-R"
    assert source.document(record).number == f"{number}-R"
    assert list(source.pull(Stream.INVOICES, pages[-1].next_cursor)) == []


def test_each_file_is_opened_once_for_its_listing_and_its_document(
    kind: Kind, tmp_path: Path
) -> None:
    """The listing reads the page's files whole and keeps what it parsed for document()."""
    copied = copy_fixtures(tmp_path, fixture_files(kind.suffix)[:6])
    source = kind.source(tmp_path, page_size=4)
    documents = {}
    with opened_files() as opened:
        for page in source.pull(Stream.INVOICES, None):  # as the pipeline reads: page by page
            for record in page.records:
                documents[record.id] = source.document(record)
    assert sorted(documents) == sorted(copied)
    for record_id, path in copied.items():
        assert documents[record_id] == kind.read(path), record_id
        listed = str(tmp_path / record_id)
        assert opened.count(listed) == 1, (record_id, opened.count(listed))
