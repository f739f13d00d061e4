"""Receivables on the store: each stored document's open amount with its buyer and
connection, the debtors they make across connections, and their exposure.

The open amount follows from the match events, as in :mod:`sync.reconciliation`; the buyer
(BG-7) comes from the stored model. Debtors are joined across connections by their legal ids
(:func:`reconcile.debtors.join_debtors`), so a debtor invoiced from two systems has one
exposure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, select

from reconcile.credit.exposure import CreditLimit, Exposure, exposures
from reconcile.debtors import Buyer, Debtor, Debtors, join_debtors
from sync.store.schema import connections, documents, matches, transactions

if TYPE_CHECKING:
    from model.document import Party
    from reconcile.credit.history import History
    from reconcile.open_items import OpenItem

__all__ = [
    "DebtorExposure",
    "StoredItem",
    "debtor_exposures",
    "limit_of",
    "stored_histories",
    "stored_items",
]


@dataclass(frozen=True, slots=True)
class StoredItem:
    """One stored document as receivables see it."""

    connection: str
    item: OpenItem
    buyer: Party


def stored_items(conn: Connection, *, include_settled: bool = False) -> list[StoredItem]:
    """The newest version of every stored document with its open amount from the match
    events; settled ones only with ``include_settled``."""
    from model.jsonio import from_data
    from reconcile.open_items import open_item

    newest = (
        select(func.max(documents.c.id).label("id"))
        .group_by(documents.c.connection_id, documents.c.source_id)
        .subquery()
    )
    applied = (
        select(
            documents.c.connection_id,
            documents.c.source_id,
            func.sum(matches.c.amount + matches.c.written_off).label("applied"),
        )
        .join(documents, documents.c.id == matches.c.document_id)
        .group_by(documents.c.connection_id, documents.c.source_id)
        .subquery()
    )
    rows = conn.execute(
        select(
            connections.c.name,
            documents.c.source_id,
            documents.c.number,
            documents.c.kind,
            documents.c.payable_amount,
            documents.c.model,
            applied.c.applied,
        )
        .join(newest, newest.c.id == documents.c.id)
        .join(connections, connections.c.id == documents.c.connection_id)
        .outerjoin(
            applied,
            (applied.c.connection_id == documents.c.connection_id)
            & (applied.c.source_id == documents.c.source_id),
        )
        .order_by(connections.c.name, documents.c.number)
    )
    found = []
    for row in rows:
        payable = abs(Decimal(row.payable_amount))
        done = Decimal(row.applied or 0)
        left = payable - done if row.kind == "invoice" else payable + done
        if left == 0 and not include_settled:
            continue
        invoice = from_data(row.model, source=f"document {row.number}")
        item = open_item(invoice, source_id=row.source_id)
        # The store keeps money with four decimals; show it as the document states it.
        places = Decimal(1).scaleb(min(item.amount.as_tuple().exponent, -2))  # type: ignore[arg-type]
        found.append(StoredItem(row.name, replace(item, open=left.quantize(places)), invoice.buyer))
    return found


def limit_of(
    debtor: Debtor, limits: Mapping[str, CreditLimit]
) -> tuple[CreditLimit | None, list[str]]:
    """The configured limit of a debtor: keyed by its debtor key or by one of its identifiers
    as ``kind:value`` (``kvk:12345678``, ``vat:NL001234567B01``). When several apply, the
    lowest wins and a problem line says so."""
    keys = [debtor.key, *(f"{kind}:{value}" for kind, value in sorted(debtor.identifiers))]
    found = [(key, limits[key]) for key in keys if key in limits]
    if not found:
        return None, []
    key, lowest = min(found, key=lambda pair: (pair[1].currency, pair[1].amount))
    problems = []
    if len(found) > 1:
        named = ", ".join(f"{k} = {v.amount} {v.currency}" for k, v in found)
        problems.append(f"debtor {debtor.key} has {len(found)} limits ({named}): {key} applies")
    return lowest, problems


@dataclass(frozen=True, slots=True)
class DebtorExposure:
    debtor: Debtor
    exposures: list[Exposure]
    """One per currency it owes in (or of its limit)."""
    items: int
    """Open documents."""


def debtor_exposures(
    items: Iterable[StoredItem],
    limits: Mapping[str, CreditLimit] | None = None,
    *,
    near: Decimal = Decimal("0.80"),
) -> tuple[Debtors, list[DebtorExposure], list[str]]:
    """Debtors joined across connections, each with its exposure against its limit, and the
    problem lines (identifier conflicts, several limits for one debtor)."""
    stored = list(items)
    book = join_debtors(Buyer.of(s.connection, s.buyer) for s in stored)
    problems = [str(conflict) for conflict in book.conflicts]
    joined: list[OpenItem] = []
    counts: dict[str, int] = {}
    for s in stored:
        debtor = book.of(s.connection, s.item.debtor)
        assert debtor is not None  # every stored buyer was joined
        joined.append(replace(s.item, debtor=debtor.key))
        counts[debtor.key] = counts.get(debtor.key, 0) + 1
    resolved: dict[str, CreditLimit] = {}
    for debtor in book.debtors:
        limit, found = limit_of(debtor, limits or {})
        problems += found
        if limit is not None:
            resolved[debtor.key] = limit
    by_debtor: dict[str, list[Exposure]] = {}
    for row in exposures(joined, resolved, near=near):
        by_debtor.setdefault(row.debtor, []).append(row)
    result = [
        DebtorExposure(debtor, by_debtor.get(debtor.key, []), counts.get(debtor.key, 0))
        for debtor in book.debtors
    ]
    return book, result, problems


def stored_histories(conn: Connection, items: Iterable[StoredItem], book: Debtors) -> list[History]:
    """Each stored document's history for DSO and payment behaviour: its amount signed as the
    debtor owes it, and each match event as a settlement on its booking's date (a write-off
    on the same date). ``items`` must include the settled ones; ``book`` gives each its
    debtor across connections."""
    from reconcile.credit.history import History
    from reconcile.open_items import ItemKind

    rows = conn.execute(
        select(
            connections.c.name,
            documents.c.source_id,
            transactions.c.booking_date,
            (matches.c.amount + matches.c.written_off).label("settled"),
        )
        .join(documents, documents.c.id == matches.c.document_id)
        .join(connections, connections.c.id == documents.c.connection_id)
        .join(transactions, transactions.c.id == matches.c.transaction_id)
    )
    settled: dict[tuple[str, str | None], list[tuple[date, Decimal]]] = {}
    for row in rows:
        settled.setdefault((row.name, row.source_id), []).append(
            (row.booking_date, Decimal(row.settled))
        )
    histories = []
    for stored in items:
        item = stored.item
        debtor = book.of(stored.connection, item.debtor)
        sign = -1 if item.kind is ItemKind.CREDIT_NOTE else 1
        histories.append(
            History(
                number=item.number,
                debtor=debtor.key if debtor is not None else item.debtor,
                currency=item.currency,
                amount=sign * item.amount,
                issue_date=item.issue_date,
                due_date=item.due_date,
                settlements=tuple(sorted(settled.get((stored.connection, item.source_id), []))),
            )
        )
    return histories
