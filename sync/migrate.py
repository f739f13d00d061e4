"""One-shot migrations: a connection's history exported as validated UBL, resumably.

:func:`migrate` pulls the connection's ``invoices`` from the start (or from ``since``),
and makes each record a document with the pipeline's own steps (:func:`sync.documents.build`
and :func:`sync.documents.validate`): a valid document becomes ``DIR/<number>.xml``, named as
``ledgerlink pull --ubl-dir`` names it (:func:`file_name`: a name taken already gets the
record id after a ``~``, and the index says so), a record the connector cannot map is
``held`` (the finding names the code and the mapping file to edit), one the writer or the
validator refuses is ``quarantined`` (the rule ids and messages). ``DIR/index.csv`` lists
every record taken, once (:data:`INDEX_COLUMNS`).

The migration keeps its own state in the store (tables ``migrations`` and
``migration_items``), keyed by connection + target folder: its cursor, committed after each
page, and one row per record taken, committed right after its file is written. Running it
again after Ctrl-C or a crash continues where it stopped: the records of a page read again
are skipped by source id + content hash, and a file a crashed run wrote already (same
bytes, not yet recorded) is taken as it is, never written twice. A file in the folder with
other bytes is never overwritten: the document gets the next free name.

With ``deliver`` each record also goes through the pipeline's recorder
(:class:`sync.recorder.Recorder`: the ``documents`` row, the outbox) in the transaction
of its migration row, and :func:`sync.outbox.deliver` sends it through the connection's
channels after each page: exactly once per idempotency key, whatever the number of runs; a
document ``ledgerlink sync`` took already is not queued again. With ``store`` None (a dry
run) nothing is written: no file, no row, nothing sent.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import signal
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from sqlalchemy import select, update

from connectors.base import Cursor, DocumentSource, Record, Stream
from connectors.errors import ConnectorError
from sync.documents import Built, Held, Refused, build, record_data, validate
from sync.store.schema import documents, migration_items, migrations

if TYPE_CHECKING:
    from connectors.base import Connector
    from delivery.base import Channel
    from model import Invoice
    from model.findings import Finding
    from sync.store import Store

__all__ = [
    "INDEX_COLUMNS",
    "INDEX_FILE",
    "KILL_ENV",
    "STATES",
    "Item",
    "MigrationError",
    "MigrationSummary",
    "Progress",
    "file_name",
    "migrate",
]

INDEX_FILE: Final = "index.csv"
INDEX_COLUMNS: Final = (
    "number",  # BT-1
    "kind",  # invoice or credit-note
    "issue_date",  # BT-2
    "buyer_name",  # BT-44
    "buyer_id",  # BT-46, else BT-47, else BT-48
    "net",  # BT-109
    "vat",  # BT-110
    "payable",  # BT-115
    "currency",  # BT-5
    "state",  # written, held or quarantined
    "file",
    "reason",
    "delivery",  # with --deliver: the document's state (queued, delivered, ...)
)
"""The columns of ``index.csv``, in order; amounts are Decimal as text."""
STATES: Final = ("written", "held", "quarantined")
"""What a migration did with a record."""
KILL_ENV: Final = "LEDGERLINK_MIGRATE_KILL_AFTER"
"""A test seam: ``N`` (or ``N:recorded``) makes the process SIGKILL itself once the Nth
record of the run is recorded, ``N:written`` once its file is written but not recorded."""
_UNSAFE_NAME: Final = re.compile(r"[^A-Za-z0-9._-]+")


class MigrationError(Exception):
    """A migration that cannot start (its message says why and what to do)."""


class Progress(Protocol):
    """Told of the migration's progress (a progress bar, plain lines)."""

    def start(self, total: int | None) -> None:
        """The migration begins; ``total`` records to go when counted, else None."""

    def advance(self, item: Item | None) -> None:
        """One record done: what became of it, None when an earlier run took it."""

    def finish(self) -> None:
        """The migration ended (done, stopped by the source or interrupted)."""


