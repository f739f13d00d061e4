"""listed_after: a pull keeps only the files after its cursor, not every file of the folder."""

from __future__ import annotations

import os
from pathlib import Path

from connectors._files import listed_after, listed_files
from connectors.base import Cursor, select_after


def _folder(tmp_path: Path, count: int) -> Path:
    root = tmp_path / "in"
    root.mkdir()
    for index in range(count):
        path = root / f"inv-{index:03d}.json"
        path.write_text("{}", encoding="utf-8")
        stamp = 1_700_000_000 + index  # one second apart: a clear stream order
        os.utime(path, (stamp, stamp))
    return root


def test_keeps_only_the_files_after_the_cursor(tmp_path: Path) -> None:
    root = _folder(tmp_path, 50)
    everything = listed_after(root, ".json", None)
    assert len(everything) == len(listed_files(root, ".json")) == 50
    ordered = select_after([record for record, _, _ in everything], None)
    cursor = Cursor(value=ordered[39].updated_at.isoformat(), tie_breaker=ordered[39].id)
    kept = listed_after(root, ".json", cursor)
    assert sorted(record.id for record, _, _ in kept) == [each.id for each in ordered[40:]]
    assert all(Path(path).name == record.id for record, path, _ in kept)


def test_a_cursor_after_every_file_keeps_none(tmp_path: Path) -> None:
    root = _folder(tmp_path, 20)
    ordered = select_after([record for record, _, _ in listed_after(root, ".json", None)], None)
    last = ordered[-1]
    assert (
        listed_after(root, ".json", Cursor(value=last.updated_at.isoformat(), tie_breaker=last.id))
        == []
    )
