"""The access point's status callbacks, applied to the store like polled answers.

:func:`apply_callback` takes one callback whose signature was verified
(:func:`delivery.webhooks.verify`, :func:`delivery.webhooks.parse_callback`) and
applies its answer (an MLR or Invoice Response) to the document it names, through the
same state machine as polling (:func:`sync.answers.apply_status`,
:func:`delivery.base.transition`): the new state is computed from the document's
current one; a move the machine refuses is recorded with a finding and the state stays.

Nothing is recorded twice: a callback whose ``event_id`` was recorded before, or whose
answer (``response.id``) was recorded before (by an earlier callback or by polling), is
a replay and changes nothing (:attr:`CallbackOutcome.result` ``replayed``, not an
error). The event carries ``details["webhook_event_id"]``.

A callback for a document that this channel's outbox does not know (neither the
idempotency key nor the remote id) is a finding (``unknown``), and so is one whose
remote id contradicts the one recorded. A callback for a document whose send is not
recorded yet (still ``sending`` or ``queued``: the access point can answer before the
sender has written its receipt) is ``not-sent``, for the access point to try again.

One callback at a time per process (a lock), and on PostgreSQL the outbox row is locked
(``SELECT ... FOR UPDATE``) for the transaction, so two daemons that get the same
callback at once record it once.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final, Literal, TypeAlias

from sqlalchemy import select

from sync.answers import apply_status
from sync.events import record_event
from sync.outcome import finding
from sync.store.schema import documents, events, outbox

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from delivery.webhooks import Callback
    from model.findings import Finding
    from sync.store import Store

__all__ = ["CallbackOutcome", "CallbackResult", "apply_callback"]

CallbackResult: TypeAlias = Literal["applied", "refused", "replayed", "not-sent", "unknown"]
"""``applied``: recorded, through the state machine. ``refused``: recorded with a
finding, the state unchanged (the answer breaks the code rules). ``replayed``: recorded
before, nothing done. ``not-sent``: the send is not recorded yet, try again later.
``unknown``: no document of this channel has that key or remote id (a finding)."""

_NOT_SENT_YET: Final = frozenset({"sending", "queued"})
_LOCK: Final = threading.Lock()


@dataclass(frozen=True, slots=True)
class CallbackOutcome:
    """What one callback did: its result, one readable line, the document (store id and
    invoice number BT-1) and its state after, and the findings."""

    result: CallbackResult
    message: str
    document_id: int | None = None
    number: str | None = None
    state: str | None = None
    findings: tuple[Finding, ...] = ()


def _event_seen(conn: Connection, document_id: int, event_id: str) -> bool:
    for details in conn.execute(
        select(events.c.details).where(events.c.document_id == document_id)
    ).scalars():
        if isinstance(details, Mapping) and details.get("webhook_event_id") == event_id:
            return True
    return False


def apply_callback(store: Store, channel: str, callback: Callback) -> CallbackOutcome:
    """Apply ``callback`` (verified, for the channel named ``channel``) to the store: see
    the module docstring. Database failures raise (:class:`~sync.store.StoreUnavailable`)."""
    with _LOCK, store.begin() as conn:
        return _apply(conn, channel, callback)


def _apply(conn: Connection, channel: str, callback: Callback) -> CallbackOutcome:
    from delivery.base import DeliveryState, TransitionRefused, response_state

    query = (
        select(
            outbox.c.id,
            outbox.c.document_id,
            outbox.c.state,
            outbox.c.remote_id,
            documents.c.number,
            documents.c.state.label("document_state"),
        )
        .join(documents, documents.c.id == outbox.c.document_id)
        .where(outbox.c.channel == channel)
    )
    if callback.idempotency_key is not None:
        query = query.where(outbox.c.idempotency_key == callback.idempotency_key)
    else:
        query = query.where(outbox.c.remote_id == callback.remote_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(of=outbox)
    row = conn.execute(query.order_by(outbox.c.id)).first()
    where = f"channel {channel}: callback {callback.event_id}"
    if row is None:
        message = f"{where} names {callback.document}, which no document sent through it has"
        return CallbackOutcome(
            "unknown",
            message,
            findings=(
                finding(
                    message,
                    rule="WEBHOOK-UNKNOWN-DOCUMENT",
                    hint="check the access point's callback URL: it may be meant for another "
                    "channel or another ledgerlink store",
                ),
            ),
        )
    number, document_id = str(row.number), int(row.document_id)
    if (
        callback.remote_id is not None
        and row.remote_id is not None
        and row.remote_id != callback.remote_id
    ):
        message = (
            f"{where} for invoice {number}: remote id {callback.remote_id} is not the one "
            f"recorded ({row.remote_id})"
        )
        return CallbackOutcome(
            "unknown",
            message,
            document_id,
            number,
            row.state,
            (finding(message, rule="WEBHOOK-UNKNOWN-DOCUMENT"),),
        )
    if _event_seen(conn, document_id, callback.event_id):
        return CallbackOutcome(
            "replayed", f"{where}: recorded before", document_id, number, row.state
        )
    if row.state in _NOT_SENT_YET:
        return CallbackOutcome(
            "not-sent",
            f"{where} for invoice {number}: its send is not recorded yet ({row.state})",
            document_id,
            number,
            row.state,
        )
    extra = {
        "webhook_event_id": callback.event_id,
        "webhook_at": callback.at.isoformat(),
    }
    findings: list[Finding] = []
    try:
        current = DeliveryState(row.state)
    except ValueError:  # cancelled: a newer version of the document took its place
        message = f"{where} for invoice {number}: its delivery is {row.state}; not applied"
        findings.append(finding(message, rule="TRANSITION-REFUSED"))
        record_event(
            conn,
            document_id=document_id,
            state=str(row.document_state),
            cause=f"channel {channel}: refused answer",
            details={**extra, "channel": channel, "refused": message},
            pushed=True,
        )
        return CallbackOutcome("refused", message, document_id, number, row.state, tuple(findings))
    status = callback.status
    with suppress(TransitionRefused):  # apply_status meets the same refusal and records it
        status = replace(
            status, state=response_state(current, status.kind, status.code or "", status.reasons)
        )
    if not apply_status(conn, int(row.id), document_id, channel, status, findings, extra=extra):
        return CallbackOutcome(
            "replayed",
            f"{where}: answer {status.response_id} recorded before",
            document_id,
            number,
            row.state,
        )
    state = conn.execute(select(outbox.c.state).where(outbox.c.id == row.id)).scalar_one()
    what = f"{status.kind} {status.code}"
    if findings:
        return CallbackOutcome(
            "refused",
            f"{where} for invoice {number}: {what} refused: {findings[0].message}",
            document_id,
            number,
            state,
            tuple(findings),
        )
    return CallbackOutcome(
        "applied",
        f"{where} for invoice {number}: {what}, now {state}",
        document_id,
        number,
        state,
        status.findings,
    )
