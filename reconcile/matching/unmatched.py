"""Stage 6: the unmatched queue. A booking no stage could apply on its own is left for a
person with its best suggestions: the readings the stages made but did not apply (ambiguous,
or below the policy's threshold), then invoices of any debtor with exactly its amount
(confidence 0.30)."""

from __future__ import annotations

from collections.abc import Sequence

from reconcile.matching.book import Book, allocate
from reconcile.matching.booking import Booking
from reconcile.matching.conflicts import namesakes
from reconcile.matching.policy import MatchPolicy
from reconcile.matching.reading import Reading
from reconcile.open_items import DocumentKey
from reconcile.result import Stage, Suggestion, Unmatched

__all__ = ["queue_entry"]


def queue_entry(
    book: Book, booking: Booking, readings: Sequence[Reading], policy: MatchPolicy, why: str
) -> Unmatched:
    tx = booking.transaction
    readings = [*readings, *(n for r in readings for n in namesakes(book, booking, policy, r))]
    best: dict[frozenset[DocumentKey], Reading] = {}
    for reading in readings:
        if not reading.allocations:
            continue
        old = best.get(reading.documents)
        if old is None or reading.confidence > old.confidence:
            best[reading.documents] = reading
    ordered = sorted(best.values(), key=lambda r: -r.confidence)
    suggestions: list[Suggestion] = [r.suggestion(why) for r in ordered]
    if tx.amount > 0 and len(suggestions) < policy.max_suggestions:
        seen = {d for r in ordered for d in r.documents}
        for item in book.with_amount(tx.amount, tx.currency):
            if item.key in seen:
                continue
            suggestions.append(
                Suggestion(
                    allocations=(allocate(item, tx.amount),),
                    stage=Stage.DEBTOR_AMOUNT,
                    reason=(
                        f"amount only: {book.label(item.key)} of {item.debtor_name} is open "
                        f"{tx.amount}"
                    ),
                    confidence=0.3,
                )
            )
            if len(suggestions) >= policy.max_suggestions:
                break
    return Unmatched(
        bank_reference=booking.key,
        transaction=tx,
        suggestions=tuple(suggestions[: policy.max_suggestions]),
    )