@dataclass(slots=True, kw_only=True)
class Item:
    """One record a migration took: one row of ``index.csv``."""

    source_id: str
    key: str
    """The content hash of the UBL, or of the record data when none was built."""
    state: str
    """One of :data:`STATES`."""
    number: str | None = None
    kind: str | None = None
    issue_date: date | None = None
    buyer_name: str | None = None
    buyer_id: str | None = None
    net: Decimal | None = None
    vat: Decimal | None = None
    payable: Decimal | None = None
    currency: str | None = None
    file: str | None = None
    reason: str | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)
    document_id: int | None = None
    delivery: str | None = None

    def row(self) -> dict[str, str]:
        """The item as a row of ``index.csv`` (:data:`INDEX_COLUMNS`)."""
        values: dict[str, Any] = {
            "number": self.number,
            "kind": self.kind,
            "issue_date": self.issue_date.isoformat() if self.issue_date else None,
            "buyer_name": self.buyer_name,
            "buyer_id": self.buyer_id,
            "net": _money(self.net),
            "vat": _money(self.vat),
            "payable": _money(self.payable),
            "currency": self.currency,
            "state": self.state,
            "file": self.file,
            "reason": self.reason,
            "delivery": self.delivery,
        }
        return {key: "" if values[key] is None else str(values[key]) for key in INDEX_COLUMNS}


@dataclass(slots=True, kw_only=True)
class MigrationSummary:
    """What a migration holds after a run (every record it took, in all its runs)."""

    target: Path
    items: list[Item] = field(default_factory=list)
    taken: int = 0
    """Records taken in this run."""
    skipped: int = 0
    """Records read again that an earlier run took already."""
    delivered: int = 0
    """Documents a channel took in this run (``deliver``)."""
    failed: int = 0
    """Documents no channel accepts, or a channel refused (``deliver``)."""
    error: str | None = None
    """Why the source stopped the migration early, else None."""
    findings: list[Finding] = field(default_factory=list)
    """What the delivery reported without stopping."""
    dry_run: bool = False

    @property
    def counts(self) -> dict[str, int]:
        """Records per state (:data:`STATES`, every state listed)."""
        found = Counter(item.state for item in self.items)
        return {state: found[state] for state in STATES}

    @property
    def troubled(self) -> list[Item]:
        """The held and quarantined records, each with its reason."""
        return [item for item in self.items if item.state != "written"]


def _money(value: Decimal | None) -> str | None:
    """An amount as text: its own digits, at least two decimals (``591.77``, ``100.00``)."""
    if value is None:
        return None
    shown = value.normalize()
    exponent = shown.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        shown = value.quantize(Decimal("0.01"))
    return format(shown, "f")


# -- names and files ---------------------------------------------------------------------


def _safe(text: str) -> str:
    return _UNSAFE_NAME.sub("_", text).strip(".")


def file_name(number: str, record_id: str, taken: Any) -> tuple[str, str | None]:
    """The file name of document ``number`` of record ``record_id``, as ``pull --ubl-dir``
    makes it, and the name it would have had when that was ``taken`` (None when free).

    ``taken(name)`` says whether a name is in use. The name is the BT-1 number with every
    run of characters outside ``A-Za-z0-9._-`` made ``_``; a taken one gets ``~`` and the
    record id, then a counter.
    """
    stem = _safe(number) or "document"
    wanted = f"{stem}.xml"
    chosen = wanted
    rid = _safe(record_id) or "record"
    counter = 1
    while taken(chosen):
        counter += 1
        chosen = f"{stem}~{rid}.xml" if counter == 2 else f"{stem}~{rid}~{counter - 1}.xml"
    return chosen, (wanted if chosen != wanted else None)


