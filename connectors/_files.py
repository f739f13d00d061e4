"""What the file sources share: finding their files and placing each in a stream.

A file source reads a file or a folder (searched recursively, hidden entries skipped). Each
file's stream position is when it last changed (:func:`changed_at`, UTC) with its path
relative to the root as the tie-breaker, so files copied in one go (one moment) are neither
lost nor repeated when a pull resumes, and a file rewritten later comes back once.

"Changed" is the later of the file's modification time and the moment it arrived: a file
copied in with its original modification time kept (``cp -p``, ``rsync -a``, a restore from
a backup) still lands after the cursor of the pulls before it, where the modification time
alone would place it before and a resumed pull would never see it. The arrival is the status
change time on POSIX systems (set by the system clock when the file is created, written,
renamed or has its permissions changed; no program can set it back) and the creation time on
Windows. So a file whose permissions or name change is pulled once more; a document pulled
twice is harmless downstream (the same id), one never pulled is lost.

A record's file is found again from its id (:func:`file_of`), and read whole but never past a
size limit (:func:`read_limited`): a file that vanished, cannot be read or is too big is a
:class:`~connectors.errors.RecordError` naming the file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Final

from connectors.base import Cursor, Page, Record, select_after
from connectors.errors import ConfigurationError, RecordError

if TYPE_CHECKING:
    from connectors.registry import ConnectionContext

__all__ = [
    "changed_at",
    "existing_path",
    "file_of",
    "file_records",
    "files_under",
    "listed_after",
    "listed_files",
    "no_such_path",
    "paged",
    "read_limited",
    "read_within",
    "relative_id",
    "status_changed_at",
    "too_big",
]


def no_such_path(path: Path, raw: str | None = None) -> str:
    """The message for a connection's ``path`` setting that names nothing: the folder looked
    for, resolved (absolute, ``..`` taken out) and named once, and for a relative setting
    ``raw`` (as written in the settings file) that it is read from the settings file's folder.

    >>> no_such_path(Path("/srv/in"))
    'path: no such file or folder /srv/in'
    """
    shown = f"path: no such file or folder {path.resolve()}"
    if raw is None or Path(raw).expanduser().is_absolute():
        return shown
    return f"{shown} (path = {json.dumps(raw)} is read from the settings file's folder)"


def existing_path(raw: str, context: ConnectionContext) -> Path:
    """The setting ``path`` read from the settings file's folder; a ConfigurationError
    (:func:`no_such_path`) when there is nothing there."""
    path = context.path(raw)
    if not path.exists():
        raise ConfigurationError(no_such_path(path, raw))
    return path


def files_under(root: Path, suffix: str) -> list[Path]:
    """``root`` itself when it is a file, else every ``*<suffix>`` file under it (recursive,
    the suffix in any case, ``EXPORT.CSV`` too; names starting with ``.`` skipped), sorted.
    A missing root is a ConfigurationError."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise ConfigurationError(no_such_path(root))
    found = (
        path
        for path in root.rglob("*")
        if path.suffix.lower() == suffix
        and path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )
    return sorted(found)


def relative_id(root: Path, path: Path) -> str:
    """The record id of ``path``: its POSIX path relative to ``root`` (its name when ``root``
    is the file itself)."""
    if root.is_file():
        return path.name
    return path.relative_to(root).as_posix()


_ARRIVAL: Final = "st_birthtime" if os.name == "nt" else "st_ctime"
"""The stat field that tells when a file arrived: its creation time on Windows, its status
change time elsewhere (``st_ctime`` means creation time only on Windows)."""


def changed_at(path: Path) -> datetime:
    """When the file last changed or arrived, as an aware UTC datetime: the later of its
    modification time and its arrival (see the module docstring)."""
    return status_changed_at(path.stat())


def status_changed_at(status: os.stat_result) -> datetime:
    """:func:`changed_at` of a file whose ``stat`` is ``status``."""
    arrived = getattr(status, _ARRIVAL, status.st_ctime)
    return datetime.fromtimestamp(max(status.st_mtime, arrived), tz=UTC)


def listed_files(root: Path, suffix: str) -> list[tuple[str, str, os.stat_result]]:
    """Every file of :func:`each_listed_file`, as a list."""
    return list(each_listed_file(root, suffix))


def listed_after(
    root: Path, suffix: str, cursor: Cursor | None
) -> list[tuple[Record, str, os.stat_result]]:
    """``(record, path, stat)`` of the files of :func:`each_listed_file` after ``cursor``
    (all of them without one), in no particular order; the record has the id and
    ``updated_at`` of :func:`file_records`, no data. The files at or before the cursor are
    dropped as the folder is listed, so what a pull holds grows with the new files, not
    with every file the folder ever received (a daemon's folder that grows by a batch a
    cycle kept each cycle's peak, and with it the resident memory, growing). An opaque
    cursor keeps every file (:func:`paged` refuses it)."""
    boundary = None
    if cursor is not None:
        try:
            boundary = cursor.key
        except ValueError:
            boundary = None
    kept: list[tuple[Record, str, os.stat_result]] = []
    for record_id, path, status in each_listed_file(root, suffix):
        record = Record(id=record_id, updated_at=status_changed_at(status))
        if boundary is None or record.key > boundary:
            kept.append((record, path, status))
    return kept


