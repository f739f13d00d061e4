"""Stage 1: a structured payment reference (RF ISO 11649, Dutch betalingskenmerk, Belgian
OGM) in the structured field or anywhere in the text, that is the BT-83 reference of an open
document.

Confidence: 0.99 for a reference whose check digits hold and the exact amount, 0.95 for a
partial or over-payment; a 7-digit betalingskenmerk (no check) or a reference that fails its
check but is exactly a document's BT-83: 0.90 exact, and for a different amount 0.80 when the
payer is known as the debtor, else 0.70. A reference of a settled document is a suggestion
(0.50: paid twice?).
"""

from __future__ import annotations

from decimal import Decimal

from reconcile.matching.book import Book, allocate
from reconcile.matching.booking import Booking
from reconcile.matching.policy import MatchPolicy
from reconcile.matching.reading import Reading
from reconcile.matching.settle import settle
from reconcile.matching.tokens import reference_candidates, valid_reference
from reconcile.open_items import OpenItem
from reconcile.result import Stage

__all__ = ["readings"]


def readings(book: Book, booking: Booking, policy: MatchPolicy) -> list[Reading]:
    tx = booking.transaction
    found: list[Reading] = []
    for candidate in reference_candidates(tx):
        keys = book.by_reference.get(candidate.value)
        if not keys:
            continue
        items = [book.items[k] for k in keys if book.items[k].currency == tx.currency]
        if not items:
            continue
        kind = valid_reference(candidate.value)
        checked = kind is not None and len(candidate.value) != 7
        what = candidate.value if kind == "RF" else f"{kind or 'reference'} {candidate.value}"
        open_items = [i for i in items if book.is_open(i.key)]
        if not open_items:
            found.append(_settled(book, items, tx.amount, what))
            continue
        if len(open_items) > 1:
            exact = [i for i in open_items if book.signed_open(i.key) == tx.amount]
            if len(exact) == 1:
                open_items = exact
        confirmed = all(booking.confirmed(i.debtor) for i in open_items)
        if len(open_items) > 1:
            exact_c, inexact_c = 0.75, 0.70
        elif checked:
            exact_c, inexact_c = 0.99, 0.95
        else:
            exact_c, inexact_c = 0.90, 0.80 if confirmed else 0.70
        names = ", ".join(book.label(i.key) for i in open_items)
        reading = settle(
            book,
            open_items,
            tx.amount,
            policy,
            stage=Stage.REFERENCE,
            reason=f"{what} is the payment reference of {names}",
            exact=exact_c,
            inexact=inexact_c,
        )
        if reading is not None:
            found.append(reading)
    return found


def _settled(book: Book, items: list[OpenItem], amount: Decimal, what: str) -> Reading:
    names = ", ".join(book.label(i.key) for i in items)
    return Reading(
        allocations=tuple(allocate(i, Decimal(0)) for i in items[:1]),
        stage=Stage.REFERENCE,
        reason=f"{what} is the payment reference of {names}, already settled: paid twice?",
        confidence=0.5,
        unapplied=amount,
    )
