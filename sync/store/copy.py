"""Copying a whole store to another database (SQLite to PostgreSQL, or any direction).

The source must be at the newest revision; the target must hold no rows (it is upgraded
to the same revision first). Rows go table by table in foreign-key order, streamed in
batches (at most :data:`BATCH_SIZE` rows and about :data:`BATCH_BYTES`), the whole copy in one target transaction read from one source snapshot, so a
failed copy leaves the target empty. On PostgreSQL the id sequences are moved past the
copied ids. The row counts of both stores are compared per table at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Integer, Table, func, select, text

from sync.store.errors import StoreNotEmpty
from sync.store.store import Store

__all__ = ["BATCH_BYTES", "BATCH_SIZE", "TableCopy", "copy_store", "first_table_with_rows"]

BATCH_SIZE = 1000
"""Rows per insert at most."""
BATCH_BYTES = 32 * 1024 * 1024
"""Text and bytes per insert at most: documents carry their UBL (attachments make it large)."""


@dataclass(frozen=True, slots=True)
class TableCopy:
    """One table's row counts after a copy."""

    table: str
    source: int
    target: int

    @property
    def matches(self) -> bool:
        """True when the target holds as many rows as the source."""
        return self.source == self.target


def first_table_with_rows(store: Store) -> tuple[str, int] | None:
    """The first schema table (foreign-key order) that holds rows, with its count."""
    for table, count in store.counts().items():
        if count:
            return table, count
    return None


def _fix_sequence(connection: Connection, table: Table) -> None:
    key = list(table.primary_key.columns)
    if len(key) != 1 or not isinstance(key[0].type, Integer):
        return
    column = key[0].name
    connection.execute(
        text(
            f"SELECT setval(pg_get_serial_sequence(:table, :column), max({column})) "
            f'FROM "{table.name}" HAVING max({column}) IS NOT NULL'
        ),
        {"table": table.name, "column": column},
    )


def _size(row: dict[str, Any]) -> int:
    return sum(len(value) for value in row.values() if isinstance(value, bytes | str))


def _copy_table(source: Connection, target: Connection, table: Table, batch_size: int) -> int:
    order = list(table.primary_key.columns)
    rows = source.execution_options(yield_per=min(batch_size, 100)).execute(
        select(table).order_by(*order)
    )
    copied = 0
    batch: list[dict[str, Any]] = []
    held = 0
    for row in rows:
        batch.append(dict(row._mapping))
        held += _size(batch[-1])
        if len(batch) >= batch_size or held >= BATCH_BYTES:
            target.execute(table.insert(), batch)
            copied += len(batch)
            batch, held = [], 0
    if batch:
        target.execute(table.insert(), batch)
        copied += len(batch)
    return copied


def copy_store(
    source: Store,
    target: Store,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[str, int], None] | None = None,
) -> list[TableCopy]:
    """Copy every row of ``source`` into the empty ``target``; the counts per table.

    Raises :class:`~sync.store.errors.StoreTooOld` / ``StoreTooNew`` when the source is not
    at the newest revision or the target is newer, and :class:`StoreNotEmpty` naming the
    first target table that holds rows. ``progress(table, rows)`` is called after each table.
    """
    source.check()
    if found := first_table_with_rows(target):
        name, count = found
        raise StoreNotEmpty(
            f"the target store {target.shown} is not empty: table {name} has {count} rows",
            name,
        )
    target.upgrade()
    source_counts: dict[str, int] = {}
    with source.begin() as reading, target.begin() as writing:
        if reading.dialect.name == "postgresql":  # one snapshot for every table
            reading.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for table in target.metadata.sorted_tables:
            source_counts[table.name] = reading.execute(
                select(func.count()).select_from(table)
            ).scalar_one()
            copied = _copy_table(reading, writing, table, batch_size)
            if writing.dialect.name == "postgresql":
                _fix_sequence(writing, table)
            if progress is not None:
                progress(table.name, copied)
    target_counts = target.counts()
    return [
        TableCopy(name, count, target_counts.get(name, 0)) for name, count in source_counts.items()
    ]
