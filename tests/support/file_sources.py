"""Helpers for the tests of the file sources (connectors.model_json, connectors.ubl_dir)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from connectors.base import Connector, Cursor, Page, Record, Stream
from connectors.errors import RecordError

from .shared import REPO_ROOT

FIXTURES = REPO_ROOT / "fixtures"
#: A moment all files can share (whole seconds: every file system keeps them exactly). It
#: lies in the future: a file's stream position is the later of its mtime and the moment it
#: arrived (its ctime, now), so only an mtime after now decides it.
SHARED_MTIME = 4_102_444_800  # 2100-01-01T00:00:00Z
#: A modification time before any pull a test makes: what ``cp -p`` or ``rsync -a`` keep.
LONG_AGO = 1_577_836_800  # 2020-01-01T00:00:00Z


def fixture_files(suffix: str) -> list[Path]:
    """The fixtures ending in ``suffix`` (``.json`` or ``.xml``)."""
    return sorted(FIXTURES.glob(f"*{suffix}"))


def copy_fixtures(folder: Path, paths: Iterable[Path]) -> dict[str, Path]:
    """Copy ``paths`` into ``folder``: every third one into ``folder/2026/11``, to show
    that sub-folders are searched. Returns the fixture each record id was copied from."""
    copied: dict[str, Path] = {}
    for number, path in enumerate(paths):
        relative = Path("2026", "11", path.name) if number % 3 == 2 else Path(path.name)
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        copied[relative.as_posix()] = path
    return copied


def set_mtime(path: Path, seconds: int) -> None:
    os.utime(path, (seconds, seconds))


def all_pages(source: Connector, cursor: Cursor | None = None) -> list[Page]:
    return list(source.pull(Stream.INVOICES, cursor))


def all_records(source: Connector, cursor: Cursor | None = None) -> list[Record]:
    return [record for page in all_pages(source, cursor) for record in page.records]


def line_of(path: Path, text: str) -> int:
    """The 1-based line of ``path`` holding ``text`` (which must occur exactly once)."""
    lines = [
        number
        for number, line in enumerate(path.read_bytes().splitlines(), start=1)
        if text.encode() in line
    ]
    assert len(lines) == 1, f"{text!r} is on lines {lines} of {path}"
    return lines[0]


def committed(cursor: Cursor) -> Cursor:
    """The cursor as a caller stores and reads it back: its value and tie-breaker only."""
    return Cursor(value=cursor.value, tie_breaker=cursor.tie_breaker)


def assert_resumes_exactly_once(make_source: Callable[[], Connector], expected: list[str]) -> None:
    """A run that stops after any number of pages and resumes (a new source, the committed
    cursor) yields the ids ``expected`` in that order, each exactly once."""
    pages = all_pages(make_source())
    assert [record.id for page in pages for record in page.records] == expected
    for stop in range(len(pages) + 1):
        first = [record.id for page in pages[:stop] for record in page.records]
        cursor = committed(pages[stop - 1].next_cursor) if stop else None
        rest = [record.id for record in all_records(make_source(), cursor)]
        assert first + rest == expected, f"stopped after page {stop}"


def documents_and_errors(
    source: Connector, read: Callable[[Record], object]
) -> tuple[dict[str, object], dict[str, RecordError]]:
    """``read(record)`` for every record: the results and the RecordErrors, by record id."""
    documents: dict[str, object] = {}
    errors: dict[str, RecordError] = {}
    for record in all_records(source):
        try:
            documents[record.id] = read(record)
        except RecordError as failure:
            assert failure.record_id == record.id
            errors[record.id] = failure
    return documents, errors


PEPPOL_WRITTEN = (
    "attachment-pdf.json",
    "be-buyer-ogm.json",
    "be-outside-scope-o.json",
    "creditnote-billing-reference.json",
    "large-120-lines.json",
    "nl-card-payment-prepaid.json",
    "nl-creditnote-nlcius-return.json",
)
"""Seven model-JSON fixtures the Peppol writer takes, named so that a new fixture changes
nothing in the tests that use them."""
PEPPOL_REFUSED = "nl-corrective-384-nlcius.json"
"""A fixture the Peppol writer refuses (type code 384 is for German seller and buyer only)."""


_OPENED: list[str] | None = None
_HOOKED = False


def _count_opens(event: str, args: tuple[object, ...]) -> None:
    if event == "open" and _OPENED is not None and isinstance(args[0], (str, bytes, Path)):
        _OPENED.append(os.fsdecode(args[0]))


@contextmanager
def opened_files() -> Iterator[list[str]]:
    """The paths this process opens meanwhile (Python's ``open`` audit event: ``open()``
    and ``os.open``), in order. The audit hook stays installed (they cannot be removed)
    but records only inside the block."""
    global _OPENED, _HOOKED
    if not _HOOKED:
        sys.addaudithook(_count_opens)
        _HOOKED = True
    found: list[str] = []
    _OPENED = found
    try:
        yield found
    finally:
        _OPENED = None