def _write_atomically(path: Path, data: bytes) -> None:
    """``data`` as ``path``: a temporary file in the folder, fsynced, renamed into place."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _same_file(path: Path, data: bytes) -> bool | None:
    """True when ``path`` holds ``data``, False when other bytes, None when missing."""
    try:
        return path.read_bytes() == data
    except FileNotFoundError:
        return None


# -- the migration's state -----------------------------------------------------------------


class _Ledger:
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
            return _same_file(self.target / candidate, data) is False

        chosen, collides = file_name(number, record_id, taken)
        self._files.add(chosen.casefold())
        return chosen, collides, _same_file(self.target / chosen, data) is True

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


# -- one record ----------------------------------------------------------------------------


def _described(document: Invoice | None, record: Record) -> dict[str, Any]:
    """The index's terms of a document (BT-1, BT-2, BT-44, BT-46..48, BT-109, BT-110, BT-115,
    BT-5), or what the record states when no document was made."""
    if document is None:
        number = record.data.get("number")
        return {"number": str(number) if number else None}
    buyer = document.buyer
    buyer_id = (
        (buyer.identifiers[0].value if buyer.identifiers else None)
        or (buyer.legal_registration.value if buyer.legal_registration else None)
        or buyer.vat_id
    )
    return {
        "number": document.number,
        "kind": "credit-note" if document.kind.value == "credit_note" else "invoice",
        "issue_date": document.issue_date,
        "buyer_name": buyer.name,
        "buyer_id": buyer_id,
        "net": document.totals.without_vat,
        "vat": document.totals.vat,
        "payable": document.totals.payable,
        "currency": document.currency,
    }


def _reason(findings: Sequence[Finding], said: str = "") -> str:
    """The findings in one line: rule id, message (unless ``said`` has it already) and the
    fix (for an unmapped code: the mapping file to edit)."""
    parts = []
    for finding in findings:
        head = finding.rule if finding.message in said else str(finding)
        hint = f" (fix: {finding.hint})" if finding.hint else ""
        parts.append(f"{head}{hint}")
    return "; ".join(parts)


def _data_key(record: Record) -> str:
    """The key of a record no document was made of: its data (not when it changed)."""
    text = json.dumps(record_data(record)["data"], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Seam:
    """:data:`KILL_ENV`: the process kills itself at the Nth record of the run."""

    def __init__(self) -> None:
        given = os.environ.get(KILL_ENV, "")
        count, _, point = given.partition(":")
        self.after = int(count) if count.strip().isdigit() else 0
        self.point = point.strip() or "recorded"
        self.seen = 0

    def reached(self, point: str) -> None:
        if self.after and self.seen == self.after and point == self.point:
            os.kill(os.getpid(), signal.SIGKILL)


@dataclass(slots=True)
class _Run:
    """One run of a migration: takes records one by one."""

    source: DocumentSource
    profile: str
    ledger: _Ledger
    summary: MigrationSummary
    recorder: Any
    write: bool
    seam: _Seam = field(default_factory=_Seam)

    def take(self, record: Record) -> Item | None:
        outcome = build(self.source, record, self.profile)
        key = outcome.content_hash if isinstance(outcome, Built) else _data_key(record)
        if self.ledger.done(record.id, key):
            self.summary.skipped += 1
            return None
        self.seam.seen += 1
        if isinstance(outcome, Built):
            item = self._built(record, outcome, key)
        else:
            found = list(outcome.findings)
            item = Item(
                source_id=record.id,
                key=key,
                state="held" if isinstance(outcome, Held) else "quarantined",
                reason=(
                    f"{outcome.reason} - {_reason(found, outcome.reason)}"
                    if found
                    else outcome.reason
                ),
                findings=[finding.to_dict() for finding in found],
                **_described(outcome.document if isinstance(outcome, Refused) else None, record),
            )
        self.seam.reached("written")
        self.ledger.add(item, record, outcome, self.recorder)
        self.summary.taken += 1
        self.seam.reached("recorded")
        return item

    def _built(self, record: Record, built: Built, key: str) -> Item:
        report = validate(built)
        fatal = [finding for finding in report if finding.fatal]
        item = Item(
            source_id=record.id,
            key=key,
            state="quarantined" if fatal else "written",
            findings=[finding.to_dict() for finding in report],
            **_described(built.document, record),
        )
        if fatal:
            item.reason = f"rejected by the official validation: {_reason(fatal)}"
            return item
        name, collides, there = self.ledger.name(built.document.number, record.id, built.ubl)
        item.file = name
        if collides is not None:
            item.reason = f"{collides} is taken by another document: written as {name}"
        if self.write and not there:
            _write_atomically(self.ledger.target / name, built.ubl)
        return item


def _index(target: Path, items: Sequence[Item]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=INDEX_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for item in items:
        writer.writerow(item.row())
    _write_atomically(target / INDEX_FILE, buffer.getvalue().encode("utf-8"))


def _count(source: Connector, start: Cursor | None) -> int | None:
    """The records to go (a pull that reads their data only), None when the source fails."""
    try:
        return sum(len(page.records) for page in source.pull(Stream.INVOICES, start))
    except ConnectorError:
        return None


@contextmanager
def _progressing(progress: Progress | None) -> Iterator[None]:
    try:
        yield
    finally:
        if progress is not None:
            progress.finish()


def migrate(
    store: Store | None,
    *,
    name: str,
    connector: Connector,
    kind: str,
    target: Path,
    profile: str = "peppol-bis3",
    since: date | None = None,
    channels: Sequence[Channel] = (),
    deliver: bool = False,
    progress: Progress | None = None,
    count: bool = False,
) -> MigrationSummary:
    """Migrate connection ``name`` into ``target`` (see the module docstring).

    ``store`` None is a dry run: everything is built and validated, nothing written. ``count``
    pulls once more first to give ``progress`` a total. A source that fails stops the
    migration (:attr:`MigrationSummary.error`); what was taken stays, the next run resumes.
    Raises :class:`MigrationError` when it cannot start, :class:`~sync.store.StoreError`
    when the store fails.
    """
    if not isinstance(connector, DocumentSource):
        raise MigrationError(f"connector {connector.name!r} cannot build documents (no invoices)")
    target = target.resolve()
    summary = MigrationSummary(target=target, dry_run=store is None)
    ledger = _Ledger(store, target)
    ledger.open(name, kind, since, deliver=deliver)
    start = ledger.cursor
    if start is None and since is not None:
        start = Cursor.start(datetime.combine(since, time(), UTC))
    recorder = None
    if deliver and store is not None:
        from sync.pipeline import CycleSummary
        from sync.recorder import Recorder

        recorder = Recorder(
            name=name, connection=ledger.connection or 0, channels=channels, summary=CycleSummary()
        )
    run = _Run(connector, profile, ledger, summary, recorder, write=store is not None)
    with _progressing(progress):
        if progress is not None:
            progress.start(_count(connector, start) if count else None)
        try:
            for page in connector.pull(Stream.INVOICES, start):
                for record in page.records:
                    item = run.take(record)
                    if progress is not None:
                        progress.advance(item)
                ledger.save_cursor(page.next_cursor)
                if recorder is not None and store is not None:
                    _deliver(store, name, connector, channels, summary)
        except ConnectorError as failure:
            summary.error = str(failure)
        else:  # what a stopped run queued after its last page is sent even with no new page
            if recorder is not None and store is not None:
                _deliver(store, name, connector, channels, summary)
        finally:
            summary.items = ledger.items()
            if store is not None:
                _index(target, summary.items)
    return summary


def _deliver(
    store: Store,
    name: str,
    connector: Connector,
    channels: Sequence[Channel],
    summary: MigrationSummary,
) -> None:
    from sync.pipeline import deliver_queued

    done = deliver_queued(store, name, connector, channels)
    summary.delivered += done.delivered
    summary.failed += done.failed
    summary.findings.extend(done.findings)
