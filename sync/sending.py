"""Sending claimed outbox rows and recording what became of them.

:func:`send_marked` sends rows already marked ``sending`` through their channel in one
batch (:func:`delivery.base.send_batch`) and records every outcome in one transaction
(:func:`record_receipts` for the receipts). It passes the points ``sent`` (per receipt,
before the record) and ``recorded`` (per receipt, after the commit) of the
fault-injection seam :data:`sync.outbox.checkpoint`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import bindparam, select, update

from sync.events import Change, record_event, record_events
from sync.outcome import finding
from sync.store.schema import connections, documents, outbox

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from delivery.base import Channel, Envelope, Receipt
    from model.findings import Finding
    from sync.outcome import DeliverySummary, RetryBudget
    from sync.store import Store

__all__ = [
    "SENDING",
    "Claimed",
    "connection_rows",
    "passed",
    "record_receipts",
    "send_marked",
    "set_row",
]

SENDING: Final = "sending"
"""The outbox state of a row claimed for a send: committed before the send, so a crash
after it is visible to the next run."""


def _now() -> datetime:
    return datetime.now(UTC)


def passed(point: str) -> None:
    """Tell the fault-injection seam that a delivery passed ``point``: the seam is
    :data:`sync.outbox.checkpoint`, looked up at each call, where the tests replace it."""
    from sync import outbox

    outbox.checkpoint(point)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A queued row this run owns: its ids, channel name and envelope."""

    outbox_id: int
    document_id: int
    channel: str
    envelope: Envelope


def connection_rows(connection: str) -> Any:
    """The outbox rows of the documents of ``connection`` (a query to narrow)."""
    return (
        select(outbox)
        .join(documents, documents.c.id == outbox.c.document_id)
        .join(connections, connections.c.id == documents.c.connection_id)
        .where(connections.c.name == connection)
    )


def send_marked(
    store: Store,
    channel: Channel,
    rows: Sequence[Claimed],
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
            passed("sent")
    receipts: list[tuple[Claimed, Receipt]] = []
    with store.begin() as conn:
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, ChannelUnavailable):
                _unavailable(conn, row, channel, result.reason, budget, summary)
            elif isinstance(result, ChannelRefused):
                _fail(conn, row, f"channel {channel.name} refused it: {result.reason}")
                summary.failed += 1
            elif isinstance(result, ChannelError):
                summary.findings.append(
                    finding(
                        f"invoice {row.envelope.number}: channel {channel.name} may or may not"
                        f" have taken it: {result.reason}",
                        hint="the next run asks the channel; one that cannot tell makes it"
                        " in-doubt, for `ledgerlink outbox resolve`",
                    )
                )
            else:
                receipts.append((row, result))
        record_receipts(
            conn, channel, receipts, cause=f"channel {channel.name}", findings=summary.findings
        )
    summary.delivered += len(receipts)
    for _ in receipts:
        passed("recorded")


def _unavailable(
    conn: Connection,
    row: Claimed,
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


def _fail(conn: Connection, row: Claimed, reason: str) -> None:
    set_row(conn, row.outbox_id, state="failed", last_error=reason)
    record_event(
        conn,
        document_id=row.document_id,
        state="failed",
        cause="outbox",
        details={"reason": reason},
    )


def set_row(conn: Connection, outbox_id: int, **values: Any) -> int:
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


def record_receipts(
    conn: Connection,
    channel: Channel,
    receipts: Sequence[tuple[Claimed, Receipt]],
    *,
    cause: str,
    findings: list[Finding],
) -> None:
    """The receipts of ``receipts``' rows and their events, in the caller's transaction:
    one update of the rows, one insert of the events (:func:`record_events`), then the
    status events that came with a receipt, through the state machine."""
    from sync.answers import apply_status

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
            apply_status(conn, row.outbox_id, row.document_id, channel, status, findings)
