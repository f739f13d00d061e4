"""A document's state changes: one ``events`` row each, and the document's new state.

Each event is pushed to the source once (:mod:`sync.push`) unless it is recorded as
pushed already (a change the source made itself, an answer the state machine refused).
:func:`record_events` writes a batch of changes with three statements, whatever their
number; :func:`record_event` is one change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import bindparam, select, update

from sync.store.schema import documents, events

if TYPE_CHECKING:
    from sqlalchemy import Connection

__all__ = ["Change", "record_event", "record_events"]


def _now() -> datetime:
    return datetime.now(UTC)


def record_event(
    conn: Connection,
    *,
    document_id: int,
    state: str,
    cause: str,
    details: Mapping[str, Any] | None = None,
    pushed: bool = False,
) -> None:
    """Record that document ``document_id`` is now ``state`` because of ``cause``: an
    ``events`` row (from the document's current state, not pushed yet unless ``pushed``)
    and the document's new state, in the caller's transaction.

    The next :func:`sync.outbox.deliver` pushes the event to the source (:mod:`sync.push`):
    ``details["reason"]`` and ``details["message"]`` are shown in the note, and
    ``details["findings"]`` (a list of ``Finding.to_dict()``) gives the rule ids and fix
    hints; a ``quarantined`` state is pushed as rejected by validation.
    """
    record_events(conn, [Change(document_id, state, cause, details, pushed)])


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


def record_events(
    conn: Connection, changes: Sequence[Change], *, states: Mapping[int, str] | None = None
) -> None:
    """:func:`record_event` for each of ``changes``, in order, with one query for the
    documents' current states, one insert of all the events and one update of the states
    that change. A document may appear more than once: each event starts from the state
    the one before it left. ``states``: the current states the caller knows already
    (documents it inserted in this transaction); only the others are queried."""
    if not changes:
        return
    current: dict[int, str] = dict(states or {})
    if missing := sorted({c.document_id for c in changes} - current.keys()):
        current.update((row.id, row.state) for row in conn.execute(_STATES, {"ids": missing}))
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
