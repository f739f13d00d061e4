"""The ``cycle_holders`` rows of a store, and the check that no two holders of one
connection overlap.

A holder killed mid-cycle (SIGKILL) has no ``ended_at``: it did nothing after its death,
so its interval is taken to end at ``killed_at`` (when the test saw the process gone).
Any other holder row without an end is an overlap waiting to happen, and fails.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from sqlalchemy import select

from sync.store.schema import cycle_holders
from sync.store.store import Store

__all__ = ["holder_rows", "intervals", "no_overlap"]


def holder_rows(store: Store) -> list[Any]:
    with store.begin() as conn:
        return list(conn.execute(select(cycle_holders).order_by(cycle_holders.c.id)))


def intervals(
    rows: list[Any], killed: str | None = None, killed_at: datetime | None = None
) -> dict[str, list[tuple[datetime, datetime, Any]]]:
    """Per connection, (start, end, row) sorted by start; a row of holder ``killed`` with
    no end ends at ``killed_at``."""
    found: dict[str, list[tuple[datetime, datetime, Any]]] = {}
    for row in rows:
        end = row.ended_at
        if end is None:
            assert row.holder == killed and killed_at is not None, f"{row} never ended"
            end = killed_at
        found.setdefault(row.connection, []).append((row.started_at, end, row))
    for each in found.values():
        each.sort(key=lambda interval: interval[0])
    return found


def no_overlap(
    rows: list[Any], killed: str | None = None, killed_at: datetime | None = None
) -> None:
    """Fail naming the two rows when two holders of one connection overlap."""
    for name, held in intervals(rows, killed, killed_at).items():
        for before, after in itertools.pairwise(held):
            assert before[1] <= after[0], f"{name}: {before[2]} overlaps {after[2]}"
