"""Conformance harnesses of the file sources: a folder of files, a record per file.

The source is a folder in the test's temporary directory, filled from the repository's
fixtures (each ``fixtures/<name>.json`` model document has its UBL twin ``<name>.xml``). A
record's update time is when its file changed: the harness sets the modification time with
``os.utime`` to moments after now, so that it, not the file's arrival, decides (a shared
timestamp is files copied in one go), and a change is the file written again at a later
moment. A bad record is a broken file. File sources make no HTTP request: the HTTP behaviours
do not apply, and the suite reports them as skipped with that reason.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from connectors.base import Stream
from connectors.http import RetryPolicy
from connectors.model_json import ModelJsonSource
from connectors.ubl_dir import UblDirectorySource
from support.shared import REPO_ROOT

from .harness import HTTP_BEHAVIOURS, BadRecord, Behaviour, HttpSide, Source

__all__ = ["FileSourceHarness", "start_model_json", "start_ubl_dir"]

FIXTURES = REPO_ROOT / "fixtures"
START = 4_107_578_400  # 2100-03-01T10:00:00Z; whole seconds, which every file system keeps
NO_HTTP = "it reads local files and makes no HTTP request (no rate limit, server error or token)"


@dataclass(frozen=True, slots=True)
class BrokenFile:
    """A bad record: the file's name, its content, and what the RecordError must name
    given where the file was written."""

    name: str
    content: bytes
    mentions: Callable[[Path], tuple[str, ...]]


class FileSourceHarness:
    """A folder of ``*<suffix>`` files read by ``open_source(folder, page_size)``."""

    stream = Stream.INVOICES
    http: HttpSide | None = None
    not_applicable: Mapping[Behaviour, str] = dict.fromkeys(HTTP_BEHAVIOURS, NO_HTTP)

    def __init__(
        self,
        name: str,
        folder: Path,
        *,
        suffix: str,
        open_source: Callable[[Path, int], Source],
        broken: BrokenFile,
    ) -> None:
        self.name = name
        self.folder = folder
        self._suffix = suffix
        self._open = open_source
        self._broken = broken
        self._fixtures = iter(sorted(FIXTURES.glob(f"*{suffix}")))
        self._moment = START
        for _ in range(2):
            self._copy(self._next_moment())

    @contextmanager
    def connect(
        self, *, page_size: int, retry: RetryPolicy, url: str | None = None
    ) -> Iterator[Source]:
        yield self._open(self.folder, page_size)

    def record_ids(self) -> set[str]:
        return {
            path.relative_to(self.folder).as_posix()
            for path in self.folder.rglob(f"*{self._suffix}")
        }

    def seed_shared_timestamp(self, count: int) -> list[str]:
        moment = self._next_moment()
        return [self._copy(moment) for _ in range(count)]

    def touch(self, record_id: str) -> None:
        path = self.folder / record_id
        path.write_bytes(path.read_bytes())  # written again, as an export run does
        moment = self._next_moment()  # later than every file so far
        os.utime(path, (moment, moment))

    def add_bad_record(self) -> BadRecord:
        path = self.folder / self._broken.name
        path.write_bytes(self._broken.content)
        moment = self._next_moment()
        os.utime(path, (moment, moment))
        return BadRecord(self._broken.name, self._broken.mentions(path))

    def _next_moment(self) -> int:
        self._moment += 3600
        return self._moment

    def _copy(self, moment: int) -> str:
        fixture = next(self._fixtures)
        target = self.folder / fixture.name
        shutil.copyfile(fixture, target)
        os.utime(target, (moment, moment))
        return fixture.name


def _line_of(path: Path, text: str) -> int:
    """The 1-based number of the one line of ``path`` holding ``text``."""
    (line,) = (
        number
        for number, content in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if text in content
    )
    return line


def _float_amount() -> BrokenFile:
    """A model document with a JSON number where money must be a decimal string."""
    document = json.loads((FIXTURES / "nl-standard-21-9.json").read_text(encoding="utf-8"))
    document["lines"][0]["price"]["net"] = 12.5
    name = "broken-float-amount.json"
    return BrokenFile(
        name,
        json.dumps(document, indent=2).encode(),
        lambda path: (f"{path}:{_line_of(path, '12.5')}", "[lines[0].price.net]", "BT-146"),
    )


def _bad_issue_date() -> BrokenFile:
    """A UBL invoice whose issue date (BT-2) is not a date."""
    text = (FIXTURES / "nl-standard-21-9.xml").read_text(encoding="utf-8")
    start = text.index("<cbc:IssueDate>") + len("<cbc:IssueDate>")
    end = text.index("</cbc:IssueDate>", start)
    broken = text[:start] + "2026-02-30" + text[end:]
    return BrokenFile(
        "broken-issue-date.xml",
        broken.encode(),
        lambda path: (f"{path}:{_line_of(path, '2026-02-30')}", "cbc:IssueDate", "BT-2"),
    )


@contextmanager
def start_model_json(request: pytest.FixtureRequest, workdir: Path) -> Iterator[FileSourceHarness]:
    yield FileSourceHarness(
        "model-json",
        workdir,
        suffix=".json",
        open_source=lambda folder, size: ModelJsonSource(folder, page_size=size),
        broken=_float_amount(),
    )


@contextmanager
def start_ubl_dir(request: pytest.FixtureRequest, workdir: Path) -> Iterator[FileSourceHarness]:
    yield FileSourceHarness(
        "ubl-dir",
        workdir,
        suffix=".xml",
        open_source=lambda folder, size: UblDirectorySource(folder, page_size=size),
        broken=_bad_issue_date(),
    )
