"""Documents into the outbox: one row per idempotency key, with the envelope to rebuild.

:func:`enqueue` (one document) and :func:`enqueue_batch` (a page's documents, with one
statement per table) choose each document's channel, write its ``queued`` outbox row
and its ``queued`` event, in the caller's transaction. The event keeps the envelope's
addresses, so :func:`envelope_of` and :func:`envelopes` rebuild the envelope from the
store alone, in any later run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from sqlalchemy import bindparam, select

from sync.events import Change, record_events
from sync.store.keys import idempotency_key
from sync.store.schema import connections, documents, events, outbox

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from delivery.base import Channel, Envelope

__all__ = ["Enqueued", "ToQueue", "enqueue", "enqueue_batch", "envelope_of", "envelopes"]


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
    states: Mapping[int, str] | None = None,
) -> list[Enqueued]:
    """:func:`enqueue` for each of ``items``, in the caller's transaction, with one query
    for the keys the outbox holds, one insert of the outbox rows and one of the events
    (:func:`record_events`); what became of each item, in order. ``states``: the
    documents' current states when the caller knows them (rows it just inserted), passed
    on to :func:`record_events`."""
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
    record_events(conn, changes, states=states)
    return done


def envelope_of(conn: Connection, outbox_id: int) -> Envelope:
    """The envelope of outbox row ``outbox_id``, rebuilt from its document's UBL and the
    addresses its ``queued`` event keeps."""
    return envelopes(conn, [outbox_id])[outbox_id]


def envelopes(conn: Connection, outbox_ids: Sequence[int]) -> dict[int, Envelope]:
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
