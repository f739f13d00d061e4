"""Receivables on the store: each stored document's open amount with its buyer and
connection, the debtors they make across connections, and their exposure.

The open amount follows from the match events, as in :mod:`sync.reconciliation`; the buyer
(BG-7) comes from the stored model. Debtors are joined across connections by their legal ids
(:func:`reconcile.debtors.join_debtors`), so a debtor invoiced from two systems has one
exposure. An invoice on credit hold (:mod:`sync.credit_hold`) was not sent: it is no
receivable yet, and only :func:`stored_items` with ``held`` lists it.

A debtor's limit is the one the settings file gives (``[credit.limits]``), else the one its
source gives a party that carries one of its identifiers (Tryton's ``credit_limit_amount``,
kept in ``credit_limits`` by :func:`save_pulled_limits` each sync cycle).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select

from reconcile.credit.exposure import CreditLimit, Exposure, exposures
from reconcile.debtors import Buyer, Debtor, Debtors, identifiers_of, join_debtors
from sync.store.schema import connections, credit_limits, documents, matches, transactions

if TYPE_CHECKING:
    from connectors.tryton_credit import PartyLimit
    from model.document import Invoice, Party
    from reconcile.credit.history import History
    from reconcile.open_items import OpenItem

__all__ = [
    "HELD",
    "DebtorExposure",
    "PulledLimit",
    "StoredItem",
    "buyer_columns",
    "debtor_exposures",
    "debtor_limits",
    "limit_of",
    "pulled_limits",
    "save_pulled_limits",
    "stored_histories",
    "stored_items",
]

HELD = "credit-held"
"""The state of a document on credit hold (:mod:`sync.credit_hold`)."""


@dataclass(frozen=True, slots=True)
class StoredItem:
    """One stored document as receivables see it."""

    connection: str
    item: OpenItem
    identifiers: frozenset[tuple[str, str]]
    """The buyer's identifiers (:func:`reconcile.debtors.identifiers_of` of BG-7)."""
    state: str = "built"
    """The document's state (``credit-held`` for one on credit hold)."""
    buyer: Party | None = None
    """The whole buyer (BG-7), read from the stored model with ``stored_items(parties=True)``."""

    def as_buyer(self) -> Buyer:
        """The buyer as :func:`reconcile.debtors.join_debtors` takes it."""
        return Buyer(self.connection, self.item.debtor, self.item.debtor_name, self.identifiers)


def buyer_columns(document: Invoice) -> dict[str, Any]:
    """The ``documents`` columns receivables read instead of the model (revision 0008): the
    buyer's debtor key and identifiers (BG-7), its direct-debit accounts (BT-91) and the
    payment reference (BT-83), as :func:`reconcile.open_items.open_item` finds them."""
    from reconcile.debtors import identifiers_of
    from reconcile.open_items import open_item

    item = open_item(document)
    return {
        "buyer_key": item.debtor,
        "buyer_identifiers": sorted(f"{k}:{v}" for k, v in identifiers_of(document.buyer)),
        "buyer_accounts": sorted(item.debtor_accounts),
        "payment_reference": item.payment_reference,
    }


def _identifiers(values: Iterable[str]) -> frozenset[tuple[str, str]]:
    found = set()
    for value in values:
        kind, _, rest = value.partition(":")
        found.add((kind, rest))
    return frozenset(found)