def each_listed_file(root: Path, suffix: str) -> Iterator[tuple[str, str, os.stat_result]]:
    """``(record id, path, stat)`` of every file of :func:`files_under` (:func:`relative_id`,
    the path as text), in no particular order: one ``os.scandir`` per folder and one ``stat``
    per file, no :class:`~pathlib.Path` per file. As ``rglob`` does, links to folders are not
    followed and a folder that cannot be listed is skipped; a file removed between the
    listing and its ``stat`` is left out: it is gone. A missing root is a
    ConfigurationError."""
    if root.is_file():
        try:
            status = root.stat()
        except FileNotFoundError:
            return
        yield root.name, str(root), status
        return
    if not root.is_dir():
        raise ConfigurationError(no_such_path(root))
    folders = [(str(root), "")]
    while folders:
        folder, prefix = folders.pop()
        try:
            with os.scandir(folder) as entries:
                listed = list(entries)
        except (PermissionError, FileNotFoundError, NotADirectoryError):
            continue
        for entry in listed:
            name = entry.name
            if name.startswith("."):
                continue
            try:
                if name.lower().endswith(suffix) and entry.is_file():
                    status = entry.stat()
                else:
                    if entry.is_dir() and not entry.is_symlink():
                        folders.append((entry.path, f"{prefix}{name}/"))
                    continue
            except FileNotFoundError:
                continue
            yield prefix + name, entry.path, status


def paged(records: list[Record], cursor: Cursor | None, page_size: int) -> Iterator[Page]:
    """The records after ``cursor`` in stream order, ``page_size`` at a time, each page with
    the cursor of its last record."""
    if page_size < 1:
        raise ValueError(f"page_size must be at least 1, not {page_size}")
    fresh = select_after(records, cursor)
    for start in range(0, len(fresh), page_size):
        page = fresh[start : start + page_size]
        last = page[-1]
        next_cursor = (
            cursor.advance(last)
            if cursor is not None
            else Cursor(value=last.updated_at.astimezone(UTC).isoformat(), tie_breaker=last.id)
        )
        yield Page(page, next_cursor)


def file_records(root: Path, suffix: str) -> list[Record]:
    """One record per file of :func:`listed_files`, in no particular order: id
    :func:`relative_id`, ``updated_at`` :func:`changed_at`, data ``{"path": <the file's path>}``. A file removed between the
    listing and its ``stat`` is left out: it is gone."""
    return [
        Record(id=record_id, updated_at=status_changed_at(status), data={"path": path})
        for record_id, path, status in listed_files(root, suffix)
    ]


def file_of(root: Path, record: Record, suffix: str) -> Path:
    """The file behind a record of :func:`file_records`; a RecordError for an id this
    source cannot have handed out (another suffix, an absolute path, a ``..`` step)."""
    if not root.is_dir():
        if record.id != root.name:
            raise RecordError(record.id, f"no such file: {root} is not a folder")
        return root
    relative = PurePosixPath(record.id)
    if relative.suffix.lower() != suffix or relative.is_absolute() or ".." in relative.parts:
        raise RecordError(record.id, f"not a {suffix} file under {root}")
    return root.joinpath(*relative.parts)


def read_limited(path: Path, record_id: str, max_bytes: int) -> bytes:
    """The bytes of ``path``; a RecordError naming it when it cannot be read or holds more
    than ``max_bytes``: its size and the limit (a file over the limit is not read at all, and
    never more than ``max_bytes + 1`` bytes are read of one that grows while it is read)."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise RecordError(record_id, too_big(path, size, max_bytes, "the source's max_bytes"))
        data = read_within(path, size, max_bytes)
    except OSError as failure:
        raise RecordError(
            record_id, f"{path}: cannot read: {failure.strerror or failure}"
        ) from None
    if len(data) > max_bytes:
        raise RecordError(record_id, too_big(path, None, max_bytes, "the source's max_bytes"))
    return data


def read_within(path: str | Path, size: int, max_bytes: int) -> bytes:
    """The bytes of ``path``, whose ``stat`` gave ``size`` (at most ``max_bytes``), but never
    more than ``max_bytes + 1`` of a file that grew: the read asks for ``size + 1`` bytes first
    (asking for ``max_bytes + 1`` at once would allocate that much for every file)."""
    size = min(size, max_bytes)
    with open(path, "rb") as file:
        data = file.read(size + 1)
        if len(data) > size:  # it grew since its stat
            data += file.read(max_bytes + 1 - len(data))
    return data


def too_big(path: Path, size: int | None, max_bytes: int, setting: str) -> str:
    """The message for a file over its source's size limit: the file, its size (None: it grew
    past the limit while read) and the limit, with the setting that sets it."""
    found = f"{size} bytes" if size is not None else "it grew"
    return f"{path}: too big: {found}, more than {max_bytes} bytes ({setting})"
