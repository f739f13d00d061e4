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

What else a match carries goes only to a connector that can take it, and is reported
(``unsupported``, with the reason, for a person to book it in the source) elsewhere:

* a reversal (a negative match: the payment came back): :class:`ReversalTarget`, told the
  bank reference of the payment it takes back (the newest payment pushed to that document
  with that amount);
* a credit note consumed against an invoice (``credit``): :class:`CreditTarget`, told the
  one invoice of the same booking it is netted against. The invoice's own push is then the
  money received, its match less the credit consumed with it (zero: no push);
* a shortfall written off under the tolerance policy (``matches.written_off``), pushed with
  its payment: :class:`WriteOffTarget`; elsewhere the payment alone is pushed and the
  write-off reported.

After a crash each kind asks its own lookup (``payment_booked``, ``reversal_booked``,
``credit_applied``); a connector without it leaves the push ``in-doubt``.
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
from sync.store.schema import connections, documents, matches, payment_pushes
from sync.store.store import Store

__all__ = [
    "CreditTarget",
    "PaymentLookup",
    "PushSummary",
    "ReversalTarget",
    "WriteOffTarget",
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
    """A connector that can undo a payment it booked (a returned or reversed booking):
    ``payment`` is the reversal (its amount positive, its date and bank reference),
    ``original`` the bank reference of the payment it takes back, when known."""

    def reverse_payment(
        self, document_ref: DocumentRef, payment: Payment, original: str | None = None
    ) -> None: ...

    def reversal_booked(self, document_ref: DocumentRef, payment: Payment) -> bool: ...


@runtime_checkable
class CreditTarget(Protocol):
    """A connector that can consume a credit note against an invoice: ``payment.amount`` of
    the credit note ``credit`` against the invoice ``target``."""

    def apply_credit(self, credit: DocumentRef, target: DocumentRef, payment: Payment) -> None: ...

    def credit_applied(
        self, credit: DocumentRef, target: DocumentRef, payment: Payment
    ) -> bool: ...


@runtime_checkable
class WriteOffTarget(Protocol):
    """A connector that can book a payment and write off the shortfall, settling it."""

    def settle_payment(
        self, document_ref: DocumentRef, payment: Payment, written_off: Decimal
    ) -> None: ...


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
    if credit_note and amount > 0:
        state, why = (
            "unsupported",
            "a credit note's netting undone by a reversal is booked in the source",
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
                    matches.c.transaction_id,
                    matches.c.written_off,
                )
                .join(documents, documents.c.id == payment_pushes.c.document_id)
                .join(connections, connections.c.id == payment_pushes.c.connection_id)
                .join(matches, matches.c.id == payment_pushes.c.match_id)
                .where(
                    connections.c.name == connection,
                    payment_pushes.c.state.in_(("pending", "pushing")),
                )
                .order_by(payment_pushes.c.id)
            )
        )


def _target(store: Store, row: Any) -> DocumentRef | str:
    """The invoice a credit note is netted against: the one invoice its booking pays
    (a DocumentRef), or why there is none to name (a str)."""
    with store.begin() as conn:
        found = list(
            conn.execute(
                select(documents.c.source_id, documents.c.number)
                .join(matches, matches.c.document_id == documents.c.id)
                .where(
                    matches.c.transaction_id == row.transaction_id,
                    documents.c.kind == "invoice",
                    documents.c.connection_id == row.connection_id,
                    matches.c.amount > 0,
                )
            )
        )
    if len(found) != 1:
        return f"credit note {row.number} is netted against {len(found)} invoices in one booking"
    return DocumentRef(record_id=found[0].source_id, number=found[0].number)


def _original(store: Store, row: Any) -> str | None:
    """The bank reference of the payment a reversal takes back: the newest payment of that
    amount pushed to the document."""
    with store.begin() as conn:
        return conn.execute(
            select(payment_pushes.c.reference)
            .where(
                payment_pushes.c.document_id == row.document_id,
                payment_pushes.c.kind == "payment",
                payment_pushes.c.amount == row.amount,
                payment_pushes.c.state.in_(("pushed", "found")),
                payment_pushes.c.id < row.id,
            )
            .order_by(payment_pushes.c.id.desc())
            .limit(1)
        ).scalar_one_or_none()


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


