"""What the file sources share: finding their files and placing each in a stream.

A file source reads a file or a folder (searched recursively, hidden entries skipped). Each
file's stream position is its modification time (UTC) with its path relative to the root as
the tie-breaker, so files copied in one go (one mtime) are neither lost nor repeated when a
pull resumes, and a file rewritten later comes back once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from connectors.base import Cursor, Page, Record, select_after
from connectors.errors import ConfigurationError

__all__ = ["files_under", "modified_at", "paged", "relative_id"]


def files_under(root: Path, suffix: str) -> list[Path]:
    """``root`` itself when it is a file, else every ``*<suffix>`` file under it (recursive,
    names starting with ``.`` skipped), sorted. A missing root is a ConfigurationError."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise ConfigurationError(f"{root}: no such file or folder (the connection's path)")
    found = (
        path
        for path in root.rglob(f"*{suffix}")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )
    return sorted(found)


def relative_id(root: Path, path: Path) -> str:
    """The record id of ``path``: its POSIX path relative to ``root`` (its name when ``root``
    is the file itself)."""
    if root.is_file():
        return path.name
    return path.relative_to(root).as_posix()


def modified_at(path: Path) -> datetime:
    """The file's modification time, as an aware UTC datetime."""
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)


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
