"""How many documents of a connection each channel took or failed since a moment.

A cycle's :class:`~sync.pipeline.CycleSummary` counts ``delivered`` and ``failed`` per
connection only. The outbox knows the channel of each row, so the per-channel split is
read back from the store after the cycle (read only, two grouped queries):

* delivered: the rows whose receipt was recorded (``recorded_at``) at or after
  ``since``: what :func:`sync.sending.record_receipts` wrote in the cycle, recovered
  sends included, whatever state an answer moved them to since (``sent``,
  ``delivered``, ``accepted``...);
* failed: the rows that are ``failed`` and were last changed at or after ``since``.

:func:`per_channel` turns that into ``(stage, channel, amount)`` triples for the
daemon's counters. What the summary counted and no outbox row explains (a document
that no channel accepts has no outbox row) is given to channel ``""``, so the
counters add up to the summary's ``delivered`` and ``failed``.

``since`` is taken with the same clock as the rows' times (this process's UTC clock),
before the cycle starts; one cycle of a connection runs at a time, so the window holds
that cycle's rows (and any failure an access point's callback recorded meanwhile, which
is a failure on that channel too).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal, TypeAlias

from sqlalchemy import ColumnElement, Select, func, select

from sync.store.schema import connections, documents, outbox

if TYPE_CHECKING:
    from sync.store import Store

__all__ = ["DeliveryStage", "delivery_counts", "per_channel"]

DeliveryStage: TypeAlias = Literal["delivered", "failed"]


def _by_channel(connection: str, *where: ColumnElement[bool]) -> Select[str, int]:
    return (
        select(outbox.c.channel, func.count())
        .join(documents, documents.c.id == outbox.c.document_id)
        .join(connections, connections.c.id == documents.c.connection_id)
        .where(connections.c.name == connection, *where)
        .group_by(outbox.c.channel)
    )


def delivery_counts(
    store: Store, connection: str, since: datetime
) -> dict[tuple[DeliveryStage, str], int]:
    """``{(stage, channel): documents}`` of ``connection`` since ``since`` (timezone-aware);
    stages and channels with no document are left out."""
    if since.tzinfo is None:
        raise ValueError("since must be timezone-aware (the store keeps UTC times)")
    queries: tuple[tuple[DeliveryStage, Select[str, int]], ...] = (
        ("delivered", _by_channel(connection, outbox.c.recorded_at >= since)),
        (
            "failed",
            _by_channel(connection, outbox.c.state == "failed", outbox.c.updated_at >= since),
        ),
    )
    counts: dict[tuple[DeliveryStage, str], int] = {}
    with store.begin() as conn:
        for stage, query in queries:
            for channel, amount in conn.execute(query):
                counts[(stage, str(channel))] = int(amount)
    return counts


def per_channel(
    store: Store, connection: str, since: datetime, *, delivered: int, failed: int
) -> list[tuple[DeliveryStage, str, int]]:
    """``(stage, channel, amount)`` for each channel with documents delivered or failed
    since ``since`` (:func:`delivery_counts`), in channel order, plus channel ``""`` for
    the part of the summary's ``delivered`` and ``failed`` no outbox row explains."""
    counts = delivery_counts(store, connection, since)
    found: list[tuple[DeliveryStage, str, int]] = []
    totals: tuple[tuple[DeliveryStage, int], ...] = (("delivered", delivered), ("failed", failed))
    for stage, total in totals:
        mine = sorted((channel, n) for (each, channel), n in counts.items() if each == stage)
        found.extend((stage, channel, n) for channel, n in mine)
        rest = total - sum(n for _, n in mine)
        if rest > 0:
            found.append((stage, "", rest))
    return found
