"""The reconciler on the store: open items from documents and match events, a matching
run recorded as events, and a suggestion confirmed by hand.

A document's open amount follows from its match events alone (``matches`` rows are only
ever added): ``open = BT-115 amount due - sum(amount + written_off)`` over the matches of
every stored version of the source record, where ``amount`` is the signed reduction
(:class:`reconcile.result.Allocation`): for an invoice a payment is positive and a reversal
negative; for a credit note (whose ``open`` is a positive number, its effect negative)
consuming it is negative, so its open amount is ``amount due + sum(amount)``.

Documents are told apart by (connection, source id), the key the matcher carries on each
allocation (:attr:`reconcile.open_items.OpenItem.key`): two documents of one connection may
share an invoice number (an invoice and a later credit note, a re-issue). Where one does, a
reader names it ``NUMBER@SOURCE_ID``. Open amounts are kept in the currency's minor unit
(``121.00``, not the store's ``121.0000``).

A booking is still open while it has no match event; each run matches the open bookings
(keyed by bank reference, :func:`pending_bookings`) against the open items, and records
each applied match with the push it needs (:mod:`sync.payment_push`), in one transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select

from reconcile.gc_pause import gc_paused
from reconcile.open_items import DocumentKey, ItemKind, OpenItem
from reconcile.result import Allocation, Match, Stage
from reconcile.statements.currency import minor_unit
from reconcile.transaction import Transaction
from sync.bank_rows import from_data
from sync.payment_push import queue_push
from sync.store.schema import documents, matches, transactions

if TYPE_CHECKING:
    from reconcile.matching import MatchPolicy, Outcome
    from sync.store.store import Store

__all__ = [
    "Booking",
    "ConfirmError",
    "Run",
    "confirm",
    "open_items",
    "pending_bookings",
    "prior_matches",
    "reconcile",
    "record_matches",
    "settled_items",
]


class ConfirmError(ValueError):
    """``reconcile confirm`` cannot apply: no such booking, no such document, an amount."""


@dataclass(frozen=True, slots=True)
class Booking:
    """An imported booking: its row id, key for the matcher, and the transaction."""

    id: int
    key: str
    connection_id: int | None
    transaction: Transaction


@dataclass(frozen=True, slots=True)
class _Doc:
    id: int
    connection_id: int
    source_id: str
    number: str
    kind: str
    payable: Decimal
    currency: str
    model: Any

    @property
    def key(self) -> DocumentKey:
        return (self.connection_id, self.source_id)


def _in_minor_units(amount: Decimal, currency: str) -> Decimal:
    """``amount`` with the currency's decimals (the store keeps four): ``121.00``."""
    return amount.quantize(Decimal(1).scaleb(-minor_unit(currency)))


def _documents(conn: Connection) -> list[_Doc]:
    """The newest version of each source record (``documents`` keeps one row per version)."""
    newest = (
        select(func.max(documents.c.id).label("id"))
        .group_by(documents.c.connection_id, documents.c.source_id)
        .subquery()
    )
    rows = conn.execute(
        select(
            documents.c.id,
            documents.c.connection_id,
            documents.c.source_id,
            documents.c.number,
            documents.c.kind,
            documents.c.payable_amount,
            documents.c.currency,
            documents.c.model,
        ).join(newest, newest.c.id == documents.c.id)
    )
    return [
        _Doc(
            r.id,
            r.connection_id,
            r.source_id,
            r.number,
            r.kind,
            r.payable_amount,
            r.currency,
            r.model,
        )
        for r in rows
    ]


def _applied(conn: Connection) -> dict[DocumentKey, Decimal]:
    """Sum of match amounts and write-offs per (connection, source record)."""
    rows = conn.execute(
        select(
            documents.c.connection_id,
            documents.c.source_id,
            func.sum(matches.c.amount).label("amount"),
            func.sum(matches.c.written_off).label("written_off"),
        )
        .join(documents, documents.c.id == matches.c.document_id)
        .group_by(documents.c.connection_id, documents.c.source_id)
    )
    return {
        (r.connection_id, r.source_id): Decimal(r.amount or 0) + Decimal(r.written_off or 0)
        for r in rows
    }


def _open_of(doc: _Doc, applied: Decimal) -> Decimal:
    payable = abs(doc.payable)
    left = payable - applied if doc.kind == "invoice" else payable + applied
    return _in_minor_units(left, doc.currency)


def _items(conn: Connection, *, open_ones: bool, settled_ones: bool) -> list[OpenItem]:
    from model.jsonio import from_data as model_from_data
    from reconcile.open_items import open_item

    applied = _applied(conn)
    items: list[OpenItem] = []
    for doc in _documents(conn):
        left = _open_of(doc, applied.get(doc.key, Decimal(0)))
        if not (settled_ones if left == 0 else open_ones):
            continue
        invoice = model_from_data(doc.model, source=f"document {doc.number}")
        items.append(
            open_item(invoice, open=left, source_id=doc.source_id, connection_id=doc.connection_id)
        )
    return items


