"""Reminders on the store: what fires today, recorded once per invoice and step.

:func:`plan` reads every open invoice (:func:`sync.receivables.stored_items`), joins its
buyer into a debtor across connections, picks the debtor's policy
(:class:`ReminderPolicies`: B2B or B2C per debtor), reads the steps that fired for it
(``reminders`` rows) and what holds it (:func:`holds`), and decides with
:func:`reconcile.reminders.decide`. :func:`record` writes each step that fires as a
``reminders`` row with insert-or-ignore on the unique key (connection, source record,
step): the row *is* the decision. A rerun, a second process at the same time, or a run
after a crash between deciding and recording finds the row (or writes it then) and fires
nothing twice; only the run whose insert took the row sends its outputs
(:mod:`sync.reminder_outputs`).

A document is the source record (connection + ``source_id``): a new version of the
invoice does not fire its steps again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select, update

from reconcile.open_items import ItemKind
from reconcile.reminders import DataError, Decision, Fired, Hold, Policy, decide
from sync.store.schema import (
    connections,
    documents,
    events,
    reminder_pauses,
    reminders,
)

if TYPE_CHECKING:
    from model.document import Party
    from reconcile.debtors import Debtor

__all__ = [
    "Planned",
    "ReminderPolicies",
    "checkpoint",
    "fired_history",
    "holds",
    "plan",
    "record",
    "reminder_values",
]

HANDOVER = "collection handover"
"""The ``events.cause`` of an invoice handed over to collection (:mod:`sync.collection`)."""

PAUSING_CODES = ("UQ", "CA")
"""Peppol Invoice Response codes that pause the triggers (under query, conditionally
accepted); ``RE`` (rejected) stops them."""


def checkpoint(name: str) -> None:
    """A named point of a reminder run (``decided``: after :func:`plan`, before
    :func:`record`; ``recorded``: before the outputs): does nothing; the crash tests
    replace it to stop the run right there."""


@dataclass(frozen=True, slots=True)
class ReminderPolicies:
    """The tenant's policies and which applies to a debtor.

    ``debtors`` maps a debtor key (as ``ledgerlink debtors`` shows it) or an identifier
    ``kind:value`` (``kvk:12345678``, ``vat:NL001234567B01``) to ``b2b`` or ``b2c``; a debtor
    not listed gets ``market``: ``b2b``, ``b2c``, or ``auto`` (``b2c`` for a buyer without a
    VAT id BT-48 or legal registration BT-47 (a KvK number, also as a BT-49 endpoint with
    EAS 0106), else ``b2b``)."""

    b2b: Policy
    b2c: Policy
    market: str = "b2b"
    debtors: Mapping[str, str] = field(default_factory=dict)

    def market_of(self, debtor: Debtor | None) -> str:
        if debtor is not None:
            keys = [debtor.key, *(f"{kind}:{value}" for kind, value in sorted(debtor.identifiers))]
            for key in keys:
                if key in self.debtors:
                    return self.debtors[key]
        if self.market != "auto":
            return self.market
        known = debtor is not None and any(
            kind in ("kvk", "vat", "legal") for kind, _ in debtor.identifiers
        )
        return "b2b" if known else "b2c"

    def for_debtor(self, debtor: Debtor | None) -> Policy:
        return self.b2c if self.market_of(debtor) == "b2c" else self.b2b


@dataclass(frozen=True, slots=True)
class Planned:
    """One open invoice on the day, with its decision."""

    connection: str
    connection_id: int
    source_id: str
    document_id: int
    debtor: str
    """The debtor key across connections."""
    buyer: Party | None
    """The whole buyer (BG-7) when it was read; :func:`record` reads it for a step that
    fires (the letter's name and e-mail, BT-44 and BT-58)."""
    policy: Policy
    decision: Decision
    fired_on: Mapping[str, date]
    """Every step that fired before, and when."""


def _now() -> datetime:
    return datetime.now(UTC)


def _newest(conn: Connection) -> dict[tuple[str, str], tuple[int, int, str]]:
    """(connection name, source id) -> (connection id, newest document id, its state)."""
    newest = (
        select(func.max(documents.c.id).label("id"))
        .group_by(documents.c.connection_id, documents.c.source_id)
        .subquery()
    )
    rows = conn.execute(
        select(
            connections.c.name,
            documents.c.source_id,
            documents.c.connection_id,
            documents.c.id,
            documents.c.state,
        )
        .join(newest, newest.c.id == documents.c.id)
        .join(connections, connections.c.id == documents.c.connection_id)
    )
    return {(r.name, r.source_id): (r.connection_id, r.id, r.state) for r in rows}


def fired_history(conn: Connection) -> dict[tuple[int, str], list[Fired]]:
    """(connection id, source id) -> the steps that fired, oldest first."""
    found: dict[tuple[int, str], list[Fired]] = {}
    rows = conn.execute(
        select(
            reminders.c.connection_id, reminders.c.source_id, reminders.c.step, reminders.c.fired_on
        ).order_by(reminders.c.id)
    )
    for row in rows:
        found.setdefault((row.connection_id, row.source_id), []).append(
            Fired(row.step, row.fired_on)
        )
    return found


def holds(conn: Connection, on: date) -> dict[tuple[int, str], Hold]:
    """(connection id, source id) -> what holds its triggers on ``on``. A handover to
    collection (``ledgerlink collection export``) stops them for good. The newest Peppol
    Invoice Response of any version of the document decides first: RE stops them, whatever
    else; UQ or CA pause them. A pause in force (``reminder_pauses``) pauses them and is the
    reason shown. Answers refused by the state machine do not count; a later answer (AP)
    lifts an Invoice Response's pause."""
    found: dict[tuple[int, str], Hold] = {}
    answers = conn.execute(
        select(documents.c.connection_id, documents.c.source_id, events.c.details)
        .join(documents, documents.c.id == events.c.document_id)
        .where(events.c.cause.like("%invoice-response%"))
        .order_by(events.c.id)
    )
    newest: dict[tuple[int, str], str] = {}
    for row in answers:
        details: Any = row.details
        if isinstance(details, Mapping) and details.get("kind") == "invoice-response":
            code = details.get("code")
            if isinstance(code, str) and "refused" not in details:
                newest[(row.connection_id, row.source_id)] = code
    handed = conn.execute(
        select(documents.c.connection_id, documents.c.source_id, events.c.details)
        .join(documents, documents.c.id == events.c.document_id)
        .where(events.c.cause == HANDOVER)
    )
    for row in handed:
        handed_on = row.details.get("on") if isinstance(row.details, Mapping) else None
        found[(row.connection_id, row.source_id)] = Hold(
            "stopped", f"handed over to collection on {handed_on}"
        )
    for key, code in newest.items():
        if key in found:
            continue
        if code in PAUSING_CODES:
            found[key] = Hold("paused", f"invoice response {code}")
        elif code == "RE":
            found[key] = Hold("stopped", "invoice response RE (rejected)")
    pauses = conn.execute(
        select(reminder_pauses)
        .where(reminder_pauses.c.resumed_at.is_(None))
        .where((reminder_pauses.c.until.is_(None)) | (reminder_pauses.c.until >= on))
        .order_by(reminder_pauses.c.id)
    )
    for row in pauses:
        key = (row.connection_id, row.source_id)
        known = found.get(key)
        if known is None or (
            known.kind == "paused" and known.reason.startswith("invoice response ")
        ):
            found[key] = Hold("paused", row.reason, row.until)
    return found


def plan(
    conn: Connection,
    on: date,
    policies: ReminderPolicies,
    *,
    only_firing: bool = False,
    still_due: set[tuple[str, str]] | None = None,
    problems: list[str] | None = None,
) -> list[Planned]:
    """Every open invoice with a due date that is overdue on ``on`` or has a step that
    fired or fires, with its decision; in due-date, then number order. ``only_firing``:
    only those whose step fires (the amounts are not worked out for the rest).
    ``still_due`` receives (connection, source id) of every open invoice whose triggers
    are not stopped, listed or not. ``problems``: an invoice that cannot be decided (a day
    the rate tables do not cover) is named there and left out, the rest goes on; without
    it the :class:`~reconcile.reminders.DataError` is raised."""
    from reconcile.debtors import join_debtors
    from sync.receivables import buyers_of, stored_items

    items = [s for s in stored_items(conn) if s.item.kind is ItemKind.INVOICE and s.item.open > 0]
    book = join_debtors(buyers_of(items))
    newest = _newest(conn)
    history = fired_history(conn)
    held = holds(conn, on)
    found: list[Planned] = []
    for stored in items:
        item = stored.item
        if item.due_date is None or item.source_id is None:
            continue
        connection_id, document_id, state = newest[(stored.connection, item.source_id)]
        key = (connection_id, item.source_id)
        debtor = book.of(stored.connection, item.debtor)
        policy = policies.for_debtor(debtor)
        fired = history.get(key, [])
        hold = held.get(key)
        if state == "rejected":
            hold = Hold("stopped", "the document was rejected")
        if still_due is not None and (hold is None or hold.kind != "stopped"):
            still_due.add((stored.connection, item.source_id))
        try:
            decision = decide(item, on, policy, fired, hold, only_firing=only_firing)
        except DataError as failure:
            if problems is None:
                raise
            problems.append(f"{item.number} ({stored.connection}): {failure}: not reminded")
            continue
        if decision is None:
            continue
        found.append(
            Planned(
                connection=stored.connection,
                connection_id=connection_id,
                source_id=item.source_id,
                document_id=document_id,
                debtor=debtor.key if debtor is not None else item.debtor,
                buyer=stored.buyer,
                policy=policy,
                decision=decision,
                fired_on={f.step: f.on for f in fired},
            )
        )
    found.sort(key=lambda p: (p.decision.reminder.due_date, p.decision.reminder.item.number))
    return found


def _money(amount: Decimal) -> str:
    return str(amount.quantize(Decimal("0.01")))


def _buyer(conn: Connection, document_id: int) -> Party:
    """The buyer (BG-7) of the stored document ``document_id``, from its model."""
    from model.jsonio import from_data

    model = conn.execute(
        select(documents.c.model).where(documents.c.id == document_id)
    ).scalar_one()
    return from_data(model, source=f"document row {document_id}").buyer


def reminder_values(planned: Planned, on: date) -> dict[str, Any]:
    """The ``details`` of the row: what the letter says, for the outputs and reports. ``term``
    is the pay-by date every letter gives (fourteen days from the day after its assumed
    receipt); ``letter`` the 14-day letter's own dates (B2C)."""
    from reconcile.reminders import fourteen_day_letter

    reminder = planned.decision.reminder
    letter = reminder.letter
    buyer = planned.buyer
    assert buyer is not None, "record() reads the buyer of a step that fires"
    term = fourteen_day_letter(
        on, reminder.item.open, reminder.costs, receipt_days=planned.policy.receipt_days
    )
    return {
        "connection": planned.connection,
        "debtor": planned.debtor,
        "amount": _money(reminder.item.amount),
        "payment_reference": reminder.item.payment_reference,
        "costs_owed_from": (reminder.due_date + timedelta(days=1)).isoformat(),
        "term": {
            "received": term.received.isoformat(),
            "last_day_to_pay": term.last_day_to_pay.isoformat(),
        },
        "debtor_name": buyer.name,
        "email": buyer.contact.email if buyer.contact else None,
        "due_date": reminder.due_date.isoformat(),
        "issue_date": reminder.item.issue_date.isoformat() if reminder.item.issue_date else None,
        "market": planned.policy.market,
        "interest_periods": reminder.interest.periods_json(),
        "letter": None
        if letter is None
        else {
            "sent": letter.sent.isoformat(),
            "received": letter.received.isoformat(),
            "term_start": letter.term_start.isoformat(),
            "last_day_to_pay": letter.last_day_to_pay.isoformat(),
            "costs_from": letter.costs_from.isoformat(),
            "costs": _money(letter.costs),
        },
        "on": on.isoformat(),
    }


def _insert_ignoring(conn: Connection, values: Mapping[str, Any]) -> int | None:
    """Insert the row unless (connection, source record, step) is there: its id, or None."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement: Any = pg_insert(reminders)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(reminders)
    statement = (
        statement.values(**values)
        .on_conflict_do_nothing(index_elements=["connection_id", "source_id", "step"])
        .returning(reminders.c.id)
    )
    found: int | None = conn.execute(statement).scalar_one_or_none()
    return found


def record(
    conn: Connection, planned: Sequence[Planned], on: date, *, webhook: bool, email: bool
) -> list[tuple[Planned, int]]:
    """Record every step that fires as a ``reminders`` row (insert-or-ignore); the planned
    invoices whose row this call wrote, with its id. ``webhook``/``email``: the outputs
    configured, each ``pending`` on the row (null when not configured)."""
    written = []
    for entry in planned:
        step = entry.decision.fires
        if step is None:
            continue
        reminder = entry.decision.reminder
        if entry.buyer is None:
            entry = replace(entry, buyer=_buyer(conn, entry.document_id))
        now = _now()
        row_id = _insert_ignoring(
            conn,
            {
                "connection_id": entry.connection_id,
                "source_id": entry.source_id,
                "document_id": entry.document_id,
                "number": reminder.item.number,
                "step": step.name,
                "step_type": step.type.value,
                "policy": entry.policy.name,
                "fired_on": on,
                "days_overdue": reminder.days_overdue,
                "currency": reminder.item.currency,
                "open": reminder.item.open,
                "costs": reminder.costs,
                "interest": reminder.interest.total,
                "details": reminder_values(entry, on),
                "webhook_state": "pending" if webhook else None,
                "email_state": "pending" if email else None,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            },
        )
        if row_id is not None:
            written.append((entry, row_id))
    return written


def find_invoice(conn: Connection, number: str, connection: str | None) -> tuple[int, str, str]:
    """(connection id, source id, connection name) of the invoice numbered ``number``
    (BT-1); ``ValueError`` naming the candidates when none or several match."""
    query = (
        select(documents.c.connection_id, documents.c.source_id, connections.c.name)
        .join(connections, connections.c.id == documents.c.connection_id)
        .where(documents.c.number == number)
        .distinct()
    )
    if connection is not None:
        query = query.where(connections.c.name == connection)
    rows = list(conn.execute(query))
    if not rows:
        where = f" in connection {connection!r}" if connection else ""
        raise ValueError(f"no stored invoice {number!r}{where}")
    if len(rows) > 1:
        names = ", ".join(sorted(row.name for row in rows))
        raise ValueError(
            f"invoice {number!r} is in several connections ({names}): give --connection"
        )
    row = rows[0]
    return row.connection_id, row.source_id, row.name


def pause(
    conn: Connection,
    number: str,
    reason: str,
    *,
    until: date | None = None,
    note: str | None = None,
    connection: str | None = None,
) -> str:
    """Pause the invoice's reminders; the connection's name."""
    connection_id, source_id, name = find_invoice(conn, number, connection)
    conn.execute(
        reminder_pauses.insert().values(
            connection_id=connection_id,
            source_id=source_id,
            number=number,
            reason=reason,
            until=until,
            note=note,
            created_at=_now(),
        )
    )
    return name


def resume(conn: Connection, number: str, *, connection: str | None = None) -> int:
    """End every pause of the invoice that is not ended yet; how many."""
    connection_id, source_id, _ = find_invoice(conn, number, connection)
    result = conn.execute(
        update(reminder_pauses)
        .where(reminder_pauses.c.connection_id == connection_id)
        .where(reminder_pauses.c.source_id == source_id)
        .where(reminder_pauses.c.resumed_at.is_(None))
        .values(resumed_at=_now())
    )
    return result.rowcount
