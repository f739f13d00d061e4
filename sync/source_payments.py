"""The payments booked in the source itself, learned by the store (issue 16, section 5).

A document's open amount follows from its match events (:mod:`sync.reconciliation`). A
payment booked in the source by someone else than ledgerlink (a bookkeeper using Tryton's
pay wizard, a bank statement entered there, before or after ledgerlink was connected) is
learned as such an event: the connector reports each document's payment lines
(:class:`SourcePaymentReader`), and each line not booked by ledgerlink becomes a match event
of stage ``source`` (no push: the source has it), on a ``transactions`` row of its own
(``data`` null, so it is no booking to match; ``source`` names the connection and the line).

Ledgerlink's own lines are those carrying the bank reference of one of ledgerlink's pushes
to that document (any kind, any state: a push a crash cut off may be booked), and the line
of a credit note that ledgerlink netted against an invoice. A credit note netted in the
source is learned on both: the invoice paid by it, the credit note consumed.

Learning is a difference: per (document, line), the amount the source reports less what was
learned before; a line that has gone (a payment taken back in the source) is learned back
to zero. So every run may learn again and adds only what changed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import Connection, func, select

from connectors.base import Connector, DocumentRef
from sync.store.schema import connections, documents, matches, payment_pushes, transactions
from sync.store.store import Store

__all__ = ["SOURCE_STAGE", "SourceLine", "SourcePaymentReader", "learn_source_payments"]

SOURCE_STAGE = "source"
"""The ``matches.stage`` of a payment learned from the source."""


class SourceLine(Protocol):
    """One payment line of a document in the source (BT-113 paid amount, BT-5 currency)."""

    @property
    def line_id(self) -> str: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def paid_on(self) -> date: ...
    @property
    def reference(self) -> str | None: ...
    @property
    def credit_note(self) -> str | None: ...


@runtime_checkable
class SourcePaymentReader(Protocol):
    """A connector that reports its documents' payment lines, by record id (a document the
    source does not hold is left out)."""

    def paid_at_source(self, refs: Sequence[DocumentRef]) -> Mapping[str, Sequence[SourceLine]]: ...


@dataclass(frozen=True, slots=True)
class _Doc:
    id: int
    source_id: str
    number: str
    kind: str
    payable: Decimal
    currency: str


_LABEL = re.compile(r"^(?P<connection>.*): payment line (?P<line>\S+) of record (?P<owner>\S+)$")


def _label(connection: str, line: str, owner: str) -> str:
    """``transactions.source`` of a learned line: its connection, id and the document whose
    payment line it is."""
    return f"{connection}: payment line {line} of record {owner}"


def _identity(connection: str, line: str, owner: str, event: int) -> str:
    parts = json.dumps(["source", connection, line, owner, event], ensure_ascii=False)
    return hashlib.sha256(parts.encode("utf-8")).hexdigest()


def _documents(conn: Connection, connection_id: int) -> dict[str, _Doc]:
    newest = (
        select(func.max(documents.c.id).label("id"))
        .where(documents.c.connection_id == connection_id)
        .group_by(documents.c.source_id)
        .subquery()
    )
    rows = conn.execute(
        select(
            documents.c.id,
            documents.c.source_id,
            documents.c.number,
            documents.c.kind,
            documents.c.payable_amount,
            documents.c.currency,
        ).join(newest, newest.c.id == documents.c.id)
    )
    return {
        r.source_id: _Doc(r.id, r.source_id, r.number, r.kind, r.payable_amount, r.currency)
        for r in rows
    }


@dataclass
class _Known:
    """What the store knows of one connection's documents."""

    applied: dict[str, Decimal]
    learned: dict[tuple[str, str], Decimal]  # (document source id, line id) -> amount
    owners: dict[str, str]  # line id -> the document whose payment line it is
    events: dict[str, int]  # line id -> events learned so far
    pushed_references: dict[str, set[str]]
    netted_credit_notes: set[str]


def _known(conn: Connection, connection_id: int, name: str) -> _Known:
    rows = conn.execute(
        select(
            documents.c.source_id,
            matches.c.amount,
            matches.c.written_off,
            matches.c.stage,
            transactions.c.source,
        )
        .join(documents, documents.c.id == matches.c.document_id)
        .join(transactions, transactions.c.id == matches.c.transaction_id)
        .where(documents.c.connection_id == connection_id)
    )
    known = _Known(
        defaultdict(Decimal), defaultdict(Decimal), {}, defaultdict(int), defaultdict(set), set()
    )
    for row in rows:
        known.applied[row.source_id] += Decimal(row.amount) + Decimal(row.written_off or 0)
        label = _LABEL.match(row.source or "") if row.stage == SOURCE_STAGE else None
        if label is None or label["connection"] != name:
            continue
        known.learned[(row.source_id, label["line"])] += Decimal(row.amount)
        known.owners[label["line"]] = label["owner"]
    counted = conn.execute(
        select(transactions.c.source, func.count())
        .where(transactions.c.connection_id == connection_id, transactions.c.data.is_(None))
        .group_by(transactions.c.source)
    )
    for source, count in counted:
        label = _LABEL.match(source or "")
        if label is not None and label["connection"] == name:
            known.events[label["line"]] += int(count)
    pushes = conn.execute(
        select(documents.c.source_id, payment_pushes.c.kind, payment_pushes.c.reference)
        .join(documents, documents.c.id == payment_pushes.c.document_id)
        .where(payment_pushes.c.connection_id == connection_id)
    )
    for source_id, kind, reference in pushes:
        known.pushed_references[source_id].add(reference)
        if kind == "credit":
            known.netted_credit_notes.add(source_id)
    return known


