"""The outbox: each document delivered at most once per idempotency key, whatever crashes.

:func:`enqueue` puts a built, valid document in the outbox (in the caller's
transaction); :func:`deliver` sends what is queued through its channel, recovers what a
crash left ``sending``, retries a channel that is down within a :class:`RetryBudget`,
polls the channels for the receivers' answers, and pushes every new event back to the
source system once; :func:`record_event` writes one state change of a document.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from connectors.base import Connector
    from delivery.base import Channel, Envelope
    from model.findings import Finding
    from sync.store import Store

__all__ = ["DeliverySummary", "RetryBudget", "deliver", "enqueue", "record_event"]


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

    The channel is the first of ``channels`` whose ``accepts(envelope)``. Returns False,
    doing nothing, when the idempotency key (connection, source record, content hash;
    :func:`sync.store.keys.idempotency_key`) is already in the outbox. Records a
    ``queued`` event; when no channel accepts the envelope the document becomes
    ``failed`` with that reason (and an event), and True is returned.
    """
    raise NotImplementedError


def deliver(
    store: Store,
    *,
    connection: str,
    channels: Mapping[str, Channel],
    source: Connector | None,
    budget: RetryBudget | None = None,
) -> DeliverySummary:
    """Deliver the queued documents of ``connection`` and push their events to ``source``.

    ``channels`` maps the settings' channel names to open channels. ``source`` None
    skips the status push (the events stay unpushed for a later run).
    """
    raise NotImplementedError


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
    document's new state, in the caller's transaction."""
    raise NotImplementedError
