"""One sync cycle of a connection: pull -> map -> build UBL -> validate -> record -> enqueue -> deliver.

:func:`sync_connection` pulls the connection's ``invoices`` from the cursor kept in the
store, page by page. Each page is built outside any transaction (:mod:`sync.documents`:
map, write under the connection's profile, hash, validate), then recorded in ONE
transaction together with the stream's cursor: a crash or a lost database leaves the
cursor where the last committed page left it, and the next cycle resumes there.

What happens to a record (the counts of :class:`CycleSummary`):

* its content hash (SHA-256 of the canonical UBL) is in the store for this connection
  already: ``unchanged``, nothing stored, queued or sent again. A renamed file has the
  same content: it is unchanged too;
* it builds and validates: a ``documents`` row (source id, BT-1, kind, dates, hash, model
  JSON, UBL, validation report, parse report of inbound UBL) and
  :func:`sync.outbox.enqueue` through the connection's channels;
* the validator finds fatal issues: the document is stored ``quarantined`` with its report,
  a ``quarantine`` row keeps the record data (for ``retry``), and an event is recorded so
  the source hears it was rejected by validation, with the rule ids and fix hints;
* the connector raises :class:`~connectors.errors.RecordError` (an unmapped code: the
  finding names the code and the mapping file to edit): a ``held`` quarantine row with its
  findings and record data; the writer refuses the model (a profile or calculation rule): a
  ``quarantined`` row of stage ``build``. A record held again unchanged is not held twice;
* an earlier version of the record was delivered (its document is sent or later, or its
  outbox row left ``queued``): the new version is stored as ``changed-after-delivery`` with
  the changed business terms (:func:`sync.changes.changed_terms`) on its event, and is
  never queued; a corrective credit note is the user's decision;
* an earlier version was not delivered yet: it is replaced. In the same transaction its
  outbox row, still ``queued``, becomes ``cancelled``, and the old document
  ``superseded`` (an event the source is not told of); the new version goes on as above.

File sources place records by when their files changed, so a pull alone misses a file
that arrives in the same clock tick as the last one of a pull, or a CSV row added later
with an older ``updated_at``. With a store the pull starts the connection's ``lookback``
before the stored cursor, and the seen content hashes skip what was already taken. The
look-back applies to every connector: what it reads again is skipped the same way.

After the pages, :func:`sync.outbox.deliver` sends what is queued, polls statuses and
pushes the events to the source (when it can take them: ``push_status``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, and_, select, update

from connectors.base import Capability, Cursor, DocumentSource, Record, Stream
from connectors.errors import ConnectorError
from sync.documents import Built, Held, Refused, build, record_data, record_from, validate
from sync.store.schema import (
    connections,
    cursors,
    documents,
    events,
    outbox,
    quarantine,
    tenants,
)

if TYPE_CHECKING:
    from connectors.base import Connector
    from delivery.base import Channel
    from model import Invoice
    from model.findings import Finding
    from sync.outbox import DeliverySummary
    from sync.store import Store

__all__ = [
    "DELIVERED_STATES",
    "TENANT",
    "CycleSummary",
    "deliver_queued",
    "retry_connection",
    "sync_connection",
]

TENANT: Final = "default"
"""The tenant the connections of a settings file belong to."""
DELIVERED_STATES: Final = frozenset(
    {"sent", "delivered", "accepted", "rejected", "paid", "in-doubt"}
)
"""Document states after a send began: a change of the source is ``changed-after-delivery``
(in-doubt counts: it may have reached the buyer)."""
_PENDING_OUTBOX: Final = frozenset({"queued", "cancelled"})


@dataclass(slots=True, kw_only=True)
class CycleSummary:
    """What one cycle did for one connection (``ledgerlink sync --format json``)."""

    pulled: int = 0
    """Records the pull handed out (look-back re-reads included)."""
    unchanged: int = 0
    """Records whose content hash the store holds already."""
    delivered: int = 0
    """Documents a channel took in this cycle."""
    quarantined: int = 0
    """Records refused by the writer or the validator."""
    held: int = 0
    """Records the connector could not map (RecordError: an unmapped code, ...)."""
    failed: int = 0
    """Documents no channel accepts, or a channel refused or gave up on."""
    changed: int = 0
    """Records that changed after their document was delivered (not re-sent)."""
    queued: int = 0
    """Documents put in the outbox in this cycle."""
    error: str | None = None
    """Why the connection stopped early (an unreachable source), else None."""
    findings: list[Finding] = field(default_factory=list)
    """What the delivery run reported without stopping."""

    def to_dict(self) -> dict[str, Any]:
        """The connection's object of ``sync --format json``: the six counts of the
        contract, then ``changed_after_delivery``, ``queued`` and ``error``."""
        return {
            "pulled": self.pulled,
            "unchanged": self.unchanged,
            "delivered": self.delivered,
            "quarantined": self.quarantined,
            "held": self.held,
            "failed": self.failed,
            "changed_after_delivery": self.changed,
            "queued": self.queued,
            "error": self.error,
        }

    @property
    def troubled(self) -> bool:
        """True when a record was quarantined, held or failed, or the source failed."""
        return bool(self.quarantined or self.held or self.failed or self.error)


def _now() -> datetime:
    return datetime.now(UTC)


# -- rows --------------------------------------------------------------------------------


def connection_id(conn: Connection, name: str, connector: str) -> int:
    """The ``connections`` row of ``name`` under the default tenant, created when missing."""
    tenant = conn.execute(select(tenants.c.id).where(tenants.c.key == TENANT)).scalar()
    if tenant is None:
        tenant = conn.execute(
            tenants.insert().values(key=TENANT, name=TENANT).returning(tenants.c.id)
        ).scalar_one()
    found = conn.execute(
        select(connections.c.id).where(
            connections.c.tenant_id == tenant, connections.c.name == name
        )
    ).scalar()
    if found is not None:
        return int(found)
    return int(
        conn.execute(
            connections.insert()
            .values(tenant_id=tenant, name=name, connector=connector)
            .returning(connections.c.id)
        ).scalar_one()
    )


def _stored_cursor(conn: Connection, connection: int) -> Cursor | None:
    row = conn.execute(
        select(cursors.c.value, cursors.c.tie_breaker).where(
            cursors.c.connection_id == connection, cursors.c.stream == Stream.INVOICES.value
        )
    ).first()
    return None if row is None else Cursor(value=row.value, tie_breaker=row.tie_breaker)


def _pull_from(stored: Cursor | None, lookback: timedelta) -> Cursor | None:
    """Where the pull starts: ``lookback`` before the stored cursor (a token as it is)."""
    if stored is None or stored.updated_at is None or not lookback:
        return stored
    return Cursor.start(stored.updated_at - lookback)


def _later(stored: Cursor | None, reached: Cursor) -> Cursor:
    """The cursor to store: never before the one stored (a look-back page ends earlier)."""
    if stored is None or stored.updated_at is None or reached.updated_at is None:
        return reached
    return max(stored, reached)


def _save_cursor(conn: Connection, connection: int, cursor: Cursor) -> None:
    where = and_(cursors.c.connection_id == connection, cursors.c.stream == Stream.INVOICES.value)
    changed = conn.execute(
        update(cursors).where(where).values(value=cursor.value, tie_breaker=cursor.tie_breaker)
    ).rowcount
    if not changed:
        conn.execute(
            cursors.insert().values(
                connection_id=connection,
                stream=Stream.INVOICES.value,
                value=cursor.value,
                tie_breaker=cursor.tie_breaker,
            )
        )


# -- one page ----------------------------------------------------------------------------

_INSERT_DOCUMENTS: Final = documents.insert().returning(
    documents.c.id, sort_by_parameter_order=True
)
"""The ``documents`` rows of a page, in one statement: their ids in the order given."""


@dataclass(slots=True)
class _Job:
    """What to record for one record of a page."""

    record: Record
    outcome: Built | Held | Refused
    report: tuple[Finding, ...] = ()


class _Recorder:
    """Records the outcomes of a connection's pages in the store."""

    def __init__(
        self,
        *,
        name: str,
        connection: int,
        channels: Sequence[Channel],
        summary: CycleSummary,
    ) -> None:
        self.name = name
        self.connection = connection
        self.channels = channels
        self.summary = summary
        self._page_seen: set[str] | None = None
        self._page_known: set[str] | None = None

    def seen(self, conn: Connection, hashes: Iterable[str]) -> set[str]:
        wanted = sorted(set(hashes))
        if not wanted:
            return set()
        return set(
            conn.execute(
                select(documents.c.content_hash).where(
                    documents.c.connection_id == self.connection,
                    documents.c.content_hash.in_(wanted),
                )
            ).scalars()
        )

    def _known(self, conn: Connection, source_ids: Iterable[str]) -> set[str]:
        """The source ids with a document or an open quarantine row of this connection: the
        only ones an earlier version can be resolved, superseded or compared for."""
        wanted = sorted(set(source_ids))
        if not wanted:
            return set()
        stored = select(documents.c.source_id).where(
            documents.c.connection_id == self.connection, documents.c.source_id.in_(wanted)
        )
        held = select(quarantine.c.source_id).where(
            quarantine.c.connection_id == self.connection,
            quarantine.c.source_id.in_(wanted),
            quarantine.c.resolved_at.is_(None),
        )
        return set(conn.execute(stored.union(held)).scalars())

    def record_page(self, conn: Connection, jobs: Sequence[_Job]) -> None:
        """Record a page's jobs in ``conn``: one query for the content hashes the store
        holds and one for the source ids it knows, instead of four per record. The new
        records (the common case: built and valid, their hash and source id unknown) need
        none of the per-record look-ups: each run of them is written with one statement
        per table (:meth:`_record_new`); the others go one by one (:meth:`record`), in
        page order."""
        hashes = [job.outcome.content_hash for job in jobs if isinstance(job.outcome, Built)]
        seen = self._page_seen = self.seen(conn, hashes)
        known = self._page_known = self._known(conn, [job.record.id for job in jobs])
        new: list[tuple[_Job, Built]] = []
        try:
            for job in jobs:
                built = job.outcome
                if (
                    isinstance(built, Built)
                    and built.content_hash not in seen
                    and job.record.id not in known
                    and not any(finding.fatal for finding in job.report)
                ):
                    seen.add(built.content_hash)
                    known.add(job.record.id)
                    new.append((job, built))
                    continue
                self._record_new(conn, new)
                new.clear()
                self.record(conn, job)
            self._record_new(conn, new)
        finally:
            self._page_seen = self._page_known = None

    def _record_new(self, conn: Connection, new: Sequence[tuple[_Job, Built]]) -> None:
        """New valid documents: their ``documents`` rows in one insert, then queued through
        the connection's channels together (:func:`sync.outbox.enqueue_batch`)."""
        if not new:
            return
        rows = [self._document_row(job.record, built, job.report) for job, built in new]
        ids = [int(each) for each in conn.execute(_INSERT_DOCUMENTS, rows).scalars()]
        if not self.channels:
            return  # no channel named: the documents stay built
        self._enqueue_many(
            conn, [(ids[at], job.record.id, built) for at, (job, built) in enumerate(new)]
        )

    def _enqueue_many(self, conn: Connection, documents_: Sequence[tuple[int, str, Built]]) -> None:
        from delivery.base import Envelope
        from sync.outbox import ToQueue, enqueue_batch
        from sync.store.keys import idempotency_key

        items = [
            ToQueue(
                document_id,
                source_id,
                built.content_hash,
                Envelope.for_invoice(
                    built.document,
                    built.ubl,
                    idempotency_key=idempotency_key(self.name, source_id, built.content_hash),
                    connection=self.name,
                ),
            )
            for document_id, source_id, built in documents_
        ]
        done = enqueue_batch(conn, items, connection=self.name, channels=self.channels)
        self.summary.queued += done.count("queued")
        self.summary.failed += done.count("no-channel")

    def record(self, conn: Connection, job: _Job) -> None:
        if isinstance(job.outcome, Held | Refused):
            self._quarantine(conn, job.record, job.outcome)
            if self._page_known is not None:
                self._page_known.add(job.record.id)
            return
        built = job.outcome
        page_seen = self._page_seen
        if (
            built.content_hash in page_seen
            if page_seen is not None
            else self.seen(conn, [built.content_hash])
        ):
            self.summary.unchanged += 1
            return
        delivered = None
        if self._page_known is None or job.record.id in self._page_known:
            self._resolve(conn, job.record.id)
            delivered = self._delivered_version(conn, job.record.id)
            if delivered is None:
                self._supersede(conn, job.record.id, built.content_hash)
        document_id = self._insert(conn, job.record, built, job.report)
        if page_seen is not None:
            page_seen.add(built.content_hash)
        if self._page_known is not None:
            self._page_known.add(job.record.id)
        if delivered is not None:
            self._changed(conn, document_id, delivered, built.document)
            return
        fatal = [finding for finding in job.report if finding.fatal]
        if fatal:
            self.invalid(conn, document_id, job.record, fatal)
            return
        self.enqueue(conn, document_id, job.record.id, built)

    # -- the cases -----------------------------------------------------------------------

    def _quarantine(self, conn: Connection, record: Record, outcome: Held | Refused) -> None:
        state, stage = ("held", "map") if isinstance(outcome, Held) else ("quarantined", "build")
        data = record_data(record)
        findings = [finding.to_dict() for finding in outcome.findings]
        open_rows = conn.execute(
            select(quarantine.c.id, quarantine.c.record, quarantine.c.findings).where(
                quarantine.c.connection_id == self.connection,
                quarantine.c.source_id == record.id,
                quarantine.c.resolved_at.is_(None),
                quarantine.c.document_id.is_(None),
            )
        ).all()
        for row in open_rows:
            if row.record == data and row.findings == findings:
                self.summary.unchanged += 1  # held or refused before, as it is now
                return
        self._resolve(conn, record.id)  # an older version of the record is replaced
        conn.execute(
            quarantine.insert().values(
                connection_id=self.connection,
                source_id=record.id,
                stage=stage,
                state=state,
                findings=findings,
                record=data,
            )
        )
        if state == "held":
            self.summary.held += 1
        else:
            self.summary.quarantined += 1

    def _resolve(self, conn: Connection, source_id: str) -> None:
        """Close the open quarantine rows of ``source_id``: a newer version replaces them."""
        conn.execute(
            update(quarantine)
            .where(
                quarantine.c.connection_id == self.connection,
                quarantine.c.source_id == source_id,
                quarantine.c.resolved_at.is_(None),
            )
            .values(resolved_at=_now())
        )

    def _delivered_version(self, conn: Connection, source_id: str) -> Any:
        """The latest document of ``source_id`` a send began for, or None."""
        sent_outbox = (
            select(outbox.c.id)
            .where(
                outbox.c.document_id == documents.c.id,
                outbox.c.state.not_in(sorted(_PENDING_OUTBOX)),
            )
            .exists()
        )
        return conn.execute(
            select(documents.c.id, documents.c.number, documents.c.model, documents.c.state)
            .where(
                documents.c.connection_id == self.connection,
                documents.c.source_id == source_id,
                documents.c.state.in_(sorted(DELIVERED_STATES)) | sent_outbox,
            )
            .order_by(documents.c.id.desc())
            .limit(1)
        ).first()

    def _supersede(self, conn: Connection, source_id: str, new_hash: str) -> None:
        """Older versions of ``source_id`` not delivered yet give way to the new one: a
        queued outbox row is cancelled, the document superseded (nothing to tell the source)."""
        older = conn.execute(
            select(documents.c.id).where(
                documents.c.connection_id == self.connection,
                documents.c.source_id == source_id,
                documents.c.state != "superseded",
            )
        ).scalars()
        for document_id in list(older):
            conn.execute(
                update(outbox)
                .where(outbox.c.document_id == document_id, outbox.c.state == "queued")
                .values(state="cancelled", last_error="replaced by a newer version")
            )
            state = conn.execute(
                select(documents.c.state).where(documents.c.id == document_id)
            ).scalar_one()
            now = _now()
            conn.execute(  # pushed_at set: the source changed it, there is nothing to tell it
                events.insert().values(
                    document_id=document_id,
                    at=now,
                    from_state=state,
                    to_state="superseded",
                    cause="pull: replaced before delivery by a newer version of the source record",
                    details={"content_hash": new_hash},
                    pushed_at=now,
                )
            )
            conn.execute(
                update(documents).where(documents.c.id == document_id).values(state="superseded")
            )

    def _document_row(
        self, record: Record, built: Built, report: Sequence[Finding]
    ) -> dict[str, Any]:
        from model.jsonio import to_data

        document = built.document
        return {
            "connection_id": self.connection,
            "source_id": record.id,
            "number": document.number,
            "kind": "credit-note" if document.kind.value == "credit_note" else "invoice",
            "type_code": document.type_code,
            "issue_date": document.issue_date,
            "due_date": document.due_date,
            "currency": document.currency,
            "payable_amount": document.totals.payable,
            "buyer_name": document.buyer.name,
            "profile": built.profile,
            "content_hash": built.content_hash,
            "model": to_data(document),
            "ubl": built.ubl,
            "validation_report": [finding.to_dict() for finding in report],
            "parse_report": (
                None
                if built.parse_report is None
                else [finding.to_dict() for finding in built.parse_report]
            ),
            "state": "built",
        }

    def _insert(
        self, conn: Connection, record: Record, built: Built, report: Sequence[Finding]
    ) -> int:
        return int(
            conn.execute(
                _INSERT_DOCUMENTS, [self._document_row(record, built, report)]
            ).scalar_one()
        )

    def _changed(self, conn: Connection, document_id: int, delivered: Any, new: Invoice) -> None:
        from model.jsonio import from_data
        from sync.changes import changed_terms
        from sync.outbox import record_event

        terms = changed_terms(from_data(delivered.model), new)
        record_event(
            conn,
            document_id=document_id,
            state="changed-after-delivery",
            cause=f"pull: the source changed invoice {delivered.number} after delivery",
            details={
                "reason": "not re-sent; issue a corrective credit note if it must change",
                "changed": terms,
                "delivered_document": int(delivered.id),
            },
        )
        self.summary.changed += 1

    def invalid(
        self, conn: Connection, document_id: int, record: Record, fatal: Sequence[Finding]
    ) -> None:
        from sync.outbox import record_event

        found = [finding.to_dict() for finding in fatal]
        record_event(
            conn,
            document_id=document_id,
            state="quarantined",
            cause="validation: rejected by the official validation",
            details={
                "rules": sorted({finding.rule for finding in fatal}),
                "hints": [finding.hint for finding in fatal if finding.hint],
                "findings": found,
            },
        )
        conn.execute(
            quarantine.insert().values(
                connection_id=self.connection,
                source_id=record.id,
                document_id=document_id,
                stage="validate",
                state="quarantined",
                findings=found,
                record=record_data(record),
            )
        )
        self.summary.quarantined += 1

    def enqueue(self, conn: Connection, document_id: int, source_id: str, built: Built) -> None:
        if not self.channels:
            return  # no channel named: the document stays built
        self._enqueue_many(conn, [(document_id, source_id, built)])


