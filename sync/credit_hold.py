"""Credit hold before delivery (issue 17 section 3): an invoice that would take its debtor
over its credit limit is not queued in the outbox.

A connection with ``credit_hold = true`` gets a :class:`CreditGate` on its recorder
(:class:`sync.recorder.Recorder`): before documents are queued, each invoice is checked
against its debtor's exposure (the debtor joined across connections, :mod:`sync.receivables`)
and limit (the configured one, else the one pulled from the source). One that would take the
exposure above the limit is left ``credit-held`` with an event that names the debtor, its
exposure, the limit and the invoice's amount (``ledgerlink show NUMBER``); a credit note is
never held. The invoices of one page are checked in order, each one queued adding to the
exposure the next one is checked against.

Exposure here is what the store holds open for the debtor, without the invoices on hold (they
were not sent, so they are not owed yet). When it drops (a payment matched, a credit note
sent, the limit raised) the next cycle or ``ledgerlink retry`` releases what fits now
(:func:`credit_cycle`, which also pulls the source's limits first): the document goes back to
``built`` with an event saying why, and is queued.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from reconcile.credit.exposure import NEAR_BREACH, CreditLimit, Exposure
from sync.receivables import HELD
from sync.store.schema import documents

if TYPE_CHECKING:
    from connectors.base import Connector
    from sync.documents import Built
    from sync.pipeline import CycleSummary
    from sync.recorder import Recorder
    from sync.store import Store

__all__ = ["HELD", "CreditGate", "CreditPolicy", "Verdict", "credit_cycle", "verdicts"]

log = logging.getLogger(__name__)
_ZERO = Decimal("0.00")

Queued = tuple[int, str, "Built"]
"""What the recorder queues: document id, source record id, the built document."""


@dataclass(frozen=True, slots=True)
class CreditPolicy:
    """What a connection's invoices are held against: the configured limits (by debtor key
    or ``kind:value`` identifier, as ``[credit.limits]``), the source's pulled ones beside."""

    limits: Mapping[str, CreditLimit] = field(default_factory=dict)
    near: Decimal = NEAR_BREACH


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether one document may be queued, and the figures that say so."""

    document_id: int
    number: str
    debtor: str
    name: str
    currency: str
    exposure: Decimal
    """What the debtor owes in ``currency`` before this document."""
    amount: Decimal
    """The document's open amount (BT-115 less what was matched), signed as owed."""
    limit: CreditLimit | None
    held: bool

    def details(self) -> dict[str, Any]:
        return {
            "reason": self.reason(),
            "debtor": self.debtor,
            "name": self.name,
            "currency": self.currency,
            "exposure": str(self.exposure),
            "amount": str(self.amount),
            "limit": None if self.limit is None else str(self.limit.amount),
            "limit_source": None if self.limit is None else self.limit.source,
        }

    def reason(self) -> str:
        c = self.currency
        owes = f"debtor {self.debtor} ({self.name}) owes {self.exposure} {c}"
        if self.limit is None:
            return f"credit hold released: {owes} and has no limit in {c}"
        limit = f"a limit of {self.limit.amount} {c} ({self.limit.source})"
        after = self.exposure + self.amount
        if self.held:
            return (
                f"credit hold: {owes} against {limit}; invoice {self.number} of "
                f"{self.amount} {c} would take it to {after} {c}"
            )
        return (
            f"credit hold released: {owes}; invoice {self.number} of {self.amount} {c} fits {limit}"
        )


def verdicts(
    conn: Connection, connection: str, candidates: Sequence[tuple[int, str]], policy: CreditPolicy
) -> list[Verdict]:
    """A verdict for each ``(document id, source id)`` of ``connection``, in order; the
    documents are in the store (new ones just inserted, held ones waiting)."""
    from reconcile.debtors import join_debtors
    from reconcile.open_items import ItemKind
    from sync.receivables import buyers_of, debtor_limits, pulled_limits, stored_items

    wanted = {source_id for _, source_id in candidates}
    every = stored_items(conn, held=True)
    mine = {s.item.source_id: s for s in every if s.connection == connection}
    base = [
        s
        for s in every
        if s.state != HELD and not (s.connection == connection and s.item.source_id in wanted)
    ]
    book = join_debtors(buyers_of(every))
    limits, _ = debtor_limits(book, policy.limits, pulled_limits(conn))
    owed: dict[tuple[str, str], Decimal] = {}
    for s in base:
        debtor = book.of(s.connection, s.item.debtor)
        key = (debtor.key if debtor is not None else s.item.debtor, s.item.currency)
        owed[key] = owed.get(key, _ZERO) + s.item.signed_open
    found = []
    for document_id, source_id in candidates:
        stored = mine.get(source_id)
        if stored is None:  # settled already: nothing to hold
            continue
        item = stored.item
        debtor = book.of(connection, item.debtor)
        key = (debtor.key if debtor is not None else item.debtor, item.currency)
        total = owed.get(key, _ZERO)
        limit = limits.get(key[0])
        limit = limit if limit is not None and limit.currency == item.currency else None
        exposure = Exposure(
            key[0], item.currency, total, limit=None if limit is None else limit.amount
        )
        amount = item.signed_open
        held = item.kind is not ItemKind.CREDIT_NOTE and exposure.would_breach(amount)
        if not held:
            owed[key] = total + amount
        name = debtor.name if debtor is not None else item.debtor_name
        found.append(
            Verdict(
                document_id, item.number, key[0], name, item.currency, total, amount, limit, held
            )
        )
    return found