def open_items(conn: Connection, *, include_settled: bool = False) -> list[OpenItem]:
    """The store's documents as the matcher sees them, each with its open amount from the
    match events (in the currency's minor unit); settled ones only with ``include_settled``."""
    return _items(conn, open_ones=True, settled_ones=include_settled)


def settled_items(conn: Connection) -> list[OpenItem]:
    """The store's documents with nothing open: what a reversal may re-open."""
    return _items(conn, open_ones=False, settled_ones=True)


@gc_paused()
def pending_bookings(conn: Connection) -> list[Booking]:
    """Imported bookings with no match event yet, keyed by bank reference (the entry's
    ``#id`` added where two share one, or ``#id`` alone where the bank gave none)."""
    matched = select(matches.c.transaction_id)
    rows = list(
        conn.execute(
            select(
                transactions.c.id,
                transactions.c.bank_reference,
                transactions.c.connection_id,
                transactions.c.data,
            )
            .where(transactions.c.data.is_not(None), transactions.c.id.not_in(matched))
            .order_by(transactions.c.id)
        )
    )
    count: dict[str, int] = defaultdict(int)
    for row in rows:
        count[row.bank_reference or ""] += 1
    return [
        Booking(
            id=row.id,
            key=row.bank_reference
            if row.bank_reference and count[row.bank_reference] == 1
            else f"{row.bank_reference or ''}#{row.id}",
            connection_id=row.connection_id,
            transaction=from_data(row.data),
        )
        for row in rows
    ]


def prior_matches(conn: Connection) -> list[Match]:
    """The match events already recorded, as the matcher's :class:`Match` (for ``prior``)."""
    rows = conn.execute(
        select(
            matches.c.transaction_id,
            matches.c.amount,
            matches.c.stage,
            matches.c.reason,
            matches.c.confidence,
            matches.c.written_off,
            documents.c.number,
            documents.c.connection_id,
            documents.c.source_id,
            documents.c.currency,
            transactions.c.bank_reference,
            transactions.c.data,
        )
        .join(documents, documents.c.id == matches.c.document_id)
        .join(transactions, transactions.c.id == matches.c.transaction_id)
        .order_by(matches.c.id)
    )
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.transaction_id].append(row)
    found: list[Match] = []
    for group in grouped.values():
        first = group[0]
        if first.data is None:
            continue
        found.append(
            Match(
                bank_reference=first.bank_reference or f"#{first.transaction_id}",
                transaction=from_data(first.data),
                allocations=tuple(
                    Allocation(
                        invoice=row.number,
                        document=(row.connection_id, row.source_id),
                        amount=_in_minor_units(Decimal(row.amount), row.currency),
                    )
                    for row in group
                ),
                stage=Stage(first.stage)
                if first.stage in {s.value for s in Stage}
                else Stage.MANUAL,
                reason=first.reason,
                confidence=float(first.confidence),
                written_off=sum((row.written_off for row in group), Decimal(0)),
            )
        )
    return found


class _Documents:
    """The newest version of each stored document, by key and by number."""

    def __init__(self, docs: Iterable[_Doc]) -> None:
        self.by_key: dict[DocumentKey, _Doc] = {}
        self.by_number: dict[str, list[_Doc]] = defaultdict(list)
        for doc in docs:
            self.by_key[doc.key] = doc
            self.by_number[doc.number].append(doc)

    def of(self, allocation: Allocation, connection_id: int | None) -> _Doc:
        """The document of an allocation: by its key, else (an allocation made without one)
        the one document with its number, the booking's connection's first."""
        if allocation.document is not None:
            doc = self.by_key.get(allocation.document)
            if doc is None:
                raise ConfirmError(f"no document {allocation.invoice} in the store")
            return doc
        number = allocation.invoice
        candidates = self.by_number.get(number, [])
        own = [doc for doc in candidates if doc.connection_id == connection_id]
        chosen = own or candidates
        if len(chosen) != 1:
            why = "no document" if not chosen else f"{len(chosen)} documents"
            raise ConfirmError(f"{why} with number {number!r} in the store")
        return chosen[0]


def record_matches(conn: Connection, applied: Iterable[tuple[Booking, Match]]) -> list[int]:
    """Record each match as events (one ``matches`` row per allocation, the write-off on
    its first) with its push queued, in the caller's transaction; returns the row ids.

    A credit note consumed in a match is queued before the invoices it is netted against,
    and their pushes carry the money received: each invoice's match less the credit it
    absorbs (credit goes to the invoices in turn; an invoice paid by credit alone has no
    push of its own)."""
    from datetime import UTC, datetime

    docs = _Documents(_documents(conn))
    ids: list[int] = []
    for booking, found in applied:
        rows: list[tuple[int, _Doc, Decimal]] = []
        for index, allocation in enumerate(found.allocations):
            doc = docs.of(allocation, booking.connection_id)
            match_id = conn.execute(
                matches.insert()
                .values(
                    transaction_id=booking.id,
                    document_id=doc.id,
                    amount=allocation.amount,
                    stage=str(found.stage),
                    reason=found.reason,
                    confidence=Decimal(str(round(found.confidence, 4))),
                    written_off=found.written_off if index == 0 else Decimal(0),
                    created_at=datetime.now(UTC),
                )
                .returning(matches.c.id)
            ).scalar_one()
            ids.append(int(match_id))
            rows.append((int(match_id), doc, allocation.amount))
        credit = -sum(
            (amount for _, doc, amount in rows if doc.kind != "invoice" and amount < 0),
            Decimal(0),
        )
        rows.sort(key=lambda row: row[1].kind == "invoice")  # credit notes first
        for match_id, doc, amount in rows:
            pushed = amount
            if doc.kind == "invoice" and amount > 0 and credit > 0:
                absorbed = min(credit, amount)
                credit -= absorbed
                pushed = amount - absorbed
                if pushed == 0:
                    continue
            queue_push(
                conn,
                match_id=match_id,
                document_id=doc.id,
                amount=pushed,
                paid_on=found.transaction.booking_date,
                bank_reference=booking.transaction.bank_reference or booking.key,
            )
    return ids