def _jobs(
    source: DocumentSource,
    records: Iterable[Record],
    profile: str,
    recorder: _Recorder,
    store: Store,
    *,
    every: bool = False,
) -> list[_Job]:
    """Build a page; validate only what the store has not seen (validation is the cost),
    or ``every`` document (a retry)."""
    jobs = [_Job(record, build(source, record, profile)) for record in records]
    hashes = [job.outcome.content_hash for job in jobs if isinstance(job.outcome, Built)]
    with store.begin() as conn:
        seen = recorder.seen(conn, hashes)
    for job in jobs:
        if isinstance(job.outcome, Built) and (every or job.outcome.content_hash not in seen):
            job.report = validate(job.outcome)
    return jobs


def sync_connection(
    store: Store,
    *,
    name: str,
    connector: Connector,
    kind: str,
    profile: str = "peppol-bis3",
    lookback: timedelta = timedelta(minutes=5),
    channels: Sequence[Channel] = (),
    deliver: bool = True,
) -> CycleSummary:
    """One cycle of connection ``name`` (see the module docstring).

    ``kind`` is its connector type (kept on the ``connections`` row). A source that fails
    (:class:`~connectors.errors.ConnectorError`) stops the pull: what was committed stays,
    :attr:`CycleSummary.error` says why, and delivery still runs. A store that fails
    raises :class:`~sync.store.StoreError`: the cursor stays at the last committed page.
    """
    summary = CycleSummary()
    if not isinstance(connector, DocumentSource):
        summary.error = f"connector {connector.name!r} cannot build documents (no invoices)"
        return summary
    with store.begin() as conn:
        connection = connection_id(conn, name, kind)
        stored = _stored_cursor(conn, connection)
    recorder = _Recorder(name=name, connection=connection, channels=channels, summary=summary)
    try:
        for page in connector.pull(Stream.INVOICES, _pull_from(stored, lookback)):
            jobs = _jobs(connector, page.records, profile, recorder, store)
            stored = _later(stored, page.next_cursor)
            with store.begin() as conn:
                recorder.record_page(conn, jobs)
                _save_cursor(conn, connection, stored)
            summary.pulled += len(page.records)
    except ConnectorError as failure:
        summary.error = str(failure)
    if deliver:
        _deliver(store, name, connector, channels, summary)
    return summary


