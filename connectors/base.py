"""The connector protocol: streams, records, cursors and pages.

A connector pulls raw :class:`Record` objects from an accounting system, one
:class:`Page` at a time, each page carrying the :class:`Cursor` to resume from. It may
push a delivery status or a received payment back to the source document. A connector
that is also a :class:`DocumentSource` turns its ``invoices`` records into EN 16931
documents; a record it cannot turn into one raises :class:`~connectors.errors.RecordError`
(quarantine it, go on with the rest).

Incremental pulls order records by the key ``(updated_at, id)``. The cursor holds the
key of the last record handed out; :func:`select_after` drops every record at or before
it, so records sharing one ``updated_at`` are neither lost (the id breaks the tie) nor
repeated (the filter), whatever the page size and wherever a run stops.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable

if TYPE_CHECKING:  # the model and the mappings load only where documents are built
    import mappings
    from model import Invoice

__all__ = [
    "Capability",
    "CodeSource",
    "Connector",
    "Cursor",
    "DocumentRef",
    "DocumentSource",
    "DocumentStatus",
    "Page",
    "Payment",
    "Record",
    "RecordKey",
    "StatusUpdate",
    "Stream",
    "keyset_pages",
    "record_key",
    "select_after",
]


class Stream(enum.StrEnum):
    """What a connector can pull."""

    INVOICES = "invoices"  # invoices and credit notes
    PARTIES = "parties"
    PAYMENTS = "payments"


class Capability(enum.StrEnum):
    """What a connector can do; a connector declares a frozenset of these."""

    PULL_INVOICES = "pull_invoices"
    PULL_PARTIES = "pull_parties"
    PULL_PAYMENTS = "pull_payments"
    PUSH_STATUS = "push_status"
    PUSH_PAYMENT = "push_payment"


def _utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime; naive values are taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _id_order(record_id: str) -> tuple[int, int, str]:
    """Sort key for record ids: numeric ids by number (9 < 10), others by text after them."""
    if record_id.isdigit():
        return (0, int(record_id), "")
    return (1, 0, record_id)


class RecordKey(NamedTuple):
    """The total order of a stream: last change time, then record id."""

    updated_at: datetime
    id: tuple[int, int, str]


@dataclass(frozen=True, kw_only=True, slots=True)
class Record:
    """One raw record of the source system, before any mapping."""

    id: str
    updated_at: datetime
    data: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def key(self) -> RecordKey:
        """The record's position in its stream."""
        return record_key(self.updated_at, self.id)


def record_key(updated_at: datetime, record_id: str) -> RecordKey:
    """The stream position of a record changed at ``updated_at`` with id ``record_id``."""
    return RecordKey(_utc(updated_at), _id_order(record_id))


@dataclass(frozen=True, kw_only=True, slots=True, order=False)
class Cursor:
    """Where an incremental pull resumes: a value object, committed with its records.

    ``value`` is the ISO 8601 ``updated_at`` of the last record handed out, or an opaque
    token for sources that page by token (then ``tie_breaker`` is unused and the cursor is
    not ordered). ``tie_breaker`` is that record's id. ``lag`` widens the source query
    backwards (clock skew between source servers); records at or before the cursor that
    the wider query returns again are dropped by :func:`select_after`.
    """

    value: str
    tie_breaker: str = ""
    lag: timedelta = timedelta(0)

    @classmethod
    def start(cls, since: datetime, *, lag: timedelta = timedelta(0)) -> Cursor:
        """A cursor before every record changed at or after ``since``."""
        return cls(value=_utc(since).isoformat(), lag=lag)

    @property
    def updated_at(self) -> datetime | None:
        """The cursor's time, or None when ``value`` is an opaque token."""
        try:
            return _utc(datetime.fromisoformat(self.value))
        except ValueError:
            return None

    @property
    def key(self) -> RecordKey:
        """The cursor's stream position: records at or before it were handed out."""
        moment = self.updated_at
        if moment is None:
            raise ValueError(f"opaque cursor {self.value!r} has no stream position")
        return RecordKey(moment, _id_order(self.tie_breaker) if self.tie_breaker else (-1, 0, ""))

    @property
    def query_after(self) -> RecordKey:
        """The exclusive lower bound for the source query: the key minus ``lag``.

        With a lag the bound drops the tie-breaker, so the query starts before every
        record of that earlier moment.
        """
        if not self.lag:
            return self.key
        return RecordKey(self.key.updated_at - self.lag, (-1, 0, ""))

    def advance(self, record: Record) -> Cursor:
        """The cursor after handing out ``record``; never moves backwards."""
        if self.updated_at is not None and record.key <= self.key:
            return self
        return Cursor(
            value=_utc(record.updated_at).isoformat(), tie_breaker=record.id, lag=self.lag
        )

    def __lt__(self, other: Cursor) -> bool:
        return self.key < other.key

    def __le__(self, other: Cursor) -> bool:
        return self.key <= other.key

    def __gt__(self, other: Cursor) -> bool:
        return self.key > other.key

    def __ge__(self, other: Cursor) -> bool:
        return self.key >= other.key


