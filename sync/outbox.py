"""The outbox: each document delivered at most once per idempotency key, whatever crashes.

:func:`enqueue` puts a built, valid document in the outbox, in the caller's transaction.
:func:`deliver` then, for one connection:

1. recovers what a crash left ``sending`` (the row was claimed, the send may or may not
   have happened): the channel is asked (:meth:`~delivery.base.Channel.lookup`); found,
   it is recorded as sent and never sent again; surely not sent, it is sent; a channel
   that cannot tell (SMTP) makes the document ``in-doubt``, for ``ledgerlink outbox
   resolve`` (:func:`sync.recover.resolve`);
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
   refuses becomes a :class:`~model.findings.Finding`, not a crash;
4. pushes every event not pushed yet to the source (:mod:`sync.push`), exactly once.

A ``sending`` row belongs to a live worker while that worker holds the row's lock: on
PostgreSQL a session advisory lock on the row id, on SQLite the store's outbox lock file
(one deliverer per SQLite store at a time). The lock dies with the process, so after a
``kill -9`` the next run knows the row is its to recover.

:data:`checkpoint` is called at the named points of a delivery (``claimed``,
``sent``, ``recorded``, ``pushed``), once per document: for a batch, ``claimed`` once
per row after the batch is marked sending (and per row recovery sends again), ``sent``
once per receipt after the batch was sent and before it is recorded, ``recorded`` once
per receipt after its commit. A
no-op, which the fault-injection test replaces to stop the worker exactly there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Literal

from sqlalchemy import bindparam, func, select, text, update

from sync.store.keys import idempotency_key
from sync.store.schema import connections, documents, events, outbox

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from connectors.base import Connector
    from delivery.base import Channel, Envelope, Receipt, StatusEvent
    from model.findings import Finding
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
]

SENDING: Final = "sending"
"""The outbox state of a row claimed for a send: committed before the send, so a crash
after it is visible to the next run."""

checkpoint: Callable[[str], None] = lambda point: None  # noqa: E731
"""Called with the name of each point a delivery passes; the fault-injection seam."""

_POLLED: Final = ("sent", "delivered", "accepted")
"""The states a receiver may still answer to (nothing follows rejected or paid)."""
_SILENT: Final = frozenset({"directory", "smtp"})
"""Channel kinds that never answer (their ``poll`` is always empty): not polled, which
saves reading every delivered document on every run."""


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryBudget:
    """How often and how long a channel that is down (a 5xx, a timeout) is retried.

    ``attempts``: sends tried in all before the document becomes ``failed``.
    ``backoff``: the wait before the second attempt, doubled after each one, at most
    ``max_backoff``.
    """

    attempts: int = 5
    backoff: timedelta = timedelta(seconds=30)
    max_backoff: timedelta = timedelta(hours=1)

    def delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt."""
        wait: timedelta = self.backoff * (2 ** max(attempts - 1, 0))
        return min(wait, self.max_backoff)


@dataclass(slots=True, kw_only=True)
class DeliverySummary:
    """What one :func:`deliver` run did, for one connection."""

    delivered: int = 0
    """Documents a channel took (sent or delivered), recovered ones included."""
    failed: int = 0
    """Documents refused by their channel, or past the retry budget."""
    in_doubt: int = 0
    """Documents a crash left between send and record on a channel that cannot be asked."""
    pushed: int = 0
    """Events reported to the source system through ``push_status``."""
    retrying: int = 0
    """Documents left queued for a later attempt (the channel was unavailable)."""
    findings: list[Finding] = field(default_factory=list)
    """What went wrong without stopping the run (a refused transition, a push that failed)."""


# -- events ------------------------------------------------------------------------------


