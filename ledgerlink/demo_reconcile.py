"""The reconciliation step of ``ledgerlink demo``: a bank statement for the demo invoices,
imported, matched, pushed back, and the open amounts shown.

:func:`run_reconciliation` works on the store the sync cycle left in ``OUT/sync/``
(:mod:`ledgerlink.demo_cycle`), through the same code as the commands:

1. the statement (:mod:`ledgerlink.demo_statement`) for the store's open documents is
   written to ``OUT/sync/demo-statement.xml`` (camt.053.001.02);
2. it is imported as ``ledgerlink statements import`` does (:func:`sync.statement_import.
   import_file`, for the connection whose ``accounts`` hold its account);
3. the open bookings are matched and the matches recorded as events, as ``ledgerlink
   reconcile`` does (:func:`sync.reconciliation.reconcile`, the default policy);
4. each applied payment is pushed back through the demo connection
   (:func:`sync.payment_push.push_payments`); the demo's source (``model-json``) is
   read-only, so each push is recorded ``unsupported`` with the reason;
5. a second matching run must record nothing (every booking is matched once).

The result holds the matches, the unmatched bookings, the pushes and, per document the
statement pays, its amount due (BT-115) and what is still open from its match events; and
each thing that went otherwise than the statement's truth says
(:attr:`ReconcileResult.unexpected`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from ledgerlink.demo_statement import DemoBooking
    from reconcile.result import Match, Unmatched
    from sync.payment_push import PushSummary
    from sync.statement_import import FileImport

__all__ = ["STATEMENT", "OpenRow", "ReconcileResult", "applied_pairs", "run_reconciliation"]

STATEMENT: Final = "demo-statement.xml"
"""The statement's file name in ``OUT/sync/``."""


@dataclass(frozen=True, slots=True)
class OpenRow:
    """A document the statement pays, after reconciliation."""

    number: str
    """BT-1."""
    kind: str
    """``invoice`` or ``credit_note``."""
    amount: Decimal
    """BT-115 Amount due for payment (a credit note's as a positive number)."""
    open: Decimal
    """What is still open, from the document's match events."""
    expected: Decimal
    """What the statement's truth leaves open."""
    currency: str
    """BT-5."""


@dataclass(slots=True)
class ReconcileResult:
    """What :func:`run_reconciliation` did."""

    statement: Path
    imported: FileImport
    bookings: list[DemoBooking]
    matches: list[Match] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    recorded: int = 0
    """Match events written."""
    again: int = 0
    """Match events a second run wrote (0)."""
    pushed: PushSummary | None = None
    rows: list[OpenRow] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)


def applied_pairs(matches: list[Match]) -> dict[str, dict[str, Decimal]]:
    """Per bank reference: document -> signed amount applied (summed)."""
    found: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for done in matches:
        for allocation in done.allocations:
            found[done.bank_reference][allocation.invoice] += allocation.amount
    return {key: dict(value) for key, value in found.items()}


def _shown(pairs: dict[str, Decimal]) -> str:
    return ", ".join(f"{n} {a}" for n, a in sorted(pairs.items())) or "nothing"


def _compare(result: ReconcileResult) -> None:
    applied = applied_pairs(result.matches)
    for booking in result.bookings:
        key = booking.transaction.bank_reference or ""
        got = applied.get(key, {})
        if got != booking.truth:
            result.unexpected.append(
                f"{key} ({booking.case}): applied {_shown(got)}, expected {_shown(booking.truth)}"
            )
    for row in result.rows:
        if row.open != row.expected:
            result.unexpected.append(f"{row.number}: {row.open} open, expected {row.expected}")
    if result.again:
        result.unexpected.append(f"a second matching run recorded {result.again} match events")


def run_reconciliation(folder: Path, *, echo: Callable[[str], None]) -> ReconcileResult:
    """The reconciliation step on the demo's store in ``folder`` (``OUT/sync``, written by
    :func:`ledgerlink.demo_cycle.run_cycle`); ``echo`` prints progress."""
    from ledgerlink.connections import open_connection
    from ledgerlink.demo_cycle import CONNECTION
    from ledgerlink.demo_statement import ACCOUNT, demo_bookings, write_statement
    from ledgerlink.settings import load_settings
    from reconcile.open_items import ItemKind
    from reconcile.statements import StatementError, read_statements
    from sync.payment_push import push_payments
    from sync.reconciliation import open_items, reconcile
    from sync.statement_import import Owner, import_file
    from sync.store import open_store

    settings_file = folder / "ledgerlink.toml"
    settings = load_settings(settings_file)
    url = settings.store_url
    assert url is not None  # the demo's settings file names its store
    owners = {
        account: Owner(name, settings.connection(name).connector)
        for account, name in settings.account_owners.items()
    }
    statement = folder / STATEMENT
    with open_store(url) as store:
        with store.begin() as conn:
            before = {item.number: item for item in open_items(conn)}
        bookings = demo_bookings(list(before.values()))
        write_statement(statement, bookings)
        imported = import_file(store, statement, read_statements, owners, refused=(StatementError,))
        result = ReconcileResult(statement=statement, imported=imported, bookings=bookings)
        if imported.error:
            result.unexpected.append(f"the statement was not imported: {imported.error}")
            return result
        echo(
            f"statement {statement.name} ({imported.format}, {ACCOUNT}): "
            f"{imported.transactions} bookings imported, {imported.duplicates} duplicates"
        )
        run = reconcile(store)
        result.matches = run.outcome.matches
        result.unmatched = run.outcome.unmatched
        result.recorded = run.recorded
        connector = open_connection(settings, CONNECTION, source=settings_file)
        result.pushed = push_payments(store, {CONNECTION: connector})
        result.again = reconcile(store).recorded
        with store.begin() as conn:
            after = {item.number: item for item in open_items(conn, include_settled=True)}
    expected = {number: item.open for number, item in before.items()}
    for booking in bookings:
        for number, amount in booking.truth.items():
            sign = 1 if before[number].kind is ItemKind.CREDIT_NOTE else -1
            expected[number] += sign * amount
    paid = sorted({n for b in bookings for n in b.truth})
    result.rows = [
        OpenRow(
            number=number,
            kind=after[number].kind.value,
            amount=after[number].amount,
            open=after[number].open,
            expected=expected[number],
            currency=after[number].currency,
        )
        for number in paid
    ]
    _compare(result)
    return result
