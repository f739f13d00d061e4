"""A migration's own state in the store: its cursor, the records it took, their files.

A migration is keyed by connection + target folder (table ``migrations``); each record it
took is one ``migration_items`` row (one row of ``index.csv``), committed right after its
file is written, so a run after Ctrl-C or a crash skips what was taken (by source id +
content hash) and never writes a file twice. :class:`Ledger` keeps it all in memory for a
dry run (no store).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from connectors.base import Cursor, Record
from sync.documents import Built
from sync.migration_index import Item, file_name, same_file
from sync.store.schema import documents, migration_items, migrations

if TYPE_CHECKING:
    from model.findings import Finding
    from sync.store import Store

__all__ = ["Ledger", "MigrationError"]


class MigrationError(Exception):
    """A migration that cannot start (its message says why and what to do)."""


class Ledger:
    """The migration's cursor, records and file names: in the store, or (a dry run) in memory."""

    def __init__(self, store: Store | None, target: Path) -> None:
        self.store = store
        self.target = target
        self.migration: int | None = None
        self.connection: int | None = None
        self.cursor: Cursor | None = None
        self._done: set[tuple[str, str]] = set()
        self._files: set[str] = set()
        self._memory: list[Item] = []

    def open(self, name: str, kind: str, since: date | None, *, deliver: bool = False) -> None:
        if self.store is None:
            return
        from sync.pipeline import connection_id

        wanted = since.isoformat() if since else None
        with self.store.begin() as conn:
            self.connection = connection_id(conn, name, kind)
            row = conn.execute(
                select(migrations).where(
                    migrations.c.connection_id == self.connection,
                    migrations.c.target == str(self.target),
                )
            ).first()
            if row is None:
                self.migration = int(
                    conn.execute(
                        migrations.insert()
                        .values(
                            connection_id=self.connection, target=str(self.target), since=wanted
                        )
                        .returning(migrations.c.id)
                    ).scalar_one()
                )
                return
            if row.since != wanted:
                started = f"--since {row.since}" if row.since else "no --since"
                raise MigrationError(
                    f"the migration of {name} into {self.target} started with {started}; "
                    "run it with the same --since to continue it, or choose another --to folder"
                )
            self.migration = int(row.id)
            if row.cursor_value is not None:
                self.cursor = Cursor(value=row.cursor_value, tie_breaker=row.cursor_tie_breaker)
            delivering: set[bool] = set()
            for item in conn.execute(
                select(
                    migration_items.c.source_id,
                    migration_items.c.item_key,
                    migration_items.c.file,
                    migration_items.c.document_id,
                ).where(migration_items.c.migration_id == self.migration)
            ):
                self._done.add((item.source_id, item.item_key))
                if item.file:
                    self._files.add(item.file.casefold())
                    delivering.add(item.document_id is not None)
        if delivering and delivering != {deliver}:
            began = "with --deliver" if True in delivering else "without --deliver"
            raise MigrationError(
                f"the migration of {name} into {self.target} began {began}; continue it "
                f"the same way, or choose another --to folder"
            )

    def done(self, source_id: str, key: str) -> bool:
        return (source_id, key) in self._done

    def name(self, number: str, record_id: str, data: bytes) -> tuple[str, str | None, bool]:
        """A file name for ``data``, the name it collides with, and whether the file is there
        already with these bytes (a crashed run wrote it)."""

        def taken(candidate: str) -> bool:
            if candidate.casefold() in self._files:
                return True
            return same_file(self.target / candidate, data) is False

        chosen, collides = file_name(number, record_id, taken)
        self._files.add(chosen.casefold())
        return chosen, collides, same_file(self.target / chosen, data) is True

    def add(self, item: Item, record: Record, outcome: Any, recorder: Any) -> None:
        self._done.add((item.source_id, item.key))
        if self.store is None:
            self._memory.append(item)
            return
        from sync.recorder import Job

        with self.store.begin() as conn:
            if recorder is not None:
                recorder.record(conn, Job(record, outcome, tuple(_report_of(outcome, item))))
                if isinstance(outcome, Built):
                    item.document_id = conn.execute(  # by hash: a renamed file is the same
                        select(documents.c.id)
                        .where(
                            documents.c.connection_id == self.connection,
                            documents.c.content_hash == outcome.content_hash,
                        )
                        .order_by(documents.c.id.desc())
                        .limit(1)
                    ).scalar()
            conn.execute(migration_items.insert().values(**_values(item, self.migration)))

    def save_cursor(self, cursor: Cursor) -> None:
        self.cursor = cursor
        if self.store is None:
            return
        with self.store.begin() as conn:
            conn.execute(
                update(migrations)
                .where(migrations.c.id == self.migration)
                .values(cursor_value=cursor.value, cursor_tie_breaker=cursor.tie_breaker)
            )

    def items(self) -> list[Item]:
        if self.store is None:
            return list(self._memory)
        delivery = (
            select(documents.c.state)
            .where(documents.c.id == migration_items.c.document_id)
            .scalar_subquery()
        )
        with self.store.begin() as conn:
            rows = conn.execute(
                select(migration_items, delivery.label("delivery"))
                .where(migration_items.c.migration_id == self.migration)
                .order_by(migration_items.c.id)
            ).all()
        return [_item_of_row(row) for row in rows]


def _report_of(outcome: Any, item: Item) -> list[Finding]:
    from model.findings import Finding

    if isinstance(outcome, Built):
        return [Finding.from_dict(found) for found in item.findings]
    return []


def _values(item: Item, migration: int | None) -> dict[str, Any]:
    return {
        "migration_id": migration,
        "source_id": item.source_id,
        "item_key": item.key,
        "number": item.number,
        "kind": item.kind,
        "issue_date": item.issue_date,
        "buyer_name": item.buyer_name,
        "buyer_id": item.buyer_id,
        "net": item.net,
        "vat": item.vat,
        "payable": item.payable,
        "currency": item.currency,
        "state": item.state,
        "file": item.file,
        "reason": item.reason,
        "findings": item.findings or None,
        "document_id": item.document_id,
    }


def _item_of_row(row: Any) -> Item:
    return Item(
        source_id=row.source_id,
        key=row.item_key,
        state=row.state,
        number=row.number,
        kind=row.kind,
        issue_date=row.issue_date,
        buyer_name=row.buyer_name,
        buyer_id=row.buyer_id,
        net=row.net,
        vat=row.vat,
        payable=row.payable,
        currency=row.currency,
        file=row.file,
        reason=row.reason,
        findings=list(row.findings or ()),
        document_id=row.document_id,
        delivery=row.delivery,
    )