def deliver_queued(
    store: Store, name: str, connector: Connector, channels: Sequence[Channel]
) -> DeliverySummary:
    """Send what connection ``name`` has queued through its ``channels`` and push each status
    back to ``connector`` when it takes statuses (:func:`sync.outbox.deliver`)."""
    from sync.outbox import deliver

    source = connector if Capability.PUSH_STATUS in connector.capabilities else None
    return deliver(
        store,
        connection=name,
        channels={channel.name: channel for channel in channels},
        source=source,
    )


def _deliver(
    store: Store,
    name: str,
    connector: Connector,
    channels: Sequence[Channel],
    summary: CycleSummary,
) -> None:
    done = deliver_queued(store, name, connector, channels)
    summary.delivered += done.delivered
    summary.failed += done.failed
    summary.findings.extend(done.findings)


def retry_connection(
    store: Store,
    *,
    name: str,
    connector: Connector,
    kind: str,
    profile: str = "peppol-bis3",
    channels: Sequence[Channel] = (),
    deliver: bool = True,
) -> CycleSummary:
    """Rebuild the held and quarantined records of ``name`` from their stored record data
    (after the user fixed the mapping or the source); what builds now goes on to the
    outbox, what still fails stays held or quarantined with its new findings."""
    summary = CycleSummary()
    if not isinstance(connector, DocumentSource):
        summary.error = f"connector {connector.name!r} cannot build documents (no invoices)"
        return summary
    with store.begin() as conn:
        connection = connection_id(conn, name, kind)
        rows = conn.execute(
            select(quarantine.c.id, quarantine.c.source_id, quarantine.c.record)
            .where(quarantine.c.connection_id == connection, quarantine.c.resolved_at.is_(None))
            .order_by(quarantine.c.id)
        ).all()
    recorder = _Recorder(name=name, connection=connection, channels=channels, summary=summary)
    for row in rows:
        if not isinstance(row.record, Mapping):
            continue
        record = record_from(dict(row.record))
        try:
            jobs = _jobs(connector, [record], profile, recorder, store, every=True)
        except ConnectorError as failure:
            summary.error = str(failure)
            break
        summary.pulled += 1
        with store.begin() as conn:
            conn.execute(
                update(quarantine).where(quarantine.c.id == row.id).values(resolved_at=_now())
            )
            for job in jobs:
                _retry_one(conn, recorder, job)
    if deliver:
        _deliver(store, name, connector, channels, summary)
    return summary


def _retry_one(conn: Connection, recorder: _Recorder, job: _Job) -> None:
    """A rebuilt record: one the store holds quarantined under the same hash is queued now
    when it validates (the fix was not in the document's bytes: the validation artifacts)."""
    from sync.outbox import record_event

    built = job.outcome
    if isinstance(built, Built):
        row = conn.execute(
            select(documents.c.id, documents.c.state).where(
                documents.c.connection_id == recorder.connection,
                documents.c.content_hash == built.content_hash,
            )
        ).first()
        if row is not None and row.state == "quarantined":
            if any(finding.fatal for finding in job.report):
                recorder.invalid(conn, row.id, job.record, [f for f in job.report if f.fatal])
                return
            conn.execute(
                update(documents)
                .where(documents.c.id == row.id)
                .values(validation_report=[finding.to_dict() for finding in job.report])
            )
            record_event(
                conn, document_id=row.id, state="built", cause="retry: valid now", details={}
            )
            recorder.enqueue(conn, row.id, job.record.id, built)
            return
    recorder.record(conn, job)
