"""The matcher's run: three passes over the bookings, each booking through the stages in
order until one gives a reading strong enough to apply.

1. Payments (positive amounts), stages 1-3: structured reference, near reference, invoice
   number. The accounts of the payers matched here are learned for their debtors.
2. The payments left, stages 4-5: debtor and amount, tolerance.
3. Reversals and returns: undo a match of this run or a prior one.

Every other booking (debits: rent, salaries, tax, fees, refunds) is unmatched without
suggestions. A reading is applied only when it is the one reading at or above
``MatchPolicy.auto_apply`` and no other reading of 0.6 or more points at other documents;
otherwise the booking is unmatched with the readings as suggestions. A reading marked
``ambiguous`` (the booking's own references contradict each other) vetoes every other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from reconcile.gc_pause import gc_paused
from reconcile.matching import (
    conflicts,
    debtor_amount,
    invoice_numbers,
    near_references,
    references,
    reversals,
    tolerance,
)
from reconcile.matching.book import Book
from reconcile.matching.booking import Booking, identify
from reconcile.matching.policy import MatchPolicy
from reconcile.matching.reading import Reading
from reconcile.matching.unmatched import queue_entry
from reconcile.open_items import DocumentKey, OpenItem
from reconcile.result import Allocation, Match, Stage, Unmatched
from reconcile.transaction import Transaction

__all__ = ["Outcome", "match"]

_CONFLICT = 0.6

StageFn = Callable[[Book, Booking, MatchPolicy], list[Reading]]
_STRONG: tuple[StageFn, ...] = (
    references.readings,
    near_references.readings,
    invoice_numbers.readings,
)
_BY_DEBTOR: tuple[StageFn, ...] = (debtor_amount.readings, tolerance.readings)


@dataclass(slots=True)
class Outcome:
    """What a run found: the matches applied, the unmatched queue, and each document's amount
    still open afterwards (same sign convention as :attr:`OpenItem.open`)."""

    matches: list[Match] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    open: dict[str, Decimal] = field(default_factory=dict)
    """By the number a reader sees: the invoice number (BT-1), or ``NUMBER@SOURCE_ID``
    for documents that share their number (:meth:`Book.label`)."""
    documents: dict[DocumentKey, Decimal] = field(default_factory=dict)
    """The same amounts by document key (:attr:`OpenItem.key`)."""
    labels: dict[DocumentKey, str] = field(default_factory=dict)
    """``NUMBER@SOURCE_ID`` of each document whose number another document has."""

    def label(self, allocation: Allocation) -> str:
        """How a reader names an allocation's document (see :attr:`open`)."""
        if allocation.document is None:
            return allocation.invoice
        return self.labels.get(allocation.document, allocation.invoice)


