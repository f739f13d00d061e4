"""Importing bank statements into the store: ``ledgerlink statements import``.

Each statement is checked before anything of it is written, then written in one database
transaction: its ``statements`` row and one ``transactions`` row per booking (batch
children stay inside their parent's ``data``). A statement is refused, with nothing of it
imported, when

* its account belongs to no connection (``accounts`` in the settings file);
* its account or a counterparty account looks like an IBAN and fails its check digits;
* its currency, or a booking's, is not an ISO 4217 code;
* its balances do not add up (:attr:`Statement.balance_problem`: opening + entries !=
  closing, MT940 pages that do not chain, a missing balance), unless ``accept_unbalanced``,
  which imports it and records the difference (``statements.difference``); a camt.054
  notification has no balances by design and is imported as ``no-balances``;
* the reader fails inside it (a truncated file, an unsupported camt version): the reader's
  error names the file and the entry.

A booking already in the store (same identity, :mod:`sync.bank_rows`) is a duplicate: it
is counted, not written again, so importing a statement twice adds nothing. A statement
row is identified by its account, id, period and balances; imported again it is reused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from reconcile.gc_pause import gc_paused
from reconcile.transaction import Statement, Transaction
from sync.bank_rows import account_key, identities, reference_of, to_data
from sync.store.schema import statements, transactions
from sync.store.store import Store

__all__ = [
    "FileImport",
    "ImportRefused",
    "Owner",
    "StatementImport",
    "check_statement",
    "import_file",
    "import_statement",
    "statement_identity",
]

Reader = Callable[[Path], Iterable[Statement]]


@dataclass(frozen=True, slots=True)
class Owner:
    """The connection that owns an account: its settings name and connector kind."""

    name: str
    connector: str


class ImportRefused(Exception):
    """A statement that is not imported: ``path`` and, where there is one, ``entry``."""

    def __init__(self, path: str, message: str, entry: int | None = None) -> None:
        where = f"{path}: entry {entry}" if entry else path
        super().__init__(f"{where}: {message}")
        self.path = path
        self.entry = entry
        self.message = message


@dataclass(frozen=True, slots=True)
class StatementImport:
    """What one statement added: bookings written and duplicates skipped."""

    account: str
    connection: str
    transactions: int
    duplicates: int
    difference: Decimal | None
    balance: str


@dataclass(frozen=True, slots=True)
class FileImport:
    """One file's result, as ``statements import --format json`` prints it."""

    path: str
    format: str
    transactions: int
    duplicates: int
    error: str | None
    statements: tuple[StatementImport, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.format,
            "transactions": self.transactions,
            "duplicates": self.duplicates,
            "error": self.error,
        }


def _iban_checked(value: str, path: str, entry: int | None, what: str) -> None:
    try:
        account_key(value)
    except ValueError as failure:
        raise ImportRefused(path, f"{what}: {failure}", entry) from None


def _currency_checked(code: str, path: str, entry: int | None) -> None:
    from model.codes import iso4217

    if code not in iso4217.CODES:
        raise ImportRefused(path, f"unknown currency {code!r} (not an ISO 4217 code)", entry)


def _bookings(statement: Statement) -> Iterable[Transaction]:
    return statement.transactions


def check_statement(
    statement: Statement, owners: Mapping[str, Owner], *, accept_unbalanced: bool = False
) -> tuple[Owner, str]:
    """The connection owning ``statement`` and its balance state (``STATEMENT_BALANCES``),
    or :class:`ImportRefused` naming the file and entry (see the module)."""
    path = statement.source
    _iban_checked(statement.account, path, None, "the statement's account")
    owner = owners.get(statement.account)
    if owner is None:
        known = ", ".join(sorted(owners)) or "none"
        raise ImportRefused(
            path,
            f"account {statement.account} belongs to no connection (add it to a "
            f"connection's accounts in the settings file; known: {known})",
        )
    _currency_checked(statement.currency, path, None)
    for booking in _bookings(statement):
        _currency_checked(booking.currency, path, booking.entry)
        if booking.currency != statement.currency:
            raise ImportRefused(
                path,
                f"booking in {booking.currency} on an account in {statement.currency}",
                booking.entry,
            )
        for part in (booking, *booking.children):
            if part.counterparty is not None and part.counterparty.iban:
                _iban_checked(part.counterparty.iban, path, booking.entry, "counterparty account")
    if statement.format.startswith("camt.054") and statement.opening is None:
        return owner, "no-balances"  # a notification has none: nothing to add up
    problem = statement.balance_problem
    if problem is None:
        return owner, "balanced"
    if not accept_unbalanced:
        raise ImportRefused(
            path,
            f"balances do not add up: {problem} (pass --accept-unbalanced to import it "
            "and record the difference)",
        )
    return owner, "accepted-unbalanced"