def stored_items(
    conn: Connection,
    *,
    include_settled: bool = False,
    held: bool = False,
    parties: bool = False,
) -> list[StoredItem]:
    """The newest version of every stored document with its open amount from the match
    events; settled ones only with ``include_settled``, those on credit hold only with
    ``held``. The buyer comes from the document's buyer columns, without reading its model
    (a row written without them is read from its model); ``parties`` reads each model for
    the whole buyer (:attr:`StoredItem.buyer`)."""
    from model.jsonio import from_data
    from reconcile.open_items import ItemKind, OpenItem, open_item

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
            documents.c.id,
            connections.c.name,
            documents.c.source_id,
            documents.c.number,
            documents.c.kind,
            documents.c.type_code,
            documents.c.currency,
            documents.c.issue_date,
            documents.c.due_date,
            documents.c.payable_amount,
            documents.c.buyer_name,
            documents.c.buyer_key,
            documents.c.buyer_identifiers,
            documents.c.buyer_accounts,
            documents.c.payment_reference,
            documents.c.state,
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
    no_accounts: frozenset[str] = frozenset()
    for row in rows:
        credit = row.kind != "invoice"
        payable = abs(row.payable_amount)
        done = row.applied or 0
        left = payable + done if credit else payable - done
        if (left == 0 and not include_settled) or (row.state == HELD and not held):
            continue
        buyer = None
        if parties or row.buyer_key is None:
            (model,) = conn.execute(select(documents.c.model).where(documents.c.id == row.id)).one()
            invoice = from_data(model, source=f"document {row.number}")
            buyer = invoice.buyer
        if row.buyer_key is None:
            item = open_item(invoice, source_id=row.source_id)
            ids = identifiers_of(invoice.buyer)
            # The store keeps money with four decimals; show it as the document states it.
            places = Decimal(1).scaleb(min(item.amount.as_tuple().exponent, -2))  # type: ignore[arg-type]
            item = replace(item, open=left.quantize(places))
        else:
            amount = _cents(payable)
            item = OpenItem(
                number=row.number,
                kind=ItemKind.CREDIT_NOTE if credit or row.type_code == "381" else ItemKind.INVOICE,
                debtor=row.buyer_key,
                debtor_name=row.buyer_name,
                debtor_accounts=frozenset(row.buyer_accounts)
                if row.buyer_accounts
                else no_accounts,
                currency=row.currency,
                amount=amount,
                open=left.quantize(amount),
                issue_date=row.issue_date,
                due_date=row.due_date,
                payment_reference=row.payment_reference,
                source_id=row.source_id,
            )
            ids = _identifiers(row.buyer_identifiers or ())
        found.append(StoredItem(row.name, item, ids, row.state, buyer))
    return found


@dataclass(frozen=True, slots=True)
class PulledLimit:
    """A credit limit a connection's source gives one of its parties."""

    connection: str
    party_id: str
    name: str
    identifiers: frozenset[str]
    """The party's debtor identifiers as ``kind:value`` (``kvk:12345678``, ``vat:NL...``)."""
    limit: CreditLimit
    """With ``source`` ``connection:NAME``."""


def save_pulled_limits(conn: Connection, connection_id: int, limits: Iterable[PartyLimit]) -> int:
    """Replace the connection's pulled limits with ``limits``; how many it has now."""
    from reconcile.debtors import identifiers_of

    conn.execute(credit_limits.delete().where(credit_limits.c.connection_id == connection_id))
    rows = {
        each.party_id: {
            "connection_id": connection_id,
            "party_id": each.party_id,
            "name": each.buyer.name,
            "identifiers": sorted(f"{k}:{v}" for k, v in identifiers_of(each.buyer)),
            "amount": each.amount,
            "currency": each.currency,
        }
        for each in limits
    }
    if rows:
        conn.execute(credit_limits.insert(), list(rows.values()))
    return len(rows)


def pulled_limits(conn: Connection) -> list[PulledLimit]:
    """Every pulled limit of the store, by connection and party."""
    rows = conn.execute(
        select(
            connections.c.name,
            credit_limits.c.party_id,
            credit_limits.c.name.label("party"),
            credit_limits.c.identifiers,
            credit_limits.c.amount,
            credit_limits.c.currency,
        )
        .join(connections, connections.c.id == credit_limits.c.connection_id)
        .order_by(connections.c.name, credit_limits.c.party_id)
    )
    return [
        PulledLimit(
            row.name,
            row.party_id,
            row.party,
            frozenset(row.identifiers or ()),
            CreditLimit(_cents(Decimal(row.amount)), row.currency, f"connection:{row.name}"),
        )
        for row in rows
    ]