@gc_paused()
def match(
    bookings: Mapping[str, Transaction],
    items: Iterable[OpenItem],
    policy: MatchPolicy = MatchPolicy(),  # noqa: B008 - frozen
    *,
    prior: Iterable[Match] = (),
    settled: Iterable[OpenItem] = (),
) -> Outcome:
    """Match ``bookings`` (keyed by bank reference) against the open ``items``.

    ``prior`` are matches applied in earlier runs: the items' ``open`` must already reflect
    them. They let a reversal in this run undo a payment matched before, and their payers'
    accounts identify debtors. ``settled`` are documents with nothing open that a reversal
    may re-open (the ones prior matches paid); no other stage sees them. A batch booking
    whose children each give an amount (our own SEPA direct-debit collection) is matched
    child by child, each filed under the parent's key.
    """
    book = Book(items, settled)
    history = reversals.History(prior)
    for earlier in history.matches:
        _learn(book, earlier)
    units: list[tuple[int, str, Transaction]] = []
    for key, transaction in bookings.items():
        children = transaction.children
        if children and all(child.amount_given for child in children):
            units.extend((len(units), key, child) for child in children)
        else:
            units.append((len(units), key, transaction))

    outcome = Outcome()
    left: dict[int, Unmatched] = {}
    deferred: list[tuple[int, str, Transaction, list[Reading]]] = []
    reversed_: list[tuple[int, str, Transaction]] = []
    for position, key, tx in units:
        if tx.amount > 0 and not tx.reversal:
            booking = identify(book, key, tx)
            readings = _run(book, booking, policy, _STRONG)
            chosen, readings = _checked(book, booking, policy, readings)
            if chosen is not None:
                _apply(book, history, outcome, booking, chosen)
            else:
                deferred.append((position, key, tx, readings))
        elif reversals.is_reversal(tx):
            reversed_.append((position, key, tx))
        else:
            left[position] = Unmatched(bank_reference=key, transaction=tx)

    for position, key, tx, earlier_readings in deferred:
        booking = identify(book, key, tx)
        readings = earlier_readings + _run(book, booking, policy, _BY_DEBTOR)
        chosen, readings = _checked(book, booking, policy, readings)
        if chosen is not None:
            _apply(book, history, outcome, booking, chosen)
        else:
            left[position] = queue_entry(book, booking, readings, policy, _why_not(readings))

    for position, key, tx in reversed_:
        booking = identify(book, key, tx)
        found = reversals.readings(book, booking, history)
        strong = [(r, p) for r, p in found if r.confidence >= policy.auto_apply]
        if len(strong) == 1 and len(found) == 1:
            reading, undone = strong[0]
            if undone is not None:
                history.reversed.add(undone)
            reverses = history.matches[undone].bank_reference if undone is not None else None
            _apply(book, history, outcome, booking, reading, reverses=reverses)
        else:
            readings = [r for r, _ in found]
            left[position] = queue_entry(book, booking, readings, policy, _why_not(readings))

    outcome.unmatched = [left[p] for p in sorted(left)]
    outcome.open = book.labelled_open()
    outcome.documents = dict(book.open)
    outcome.labels = {k: book.label(k) for keys in book.shared.values() for k in keys}
    return outcome


def _checked(
    book: Book, booking: Booking, policy: MatchPolicy, readings: list[Reading]
) -> tuple[Reading | None, list[Reading]]:
    """The reading to apply, if any, and the readings (with any evidence against it)."""
    chosen = _decide(readings, policy)
    if chosen is not None and (other := conflicts.against(book, booking, policy, chosen, readings)):
        return None, readings + other
    return chosen, readings


def _run(
    book: Book, booking: Booking, policy: MatchPolicy, stages: Sequence[StageFn]
) -> list[Reading]:
    readings: list[Reading] = []
    for stage in stages:
        found = stage(book, booking, policy)
        readings.extend(found)
        if any(r.confidence >= policy.auto_apply for r in found):
            break
    return readings


def _decide(readings: Sequence[Reading], policy: MatchPolicy) -> Reading | None:
    if any(reading.ambiguous for reading in readings):
        return None
    strong: dict[frozenset[DocumentKey], Reading] = {}
    for reading in readings:
        if reading.confidence >= policy.auto_apply and reading.allocations:
            old = strong.get(reading.documents)
            if old is None or reading.confidence > old.confidence:
                strong[reading.documents] = reading
    if len(strong) != 1:
        return None
    (chosen,) = strong.values()
    for reading in readings:
        if reading.confidence >= _CONFLICT and not reading.documents <= chosen.documents:
            return None
    return chosen


def _why_not(readings: Sequence[Reading]) -> str:
    if not readings:
        return ""
    documents = {r.documents for r in readings if r.allocations}
    if len(documents) > 1:
        return "ambiguous, not applied"
    return "confidence below the threshold, not applied"


def _apply(
    book: Book,
    history: reversals.History,
    outcome: Outcome,
    booking: Booking,
    reading: Reading,
    *,
    reverses: str | None = None,
) -> None:
    book.apply(reading.allocations)
    done = Match(
        bank_reference=booking.key,
        transaction=booking.transaction,
        allocations=reading.allocations,
        stage=reading.stage,
        reason=reading.reason,
        confidence=reading.confidence,
        unapplied=reading.unapplied,
        written_off=reading.written_off,
        reverses=reverses,
    )
    outcome.matches.append(done)
    history.add(done)
    if reading.stage is not Stage.REVERSAL:
        _learn(book, done)


def _learn(book: Book, done: Match) -> None:
    party = done.transaction.counterparty
    if party is None or not party.iban:
        return
    for allocation in done.allocations:
        key = book.resolve(allocation)
        if key is not None:
            book.learn_account(party.iban, book.items[key].debtor)