def statement_identity(statement: Statement) -> str:
    """SHA-256 of the statement's account, id, period and balances."""
    parts = [
        statement.account,
        statement.format,
        statement.statement_id or "",
        statement.period_from.isoformat() if statement.period_from else "",
        statement.period_to.isoformat() if statement.period_to else "",
        str(statement.opening.amount) if statement.opening else "",
        str(statement.closing.amount) if statement.closing else "",
    ]
    if statement.opening is None and statement.closing is None:  # camt.054: its bookings
        parts += sorted(identities(statement.account, statement.transactions))
    key = json.dumps(parts, ensure_ascii=False)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _statement_row(conn: Connection, statement: Statement, connection: int, balance: str) -> int:
    identity = statement_identity(statement)
    found = conn.execute(select(statements.c.id).where(statements.c.identity == identity))
    if (existing := found.scalar()) is not None:
        return int(existing)
    difference = statement.difference
    return int(
        conn.execute(
            statements.insert()
            .values(
                connection_id=connection,
                account=statement.account,
                format=statement.format,
                statement_ref=statement.statement_id,
                identity=identity,
                source=statement.source,
                currency=statement.currency,
                period_from=statement.period_from,
                period_to=statement.period_to,
                opening=statement.opening.amount if statement.opening else None,
                opening_date=statement.opening.on if statement.opening else None,
                closing=statement.closing.amount if statement.closing else None,
                closing_date=statement.closing.on if statement.closing else None,
                difference=difference,
                balance=balance,
                created_at=datetime.now(UTC),
            )
            .returning(statements.c.id)
        ).scalar_one()
    )


def _tenant_of(conn: Connection, connection: int) -> int:
    from sync.store.schema import connections

    return int(
        conn.execute(
            select(connections.c.tenant_id).where(connections.c.id == connection)
        ).scalar_one()
    )


_FIXED = ("tenant_id", "account", "source", "created_at", "connection_id", "statement_id")
"""The ``transactions`` columns that are the same for every booking of a statement."""

_PER_BOOKING = (
    "booking_date",
    "value_date",
    "amount",
    "currency",
    "counterparty_name",
    "counterparty_account",
    "structured_reference",
    "remittance",
    "bank_reference",
    "identity",
    "entry",
    "end_to_end_id",
    "bank_code",
    "reversal",
    "return_reason",
    "data",
)
"""The columns :func:`_values` gives for each booking, in its order."""

_LOOKUP_CHUNK = 10_000
"""Identities asked for at once (PostgreSQL takes at most 65,535 parameters a statement)."""


def _values(booking: Transaction, key: str) -> list[object]:
    """One booking's values of :data:`_PER_BOOKING`."""
    party = booking.counterparty
    return [
        booking.booking_date,
        booking.value_date,
        booking.amount,
        booking.currency,
        party.name if party else None,
        party.iban if party else None,
        booking.structured_reference,
        booking.text or None,
        reference_of(booking),
        key,
        booking.entry or None,
        booking.end_to_end_id,
        booking.bank_code,
        booking.reversal,
        booking.return_reason,
        to_data(booking),
    ]


