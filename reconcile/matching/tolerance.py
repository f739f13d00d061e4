"""Stage 5: the payer known as a debtor (as in stage 4), paying a little less than one of
its open invoices: the shortfall within ``MatchPolicy`` tolerance (bank costs) stays open or
is written off, per policy. (A reference or invoice-number payment short by no more than the
tolerance is read the same way in stages 1 and 3, by :func:`~reconcile.matching.settle.settle`.)

Confidence 0.82 by account, 0.80 by name; two invoices within tolerance: ambiguous.
"""

from __future__ import annotations

from reconcile.matching.book import Book
from reconcile.matching.booking import Booking
from reconcile.matching.policy import MatchPolicy
from reconcile.matching.reading import Reading
from reconcile.matching.settle import settle
from reconcile.open_items import ItemKind
from reconcile.result import Stage

__all__ = ["readings"]


def readings(book: Book, booking: Booking, policy: MatchPolicy) -> list[Reading]:
    tx = booking.transaction
    if policy.tolerance_amount == 0 and policy.tolerance_percent == 0:
        return []
    found: list[Reading] = []
    for debtor, via in booking.debtors.items():
        for item in book.debtor_items(debtor, tx.currency):
            if item.kind is not ItemKind.INVOICE:
                continue
            due = book.open[item.key]
            if not 0 < due - tx.amount <= policy.tolerance(due):
                continue
            confidence = 0.82 if via.startswith("account") else 0.80
            reading = settle(
                book,
                [item],
                tx.amount,
                policy,
                stage=Stage.TOLERANCE,
                reason=f"debtor known by {via}; {item.number} open {due}",
                exact=confidence,
                inexact=confidence - 0.05,
            )
            if reading is not None:
                found.append(reading)
    if len(found) > 1:
        return [
            Reading(
                allocations=r.allocations,
                stage=r.stage,
                reason=r.reason + " (one of several)",
                confidence=0.5,
                written_off=r.written_off,
            )
            for r in found
        ]
    return found
