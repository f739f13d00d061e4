"""One sync cycle of a connection: pull -> map -> build UBL -> validate -> record -> enqueue -> deliver.

:func:`sync_connection` pulls the connection's ``invoices`` from the cursor kept in the
store, page by page. Each page is built outside any transaction (:mod:`sync.documents`:
map, write under the connection's profile, hash, validate), then recorded in ONE
transaction together with the stream's cursor (:class:`sync.recorder.Recorder` writes
the page): a crash or a lost database leaves the cursor where the last committed page
left it, and the next cycle resumes there.

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

Each page's queued documents are sent right after its commit (:func:`sync.outbox.send_due`).
With a :class:`~sync.validation.ValidationPool` the next page is pulled, built and handed
to the pool's worker processes before a page is recorded, so validation runs beside the
engine's own work (reading, recording, sending) instead of after it; a source whose
records can be mapped elsewhere (:class:`~sync.documents.DetachingSource`: model-JSON
files) has them mapped there too, a record the workers cannot map held as it would be
here. Every write, and the decision what a record is, stays in this process, in page
order. The workers also
write each valid document's file ahead for a channel that can take it so (the directory
channel: a hidden, fsynced file, :mod:`delivery.directory_staging`): what the send does
here, once the outbox row is ``sending``, is then a link and a folder fsync. After the pages,
:func:`sync.outbox.deliver` recovers, sends what is left, polls statuses and pushes the
events to the source (when it can take them: ``push_status``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, cast

from sqlalchemy import Connection, and_, select, update

from connectors.base import Capability, Cursor, DocumentSource, Page, Record, Stream
from connectors.errors import ConnectorError
from sync.credit_hold import CreditPolicy, credit_cycle
from sync.documents import (
    Built,
    Detached,
    DetachingSource,
    Held,
    Mapped,
    ParsingSource,
    Refused,
    built,
    built_detached,
    map_record,
    record_from,
)
from sync.recorder import DELIVERED_STATES, Job, Recorder
from sync.store.schema import connections, cursors, documents, quarantine, tenants
from sync.store.statistics import Statistics
from sync.validation import INLINE, Draft, Pending, Stager, Validator

if TYPE_CHECKING:
    from connectors.base import Connector
    from delivery.base import Channel, Envelope
    from model.findings import Finding
    from sync.control import RunControl
    from sync.outcome import DeliverySummary
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
    stopped: bool = False
    """The runner asked the cycle to stop (a daemon's SIGTERM): the pull ended after a page;
    the next cycle resumes from the committed cursor."""
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


_Started = list[tuple[Record, Held | tuple[Mapped | str, Pending]]]
"""A page handed to a validator: each record, what mapping it gave and, for a mapped one,
its outcome to come; for one mapped by the validator (a detached mapping), the profile
setting and its outcome to come (which may be :class:`Held`)."""


def _mapping(
    source: DocumentSource,
    record: Record,
    profile: str,
    *,
    parsing: bool,
    detaching: bool,
) -> Mapped | Held | Detached:
    """``record`` mapped here (:func:`map_record`), or, when ``detaching`` and the source
    offers it, its mapping to run where the document is written (a pool's worker)."""
    if detaching:
        job = cast(DetachingSource, source).detached(record)
        if job is not None:
            return job
    return map_record(source, record, profile, parsing=parsing)


def _start_jobs(
    source: DocumentSource,
    records: Iterable[Record],
    profile: str,
    recorder: Recorder,
    store: Store,
    validator: Validator,
    *,
    every: bool = False,
    stagers: Sequence[Stager] = (),
) -> _Started:
    """Map a page and hand its documents to ``validator`` to write, hash and validate
    (:func:`_finish` takes their outcomes). A pool maps the records of a source that lets
    their mapping run elsewhere (:class:`~sync.documents.DetachingSource`) in its workers;
    the others are mapped here. A document whose hash the store holds for its record is
    not validated again (validation is the cost; the recorder finds it unchanged), unless
    ``every`` (a retry)."""
    parsing = isinstance(source, ParsingSource)  # once per page, not per record
    detaching = validator is not INLINE and not parsing and isinstance(source, DetachingSource)
    mapped = [
        (record, _mapping(source, record, profile, parsing=parsing, detaching=detaching))
        for record in records
    ]
    drafts: list[Draft] = [
        (each.document, each.writing) if isinstance(each, Mapped) else (each, profile)
        for _, each in mapped
        if not isinstance(each, Held)
    ]
    known: set[str] = set()
    if drafts and not every:
        ids = [record.id for record, each in mapped if not isinstance(each, Held)]
        with store.begin() as conn:
            known = recorder.hashes_of(conn, ids)
    outcomes = iter(validator.submit(drafts, known, stagers))
    return [
        (record, each if isinstance(each, Held) else (_taken(each, profile), next(outcomes)))
        for record, each in mapped
    ]


def _taken(mapping: Mapped | Detached, profile: str) -> Mapped | str:
    """What :func:`_finish` keeps of a record handed to the validator: its mapping, or for
    one the validator maps the profile setting."""
    return mapping if isinstance(mapping, Mapped) else profile


def _finish(started: _Started) -> list[Job]:
    """The jobs of a page, with the outcomes of the documents handed to the validator."""
    jobs: list[Job] = []
    for record, entry in started:
        if isinstance(entry, Held):
            jobs.append(Job(record, entry))
            continue
        mapped, pending = entry
        written = pending.result()
        if isinstance(written, Held):  # a detached mapping the connector could not map
            jobs.append(Job(record, written))
            continue
        report = () if isinstance(written, Refused) else written.findings
        outcome = (
            built(mapped, written)
            if isinstance(mapped, Mapped)
            else built_detached(written, mapped)
        )
        jobs.append(Job(record, outcome, report))
    return jobs


def _cancel(started: _Started) -> None:
    for _, entry in started:
        if not isinstance(entry, Held):
            entry[1].cancel()


def _jobs(
    source: DocumentSource,
    records: Iterable[Record],
    profile: str,
    recorder: Recorder,
    store: Store,
    *,
    every: bool = False,
) -> list[Job]:
    """A page built and validated in this process."""
    return _finish(_start_jobs(source, records, profile, recorder, store, INLINE, every=every))


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
    validator: Validator = INLINE,
    control: RunControl | None = None,
    credit: CreditPolicy | None = None,
) -> CycleSummary:
    """One cycle of connection ``name`` (see the module docstring).

    ``kind`` is its connector type (kept on the ``connections`` row). A source that fails
    (:class:`~connectors.errors.ConnectorError`) stops the pull: the pages pulled before
    are recorded, :attr:`CycleSummary.error` says why, and delivery still runs. A store
    that fails raises :class:`~sync.store.StoreError`: the cursor stays at the last
    committed page. ``validator``: :data:`~sync.validation.INLINE` (this process), or a
    :class:`~sync.validation.ValidationPool`, which validates the next page while this
    one is recorded and sent. ``control`` (a daemon's runner, :mod:`sync.control`): its
    ``fence`` runs in each page's transaction, and when it says ``should_stop`` after a
    page the pull ends there (:attr:`CycleSummary.stopped`): the pages already validated
    are recorded and what is queued is delivered, as after the last page.
    """
    summary = CycleSummary()
    if not isinstance(connector, DocumentSource):
        summary.error = f"connector {connector.name!r} cannot build documents (no invoices)"
        return summary
    with store.begin() as conn:
        connection = connection_id(conn, name, kind)
        stored = _stored_cursor(conn, connection)
    recorder = Recorder(name=name, connection=connection, channels=channels, summary=summary)
    credit_cycle(store, connector, recorder, credit)  # limits pulled; what fits now released
    statistics = Statistics(store)
    ahead = 0 if validator is INLINE else 1  # pages validated while one is recorded
    stagers = _stagers(channels) if deliver and validator is not INLINE else ()
    pending: deque[tuple[Page, _Started]] = deque()

    def record_next() -> None:
        nonlocal stored
        page, started = pending.popleft()
        jobs = _finish(started)
        stored = _later(stored, page.next_cursor)
        with store.begin() as conn:
            recorder.record_page(conn, jobs)
            _save_cursor(conn, connection, stored)
            if control is not None:
                control.fence(conn)
        summary.pulled += len(page.records)
        statistics.add(len(jobs))
        queued, recorder.queued = recorder.queued, {}
        if deliver and channels:
            _send_page(store, name, channels, summary, queued)

    try:
        start = _pull_from(stored, lookback)
        _pages(
            connector,
            lambda: connector.pull(Stream.INVOICES, start),
            profile,
            recorder,
            store,
            validator,
            control,
            summary,
            pending,
            ahead,
            record_next,
            stagers,
        )
        while pending:  # the pages still ahead, or pulled before the source failed
            record_next()
    except BaseException:
        for _, started in pending:  # a pool's workers need not validate them now
            _cancel(started)
        raise
    if deliver:
        _deliver(store, name, connector, channels, summary)
    return summary


def _pages(
    connector: DocumentSource,
    pull: Callable[[], Iterable[Page]],
    profile: str,
    recorder: Recorder,
    store: Store,
    validator: Validator,
    control: RunControl | None,
    summary: CycleSummary,
    pending: deque[tuple[Page, _Started]],
    ahead: int,
    record_next: Callable[[], None],
    stagers: Sequence[Stager] = (),
) -> None:
    """Take page after page of ``pull()``, build each and hand it to ``validator``,
    recording the pages more than ``ahead`` behind; a source failure ends the pull (its
    reason in ``summary``), a stop asked by ``control`` too."""
    try:
        pages = iter(pull())
    except ConnectorError as failure:
        summary.error = str(failure)
        return
    while True:
        try:  # only the source's own work: a failure there ends the pull, not the cycle
            page = next(pages, None)
            if page is None:
                break
            started = _start_jobs(
                connector, page.records, profile, recorder, store, validator, stagers=stagers
            )
        except ConnectorError as failure:
            summary.error = str(failure)
            break
        pending.append((page, started))
        while len(pending) > ahead:
            record_next()
        if control is not None and control.should_stop():
            summary.stopped = True
            break


def _stagers(channels: Sequence[Channel]) -> tuple[Stager, ...]:
    """What writes the documents' files ahead for ``channels`` in a pool's workers: each
    channel's ``stager()`` where it has one (the directory channel's hidden, fsynced file,
    :mod:`delivery.directory_staging`); the send, after the outbox marked the row
    ``sending``, only links it in."""
    found: list[Stager] = []
    for channel in channels:
        make = getattr(channel, "stager", None)
        if callable(make):
            found.append(make())
    return tuple(found)


def _send_page(
    store: Store,
    name: str,
    channels: Sequence[Channel],
    summary: CycleSummary,
    queued: Mapping[int, Envelope],
) -> None:
    """Send what the page just recorded queued (:func:`sync.outbox.send_due`, with the
    envelopes the recorder made as it queued them: none is read back from the store); with
    a validation pool the next page is validated meanwhile. The cycle's
    :func:`deliver_queued` recovers, sends what is left, polls and pushes."""
    from sync.outbox import send_due

    done = send_due(
        store, connection=name, channels={each.name: each for each in channels}, known=queued
    )
    summary.delivered += done.delivered
    summary.failed += done.failed
    # a row whose channel is not configured is reported by every page's run: once is enough
    summary.findings.extend(each for each in done.findings if each not in summary.findings)


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
    summary.findings.extend(each for each in done.findings if each not in summary.findings)


def retry_connection(
    store: Store,
    *,
    name: str,
    connector: Connector,
    kind: str,
    profile: str = "peppol-bis3",
    channels: Sequence[Channel] = (),
    deliver: bool = True,
    credit: CreditPolicy | None = None,
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
    recorder = Recorder(name=name, connection=connection, channels=channels, summary=summary)
    credit_cycle(store, connector, recorder, credit)
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


def _retry_one(conn: Connection, recorder: Recorder, job: Job) -> None:
    """A rebuilt record: one the store holds quarantined under the same hash is queued now
    when it validates (the fix was not in the document's bytes: the validation artifacts)."""
    from sync.events import record_event

    outcome = job.outcome
    if isinstance(outcome, Built):
        row = conn.execute(
            select(documents.c.id, documents.c.state).where(
                documents.c.connection_id == recorder.connection,
                documents.c.content_hash == outcome.content_hash,
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
            recorder.enqueue(conn, row.id, job.record.id, outcome)
            return
    recorder.record(conn, job)
