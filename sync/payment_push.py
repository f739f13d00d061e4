"""Payments pushed back to the source, exactly once (issue 16, section 3).

Each match event (``matches`` row) of an invoice is queued here in the transaction that
records it: one ``payment_pushes`` row, keyed by :func:`push_key` (connection, bank
reference, source record), so a booking is pushed to a document once however often the
reconciler runs. :func:`push_payments` then works the queue, each push in three steps,
each committed:

1. claim: the row becomes ``pushing`` (attempts + 1) and is committed *before* the push;
2. push: ``connector.push_payment(DocumentRef, Payment)`` with ``Payment.reference`` the
   bank reference;
3. record: ``pushed`` with the time.

A row found ``pushing`` when a run starts was interrupted between 1 and 3 (a crash, kill
-9): the push may or may not have reached the source. Before pushing again the source is
asked (:class:`PaymentLookup`: Tryton looks for a payment line of the invoice with that
reference, date and amount). Booked already: ``found``, not pushed again. Not there: pushed.
A connector that cannot be asked: ``in-doubt``, reported, never pushed blindly.

A reversal (a negative match: the payment came back) is pushed only to a connector that can
take it (:class:`ReversalTarget`); elsewhere it is ``unsupported`` with the reason, for a
person to undo the payment in the source. A credit note netted against an invoice is
``unsupported`` likewise: the source's own reconciliation books it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import Connection, select, update

from connectors.base import Capability, Connector, DocumentRef, Payment
from connectors.errors import ConnectorError, RecordError
from sync.store.schema import connections, documents, payment_pushes
from sync.store.store import Store

__all__ = [
    "PaymentLookup",
    "PushSummary",
    "ReversalTarget",
    "checkpoint",
    "push_key",
    "push_payments",
    "queue_push",
]


def checkpoint(name: str) -> None:
    """A named point of :func:`push_payments` (``claimed``, ``pushed``, ``recorded``): does
    nothing; the kill -9 test replaces it to stop the process right there."""


@runtime_checkable
class PaymentLookup(Protocol):
    """A connector that can say whether a payment is booked on a document already."""

    def payment_booked(self, document_ref: DocumentRef, payment: Payment) -> bool: ...


@runtime_checkable
class ReversalTarget(Protocol):
    """A connector that can undo a payment it booked (a returned or reversed booking)."""

    def reverse_payment(self, document_ref: DocumentRef, payment: Payment) -> None: ...


def push_key(connection: str, bank_reference: str, source_id: str, kind: str = "payment") -> str:
    """SHA-256 (hex) of the JSON array (connection, bank reference, source record, kind).

    >>> push_key("shop", "REF-1", "7") != push_key("shop", "REF-1", "7", "reversal")
    True
    """
    parts = json.dumps([connection, bank_reference, source_id, kind], ensure_ascii=False)
    return hashlib.sha256(parts.encode("utf-8")).hexdigest()


def queue_push(
    conn: Connection,
    *,
    match_id: int,
    document_id: int,
    amount: Decimal,
    paid_on: date,
    bank_reference: str,
) -> str:
    """Queue the push of match ``match_id`` (a signed reduction ``amount`` of document
    ``document_id``'s open amount) in the caller's transaction; returns its state."""
    doc = conn.execute(
        select(
            documents.c.connection_id,
            documents.c.source_id,
            documents.c.kind,
            documents.c.currency,
            connections.c.name,
        )
        .join(connections, connections.c.id == documents.c.connection_id)
        .where(documents.c.id == document_id)
    ).one()
    credit_note = doc.kind != "invoice"
    kind = "credit" if credit_note else ("payment" if amount > 0 else "reversal")
    state, why = "pending", None
    if credit_note:
        state, why = (
            "unsupported",
            "a credit note netted against an invoice is booked in the source",
        )
    now = datetime.now(UTC)
    conn.execute(
        payment_pushes.insert().values(
            match_id=match_id,
            idempotency_key=push_key(doc.name, bank_reference, doc.source_id, kind),
            connection_id=doc.connection_id,
            document_id=document_id,
            kind=kind,
            amount=abs(amount),
            currency=doc.currency,
            paid_on=paid_on,
            reference=bank_reference,
            state=state,
            attempts=0,
            last_error=why,
            created_at=now,
            updated_at=now,
        )
    )
    return state


@dataclass
class PushSummary:
    """What a :func:`push_payments` run did, per outcome; ``problems`` one line each."""

    pushed: int = 0
    found: int = 0
    in_doubt: int = 0
    unsupported: int = 0
    failed: int = 0
    problems: list[str] = field(default_factory=list)


def _set(conn: Connection, push_id: int, **values: Any) -> None:
    conn.execute(
        update(payment_pushes)
        .where(payment_pushes.c.id == push_id)
        .values(updated_at=datetime.now(UTC), **values)
    )


def _work(store: Store, connection: str) -> list[Any]:
    with store.begin() as conn:
        return list(
            conn.execute(
                select(
                    payment_pushes,
                    documents.c.source_id,
                    documents.c.number,
                )
                .join(documents, documents.c.id == payment_pushes.c.document_id)
                .join(connections, connections.c.id == payment_pushes.c.connection_id)
                .where(
                    connections.c.name == connection,
                    payment_pushes.c.state.in_(("pending", "pushing")),
                )
                .order_by(payment_pushes.c.id)
            )
        )


def push_payments(
    store: Store,
    connectors: Mapping[str, Connector],
    *,
    on_push: Callable[[str], None] | None = None,
) -> PushSummary:
    """Push every queued payment of the connections in ``connectors`` (by name), exactly
    once (see the module). ``on_push`` is told one line per push, for progress."""
    summary = PushSummary()
    for name, connector in connectors.items():
        for row in _work(store, name):
            _one(store, connector, row, summary)
            if on_push is not None:
                on_push(f"{row.number}: {row.kind} {row.amount} ({row.reference})")
    return summary


def _one(store: Store, connector: Connector, row: Any, summary: PushSummary) -> None:
    ref = DocumentRef(record_id=row.source_id, number=row.number)
    payment = Payment(
        amount=row.amount, currency=row.currency, paid_on=row.paid_on, reference=row.reference
    )
    interrupted = row.state == "pushing"
    if Capability.PUSH_PAYMENT not in connector.capabilities:
        why = f"connection {connector.name} cannot take payments: book it in the source"
        with store.begin() as conn:
            _set(conn, row.id, state="unsupported", last_error=why)
        summary.unsupported += 1
        summary.problems.append(f"{row.number}: {why}")
        return
    if row.kind == "reversal" and not isinstance(connector, ReversalTarget):
        why = (
            f"connection {connector.name} cannot take a reversal: undo the payment of "
            f"{row.amount} {row.currency} ({row.reference}) on {row.number} in the source"
        )
        with store.begin() as conn:
            _set(conn, row.id, state="unsupported", last_error=why)
        summary.unsupported += 1
        summary.problems.append(f"{row.number}: {why}")
        return
    if interrupted:
        if not isinstance(connector, PaymentLookup):
            why = (
                f"a crash came between the push of {row.reference} to {row.number} and its "
                f"record, and connection {connector.name} cannot be asked: check the source"
            )
            with store.begin() as conn:
                _set(conn, row.id, state="in-doubt", last_error=why)
            summary.in_doubt += 1
            summary.problems.append(f"{row.number}: {why}")
            return
        if row.kind == "payment" and connector.payment_booked(ref, payment):
            with store.begin() as conn:
                _set(conn, row.id, state="found", pushed_at=datetime.now(UTC), last_error=None)
            summary.found += 1
            return
    with store.begin() as conn:
        _set(conn, row.id, state="pushing", attempts=row.attempts + 1)
    checkpoint("claimed")
    try:
        if row.kind == "reversal":
            assert isinstance(connector, ReversalTarget)
            connector.reverse_payment(ref, payment)
        else:
            connector.push_payment(ref, payment)
    except RecordError as failure:
        with store.begin() as conn:
            _set(conn, row.id, state="failed", last_error=str(failure))
        summary.failed += 1
        summary.problems.append(f"{row.number}: {failure}")
        return
    except ConnectorError as failure:  # transient or unknown: stays pushing, asked next run
        with store.begin() as conn:
            _set(conn, row.id, last_error=str(failure))
        summary.problems.append(f"{row.number}: {failure} (asked again on the next run)")
        return
    checkpoint("pushed")
    with store.begin() as conn:
        _set(conn, row.id, state="pushed", pushed_at=datetime.now(UTC), last_error=None)
    checkpoint("recorded")
    summary.pushed += 1