def _cents(amount: Decimal) -> Decimal:
    """``amount`` with the places it needs, at least two (the store keeps four)."""
    exponent = amount.normalize().as_tuple().exponent
    places = min(exponent, -2) if isinstance(exponent, int) else -2
    return amount.quantize(Decimal(1).scaleb(places))


def _lowest(
    debtor: Debtor, found: list[tuple[str, CreditLimit]], what: str
) -> tuple[CreditLimit, list[str]]:
    key, lowest = min(found, key=lambda pair: (pair[1].currency, pair[1].amount))
    if len(found) == 1:
        return lowest, []
    named = ", ".join(f"{k} = {v.amount} {v.currency}" for k, v in found)
    return lowest, [f"debtor {debtor.key} has {len(found)} {what} ({named}): {key} applies"]


def limit_of(
    debtor: Debtor,
    limits: Mapping[str, CreditLimit],
    pulled: Iterable[PulledLimit] = (),
) -> tuple[CreditLimit | None, list[str]]:
    """The limit of a debtor and the problem lines about it.

    A configured limit wins: keyed by its debtor key or by one of its identifiers as
    ``kind:value`` (``kvk:12345678``, ``vat:NL001234567B01``). Without one, the limit a
    source gives a party carrying one of the debtor's identifiers (``pulled``). When several
    apply, the lowest wins and a problem line says so."""
    keys = [debtor.key, *(f"{kind}:{value}" for kind, value in sorted(debtor.identifiers))]
    found = [(key, limits[key]) for key in keys if key in limits]
    if found:
        return _lowest(debtor, found, "limits")
    mine = set(keys)
    sources = [
        (f"{each.connection} party {each.party_id}", each.limit)
        for each in pulled
        if each.identifiers & mine
    ]
    if sources:
        return _lowest(debtor, sources, "limits pulled from their sources")
    return None, []


def _by_identifier(pulled: Iterable[PulledLimit]) -> dict[str, list[PulledLimit]]:
    index: dict[str, list[PulledLimit]] = {}
    for each in pulled:
        for identifier in each.identifiers:
            index.setdefault(identifier, []).append(each)
    return index


def debtor_limits(
    book: Debtors,
    limits: Mapping[str, CreditLimit] | None = None,
    pulled: Iterable[PulledLimit] = (),
) -> tuple[dict[str, CreditLimit], list[str]]:
    """Each debtor's limit by its key (:func:`limit_of`), and the problem lines."""
    index = _by_identifier(pulled)
    resolved: dict[str, CreditLimit] = {}
    problems: list[str] = []
    for debtor in book.debtors:
        keys = [f"{kind}:{value}" for kind, value in sorted(debtor.identifiers)]
        near = {id(p): p for key in keys for p in index.get(key, ())}
        limit, found = limit_of(debtor, limits or {}, near.values())
        problems += found
        if limit is not None:
            resolved[debtor.key] = limit
    return resolved, problems


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
    pulled: Iterable[PulledLimit] = (),
    near: Decimal = Decimal("0.80"),
) -> tuple[Debtors, list[DebtorExposure], list[str]]:
    """Debtors joined across connections, each with its exposure against its limit (the
    configured one, else the one ``pulled`` from a source), and the problem lines
    (identifier conflicts, several limits for one debtor)."""
    stored = list(items)
    book = join_debtors(s.as_buyer() for s in stored)
    problems = [str(conflict) for conflict in book.conflicts]
    joined: list[OpenItem] = []
    counts: dict[str, int] = {}
    for s in stored:
        debtor = book.of(s.connection, s.item.debtor)
        assert debtor is not None  # every stored buyer was joined
        joined.append(replace(s.item, debtor=debtor.key))
        counts[debtor.key] = counts.get(debtor.key, 0) + 1
    resolved, found = debtor_limits(book, limits, pulled)
    problems += found
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