def _report(store: Store, row: Any, summary: PushSummary, state: str, why: str) -> None:
    with store.begin() as conn:
        _set(conn, row.id, state=state, last_error=why)
    if state == "in-doubt":
        summary.in_doubt += 1
    else:
        summary.unsupported += 1
    summary.problems.append(f"{row.number}: {why}")


def _plain(amount: Decimal) -> Decimal:
    """``amount`` as people write it: 21.00, not the store's 21.0000.

    >>> _plain(Decimal("21.0000")), _plain(Decimal("0.1250"))
    (Decimal('21.00'), Decimal('0.125'))
    """
    cents = amount.quantize(Decimal("0.01"))
    return cents if cents == amount else amount.normalize()


def _refusal(connector: Connector, row: Any, target: DocumentRef | str | None) -> str | None:
    """Why ``connector`` cannot take ``row`` at all, or None."""
    name = connector.name
    if Capability.PUSH_PAYMENT not in connector.capabilities:
        return f"connection {name} cannot take payments: book it in the source"
    if row.kind == "reversal" and not isinstance(connector, ReversalTarget):
        return (
            f"connection {name} cannot take a reversal: undo the payment of "
            f"{row.amount} {row.currency} ({row.reference}) on {row.number} in the source"
        )
    if row.kind == "credit":
        if isinstance(target, str):
            return f"{target}: book it in the source"
        if not isinstance(connector, CreditTarget):
            against = target.number if target is not None else "its invoice"
            return (
                f"connection {name} cannot take a credit note netted against an invoice: "
                f"book {_plain(row.amount)} {row.currency} of {row.number} against "
                f"{against} in the source"
            )
    return None


def _booked(
    connector: Connector, row: Any, ref: DocumentRef, payment: Payment, target: Any
) -> bool | None:
    """Whether the source holds ``row``'s booking already; None when it cannot be asked."""
    if row.kind == "reversal":
        if isinstance(connector, ReversalTarget):
            return connector.reversal_booked(ref, payment)
    elif row.kind == "credit":
        if isinstance(connector, CreditTarget):
            return connector.credit_applied(ref, target, payment)
    elif isinstance(connector, PaymentLookup):
        return connector.payment_booked(ref, payment)
    return None


def _one(store: Store, connector: Connector, row: Any, summary: PushSummary) -> None:
    ref = DocumentRef(record_id=row.source_id, number=row.number)
    payment = Payment(
        amount=row.amount, currency=row.currency, paid_on=row.paid_on, reference=row.reference
    )
    target = _target(store, row) if row.kind == "credit" else None
    why = _refusal(connector, row, target)
    if why is not None:
        _report(store, row, summary, "unsupported", why)
        return
    if row.state == "pushing":  # interrupted between claim and record: ask the source
        booked = _booked(connector, row, ref, payment, target)
        if booked is None:
            why = (
                f"a crash came between the push of {row.reference} to {row.number} and its "
                f"record, and connection {connector.name} cannot be asked: check the source"
            )
            _report(store, row, summary, "in-doubt", why)
            return
        if booked:
            with store.begin() as conn:
                _set(conn, row.id, state="found", pushed_at=datetime.now(UTC), last_error=None)
            summary.found += 1
            return
    written_off = Decimal(row.written_off or 0) if row.kind == "payment" else Decimal(0)
    with store.begin() as conn:
        _set(conn, row.id, state="pushing", attempts=row.attempts + 1)
    checkpoint("claimed")
    note = None
    try:
        if row.kind == "reversal":
            assert isinstance(connector, ReversalTarget)
            connector.reverse_payment(ref, payment, _original(store, row))
        elif row.kind == "credit":
            assert isinstance(connector, CreditTarget) and isinstance(target, DocumentRef)
            connector.apply_credit(ref, target, payment)
        elif written_off and isinstance(connector, WriteOffTarget):
            connector.settle_payment(ref, payment, written_off)
        else:
            connector.push_payment(ref, payment)
            if written_off:
                note = (
                    f"connection {connector.name} cannot take a write-off: write off "
                    f"{_plain(written_off)} {row.currency} on {row.number} in the source"
                )
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
        _set(conn, row.id, state="pushed", pushed_at=datetime.now(UTC), last_error=note)
    checkpoint("recorded")
    summary.pushed += 1
    if note is not None:
        summary.unsupported += 1
        summary.problems.append(f"{row.number}: {note}")