class CreditGate:
    """The recorder's hold (:attr:`sync.recorder.Recorder.hold`): what may be queued of the
    documents given; the others are left ``credit-held``, counted as held."""

    def __init__(self, policy: CreditPolicy, connection: str, summary: CycleSummary) -> None:
        self.policy = policy
        self.connection = connection
        self.summary = summary

    def __call__(self, conn: Connection, queued: Sequence[Queued]) -> list[Queued]:
        from sync.events import Change, record_events

        found = verdicts(conn, self.connection, [(d, s) for d, s, _ in queued], self.policy)
        held = [v for v in found if v.held]
        if not held:
            return list(queued)
        record_events(
            conn, [Change(v.document_id, HELD, v.reason(), v.details(), pushed=True) for v in held]
        )
        self.summary.held += len(held)
        stopped = {v.document_id for v in held}
        for verdict in held:
            log.warning("connection %s: %s", self.connection, verdict.reason())
        return [each for each in queued if each[0] not in stopped]


def _pull_limits(store: Store, connector: Connector, recorder: Recorder) -> None:
    """The source's credit limits, when it gives them, kept for this cycle and the reports;
    a source that cannot give them now keeps the ones pulled before."""
    from connectors.errors import ConnectorError
    from connectors.tryton_credit import CreditLimitSource
    from sync.receivables import save_pulled_limits

    if not isinstance(connector, CreditLimitSource):
        return
    try:
        limits = connector.credit_limits()
    except ConnectorError as failure:
        log.warning("connection %s: credit limits not pulled: %s", recorder.name, failure)
        return
    with store.begin() as conn:
        save_pulled_limits(conn, recorder.connection, limits)


def _release(store: Store, recorder: Recorder) -> None:
    """Queue the connection's held invoices that fit their debtor's limit now."""
    from model.jsonio import from_data
    from sync.documents import Built, Header
    from sync.events import Change, record_events

    gate = recorder.hold
    assert isinstance(gate, CreditGate)
    with store.begin() as conn:
        rows = conn.execute(
            select(
                documents.c.id,
                documents.c.source_id,
                documents.c.model,
                documents.c.ubl,
                documents.c.content_hash,
                documents.c.profile,
            )
            .where(documents.c.connection_id == recorder.connection, documents.c.state == HELD)
            .order_by(documents.c.id)
        ).all()
        if not rows:
            return
        found = verdicts(conn, gate.connection, [(r.id, r.source_id) for r in rows], gate.policy)
        fits = {v.document_id: v for v in found if not v.held}
        if not fits:
            return
        record_events(
            conn,
            [
                Change(v.document_id, "built", v.reason(), v.details(), pushed=True)
                for v in fits.values()
            ],
        )
        for row in rows:
            if row.id in fits:
                document = from_data(row.model, source=f"document {fits[row.id].number}")
                built = Built(
                    Header.of(document),
                    bytes(row.ubl),
                    row.content_hash,
                    row.profile,
                    held=document,
                )
                recorder.enqueue(conn, row.id, row.source_id, built)


def credit_cycle(
    store: Store, connector: Connector, recorder: Recorder, policy: CreditPolicy | None
) -> None:
    """At the start of a cycle (or a retry): pull the source's credit limits; with a policy
    (``credit_hold = true``) put a :class:`CreditGate` on ``recorder`` and release the held
    invoices that fit now."""
    _pull_limits(store, connector, recorder)
    if policy is None:
        return
    recorder.hold = CreditGate(policy, recorder.name, recorder.summary)
    _release(store, recorder)
