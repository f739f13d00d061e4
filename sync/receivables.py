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

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select

from reconcile.credit.exposure import CreditLimit, Exposure, exposures
from reconcile.debtors import Buyer, Debtor, Debtors, identifiers_of, join_debtors
from sync.receivables_rows import RawValues, decimal_of, places_of
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
    "buyers_of",
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

    # Correlated subqueries: the newest version found through the unique key's index, and
    # its matches summed over every version, without joining the rows twice.
    newer, version = documents.alias("newer"), documents.alias("version")
    superseded = (
        select(newer.c.id)
        .where(
            newer.c.connection_id == documents.c.connection_id,
            newer.c.source_id == documents.c.source_id,
            newer.c.id > documents.c.id,
        )
        .exists()
    )
    applied = (
        select(func.sum(matches.c.amount + matches.c.written_off))
        .join(version, version.c.id == matches.c.document_id)
        .where(
            version.c.connection_id == documents.c.connection_id,
            version.c.source_id == documents.c.source_id,
        )
        .scalar_subquery()
    )
    query = (
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
            applied.label("applied"),
        )
        .join(connections, connections.c.id == documents.c.connection_id)
        .where(~superseded)
        .order_by(connections.c.name, documents.c.number)
    )
    if parties:
        query = query.add_columns(documents.c.model)
    raw = RawValues(conn.dialect.name)
    found = []
    invoice_kind, credit_kind = ItemKind.INVOICE, ItemKind.CREDIT_NOTE
    # The raw DB-API rows, decoded by RawValues: the column types' processing costs more.
    for row in _raw_rows(conn, str(query.compile(dialect=conn.dialect))):
        (doc_id, name, source_id, number, kind, type_code, currency, issued, due, payable,
         buyer_name, buyer_key, identifiers, accounts, reference, state, applied_sum) = row[:17]  # fmt: skip
        credit = kind != "invoice"
        units = abs(raw.units(payable))
        done = raw.units(applied_sum)
        left = units + done if credit else units - done
        if (left == 0 and not include_settled) or (state == HELD and not held):
            continue
        buyer = None
        if parties or buyer_key is None:
            model = raw.json(row[17]) if parties else _model(conn, doc_id)
            invoice = from_data(model, source=f"document {number}")
            buyer = invoice.buyer
        if buyer_key is None:
            item = open_item(invoice, source_id=source_id)
            ids = identifiers_of(invoice.buyer)
            # The store keeps money with four decimals; show it as the document states it.
            places = min(-item.amount.as_tuple().exponent, 4)  # type: ignore[operator]
            item = replace(item, open=decimal_of(left, max(places, 2)))
        else:
            places = places_of(units)
            item = OpenItem(
                number=number,
                kind=credit_kind if credit or type_code == "381" else invoice_kind,
                debtor=buyer_key,
                debtor_name=buyer_name,
                debtor_accounts=raw.accounts(accounts),
                currency=currency,
                amount=decimal_of(units, places),
                open=decimal_of(left, places),
                issue_date=raw.day(issued),
                due_date=raw.maybe_day(due),
                payment_reference=reference,
                source_id=source_id,
            )
            ids = raw.identifiers(identifiers)
        found.append(StoredItem(name, item, ids, state, buyer))
    return found


def _model(conn: Connection, document_id: int) -> Any:
    return conn.execute(select(documents.c.model).where(documents.c.id == document_id)).scalar()


def _raw_rows(conn: Connection, sql: str) -> Iterator[tuple[Any, ...]]:
    """The rows of ``sql`` (no parameters) from the DB-API cursor, in batches, in the
    transaction of ``conn``."""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        while batch := cursor.fetchmany(10_000):
            yield from batch
    finally:
        cursor.close()


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


def buyers_of(stored: Iterable[StoredItem]) -> list[Buyer]:
    """One buyer per connection and debtor key, its identifiers pooled: what
    :func:`reconcile.debtors.join_debtors` takes, without a buyer per document."""
    seen: dict[tuple[str, str], Buyer] = {}
    for each in stored:
        key = (each.connection, each.item.debtor)
        found = seen.get(key)
        if found is None:
            seen[key] = each.as_buyer()
        elif not each.identifiers <= found.identifiers:
            seen[key] = replace(found, identifiers=found.identifiers | each.identifiers)
    return list(seen.values())


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
    book = join_debtors(buyers_of(stored))
    problems = [str(conflict) for conflict in book.conflicts]
    joined: list[OpenItem] = []
    counts: dict[str, int] = {}
    for s in stored:
        debtor = book.of(s.connection, s.item.debtor)
        assert debtor is not None  # every stored buyer was joined
        item = s.item
        joined.append(item if item.debtor == debtor.key else replace(item, debtor=debtor.key))
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