@dataclass(frozen=True, slots=True)
class Run:
    """A reconcile run: the matcher's outcome and how many match events it recorded."""

    outcome: Outcome
    recorded: int


def reconcile(store: Store, policy: MatchPolicy | None = None, *, dry_run: bool = False) -> Run:
    """Match every open booking against the open items; record the matches (not with
    ``dry_run``) in one transaction. When a booking is a reversal the settled documents are
    given too (:func:`settled_items`): it may undo a payment that settled one in full."""
    from reconcile.matching import MatchPolicy, match
    from reconcile.matching.reversals import is_reversal

    with store.begin() as conn:
        bookings = pending_bookings(conn)
        by_key = {booking.key: booking for booking in bookings}
        reversing = any(
            is_reversal(tx) for b in bookings for tx in (b.transaction, *b.transaction.children)
        )
        outcome = match(
            {key: booking.transaction for key, booking in by_key.items()},
            open_items(conn),
            policy or MatchPolicy(),
            prior=prior_matches(conn),
            settled=settled_items(conn) if reversing else (),
        )
        recorded = 0
        if not dry_run:
            recorded = len(
                record_matches(conn, ((by_key[m.bank_reference], m) for m in outcome.matches))
            )
    return Run(outcome, recorded)


def _pick(items: dict[str, list[OpenItem]], given: str, connection_id: int | None) -> OpenItem:
    """The open document ``given`` names: an invoice number (BT-1), or ``NUMBER@SOURCE_ID``
    where documents share the number; the booking's connection's first."""
    candidates = items.get(given, [])
    if not candidates and "@" in given:
        number, _, source_id = given.rpartition("@")
        candidates = [i for i in items.get(number, []) if i.source_id == source_id]
    if not candidates:
        raise ConfirmError(f"no open document {given!r} in the store")
    own = [i for i in candidates if i.connection_id == connection_id]
    chosen = own or candidates
    if len(chosen) > 1:
        named = ", ".join(
            f"{i.number}@{i.source_id} ({str(i.kind).replace('_', ' ')}, {i.open} open)"
            for i in chosen
        )
        raise ConfirmError(
            f"{given!r} is ambiguous: {len(chosen)} open documents have that number: {named}; "
            "name one as NUMBER@SOURCE_ID"
        )
    return chosen[0]


def confirm(store: Store, bank_reference: str, numbers: Sequence[str]) -> Match:
    """Apply an open booking to the documents ``numbers`` by hand (stage ``manual``): the
    booking's amount to each in turn, at most its open amount, the last taking the rest.
    A number two open documents share is ambiguous: name one as ``NUMBER@SOURCE_ID``.
    Raises :class:`ConfirmError` naming what is wrong."""
    with store.begin() as conn:
        candidates = [
            b
            for b in pending_bookings(conn)
            if b.key == bank_reference or b.transaction.bank_reference == bank_reference
        ]
        if not candidates:
            raise ConfirmError(f"no open booking with bank reference {bank_reference!r}")
        if len(candidates) > 1:
            keys = ", ".join(b.key for b in candidates)
            raise ConfirmError(f"{bank_reference!r} names several bookings: use one of {keys}")
        booking = candidates[0]
        items: dict[str, list[OpenItem]] = defaultdict(list)
        for item in open_items(conn):
            items[item.number].append(item)
        left = booking.transaction.amount
        allocations: list[Allocation] = []
        for position, number in enumerate(numbers):
            item = _pick(items, number, booking.connection_id)
            last = position == len(numbers) - 1
            signed = item.signed_open
            part = left if last else (min(left, signed) if signed > 0 else signed)
            if item.kind is ItemKind.INVOICE and part > item.open:
                raise ConfirmError(
                    f"{number} has {item.open} open; {part} of {bank_reference} would be too much"
                )
            allocations.append(Allocation(invoice=item.number, document=item.key, amount=part))
            left -= part
        found = Match(
            bank_reference=booking.key,
            transaction=booking.transaction,
            allocations=tuple(allocations),
            stage=Stage.MANUAL,
            reason=f"confirmed by hand: {bank_reference} to {', '.join(numbers)}",
            confidence=1.0,
        )
        record_matches(conn, [(booking, found)])
    return found
