"""The receivers' answers: polled from the channels, applied through the state machine.

:func:`poll_answers` asks each channel that answers for the status events of the sent
documents; :func:`apply_status` applies one event (also one that came with a receipt)
through :func:`delivery.base.transition`. A move the machine refuses is recorded with a
finding, without changing the state; an answer seen before (its ``response_id``) is
skipped, so polling again after a restart records nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import select, update

from sync.enqueue import envelopes
from sync.events import record_event
from sync.outcome import finding
from sync.sending import connection_rows
from sync.store.schema import events, outbox

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from delivery.base import Channel, Envelope, StatusEvent
    from model.findings import Finding
    from sync.outcome import DeliverySummary
    from sync.store import Store

__all__ = ["apply_status", "poll_answers"]

_POLLED: Final = ("sent", "delivered", "accepted")
"""The states a receiver may still answer to (nothing follows rejected or paid)."""
_SILENT: Final = frozenset({"directory", "smtp"})
"""Channel kinds that never answer (their ``poll`` is always empty): not polled, which
saves reading every delivered document on every run."""
_BATCH: Final = 100
"""Envelopes read per query while polling."""


def poll_answers(
    store: Store,
    connection: str,
    channels: Mapping[str, Channel],
    summary: DeliverySummary,
) -> None:
    """Ask the channels that answer (not the directory, not SMTP) for the news on every
    sent document of ``connection``, and apply each answer (:func:`apply_status`)."""
    from delivery.base import ChannelError

    asked = [name for name, channel in channels.items() if channel.kind not in _SILENT]
    if not asked:
        return
    with store.begin() as conn:
        rows = conn.execute(
            connection_rows(connection)
            .where(
                outbox.c.state.in_(_POLLED),
                outbox.c.remote_id.is_not(None),
                outbox.c.channel.in_(asked),
            )
            .order_by(outbox.c.id)
        ).all()
    read: dict[int, Envelope] = {}
    for at, row in enumerate(rows):
        channel = channels.get(row.channel)
        if channel is None:
            continue
        if row.id not in read:  # read by batches of the rows that follow
            with store.begin() as conn:
                read = envelopes(conn, [each.id for each in rows[at : at + _BATCH]])
        envelope = read[row.id]
        try:
            answers = channel.poll(envelope, row.remote_id)
        except ChannelError as failure:
            summary.findings.append(
                finding(f"invoice {envelope.number}: polling {channel.name}: {failure.reason}")
            )
            continue
        if not answers:
            continue
        with store.begin() as conn:
            for status in answers:
                apply_status(conn, row.id, row.document_id, channel, status, summary.findings)


def apply_status(
    conn: Connection,
    outbox_id: int,
    document_id: int,
    channel: Channel | str,
    status: StatusEvent,
    findings: list[Finding],
    *,
    extra: Mapping[str, Any] | None = None,
) -> bool:
    """One status event of a channel (or of the channel named so), through the state
    machine; a refused move is recorded (with a finding) without changing the state, and
    not pushed. ``extra`` is added to the event's details (a webhook's event id).
    Returns False when the answer (its ``response_id``) was recorded before: nothing done."""
    from delivery.base import DeliveryState, TransitionRefused, transition

    name = channel if isinstance(channel, str) else channel.name
    if status.response_id is not None and _seen(conn, document_id, status.response_id):
        return False
    current = DeliveryState(
        conn.execute(select(outbox.c.state).where(outbox.c.id == outbox_id)).scalar_one()
    )
    details: dict[str, Any] = {
        **(extra or {}),
        "channel": name,
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
        findings.append(finding(f"channel {name}: {refused}", rule="TRANSITION-REFUSED"))
        details["refused"] = refused
        record_event(
            conn,
            document_id=document_id,
            state=str(current),
            cause=f"channel {name}: refused answer",
            details=details,
            pushed=True,  # nothing changed for the source
        )
        return True
    if new != current:
        conn.execute(update(outbox).where(outbox.c.id == outbox_id).values(state=str(new)))
    what = f"{status.kind} {status.code}" if status.code else status.kind
    record_event(
        conn,
        document_id=document_id,
        state=str(new),
        cause=f"channel {name}: {what}",
        details=details,
    )
    return True


def _seen(conn: Connection, document_id: int, response_id: str) -> bool:
    for details in conn.execute(
        select(events.c.details).where(events.c.document_id == document_id)
    ).scalars():
        if isinstance(details, Mapping) and details.get("response_id") == response_id:
            return True
    return False