def _open(doc: _Doc, applied: Decimal) -> Decimal:
    payable = abs(Decimal(doc.payable))
    return payable - applied if doc.kind == "invoice" else payable + applied


def _targets(
    reported: Mapping[str, Sequence[SourceLine]], known: _Known, docs: Mapping[str, _Doc]
) -> dict[tuple[str, str], tuple[Decimal, SourceLine | None, str]]:
    """Per (document, line): the amount the source says it pays now, the line, its owner."""
    targets: dict[tuple[str, str], tuple[Decimal, SourceLine | None, str]] = {}
    for owner, lines in reported.items():
        for line in lines:
            if line.reference is not None and line.reference in known.pushed_references[owner]:
                continue  # booked by ledgerlink
            if line.credit_note is not None and line.credit_note in known.netted_credit_notes:
                continue  # a credit note ledgerlink netted against the invoice
            targets[(owner, line.line_id)] = (line.amount, line, owner)
            if line.credit_note is not None and line.credit_note in docs:
                targets[(line.credit_note, line.line_id)] = (-line.amount, line, owner)
    for (source_id, line_id), amount in known.learned.items():
        owner = known.owners[line_id]
        if (source_id, line_id) not in targets and owner in reported and amount:
            targets[(source_id, line_id)] = (Decimal(0), None, owner)  # gone from the source
    return targets


def learn_source_payments(store: Store, connectors: Mapping[str, Connector]) -> int:
    """Learn the payments booked in the sources of ``connectors`` (by connection name) that
    can report them; returns how many match events it recorded."""
    recorded = 0
    for name, connector in connectors.items():
        if isinstance(connector, SourcePaymentReader):
            recorded += _learn(store, name, connector)
    return recorded


def _learn(store: Store, name: str, connector: SourcePaymentReader) -> int:
    with store.begin() as conn:
        found = conn.execute(
            select(connections.c.id, connections.c.tenant_id).where(connections.c.name == name)
        ).first()
        if found is None:
            return 0
        docs = _documents(conn, found.id)
        known = _known(conn, found.id, name)
    asked = {
        doc.source_id
        for doc in docs.values()
        if _open(doc, known.applied.get(doc.source_id, Decimal(0))) != 0
    } | set(known.owners.values())
    refs = [
        DocumentRef(record_id=sid, number=docs[sid].number) for sid in sorted(asked) if sid in docs
    ]
    if not refs:
        return 0
    reported = connector.paid_at_source(refs)
    recorded = 0
    with store.begin() as conn:
        known = _known(conn, found.id, name)  # again, in the transaction that writes
        by_line: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
        lines: dict[str, tuple[SourceLine | None, str]] = {}
        for (source_id, line_id), (amount, line, owner) in _targets(reported, known, docs).items():
            change = amount - known.learned.get((source_id, line_id), Decimal(0))
            if change and source_id in docs:
                by_line[line_id].append((source_id, change))
                lines[line_id] = (line, owner)
        for line_id, changes in by_line.items():
            line, owner = lines[line_id]
            recorded += _record(conn, found, name, docs, line_id, owner, line, changes, known)
    return recorded


def _record(
    conn: Connection,
    connection: Any,
    name: str,
    docs: Mapping[str, _Doc],
    line_id: str,
    owner: str,
    line: SourceLine | None,
    changes: Sequence[tuple[str, Decimal]],
    known: _Known,
) -> int:
    """One ``transactions`` row for the line's change, with a match event per document."""
    now = datetime.now(UTC)
    first = docs[owner] if owner in docs else docs[changes[0][0]]
    money = sum((change for source_id, change in changes if source_id == owner), Decimal(0))
    if line is not None and line.credit_note is not None:
        money = Decimal(0)  # a credit note netted: no money moved
    label = _label(name, line_id, owner)
    what = "paid" if line is not None else "taken back"
    row_id = conn.execute(
        transactions.insert()
        .values(
            tenant_id=connection.tenant_id,
            account=f"source:{name}"[:50],
            booking_date=line.paid_on if line is not None else now.date(),
            amount=money,
            currency=first.currency,
            bank_reference=line.reference if line is not None else None,
            identity=_identity(name, line_id, owner, known.events.get(line_id, 0)),
            source=label,
            connection_id=connection.id,
            reversal=money < 0,
            data=None,
            created_at=now,
        )
        .returning(transactions.c.id)
    ).scalar_one()
    for source_id, change in changes:
        conn.execute(
            matches.insert().values(
                transaction_id=row_id,
                document_id=docs[source_id].id,
                amount=change,
                stage=SOURCE_STAGE,
                reason=f"{what} in {name}: payment line {line_id} of {docs.get(owner, first).number}",
                confidence=Decimal(1),
                written_off=Decimal(0),
                created_at=now,
            )
        )
    return len(changes)