def record_event(
    conn: Connection,
    *,
    document_id: int,
    state: str,
    cause: str,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Record that document ``document_id`` is now ``state`` because of ``cause``: an
    ``events`` row (from the document's current state, not pushed yet) and the
    document's new state, in the caller's transaction.

    The next :func:`deliver` pushes the event to the source (:mod:`sync.push`):
    ``details["reason"]`` and ``details["message"]`` are shown in the note, and
    ``details["findings"]`` (a list of ``Finding.to_dict()``) gives the rule ids and fix
    hints; a ``quarantined`` state is pushed as rejected by validation.
    """
    _record(conn, document_id=document_id, state=state, cause=cause, details=details)


_STATES: Final = select(documents.c.id, documents.c.state).where(
    documents.c.id.in_(bindparam("ids", expanding=True))
)
_INSERT_EVENT: Final = events.insert()
_SET_STATE: Final = (
    update(documents)
    .where(documents.c.id.in_(bindparam("ids", expanding=True)))
    .values(state=bindparam("state"), updated_at=bindparam("now"))
)


@dataclass(frozen=True, slots=True)
class Change:
    """One state change to record (:func:`record_events`): document, new state, cause,
    details; ``pushed`` True when the source must not be told of it."""

    document_id: int
    state: str
    cause: str
    details: Mapping[str, Any] | None = None
    pushed: bool = False


def record_events(conn: Connection, changes: Sequence[Change]) -> None:
    """:func:`record_event` for each of ``changes``, in order, with one query for the
    documents' current states, one insert of all the events and one update of the states
    that change. A document may appear more than once: each event starts from the state
    the one before it left."""
    if not changes:
        return
    current: dict[int, str] = {
        row.id: row.state
        for row in conn.execute(_STATES, {"ids": sorted({c.document_id for c in changes})})
    }
    now = _now()
    rows: list[dict[str, Any]] = []
    for change in changes:
        if (before := current.get(change.document_id)) is None:
            raise ValueError(f"no document {change.document_id} in the store")
        rows.append(
            {
                "document_id": change.document_id,
                "at": now,
                "from_state": before,
                "to_state": change.state,
                "cause": change.cause,
                "details": dict(change.details or {}),
                "pushed_at": now if change.pushed else None,
            }
        )
        current[change.document_id] = change.state
    conn.execute(_INSERT_EVENT, rows)
    started = {row["document_id"]: row["from_state"] for row in reversed(rows)}
    moved: dict[str, list[int]] = {}  # one update per new state (a batch has one or two)
    for document_id, state in current.items():
        if started.get(document_id, state) != state:
            moved.setdefault(state, []).append(document_id)
    for state, ids in moved.items():
        conn.execute(_SET_STATE, {"ids": ids, "state": state, "now": now})


def _record(
    conn: Connection,
    *,
    document_id: int,
    state: str,
    cause: str,
    details: Mapping[str, Any] | None,
    pushed: bool = False,
) -> None:
    record_events(conn, [Change(document_id, state, cause, details, pushed)])


# -- enqueue -----------------------------------------------------------------------------


def _identifier(value: Any) -> dict[str, str | None] | None:
    return None if value is None else {"value": value.value, "scheme": value.scheme}


def _envelope_details(envelope: Envelope) -> dict[str, Any]:
    return {
        "number": envelope.number,
        "kind": str(envelope.kind),
        "file_name": envelope.file_name,
        "buyer_endpoint": _identifier(envelope.buyer_endpoint),
        "buyer_email": envelope.buyer_email,
        "seller_endpoint": _identifier(envelope.seller_endpoint),
    }


def enqueue(
    conn: Connection,
    *,
    document_id: int,
    connection: str,
    source_id: str,
    content_hash: str,
    envelope: Envelope,
    channels: Sequence[Channel],
) -> bool:
    """Queue document ``document_id`` for delivery, in the caller's transaction.

    The channel is the first of ``channels`` whose ``accepts(envelope)``. The envelope's
    addresses (buyer BT-49 and e-mail, seller BT-34, the file name) are kept on the
    ``queued`` event, so a later run rebuilds it (:func:`envelope_of`) with the
    document's UBL. Returns True when the document was queued now; False, doing nothing,
    when the idempotency key (connection, source record, content hash;
    :func:`sync.store.keys.idempotency_key`) is already in the outbox, and False when
    no channel accepts the envelope: the document is then ``failed`` with that reason
    (an event), and no outbox row is written, so a later enqueue (after a settings fix)
    can queue it.
    """
    item = ToQueue(document_id, source_id, content_hash, envelope)
    done = enqueue_batch(conn, [item], connection=connection, channels=channels)
    return done == ["queued"]


@dataclass(frozen=True, slots=True)
class ToQueue:
    """One document for :func:`enqueue_batch`: its id, source record, hash and envelope."""

    document_id: int
    source_id: str
    content_hash: str
    envelope: Envelope


Enqueued = Literal["queued", "no-channel", "known"]
"""What :func:`enqueue_batch` did with a document: queued it; failed it, no channel
accepting its envelope; nothing, its idempotency key being in the outbox already."""

_KNOWN_KEYS: Final = select(outbox.c.idempotency_key).where(
    outbox.c.idempotency_key.in_(bindparam("keys", expanding=True))
)
_INSERT_OUTBOX: Final = outbox.insert()


def enqueue_batch(
    conn: Connection,
    items: Sequence[ToQueue],
    *,
    connection: str,
    channels: Sequence[Channel],
) -> list[Enqueued]:
    """:func:`enqueue` for each of ``items``, in the caller's transaction, with one query
    for the keys the outbox holds, one insert of the outbox rows and one of the events
    (:func:`record_events`); what became of each item, in order."""
    keys = [idempotency_key(connection, item.source_id, item.content_hash) for item in items]
    known = set(conn.execute(_KNOWN_KEYS, {"keys": sorted(set(keys))}).scalars()) if keys else set()
    done: list[Enqueued] = []
    rows: list[dict[str, Any]] = []
    changes: list[Change] = []
    for item, key in zip(items, keys, strict=True):
        if key in known:
            done.append("known")
            continue
        known.add(key)
        chosen = next((channel for channel in channels if channel.accepts(item.envelope)), None)
        if chosen is None:
            names = ", ".join(channel.name for channel in channels) or "none"
            reason = (
                f"no channel of connection {connection} accepts invoice {item.envelope.number}"
                f" (channels: {names}; a Peppol channel needs the buyer's endpoint BT-49,"
                " e-mail needs an address)"
            )
            changes.append(
                Change(item.document_id, "failed", "outbox: no channel", {"reason": reason})
            )
            done.append("no-channel")
            continue
        rows.append(
            {
                "document_id": item.document_id,
                "idempotency_key": key,
                "channel": chosen.name,
                "state": "queued",
                "attempts": 0,
            }
        )
        changes.append(
            Change(
                item.document_id,
                "queued",
                f"outbox: channel {chosen.name}",
                {"channel": chosen.name, "envelope": _envelope_details(item.envelope)},
            )
        )
        done.append("queued")
    if rows:
        conn.execute(_INSERT_OUTBOX, rows)
    record_events(conn, changes)
    return done


def envelope_of(conn: Connection, outbox_id: int) -> Envelope:
    """The envelope of outbox row ``outbox_id``, rebuilt from its document's UBL and the
    addresses its ``queued`` event keeps."""
    return _envelopes(conn, [outbox_id])[outbox_id]


def _envelopes(conn: Connection, outbox_ids: Sequence[int]) -> dict[int, Envelope]:
    """:func:`envelope_of` for each of ``outbox_ids``, in two queries (a row that is not
    in the store raises ``KeyError`` when looked up)."""
    from delivery.base import Envelope, safe_file_name
    from model.document import DocumentKind, Identifier

    if not outbox_ids:
        return {}
    rows = conn.execute(
        select(
            outbox.c.id,
            outbox.c.idempotency_key,
            outbox.c.document_id,
            documents.c.ubl,
            documents.c.number,
            documents.c.kind,
            connections.c.name,
        )
        .join(documents, documents.c.id == outbox.c.document_id)
        .join(connections, connections.c.id == documents.c.connection_id)
        .where(outbox.c.id.in_(sorted(outbox_ids)))
        .order_by(outbox.c.id)
    ).all()
    kept: dict[int, Mapping[str, Any]] = {}
    queued = conn.execute(
        select(events.c.document_id, events.c.details)
        .where(
            events.c.document_id.in_(sorted({row.document_id for row in rows})),
            events.c.to_state == "queued",
        )
        .order_by(events.c.id.desc())
    ).all()
    for each in queued:  # newest first: the first envelope found per document is kept
        details = each.details if isinstance(each.details, Mapping) else {}
        if each.document_id not in kept and isinstance(found := details.get("envelope"), Mapping):
            kept[each.document_id] = found

    def identifier(value: Any) -> Identifier | None:
        return Identifier(value=value["value"], scheme=value.get("scheme")) if value else None

    built: dict[int, Envelope] = {}
    for row in rows:
        addresses = kept.get(row.document_id, {})
        built[row.id] = Envelope(
            idempotency_key=row.idempotency_key,
            connection=row.name,
            number=row.number,
            kind=DocumentKind(str(addresses.get("kind") or row.kind).replace("-", "_")),
            ubl=bytes(row.ubl),
            file_name=addresses.get("file_name") or safe_file_name(row.number),
            buyer_endpoint=identifier(addresses.get("buyer_endpoint")),
            buyer_email=addresses.get("buyer_email"),
            seller_endpoint=identifier(addresses.get("seller_endpoint")),
        )
    return built


# -- who owns a sending row --------------------------------------------------------------

_LOCK_CLASS: Final = 0x6C6C  # "ll": the advisory-lock namespace of outbox rows


class _Locks:
    """The row locks of one deliver run: a PostgreSQL session advisory lock per row being
    sent (held on a connection of its own), or one lock file for a SQLite store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.postgres = store.engine.dialect.name == "postgresql"
        self._session: Connection | None = None
        self._file: Any = None

    def __enter__(self) -> _Locks:
        if self.postgres:
            self._session = self.store.engine.connect()
        else:
            self._file = _lock_file(self.store)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._session is not None:
            # the connection goes back to the pool: its session must not keep the locks
            try:
                self._session.rollback()
                self._session.execute(select(func.pg_advisory_unlock_all()))
                self._session.commit()
            except Exception:
                self._session.invalidate()  # a closed session drops its locks too
            finally:
                self._session.close()
        if self._file is not None:
            self._file.close()

    def take(self, outbox_id: int) -> bool:
        """True when this run now owns row ``outbox_id`` (no live worker holds it)."""
        if self._session is None:
            return True  # SQLite: the lock file makes this run the only deliverer
        got = self._session.execute(
            select(func.pg_try_advisory_lock(_LOCK_CLASS, outbox_id))
        ).scalar_one()
        self._session.commit()
        return bool(got)

    def take_all(self, outbox_ids: Sequence[int]) -> list[int]:
        """:meth:`take` for each of ``outbox_ids`` in one round trip: those now owned."""
        if self._session is None or not outbox_ids:
            return list(outbox_ids)
        got = self._session.execute(
            text(
                "SELECT id FROM unnest(CAST(:ids AS integer[])) AS id"
                " WHERE pg_try_advisory_lock(:lock_class, id) ORDER BY id"
            ),
            {"ids": list(outbox_ids), "lock_class": _LOCK_CLASS},
        ).scalars()
        owned = [int(each) for each in got]
        self._session.commit()
        return owned

    def release(self, outbox_id: int) -> None:
        self.release_all([outbox_id])

    def release_all(self, outbox_ids: Sequence[int]) -> None:
        if self._session is not None and outbox_ids:
            self._session.execute(
                text(
                    "SELECT pg_advisory_unlock(:lock_class, id)"
                    " FROM unnest(CAST(:ids AS integer[])) AS id"
                ),
                {"ids": list(outbox_ids), "lock_class": _LOCK_CLASS},
            )
            self._session.commit()


def _lock_file(store: Store) -> Any:
    import fcntl
    import time

    from sync.store.errors import StoreUnavailable
    from sync.store.urls import sqlite_file

    path = sqlite_file(store.url)
    if path is None:  # an in-memory database: one process by nature
        return None
    handle = open(f"{path}.outbox-lock", "a")  # noqa: SIM115 - held for the run
    deadline = time.monotonic() + 60
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() > deadline:
                handle.close()
                raise StoreUnavailable(
                    f"another ledgerlink delivers from the store {store.shown}"
                    f" (it holds {path}.outbox-lock); try again when it is done"
                ) from None
            time.sleep(0.2)


# -- deliver -----------------------------------------------------------------------------


def _connection_rows(connection: str) -> Any:
    return (
        select(outbox)
        .join(documents, documents.c.id == outbox.c.document_id)
        .join(connections, connections.c.id == documents.c.connection_id)
        .where(connections.c.name == connection)
    )


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
    with _Locks(store) as locks:
        _recover(store, locks, connection, channels, budget, summary)
        _send_queued(store, locks, connection, channels, budget, summary)
    _poll(store, connection, channels, summary)
    if source is not None:
        from sync.push import push_events

        push_events(store, connection=connection, source=source, summary=summary)
    return summary


def _finding(message: str, *, rule: str = "OUTBOX", hint: str | None = None) -> Finding:
    from model.findings import Finding

    return Finding(rule=rule, layer="delivery", message=message, hint=hint)


_BATCH: Final = 100
"""Queued rows claimed per query: their envelopes are read and their row locks taken
together; on a channel that can be asked they are also marked ``sending`` (one commit),
sent (:func:`delivery.base.send_batch`) and recorded (one transaction) together."""


@dataclass(frozen=True, slots=True)
class _Claimed:
    """A queued row this run owns: its ids, channel name and envelope."""

    outbox_id: int
    document_id: int
    channel: str
    envelope: Envelope


def _claim_batch(
    store: Store, locks: _Locks, connection: str, after: int
) -> tuple[int, list[_Claimed]] | None:
    """The next due queued rows with an id above ``after`` (at most :data:`_BATCH`, in id
    order): the highest id looked at, and the rows of them this run now owns (no live
    worker holds them), in id order. None when no row is left.

    The rows stay ``queued``: :func:`_mark_sending` marks them before their send.
    Reading by id (keyset) keeps each query as cheap as the first, however many rows the
    run has handled.
    """
    with store.begin() as conn:
        query = (
            _connection_rows(connection)
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
        envelopes = _envelopes(conn, sorted(owned))
    claimed = [
        _Claimed(row.id, row.document_id, row.channel, envelopes[row.id])
        for row in rows
        if row.id in owned
    ]
    return rows[-1].id, claimed


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
    locks: _Locks,
    connection: str,
    channels: Mapping[str, Channel],
    budget: RetryBudget,
    summary: DeliverySummary,
) -> None:
    from delivery.base import can_ask

    after = 0
    while (batch := _claim_batch(store, locks, connection, after)) is not None:
        after, claimed = batch
        try:
            by_channel: dict[str, list[_Claimed]] = {}
            for row in claimed:
                if row.channel not in channels:
                    summary.findings.append(_unknown_channel(row.channel, row.envelope.number))
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


def _unknown_channel(name: str, number: str) -> Finding:
    return _finding(
        f"invoice {number} waits for channel {name}, which this run does not have",
        hint=f"declare [channels.{name}] in the settings file or name it on the connection",
    )


def _send_rows(
    store: Store,
    channel: Channel,
    rows: Sequence[_Claimed],
    budget: RetryBudget,
    summary: DeliverySummary,
) -> None:
    """Mark ``rows`` sending (one commit), then :func:`_send_marked` those still queued."""
    marked = _mark_sending(store, [row.outbox_id for row in rows])
    rows = [row for row in rows if row.outbox_id in marked]
    for _ in rows:
        checkpoint("claimed")
    _send_marked(store, channel, rows, budget, summary)


def _send_marked(
    store: Store,
    channel: Channel,
    rows: Sequence[_Claimed],
    budget: RetryBudget,
    summary: DeliverySummary,
) -> None:
    """Send ``rows`` (marked sending) through ``channel`` in one batch, then record every
    outcome in one transaction: the receipts and their events, a channel that is down
    (retried within ``budget``), a refusal (failed). A send whose outcome the channel
    cannot tell (:class:`~delivery.base.OutcomeUnknown`) stays ``sending``, as after a
    crash: the next run asks the channel."""
    from delivery.base import ChannelError, ChannelRefused, ChannelUnavailable, send_batch

    if not rows:
        return
    results = send_batch(channel, [row.envelope for row in rows])
    for result in results:
        if not isinstance(result, ChannelError):
            checkpoint("sent")
    receipts: list[tuple[_Claimed, Receipt]] = []
    with store.begin() as conn:
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, ChannelUnavailable):
                _unavailable(conn, row, channel, result.reason, budget, summary)
            elif isinstance(result, ChannelRefused):
                _fail(conn, row, f"channel {channel.name} refused it: {result.reason}")
                summary.failed += 1
            elif isinstance(result, ChannelError):
                summary.findings.append(
                    _finding(
                        f"invoice {row.envelope.number}: channel {channel.name} may or may not"
                        f" have taken it: {result.reason}",
                        hint="the next run asks the channel; one that cannot tell makes it"
                        " in-doubt, for `ledgerlink outbox resolve`",
                    )
                )
            else:
                receipts.append((row, result))
        _record_receipts(
            conn, channel, receipts, cause=f"channel {channel.name}", findings=summary.findings
        )
    summary.delivered += len(receipts)
    for _ in receipts:
        checkpoint("recorded")


def _unavailable(
    conn: Connection,
    row: _Claimed,
    channel: Channel,
    reason: str,
    budget: RetryBudget,
    summary: DeliverySummary,
) -> None:
    attempts = conn.execute(
        select(outbox.c.attempts).where(outbox.c.id == row.outbox_id)
    ).scalar_one()
    if attempts < budget.attempts:
        conn.execute(
            update(outbox)
            .where(outbox.c.id == row.outbox_id)
            .values(
                state="queued",
                next_attempt_at=_now() + budget.delay(attempts),
                last_error=f"channel {channel.name} unavailable: {reason}",
            )
        )
        summary.retrying += 1
        return
    _fail(
        conn,
        row,
        f"channel {channel.name} stayed unavailable after {attempts} attempts: {reason}",
    )
    summary.failed += 1


def _fail(conn: Connection, row: _Claimed, reason: str) -> None:
    _set_row(conn, row.outbox_id, state="failed", last_error=reason)
    _record(
        conn,
        document_id=row.document_id,
        state="failed",
        cause="outbox",
        details={"reason": reason},
    )


def _set_row(conn: Connection, outbox_id: int, **values: Any) -> int:
    document_id: int = conn.execute(
        update(outbox)
        .where(outbox.c.id == outbox_id)
        .values(**values)
        .returning(outbox.c.document_id)
    ).scalar_one()
    return document_id


_RECORD_RECEIPT: Final = (
    update(outbox)
    .where(outbox.c.id == bindparam("b_id"))
    .values(
        state=bindparam("b_state"),
        remote_id=bindparam("b_remote_id"),
        sent_at=bindparam("b_at"),
        recorded_at=bindparam("b_at"),
        last_error=None,
        next_attempt_at=None,
    )
)


def _record_receipts(
    conn: Connection,
    channel: Channel,
    receipts: Sequence[tuple[_Claimed, Receipt]],
    *,
    cause: str,
    findings: list[Finding],
) -> None:
    """The receipts of ``receipts``' rows and their events, in the caller's transaction:
    one update of the rows, one insert of the events (:func:`record_events`), then the
    status events that came with a receipt, through the state machine."""
    if not receipts:
        return
    now = _now()
    conn.execute(
        _RECORD_RECEIPT,
        [
            {
                "b_id": row.outbox_id,
                "b_state": str(receipt.state),
                "b_remote_id": receipt.remote_id,
                "b_at": now,
            }
            for row, receipt in receipts
        ],
    )
    record_events(
        conn,
        [
            Change(
                row.document_id,
                str(receipt.state),
                cause,
                {"channel": channel.name, "remote_id": receipt.remote_id},
            )
            for row, receipt in receipts
        ],
    )
    for row, receipt in receipts:
        for status in receipt.events:
            _apply(conn, row.outbox_id, row.document_id, channel, status, findings)


# -- recovery ----------------------------------------------------------------------------


def _recover(
    store: Store,
    locks: _Locks,
    connection: str,
    channels: Mapping[str, Channel],
    budget: RetryBudget,
    summary: DeliverySummary,
) -> None:
    """Rows a crash left ``sending``: ask the channel; never send twice."""
    from delivery.base import CannotAsk, ChannelUnavailable

    with store.begin() as conn:
        rows = conn.execute(
            _connection_rows(connection).where(outbox.c.state == SENDING).order_by(outbox.c.id)
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
            claimed = _Claimed(row.id, row.document_id, row.channel, envelope)
            channel = channels.get(row.channel)
            if channel is None:
                summary.findings.append(_unknown_channel(row.channel, envelope.number))
                continue
            try:
                receipt = channel.lookup(envelope)
            except CannotAsk as failure:
                _in_doubt(store, row.id, channel, failure.reason)
                summary.in_doubt += 1
                continue
            except ChannelUnavailable as failure:
                summary.findings.append(
                    _finding(
                        f"invoice {envelope.number}: a crash left it being sent, and channel"
                        f" {channel.name} cannot be asked now: {failure.reason}",
                        hint="the next run asks again",
                    )
                )
                continue
            if receipt is not None:
                cause = f"channel {channel.name} (found after a crash, not sent again)"
                with store.begin() as conn:
                    _record_receipts(
                        conn, channel, [(claimed, receipt)], cause=cause, findings=summary.findings
                    )
                summary.delivered += 1
            else:
                checkpoint("claimed")
                _send_marked(store, channel, [claimed], budget, summary)
        finally:
            locks.release(row.id)


def _in_doubt(store: Store, outbox_id: int, channel: Channel, reason: str) -> None:
    message = (
        f"a crash came between the send and its record, and channel {channel.name}"
        f" cannot tell whether it was sent ({reason})"
    )
    with store.begin() as conn:
        document_id = _set_row(conn, outbox_id, state="in-doubt", last_error=message)
        _record(
            conn,
            document_id=document_id,
            state="in-doubt",
            cause="outbox: recovery",
            details={"reason": message},
        )


# -- polling -----------------------------------------------------------------------------


def _poll(
    store: Store,
    connection: str,
    channels: Mapping[str, Channel],
    summary: DeliverySummary,
) -> None:
    from delivery.base import ChannelError

    asked = [name for name, channel in channels.items() if channel.kind not in _SILENT]
    if not asked:
        return
    with store.begin() as conn:
        rows = conn.execute(
            _connection_rows(connection)
            .where(
                outbox.c.state.in_(_POLLED),
                outbox.c.remote_id.is_not(None),
                outbox.c.channel.in_(asked),
            )
            .order_by(outbox.c.id)
        ).all()
    envelopes: dict[int, Envelope] = {}
    for at, row in enumerate(rows):
        channel = channels.get(row.channel)
        if channel is None:
            continue
        if row.id not in envelopes:  # read by batches of the rows that follow
            envelopes.clear()
            with store.begin() as conn:
                envelopes = _envelopes(conn, [each.id for each in rows[at : at + _BATCH]])
        envelope = envelopes[row.id]
        try:
            answers = channel.poll(envelope, row.remote_id)
        except ChannelError as failure:
            summary.findings.append(
                _finding(f"invoice {envelope.number}: polling {channel.name}: {failure.reason}")
            )
            continue
        if not answers:
            continue
        with store.begin() as conn:
            for status in answers:
                _apply(conn, row.id, row.document_id, channel, status, summary.findings)


def _apply(
    conn: Connection,
    outbox_id: int,
    document_id: int,
    channel: Channel,
    status: StatusEvent,
    findings: list[Finding],
) -> None:
    """One status event of a channel, through the state machine; a refused move is
    recorded (with a finding) without changing the state, and not pushed."""
    from delivery.base import DeliveryState, TransitionRefused, transition

    if status.response_id is not None and _seen(conn, document_id, status.response_id):
        return
    current = DeliveryState(
        conn.execute(select(outbox.c.state).where(outbox.c.id == outbox_id)).scalar_one()
    )
    details: dict[str, Any] = {
        "channel": channel.name,
        "kind": status.kind,
        "code": status.code,
        "reasons": [list(reason) for reason in status.reasons],
        "message": status.message,
        "response_id": status.response_id,
        "findings": [finding.to_dict() for finding in status.findings],
    }
    refused: str | None = None
    if status.breaks_rules:
        refused = status.message or "the response breaks the Peppol code rules"
    else:
        try:
            new = transition(
                current,
                status.state,
                kind=status.kind,
                code=status.code,
                reasons=status.reasons,
            )
        except TransitionRefused as failure:
            refused = str(failure)
    if refused is not None:
        finding = _finding(f"channel {channel.name}: {refused}", rule="TRANSITION-REFUSED")
        findings.append(finding)
        details["refused"] = refused
        _record(
            conn,
            document_id=document_id,
            state=str(current),
            cause=f"channel {channel.name}: refused answer",
            details=details,
            pushed=True,  # nothing changed for the source
        )
        return
    if new != current:
        conn.execute(update(outbox).where(outbox.c.id == outbox_id).values(state=str(new)))
    what = f"{status.kind} {status.code}" if status.code else status.kind
    _record(
        conn,
        document_id=document_id,
        state=str(new),
        cause=f"channel {channel.name}: {what}",
        details=details,
    )


def _seen(conn: Connection, document_id: int, response_id: str) -> bool:
    for details in conn.execute(
        select(events.c.details).where(events.c.document_id == document_id)
    ).scalars():
        if isinstance(details, Mapping) and details.get("response_id") == response_id:
            return True
    return False