def _insert(
    conn: Connection, fixed: Mapping[str, object], bookings: Iterable[tuple[Transaction, str]]
) -> int:
    """Insert a ``transactions`` row for each ``(booking, identity)``, with the ``fixed``
    values (:data:`_FIXED`), in one executemany straight to the driver; the count.

    SQLAlchemy's own executemany builds and checks a parameter dictionary per row, which
    costs more than the insert itself; here each value goes through its column type's
    bind processor for this dialect (what SQLAlchemy applies: exact decimals, dates, JSON)
    and the rows go to the driver as they are."""
    dialect = conn.dialect
    names = [*_FIXED, *_PER_BOOKING]
    compiled = transactions.insert().compile(dialect=dialect, column_keys=names)

    def processor(name: str) -> Callable[[Any], Any] | None:
        return transactions.c[name].type.dialect_impl(dialect).bind_processor(dialect)

    constant: list[object] = []
    for name in _FIXED:
        process = processor(name)
        constant.append(process(fixed[name]) if process else fixed[name])
    steps = [(n, p) for n, name in enumerate(_PER_BOOKING) if (p := processor(name)) is not None]
    rows: list[list[object]] = []
    for booking, key in bookings:
        values = _values(booking, key)
        for n, process in steps:
            values[n] = process(values[n])
        rows.append(constant + values)
    if not rows:
        return 0
    params: list[Any]
    if compiled.positional:
        order = [names.index(name) for name in compiled.positiontup or ()]
        params = [tuple(row[n] for n in order) for row in rows]
    else:
        params = [dict(zip(names, row, strict=True)) for row in rows]
    conn.exec_driver_sql(compiled.string, params)
    return len(rows)


def _present(conn: Connection, keys: list[str]) -> set[str]:
    """The identities among ``keys`` already in the store."""
    found: set[str] = set()
    for start in range(0, len(keys), _LOOKUP_CHUNK):
        chunk = keys[start : start + _LOOKUP_CHUNK]
        query = select(transactions.c.identity).where(transactions.c.identity.in_(chunk))
        found.update(conn.execute(query).scalars())
    return found


def import_statement(
    store: Store, statement: Statement, owner: Owner, balance: str
) -> StatementImport:
    """Write a checked ``statement`` (:func:`check_statement`) in one transaction."""
    from sync.pipeline import connection_id

    with store.begin() as conn:
        connection = connection_id(conn, owner.name, owner.connector)
        tenant = _tenant_of(conn, connection)
        statement_id = _statement_row(conn, statement, connection, balance)
        keys = list(identities(statement.account, statement.transactions))
        present = _present(conn, keys)
        fixed = {
            "tenant_id": tenant,
            "account": statement.account,
            "source": statement.source,
            "created_at": datetime.now(UTC),
            "connection_id": connection,
            "statement_id": statement_id,
        }
        new = (
            (b, k) for b, k in zip(statement.transactions, keys, strict=True) if k not in present
        )
        written = _insert(conn, fixed, new)
    return StatementImport(
        account=statement.account,
        connection=owner.name,
        transactions=written,
        duplicates=len(keys) - written,
        difference=statement.difference,
        balance=balance,
    )


def import_file(
    store: Store,
    path: Path,
    read: Reader,
    owners: Mapping[str, Owner],
    *,
    accept_unbalanced: bool = False,
    refused: tuple[type[Exception], ...] = (),
) -> FileImport:
    """Import every statement of the file at ``path``, read by ``read``; each statement in
    its own transaction. The first statement refused ends the file (its error is the
    file's ``error``); statements before it stay imported. ``refused`` are the reader's
    own error types (a truncated file), reported like :class:`ImportRefused`. The cyclic
    garbage collector pauses meanwhile (:mod:`reconcile.gc_pause`)."""
    done: list[StatementImport] = []
    kind = ""
    error: str | None = None
    try:
        with gc_paused():
            for statement in read(path):
                kind = kind or statement.format
                owner, balance = check_statement(
                    statement, owners, accept_unbalanced=accept_unbalanced
                )
                done.append(import_statement(store, statement, owner, balance))
    except OSError as failure:
        error = f"{path}: cannot read: {failure.strerror or failure}"
    except Exception as failure:
        if not isinstance(failure, (ImportRefused, *refused)):
            raise
        error = str(failure)
    return FileImport(
        path=str(path),
        format=kind,
        transactions=sum(s.transactions for s in done),
        duplicates=sum(s.duplicates for s in done),
        error=error,
        statements=tuple(done),
    )
