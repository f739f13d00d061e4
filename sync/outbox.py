"""The outbox: each document delivered at most once per idempotency key, whatever crashes.

:func:`enqueue` puts a built, valid document in the outbox, in the caller's transaction.
:func:`deliver` then, for one connection:

1. recovers what a crash left ``sending`` (the row was claimed, the send may or may not
   have happened): the channel is asked (:meth:`~delivery.base.Channel.lookup`); found,
   it is recorded as sent and never sent again; surely not sent, it is sent; a channel
   that cannot tell (SMTP) makes the document ``in-doubt``, for ``ledgerlink outbox
   resolve`` (:func:`sync.recover.resolve`); :func:`sync.recover.recover_sending`;
2. claims the queued rows that are due, up to 100 at a time (PostgreSQL: ``SELECT ...
   FOR UPDATE SKIP LOCKED``, so two workers never take one row), marks them ``sending``
   and commits that *before* the send, sends them through their channel
   (:func:`delivery.base.send_batch`: one durable flush per batch where the channel
   offers it), and records the :class:`~delivery.base.Receipt` of each and their events
   in one transaction. A channel that cannot be asked after a crash
   (:func:`delivery.base.can_ask` False: SMTP) gets one row at a time, marked, sent and
   recorded before the next, so a crash leaves at most one document in doubt. A channel
   that is down (:class:`~delivery.base.ChannelUnavailable`) is retried on a later run
   within the :class:`RetryBudget` (attempts, backoff, the next attempt time kept in the
   row), then the document is ``failed`` with the reason; a refusal
   (:class:`~delivery.base.ChannelRefused`) fails it at once; a send whose outcome the
   channel cannot tell (:class:`~delivery.base.OutcomeUnknown`) stays ``sending``, as
   after a crash, for the next run's step 1. The rest goes on;
3. polls the channels for the receivers' answers on sent documents and applies them
   through the state machine (:func:`delivery.base.transition`); a move the machine
   refuses becomes a :class:`~model.findings.Finding`, not a crash
   (:mod:`sync.answers`);
4. pushes every event not pushed yet to the source (:mod:`sync.push`), exactly once.

A ``sending`` row belongs to a live worker while that worker holds the row's lock: on
PostgreSQL a session advisory lock on the row id, on SQLite the store's outbox lock file
(one deliverer per SQLite store at a time). The lock dies with the process, so after a
``kill -9`` the next run knows the row is its to recover (:mod:`sync.locks`).

This module claims and marks the rows and runs the steps; the others are their own
modules: :mod:`sync.enqueue` (the rows and their envelopes), :mod:`sync.events` (state
changes), :mod:`sync.sending` (a send and its record), :mod:`sync.recover`,
:mod:`sync.answers`, :mod:`sync.push`, :mod:`sync.outcome` (the summary, the budget).

:data:`checkpoint` is called at the named points of a delivery (``claimed``,
``sent``, ``recorded``, ``pushed``), once per document: for a batch, ``claimed`` once
per row after the batch is marked sending (and per row recovery sends again), ``sent``
once per receipt after the batch was sent and before it is recorded, ``recorded`` once
per receipt after its commit. A no-op, which the fault-injection test replaces to stop
the worker exactly there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from sqlalchemy import bindparam, update

from sync.answers import poll_answers
from sync.enqueue import Enqueued, ToQueue, enqueue, enqueue_batch, envelope_of, envelopes
from sync.events import Change, record_event, record_events
from sync.locks import RowLocks
from sync.outcome import DeliverySummary, RetryBudget, unknown_channel
from sync.recover import recover_sending
from sync.sending import SENDING, Claimed, connection_rows, send_marked
from sync.store.schema import outbox

if TYPE_CHECKING:
    from connectors.base import Connector
    from delivery.base import Channel, Envelope
    from sync.store import Store

__all__ = [
    "SENDING",
    "Change",
    "DeliverySummary",
    "Enqueued",
    "RetryBudget",
    "ToQueue",
    "checkpoint",
    "deliver",
    "enqueue",
    "enqueue_batch",
    "envelope_of",
    "record_event",
    "record_events",
    "send_due",
]

checkpoint: Callable[[str], None] = lambda point: None  # noqa: E731
"""Called with the name of each point a delivery passes; the fault-injection seam."""

_Locks = RowLocks
"""The row locks (:class:`sync.locks.RowLocks`), under the name the tests patch."""


def _now() -> datetime:
    return datetime.now(UTC)


def deliver(
    store: Store,
    *,
    connection: str,
    channels: Mapping[str, Channel],
    source: Connector | None,
    budget: RetryBudget | None = None,
) -> DeliverySummary:
    """Deliver the queued documents of ``connection`` and push their events to ``source``.

    ``channels`` maps the settings' channel names to open channels; a row whose channel
    is not among them is left as it is, with a finding. ``source`` None skips the status
    push (the events stay unpushed for a later run). Steps and guarantees: see the
    module docstring.
    """
    budget = budget or RetryBudget()
    summary = DeliverySummary()
    with RowLocks(store) as locks:
        recover_sending(store, locks, connection, channels, budget, summary)
        _send_queued(store, locks, connection, channels, budget, summary)
    poll_answers(store, connection, channels, summary)
    if source is not None:
        from sync.push import push_events

        push_events(store, connection=connection, source=source, summary=summary)
    return summary


def send_due(
    store: Store,
    *,
    connection: str,
    channels: Mapping[str, Channel],
    budget: RetryBudget | None = None,
    known: Mapping[int, Envelope] | None = None,
) -> DeliverySummary:
    """Step 2 of :func:`deliver` alone: send the queued rows of ``connection`` that are due.

    The sync cycle calls it after each recorded page, so that page's documents go out
    while a validation pool validates the next one (:mod:`sync.pipeline`); recovery,
    polling and the status push stay with the :func:`deliver` run that ends the cycle.
    The guarantees are the same: the rows are claimed, marked ``sending`` and committed
    before their send, under the same row locks. ``known``: envelopes by document id that
    the caller made as it queued the documents (:attr:`sync.recorder.Recorder.queued`),
    the same as the store would give (:func:`sync.enqueue.envelopes`); only the rows of
    other documents have theirs read from the store.
    """
    budget = budget or RetryBudget()
    summary = DeliverySummary()
    with RowLocks(store) as locks:
        _send_queued(store, locks, connection, channels, budget, summary, known or {})
    return summary


_BATCH: Final = 100
"""Queued rows claimed per query: their envelopes are read and their row locks taken
together; on a channel that can be asked they are also marked ``sending`` (one commit),
sent (:func:`delivery.base.send_batch`) and recorded (one transaction) together."""


def _claim_batch(
    store: Store,
    locks: RowLocks,
    connection: str,
    after: int,
    known: Mapping[int, Envelope] | None = None,
) -> tuple[int, list[Claimed], bool] | None:
    """The next due queued rows with an id above ``after`` (at most :data:`_BATCH`, in id
    order): the highest id looked at, the rows of them this run now owns (no live worker
    holds them), in id order, and whether there may be more (the query filled a batch:
    a shorter one found every due row above ``after``). None when no row is left.

    The rows stay ``queued``: :func:`_mark_sending` marks them before their send.
    Reading by id (keyset) keeps each query as cheap as the first, however many rows the
    run has handled. ``known``: envelopes by document id the caller holds (see
    :func:`send_due`); the others are read with the rows.
    """
    with store.begin() as conn:
        query = (
            connection_rows(connection)
            .with_only_columns(outbox.c.id, outbox.c.document_id, outbox.c.channel)
            .where(
                outbox.c.state == "queued",
                outbox.c.id > after,
                outbox.c.next_attempt_at.is_(None) | (outbox.c.next_attempt_at <= _now()),
            )
            .order_by(outbox.c.id)
            .limit(_BATCH)
        )
        if locks.postgres:
            query = query.with_for_update(skip_locked=True, of=outbox)
        rows = conn.execute(query).all()
        if not rows:
            return None
        owned = set(locks.take_all([row.id for row in rows]))
        given = known or {}
        read = envelopes(
            conn, sorted(r.id for r in rows if r.id in owned and r.document_id not in given)
        )
    claimed = [
        Claimed(row.id, row.document_id, row.channel, given.get(row.document_id) or read[row.id])
        for row in rows
        if row.id in owned
    ]
    return rows[-1].id, claimed, len(rows) == _BATCH


_MARK_SENDING: Final = (
    update(outbox)
    .where(outbox.c.id.in_(bindparam("ids", expanding=True)), outbox.c.state == "queued")
    .values(state=SENDING, attempts=outbox.c.attempts + 1, updated_at=bindparam("now"))
    .returning(outbox.c.id)
)


def _mark_sending(store: Store, outbox_ids: Sequence[int]) -> set[int]:
    """Rows ``outbox_ids`` become ``sending`` (one more attempt each), in one statement
    committed before their send; a row no longer queued (the pipeline replaced its
    document since the claim) is left as it is and not in the answer."""
    with store.begin() as conn:
        marked = conn.execute(_MARK_SENDING, {"ids": sorted(outbox_ids), "now": _now()})
        return {int(each) for each in marked.scalars()}


def _send_queued(
    store: Store,
    locks: RowLocks,
    connection: str,
    channels: Mapping[str, Channel],
    budget: RetryBudget,
    summary: DeliverySummary,
    known: Mapping[int, Envelope] | None = None,
) -> None:
    from delivery.base import can_ask

    after, more = 0, True
    while more and (batch := _claim_batch(store, locks, connection, after, known)) is not None:
        after, claimed, more = batch  # a short batch was the last: no query to find none
        try:
            by_channel: dict[str, list[Claimed]] = {}
            for row in claimed:
                if row.channel not in channels:
                    summary.findings.append(unknown_channel(row.channel, row.envelope.number))
                    continue
                by_channel.setdefault(row.channel, []).append(row)
            for name, rows in by_channel.items():
                channel = channels[name]
                if can_ask(channel):
                    _send_rows(store, channel, rows, budget, summary)
                    continue
                for row in rows:  # one at a time: a crash leaves at most one in doubt
                    _send_rows(store, channel, [row], budget, summary)
        finally:
            locks.release_all([row.outbox_id for row in claimed])


def _send_rows(
    store: Store,
    channel: Channel,
    rows: Sequence[Claimed],
    budget: RetryBudget,
    summary: DeliverySummary,
) -> None:
    """Mark ``rows`` sending (one commit), passing ``claimed`` once per row marked, then
    send and record those (:func:`sync.sending.send_marked`)."""
    marked = _mark_sending(store, [row.outbox_id for row in rows])
    rows = [row for row in rows if row.outbox_id in marked]
    for _ in rows:
        checkpoint("claimed")
    send_marked(store, channel, rows, budget, summary)
