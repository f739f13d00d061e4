"""A page of a sync cycle recorded in the store: what became of each of its records.

:class:`Recorder` writes a page's outcomes (:class:`Job`: the record, what
:func:`sync.documents.build` gave, the validation report) in the caller's transaction,
the one that also saves the stream's cursor (:mod:`sync.pipeline`):

* a content hash the connection holds already: ``unchanged``, nothing written;
* a new, valid document: its ``documents`` row, queued through the connection's channels
  (:func:`sync.enqueue.enqueue_batch`); a page's new documents are written together,
  one statement per table;
* invalid: stored ``quarantined`` with a ``quarantine`` row and an event naming the rules;
* held or refused by the writer: a ``quarantine`` row (not twice when unchanged);
* a new version of a delivered record: ``changed-after-delivery`` with the changed terms
  (:func:`sync.changes.changed_terms`), never queued; of a record not delivered yet: the
  older version is ``superseded`` and its queued outbox row ``cancelled``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, Text, bindparam, cast, select, update
from sqlalchemy.dialects.postgresql import JSONB

from connectors.base import Record
from sync.documents import Built, Held, Refused, record_data
from sync.store.schema import documents, events, outbox, quarantine

if TYPE_CHECKING:
    from delivery.base import Channel, Envelope
    from model import Invoice
    from model.findings import Finding
    from sync.pipeline import CycleSummary

__all__ = ["DELIVERED_STATES", "Job", "Recorder"]

DELIVERED_STATES: Final = frozenset(
    {"sent", "delivered", "accepted", "rejected", "paid", "in-doubt"}
)
"""Document states after a send began: a change of the source is ``changed-after-delivery``
(in-doubt counts: it may have reached the buyer)."""
_PENDING_OUTBOX: Final = frozenset({"queued", "cancelled"})


def _now() -> datetime:
    return datetime.now(UTC)


@functools.cache
def _insert_documents(dialect: str) -> Any:
    """The ``documents`` rows of a page, in one statement: their ids in the order given.
    ``model`` is bound as the JSON text the writer made (:attr:`Built.model`), as it is:
    cast to ``JSONB`` on PostgreSQL, the text the JSON type stores on SQLite."""
    text = bindparam("model_text", type_=Text())
    model = cast(text, JSONB()) if dialect == "postgresql" else text
    return (
        documents.insert()
        .values(model=model)
        .returning(documents.c.id, sort_by_parameter_order=True)
    )


@dataclass(slots=True)
class Job:
    """What to record for one record of a page: the record, what building it gave, and
    the validation report (empty when not validated: a hash the store holds)."""

    record: Record
    outcome: Built | Held | Refused
    report: tuple[Finding, ...] = ()


def _envelope(connection: str, source_id: str, built: Built) -> Envelope:
    """The envelope of ``built`` (:meth:`delivery.base.Envelope.for_invoice`, from the
    document's header: the worker that wrote it sends no model)."""
    from delivery.base import Envelope, safe_file_name
    from sync.store.keys import idempotency_key

    header = built.header
    return Envelope(
        idempotency_key=idempotency_key(connection, source_id, built.content_hash),
        connection=connection,
        number=header.number,
        kind=header.kind,
        ubl=built.ubl,
        file_name=safe_file_name(header.number),
        buyer_endpoint=header.buyer_endpoint,
        buyer_email=header.buyer_email,
        seller_endpoint=header.seller_endpoint,
    )


class Recorder:
    """Records the outcomes of a connection's pages in the store (see the module
    docstring), counting them in ``summary``."""

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
        self.queued: dict[int, Envelope] = {}
        """The envelopes of the documents this recorder queued, by document id, until the
        caller takes them (:func:`sync.outbox.send_due`'s ``known``) and clears them."""
        self._page_seen: set[str] | None = None
        self._page_known: set[str] | None = None
        self.hold: Callable[[Connection, Sequence[tuple[int, str, Built]]], Any] | None = None
        """What may be queued of the documents given (:class:`sync.credit_hold.CreditGate`)."""

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

    def hashes_of(self, conn: Connection, source_ids: Iterable[str]) -> set[str]:
        """The content hashes of the documents this connection holds for ``source_ids``
        (every version): a record rebuilt with one of them is unchanged."""
        wanted = sorted(set(source_ids))
        if not wanted:
            return set()
        return set(
            conn.execute(
                select(documents.c.content_hash).where(
                    documents.c.connection_id == self.connection,
                    documents.c.source_id.in_(wanted),
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

    def record_page(self, conn: Connection, jobs: Sequence[Job]) -> None:
        """Record a page's jobs in ``conn``: one query for the content hashes the store
        holds and one for the source ids it knows, instead of four per record. The new
        records (the common case: built and valid, their hash and source id unknown) need
        none of the per-record look-ups: each run of them is written with one statement
        per table (:meth:`_record_new`); the others go one by one (:meth:`record`), in
        page order."""
        hashes = [job.outcome.content_hash for job in jobs if isinstance(job.outcome, Built)]
        seen = self._page_seen = self.seen(conn, hashes)
        known = self._page_known = self._known(conn, [job.record.id for job in jobs])
        new: list[tuple[Job, Built]] = []
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

    def _record_new(self, conn: Connection, new: Sequence[tuple[Job, Built]]) -> None:
        """New valid documents: their ``documents`` rows in one insert, then queued through
        the connection's channels together (:func:`sync.outbox.enqueue_batch`)."""
        if not new:
            return
        ids = self._insert(conn, [(job.record, built, job.report) for job, built in new])
        if not self.channels:
            return  # no channel named: the documents stay built
        self._enqueue_many(
            conn,
            [(ids[at], job.record.id, built) for at, (job, built) in enumerate(new)],
            inserted=True,
        )

    def _enqueue_many(
        self,
        conn: Connection,
        documents_: Sequence[tuple[int, str, Built]],
        *,
        inserted: bool = False,
    ) -> None:
        """Queue ``documents_`` through the connection's channels; ``inserted``: their rows
        were just written by this recorder (state ``built``), so their states need no query."""
        from sync.enqueue import ToQueue, enqueue_batch

        if self.hold is not None and not (documents_ := self.hold(conn, documents_)):
            return
        items = [
            ToQueue(
                document_id,
                source_id,
                built.content_hash,
                _envelope(self.name, source_id, built),
            )
            for document_id, source_id, built in documents_
        ]
        states = {document_id: "built" for document_id, _, _ in documents_} if inserted else None
        done = enqueue_batch(
            conn, items, connection=self.name, channels=self.channels, states=states
        )
        for item, what in zip(items, done, strict=True):
            if what == "queued":
                self.queued[item.document_id] = item.envelope
        self.summary.queued += done.count("queued")
        self.summary.failed += done.count("no-channel")

    def record(self, conn: Connection, job: Job) -> None:
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
        [document_id] = self._insert(conn, [(job.record, built, job.report)])
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
        if self.channels:  # else the document stays built
            self._enqueue_many(conn, [(document_id, job.record.id, built)], inserted=True)

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
        header = built.header
        return {
            "connection_id": self.connection,
            "source_id": record.id,
            "number": header.number,
            "kind": "credit-note" if header.kind.value == "credit_note" else "invoice",
            "type_code": header.type_code,
            "issue_date": header.issue_date,
            "due_date": header.due_date,
            "currency": header.currency,
            "payable_amount": header.payable,
            "buyer_name": header.buyer_name,
            "profile": built.profile,
            "content_hash": built.content_hash,
            "model_text": built.model_json,
            "ubl": built.ubl,
            "validation_report": [finding.to_dict() for finding in report],
            "parse_report": (
                None
                if built.parse_report is None
                else [finding.to_dict() for finding in built.parse_report]
            ),
            "state": "built",
            "buyer_key": header.buyer_key,
            "buyer_identifiers": list(header.buyer_identifiers),
            "buyer_accounts": list(header.buyer_accounts),
            "payment_reference": header.payment_reference,
        }

    def _insert(
        self, conn: Connection, documents_: Sequence[tuple[Record, Built, Sequence[Finding]]]
    ) -> list[int]:
        """The ``documents`` rows of ``documents_`` (state ``built``), in one statement:
        their ids, in order. New documents of a page and a changed one alike."""
        rows = [self._document_row(record, built, report) for record, built, report in documents_]
        statement = _insert_documents(conn.dialect.name)
        return [int(each) for each in conn.execute(statement, rows).scalars()]

    def _changed(self, conn: Connection, document_id: int, delivered: Any, new: Invoice) -> None:
        from model.jsonio import from_data
        from sync.changes import changed_terms
        from sync.events import record_event

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
        from sync.events import record_event

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
