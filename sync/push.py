"""Status back to the source: every event not pushed yet, once, in order.

Each event row with ``pushed_at`` NULL is pushed through ``source.push_status`` and
marked pushed in its own transaction right after the push succeeded. A crash between
the push and the mark pushes that event again on the next run; the source recognises
the repeat because the note text is unique to the event and stable (it ends with
``[ledgerlink event N]``): Tryton writes no second identical note. So the source holds
exactly one note per status transition.

States the source has no status for (``built``, ``held``) are marked as pushed without
a push. A quarantined document is pushed as ``rejected-by-validation`` with its rule
ids and fix hints (the event's ``details["findings"]``, ``Finding.to_dict()`` each).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import select, update

from sync.store.schema import connections, documents, events

if TYPE_CHECKING:
    from connectors.base import Connector, DocumentStatus
    from sync.outcome import DeliverySummary
    from sync.store import Store

__all__ = ["note_text", "push_events", "status_for"]

_UBL_STATES: Final = frozenset({"sent", "delivered"})
"""The events whose push carries the UBL as an attachment."""
_MAX_FINDINGS: Final = 10


def status_for(state: str) -> DocumentStatus | None:
    """The source status of a document state; None for a state the source is not told."""
    from connectors.base import DocumentStatus

    if state == "quarantined":
        return DocumentStatus.REJECTED_BY_VALIDATION
    try:
        return DocumentStatus(state)
    except ValueError:
        return None


def _findings_text(details: Mapping[str, Any]) -> str:
    from model.findings import Finding

    found = [
        Finding.from_dict(each)
        for each in details.get("findings") or ()
        if isinstance(each, Mapping)
    ]
    parts = []
    for finding in found[:_MAX_FINDINGS]:
        text = f"{finding.rule}: {finding.message}"
        if finding.hint:
            text += f" (fix: {finding.hint})"
        parts.append(text)
    if len(found) > _MAX_FINDINGS:
        parts.append(f"and {len(found) - _MAX_FINDINGS} more")
    return "; ".join(parts)


def note_text(event_id: int, cause: str, details: Mapping[str, Any]) -> str:
    """The message pushed for event ``event_id``: what happened, and the event id, so the
    same event always gives the same text and two events never give the same one."""
    parts = [cause]
    for key in ("reason", "message"):
        if details.get(key):
            parts.append(str(details[key]))
    if details.get("code"):
        parts.append(f"code {details['code']}")
    if details.get("remote_id"):
        parts.append(f"remote id {details['remote_id']}")
    if findings := _findings_text(details):
        parts.append(findings)
    return f"{'; '.join(parts)} [ledgerlink event {event_id}]"


def push_events(
    store: Store,
    *,
    connection: str,
    source: Connector,
    summary: DeliverySummary,
) -> None:
    """Push the unpushed events of ``connection``'s documents to ``source``, oldest first.

    A push that fails is a finding; the later events of that document wait for the next
    run (so the source sees them in order), the other documents go on.
    """
    from connectors.base import DocumentRef, StatusUpdate
    from sync.outcome import finding
    from sync.sending import passed

    with store.begin() as conn:
        rows = conn.execute(
            select(
                events.c.id,
                events.c.document_id,
                events.c.to_state,
                events.c.cause,
                events.c.details,
                documents.c.source_id,
                documents.c.number,
            )
            .join(documents, documents.c.id == events.c.document_id)
            .join(connections, connections.c.id == documents.c.connection_id)
            .where(connections.c.name == connection, events.c.pushed_at.is_(None))
            .order_by(events.c.id)
        ).all()
    stopped: set[int] = set()
    for row in rows:
        if row.document_id in stopped:
            continue
        status = status_for(row.to_state)
        if status is not None:
            ubl = None
            if row.to_state in _UBL_STATES:
                with store.begin() as conn:
                    ubl = conn.execute(
                        select(documents.c.ubl).where(documents.c.id == row.document_id)
                    ).scalar_one()
            details = row.details if isinstance(row.details, Mapping) else {}
            try:
                source.push_status(
                    DocumentRef(record_id=row.source_id, number=row.number),
                    StatusUpdate(
                        status=status,
                        message=note_text(row.id, row.cause, details),
                        ubl=bytes(ubl) if ubl is not None else None,
                    ),
                )
            except Exception as failure:  # a source error must not stop the others
                stopped.add(row.document_id)
                summary.findings.append(
                    finding(
                        f"invoice {row.number}: pushing status {status} to {connection}"
                        f" failed: {failure}",
                        rule="PUSH-FAILED",
                        hint="the next run pushes it again",
                    )
                )
                continue
            passed("pushed")
            summary.pushed += 1
        with store.begin() as conn:
            conn.execute(
                update(events)
                .where(events.c.id == row.id, events.c.pushed_at.is_(None))
                .values(pushed_at=datetime.now(UTC))
            )
