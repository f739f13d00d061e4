"""What the store knows of an invoice handed over to collection: the dossier's contents.

A Dutch collection agency takes over a claim with the invoice itself, what was done to have
it paid (reminders with their dates and channels, the 14-day letter and its proof of
sending), what was paid and how it was matched, the costs and interest to the day of the
handover, and who the debtor is. :func:`gather` reads all of it for one invoice number;
``ledgerlink collection export`` writes it out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, select

from sync.reminders import HANDOVER
from sync.store.schema import (
    connections,
    documents,
    events,
    matches,
    payment_pushes,
    transactions,
)

if TYPE_CHECKING:
    from model.document import Invoice
    from reconcile.open_items import OpenItem

__all__ = [
    "HANDOVER",
    "CollectionError",
    "Dossier",
    "Payment",
    "find_documents",
    "gather",
    "record_handover",
]


class CollectionError(ValueError):
    """An invoice cannot be handed over: unknown, ambiguous, a credit note, or settled."""


@dataclass(frozen=True, slots=True)
class Payment:
    """One match event on the invoice, with the booking that made it."""

    booking_date: date
    bank_reference: str | None
    amount: Decimal
    """The signed reduction of the open amount (a reversal is negative)."""
    written_off: Decimal
    stage: str
    reason: str
    confidence: Decimal
    counterparty_name: str | None
    counterparty_account: str | None
    remittance: str | None
    pushed: str | None
    """The state of its push back to the source (``None``: nothing to push)."""


@dataclass(frozen=True, slots=True)
class Dossier:
    """One invoice as the store knows it, to hand over to collection."""

    document_id: int
    connection_id: int
    connection: str
    source_id: str
    invoice: Invoice
    """The EN 16931 model: the buyer (BG-7) with its ids (BT-46..BT-49) and address (BG-8)."""
    ubl: bytes
    """The UBL 2.1 document as it was written and delivered."""
    item: OpenItem
    """Its open amount after every match event."""
    payments: tuple[Payment, ...]


def find_documents(conn: Connection, number: str) -> list[tuple[int, str, str]]:
    """The newest version of every stored document numbered ``number`` (BT-1), as
    (document id, connection name, source id)."""
    newest = (
        select(func.max(documents.c.id).label("id"))
        .where(documents.c.number == number)
        .group_by(documents.c.connection_id, documents.c.source_id)
        .subquery()
    )
    rows = conn.execute(
        select(documents.c.id, connections.c.name, documents.c.source_id)
        .join(newest, newest.c.id == documents.c.id)
        .join(connections, connections.c.id == documents.c.connection_id)
        .order_by(connections.c.name, documents.c.source_id)
    )
    return [(row.id, row.name, row.source_id) for row in rows]


def _payments(conn: Connection, connection_id: int, source_id: str) -> tuple[Payment, ...]:
    versions = select(documents.c.id).where(
        (documents.c.connection_id == connection_id) & (documents.c.source_id == source_id)
    )
    rows = conn.execute(
        select(
            transactions.c.booking_date,
            transactions.c.bank_reference,
            transactions.c.counterparty_name,
            transactions.c.counterparty_account,
            transactions.c.remittance,
            matches.c.amount,
            matches.c.written_off,
            matches.c.stage,
            matches.c.reason,
            matches.c.confidence,
            payment_pushes.c.state.label("pushed"),
        )
        .join(transactions, transactions.c.id == matches.c.transaction_id)
        .outerjoin(payment_pushes, payment_pushes.c.match_id == matches.c.id)
        .where(matches.c.document_id.in_(versions))
        .order_by(transactions.c.booking_date, matches.c.id)
    )
    return tuple(
        Payment(
            booking_date=row.booking_date,
            bank_reference=row.bank_reference,
            amount=Decimal(row.amount),
            written_off=Decimal(row.written_off or 0),
            stage=row.stage,
            reason=row.reason,
            confidence=Decimal(row.confidence),
            counterparty_name=row.counterparty_name,
            counterparty_account=row.counterparty_account,
            remittance=row.remittance,
            pushed=row.pushed,
        )
        for row in rows
    )


def gather(conn: Connection, given: str) -> Dossier:
    """The dossier of the invoice ``given`` names: its number (BT-1), or
    ``NUMBER@SOURCE_ID`` where several stored documents share the number (as ``reconcile
    confirm`` takes it). Raises :class:`CollectionError` for an unknown or ambiguous number,
    a credit note, or an invoice with nothing left open."""
    from model.jsonio import from_data
    from reconcile.open_items import ItemKind, open_item

    number, found = given, find_documents(conn, given)
    if not found and "@" in given:
        number, _, source_id = given.rpartition("@")
        found = [f for f in find_documents(conn, number) if f[2] == source_id]
    if not found:
        raise CollectionError(f"invoice {given}: not in the store")
    if len(found) > 1:
        named = ", ".join(f"{number}@{source} ({name})" for _, name, source in found)
        raise CollectionError(
            f"invoice {given}: {len(found)} documents have that number: {named}; "
            "name one as NUMBER@SOURCE_ID"
        )
    document_id, connection, source = found[0]
    row = conn.execute(
        select(
            documents.c.connection_id,
            documents.c.kind,
            documents.c.payable_amount,
            documents.c.model,
            documents.c.ubl,
        ).where(documents.c.id == document_id)
    ).one()
    payments = _payments(conn, row.connection_id, source)
    invoice = from_data(row.model, source=f"document {number}")
    item = open_item(invoice, source_id=source)
    if item.kind is ItemKind.CREDIT_NOTE:
        raise CollectionError(f"invoice {number}: a credit note is not handed over")
    left = abs(Decimal(row.payable_amount)) - sum(
        (p.amount + p.written_off for p in payments), Decimal(0)
    )
    if left <= 0:
        raise CollectionError(f"invoice {number}: nothing is open")
    places = Decimal(1).scaleb(min(item.amount.as_tuple().exponent, -2))  # type: ignore[arg-type]
    return Dossier(
        document_id=document_id,
        connection_id=row.connection_id,
        connection=connection,
        source_id=source,
        invoice=invoice,
        ubl=bytes(row.ubl),
        item=replace(item, open=left.quantize(places)),
        payments=payments,
    )


def record_handover(conn: Connection, dossier: Dossier, on: date, folder: Path) -> None:
    """Record that the invoice was handed over on ``on`` with its dossier in ``folder``: an
    event of the document (its delivery state unchanged, nothing pushed to the source),
    which stops its reminders (:func:`sync.reminders.holds`). Once: an export again of the
    same document records nothing more."""
    from sync.events import record_event

    earlier = conn.execute(
        select(events.c.id)
        .where(events.c.document_id == dossier.document_id)
        .where(events.c.cause == HANDOVER)
    ).first()
    if earlier is not None:  # exported again: handed over once, on the first day
        return
    state = conn.execute(
        select(documents.c.state).where(documents.c.id == dossier.document_id)
    ).scalar_one()
    record_event(
        conn,
        document_id=dossier.document_id,
        state=state,
        cause=HANDOVER,
        details={"kind": "collection", "on": on.isoformat(), "folder": str(folder)},
        pushed=True,
    )
