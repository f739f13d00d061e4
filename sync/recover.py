"""After a crash: the rows left ``sending``, and the user's decision on in-doubt ones.

:func:`recover_sending` is the first step of every delivery run (:func:`sync.outbox.deliver`):
each row a crash left ``sending`` (claimed, the send may or may not have happened) is
looked up on its channel (:meth:`~delivery.base.Channel.lookup`): found, it is recorded
as sent and never sent again; surely not sent, it is sent; a channel that cannot tell
(SMTP) makes the document ``in-doubt``.

A document is ``in-doubt`` when a crash came between its send and the record of it, on a
channel that cannot be asked. The user checks (the sent-mail folder, the buyer) and
decides (``ledgerlink outbox resolve``, :func:`resolve`): ``sent`` records it as sent,
never sending it again; ``resend`` queues a new attempt under the same idempotency key.
:func:`outbox_rows` lists the deliveries (``ledgerlink outbox list``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from sqlalchemy import select, update

from sync.enqueue import envelope_of
from sync.events import record_event
from sync.outcome import finding, unknown_channel
from sync.sending import (
    SENDING,
    Claimed,
    connection_rows,
    passed,
    record_receipts,
    send_marked,
    set_row,
)
from sync.store.schema import connections, documents, outbox

if TYPE_CHECKING:
    from delivery.base import Channel
    from sync.locks import RowLocks
    from sync.outcome import DeliverySummary, RetryBudget
    from sync.store import Store

__all__ = ["NotInDoubt", "OutboxRow", "Resolved", "outbox_rows", "recover_sending", "resolve"]


def recover_sending(
    store: Store,
    locks: RowLocks,
    connection: str,
    channels: Mapping[str, Channel],
    budget: RetryBudget,
    summary: DeliverySummary,
) -> None:
    """The rows of ``connection`` a crash left ``sending`` (no live worker holds their
    lock): ask the channel; found, the receipt is recorded; surely not sent, it is sent
    (passing ``claimed`` first); a channel that cannot tell makes it ``in-doubt``. Never
    sent twice."""
    from delivery.base import CannotAsk, ChannelUnavailable

    with store.begin() as conn:
        rows = conn.execute(
            connection_rows(connection).where(outbox.c.state == SENDING).order_by(outbox.c.id)
        ).all()
    for row in rows:
        if not locks.take(row.id):
            continue  # a live worker is sending it right now
        try:
            with store.begin() as conn:
                state = conn.execute(
                    select(outbox.c.state).where(outbox.c.id == row.id)
                ).scalar_one()
                if state != SENDING:
                    continue  # its worker recorded it between our read and our lock
                envelope = envelope_of(conn, row.id)
            claimed = Claimed(row.id, row.document_id, row.channel, envelope)
            channel = channels.get(row.channel)
            if channel is None:
                summary.findings.append(unknown_channel(row.channel, envelope.number))
                continue
            try:
                receipt = channel.lookup(envelope)
            except CannotAsk as failure:
                _in_doubt(store, row.id, channel, failure.reason)
                summary.in_doubt += 1
                continue
            except ChannelUnavailable as failure:
                summary.findings.append(
                    finding(
                        f"invoice {envelope.number}: a crash left it being sent, and channel"
                        f" {channel.name} cannot be asked now: {failure.reason}",
                        hint="the next run asks again",
                    )
                )
                continue
            if receipt is not None:
                cause = f"channel {channel.name} (found after a crash, not sent again)"
                with store.begin() as conn:
                    record_receipts(
                        conn, channel, [(claimed, receipt)], cause=cause, findings=summary.findings
                    )
                summary.delivered += 1
            else:
                passed("claimed")
                send_marked(store, channel, [claimed], budget, summary)
        finally:
            locks.release(row.id)


def _in_doubt(store: Store, outbox_id: int, channel: Channel, reason: str) -> None:
    message = (
        f"a crash came between the send and its record, and channel {channel.name}"
        f" cannot tell whether it was sent ({reason})"
    )
    with store.begin() as conn:
        document_id = set_row(conn, outbox_id, state="in-doubt", last_error=message)
        record_event(
            conn,
            document_id=document_id,
            state="in-doubt",
            cause="outbox: recovery",
            details={"reason": message},
        )


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
