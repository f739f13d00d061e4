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

The folder's files and index are :mod:`sync.migration_index`, the migration's state in the
store :mod:`sync.migration_ledger`; this module takes the records and runs the migration.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from connectors.base import Cursor, DocumentSource, Record, Stream
from connectors.errors import ConnectorError
from sync.documents import Built, Held, Refused, build, record_data, validate
from sync.migration_index import (
    INDEX_COLUMNS,
    INDEX_FILE,
    STATES,
    Item,
    file_name,
    write_atomically,
    write_index,
)
from sync.migration_ledger import Ledger, MigrationError

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

KILL_ENV: Final = "LEDGERLINK_MIGRATE_KILL_AFTER"
"""A test seam: ``N`` (or ``N:recorded``) makes the process SIGKILL itself once the Nth
record of the run is recorded, ``N:written`` once its file is written but not recorded."""


class Progress(Protocol):
    """Told of the migration's progress (a progress bar, plain lines)."""

    def start(self, total: int | None) -> None:
        """The migration begins; ``total`` records to go when counted, else None."""

    def advance(self, item: Item | None) -> None:
        """One record done: what became of it, None when an earlier run took it."""

    def finish(self) -> None:
        """The migration ended (done, stopped by the source or interrupted)."""


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


_NEWLINES: Final = re.compile(r"\s*\n\s*")


def _reason(findings: Sequence[Finding], said: str = "") -> str:
    """The findings in one line (a row of ``index.csv``, a line of the summary): rule id,
    message (unless ``said`` has it already) and the fix, its first line (:func:`_fix`)."""
    parts = []
    for finding in findings:
        head = finding.rule if finding.message in said else str(finding)
        hint = f" (fix: {_fix(finding)})" if finding.hint else ""
        parts.append(_NEWLINES.sub(" ", f"{head}{hint}"))  # a message of several lines too
    return "; ".join(parts)


def _fix(finding: Finding) -> str:
    """The first line of a finding's hint; a hint of more lines (an unmapped code: ``add to
    FILE:`` and the TOML lines) points to the command that prints them whole. The finding
    keeps the whole hint (:attr:`Item.findings`)."""
    first, *rest = (finding.hint or "").strip().splitlines()
    if not any(line.strip() for line in rest):
        return first
    if finding.layer == "mapping":
        return f"{first.rstrip(': ')} the lines `ledgerlink mappings check` prints"
    return f"{first.rstrip()} ..."


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
    ledger: Ledger
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
                reason=_NEWLINES.sub(
                    " ",
                    f"{outcome.reason} - {_reason(found, outcome.reason)}"
                    if found
                    else outcome.reason,
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
            write_atomically(self.ledger.target / name, built.ubl)
        return item


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
    ledger = Ledger(store, target)
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
                write_index(target, summary.items)
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