class Page(NamedTuple):
    """One page of a pull: the records and the cursor that resumes after them."""

    records: tuple[Record, ...]
    next_cursor: Cursor


def select_after(records: Iterable[Record], cursor: Cursor | None) -> tuple[Record, ...]:
    """The records strictly after ``cursor``, in stream order, each id once.

    ``records`` may overlap what was handed out before (a lagged query, a page fetched
    twice); everything at or before the cursor's ``(updated_at, id)`` is dropped.
    """
    unique = {record.id: record for record in records}
    ordered = sorted(unique.values(), key=lambda record: record.key)
    if cursor is None:
        return tuple(ordered)
    boundary = cursor.key
    return tuple(record for record in ordered if record.key > boundary)


def keyset_pages(
    fetch: Callable[[RecordKey | None, int], list[Record]],
    cursor: Cursor | None,
    *,
    page_size: int,
    lag: timedelta = timedelta(0),
) -> Iterator[Page]:
    """Keyset pagination over a source ordered by ``(updated_at, id)``.

    ``fetch(after, limit)`` returns up to ``limit`` records with a key strictly greater
    than ``after`` (all records when None), in stream order. The first query starts at
    the cursor minus its lag; later queries continue after the last fetched record, so
    a run never loops on a page of already-seen records.
    """
    current = cursor
    after = current.query_after if current is not None else None
    while True:
        fetched = fetch(after, page_size)
        if not fetched:
            return
        fresh = select_after(fetched, current)
        for record in fresh:
            current = _advance(current, record, lag)
        if current is not None:
            yield Page(fresh, current)
        after = max(record.key for record in fetched)
        if len(fetched) < page_size:
            return


def _advance(cursor: Cursor | None, record: Record, lag: timedelta) -> Cursor:
    """``cursor`` advanced past ``record``; a new cursor with ``lag`` when there was none."""
    if cursor is None:
        return Cursor(value=_utc(record.updated_at).isoformat(), tie_breaker=record.id, lag=lag)
    return cursor.advance(record)


class DocumentStatus(enum.StrEnum):
    """The delivery state of a document, as pushed back to the source system."""

    SENT = "sent"
    DELIVERED = "delivered"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    FAILED = "failed"
    QUEUED = "queued"
    """In ledgerlink's outbox, waiting for its channel."""
    PAID = "paid"
    """The buyer announced full payment (Peppol Invoice Response PD)."""
    IN_DOUBT = "in-doubt"
    """A crash came between send and record on a channel that cannot be asked: the user
    decides (``ledgerlink outbox resolve``)."""
    REJECTED_BY_VALIDATION = "rejected-by-validation"
    """Built but invalid, so never sent; the message names the rule ids and fix hints."""
    CHANGED_AFTER_DELIVERY = "changed-after-delivery"
    """The source changed a business term after delivery; a credit note is the user's call."""


@dataclass(frozen=True, kw_only=True, slots=True)
class DocumentRef:
    """Which source document a push is about: the source's record id and BT-1 number."""

    record_id: str
    number: str


@dataclass(frozen=True, kw_only=True, slots=True)
class StatusUpdate:
    """A status to record on the source document, with an optional UBL copy to attach."""

    status: DocumentStatus
    message: str = ""
    ubl: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True, kw_only=True, slots=True)
class Payment:
    """A payment received against a document (BT-113 paid amount, in BT-5 currency)."""

    amount: Decimal
    currency: str
    paid_on: date
    reference: str | None = None


@runtime_checkable
class Connector(Protocol):
    """What every connector module offers."""

    @property
    def name(self) -> str:
        """The connection name, as in the settings file."""
        ...

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What this connector supports; callers check before calling."""
        ...

    def pull(self, stream: Stream, cursor: Cursor | None) -> Iterator[Page]:
        """Records of ``stream`` after ``cursor`` (all when None), page by page."""
        ...

    def push_status(self, document_ref: DocumentRef, status: StatusUpdate) -> None:
        """Record a delivery status on the source document."""
        ...

    def push_payment(self, document_ref: DocumentRef, payment: Payment) -> None:
        """Register a received payment (partial payments included) on the source document."""
        ...


@runtime_checkable
class DocumentSource(Protocol):
    """A connector whose ``invoices`` records map to EN 16931 documents."""

    def document(self, record: Record) -> Invoice:
        """The invoice or credit note (BG-0) of one ``invoices`` record.

        Raises :class:`~connectors.errors.RecordError` naming the record and what to fix
        (an unmapped code and the mapping file, a file and line, a totals mismatch).
        """
        ...


@runtime_checkable
class CodeSource(Protocol):
    """A connector whose records hold the source system's own codes, turned into EN 16931
    codes through a mapping file (``mappings/<system>.toml``)."""

    @property
    def mapping(self) -> mappings.Mapping:
        """The mapping it uses: the system's file with the connection's overrides on top."""
        ...

    def codes(self, record: Record) -> Iterator[tuple[str, str, str]]:
        """``(mapping table, code, where)`` for every code of an ``invoices`` record that goes
        through the mapping: table as in the mapping file (``vat``, ``units``,
        ``payment_methods``, ``currencies``, ``countries``), the code as the source writes it,
        and where it was seen (document number, line)."""
        ...
