"""The user's decision on an in-doubt document (``ledgerlink outbox resolve``).

A document is ``in-doubt`` when a crash came between its send and the record of it, on a
channel that cannot be asked (SMTP). The user checks (the sent-mail folder, the buyer)
and decides: ``sent`` records it as sent, never sending it again; ``resend`` queues a
new attempt under the same idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from sqlalchemy import select, update

from sync.store.schema import connections, documents, outbox

if TYPE_CHECKING:
    from sync.store import Store

__all__ = ["NotInDoubt", "OutboxRow", "Resolved", "outbox_rows", "resolve"]


class NotInDoubt(LookupError):
    """No in-doubt document has that number (or more than one has, across connections)."""


@dataclass(frozen=True, slots=True)
class Resolved:
    """What :func:`resolve` did: the document's number, connection and new state."""

    number: str
    connection: str
    state: str


def resolve(
    store: Store,
    number: str,
    *,
    decision: Literal["sent", "resend"],
    connection: str | None = None,
) -> Resolved:
    """Decide the in-doubt document with invoice number ``number`` (BT-1).

    ``sent``: the outbox row and the document become ``sent`` (an event, pushed to the
    source on the next delivery). ``resend``: they become ``queued`` again with a fresh
    retry budget, so the next delivery sends it. Raises :class:`NotInDoubt` when no
    in-doubt document of that number exists (saying which state it is in, when it exists)
    or when two connections have one (name ``connection`` then).
    """
    from sync.outbox import record_event

    with store.begin() as conn:
        query = (
            select(outbox.c.id, outbox.c.document_id, outbox.c.state, connections.c.name)
            .join(documents, documents.c.id == outbox.c.document_id)
            .join(connections, connections.c.id == documents.c.connection_id)
            .where(documents.c.number == number)
        )
        if connection is not None:
            query = query.where(connections.c.name == connection)
        rows = conn.execute(query.order_by(outbox.c.id)).all()
        doubtful = [row for row in rows if row.state == "in-doubt"]
        where = f" of connection {connection}" if connection else ""
        if not doubtful:
            if not rows:
                raise NotInDoubt(f"no document {number}{where} is in the outbox")
            states = ", ".join(sorted({row.state for row in rows}))
            raise NotInDoubt(f"document {number}{where} is not in doubt (it is {states})")
        if len(doubtful) > 1:
            names = ", ".join(row.name for row in doubtful)
            raise NotInDoubt(
                f"document {number} is in doubt on several connections ({names}):"
                " name one with --connection"
            )
        row = doubtful[0]
        state = "sent" if decision == "sent" else "queued"
        values: dict[str, object] = {"state": state, "last_error": None}
        if decision == "resend":
            values |= {"attempts": 0, "next_attempt_at": None}
        conn.execute(update(outbox).where(outbox.c.id == row.id).values(**values))
        record_event(
            conn,
            document_id=row.document_id,
            state=state,
            cause=f"user: outbox resolve --{decision}",
            details={
                "reason": "recorded as sent by the user"
                if decision == "sent"
                else "queued for a new attempt by the user"
            },
        )
    return Resolved(number=number, connection=row.name, state=state)


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxRow:
    """One delivery as ``ledgerlink outbox list`` shows it: the invoice number (BT-1),
    connection, channel, state, attempts so far, the next attempt time and the last error."""

    number: str
    connection: str
    channel: str
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None


def outbox_rows(
    store: Store, *, connection: str | None = None, state: str | None = None
) -> list[OutboxRow]:
    """The outbox's deliveries, oldest first, of ``connection`` and in ``state`` when given."""
    query = (
        select(
            documents.c.number,
            connections.c.name,
            outbox.c.channel,
            outbox.c.state,
            outbox.c.attempts,
            outbox.c.next_attempt_at,
            outbox.c.last_error,
        )
        .join(documents, documents.c.id == outbox.c.document_id)
        .join(connections, connections.c.id == documents.c.connection_id)
        .order_by(outbox.c.id)
    )
    if connection is not None:
        query = query.where(connections.c.name == connection)
    if state is not None:
        query = query.where(outbox.c.state == state)
    with store.begin() as conn:
        return [
            OutboxRow(
                number=row.number,
                connection=row.name,
                channel=row.channel,
                state=row.state,
                attempts=row.attempts,
                next_attempt_at=row.next_attempt_at,
                last_error=row.last_error,
            )
            for row in conn.execute(query)
        ]
