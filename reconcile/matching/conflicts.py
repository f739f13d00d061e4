"""Evidence against a reading the engine is about to apply: a wrong match costs more than a
missed one, so a reading whose amount does not fit is not applied when other evidence of the
same booking fits another document exactly.

First, a reading of a document whose invoice number (BT-1) another open document has too (an
invoice and a later credit note, a re-issue under another source id), when the booking names
that number and no reference of the booking is the document's own: which of them is meant
is not known, so readings of the namesakes are returned (:func:`namesakes`).

Then three rules, for readings that are weak by nature (an amount that does not fit, or only
the payer and the amount known); an exact reading from the booking's own reference or
invoice number is never second-guessed:

* a structured reference read as a partial or over-payment (or short within tolerance),
  while the text (or the
  EndToEndId) names another document whose open amount the payment is exactly (a payer
  re-using an old payment with a stale reference): stage 3 is asked, and its reading of the
  other document is returned;
* a reading by payer and amount alone (stage 4 or 5), while the booking's own reference or
  invoice number points at another document, even one already settled (a payer paying an
  invoice twice whose amount happens to lie within tolerance of another invoice): the
  readings of those stages are returned;
* a tolerance reading (a little short of one invoice), while the payment is exactly what
  other open items of the debtor add up to (stage 4 found one or more combinations): those
  readings are returned.

The engine then keeps the booking unmatched with every reading as a suggestion.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from reconcile.matching import invoice_numbers
from reconcile.matching.book import Book, allocate, digit_key, number_key
from reconcile.matching.booking import Booking
from reconcile.matching.policy import MatchPolicy
from reconcile.matching.reading import Reading
from reconcile.matching.settle import settle
from reconcile.matching.tokens import number_keys, reference_candidates
from reconcile.open_items import DocumentKey, OpenItem
from reconcile.result import Stage

__all__ = ["against", "namesakes"]

_BY_REFERENCE = frozenset({Stage.REFERENCE, Stage.TOLERANCE})
"""A reference read as a partial or over-payment, or as short within tolerance."""
_BY_PAYER = frozenset({Stage.DEBTOR_AMOUNT, Stage.TOLERANCE})
"""Stages that know only who pays and how much, not which document."""
_IDENTIFIED = frozenset({Stage.REFERENCE, Stage.NEAR_REFERENCE, Stage.INVOICE_NUMBER})
"""Stages whose reading comes from what the booking itself names."""


def _exact(book: Book, reading: Reading, amount: Decimal) -> bool:
    owed = sum((book.signed_open(n) for n in reading.documents), Decimal(0))
    return owed == amount and reading.unapplied == 0


def against(
    book: Book,
    booking: Booking,
    policy: MatchPolicy,
    chosen: Reading,
    readings: Sequence[Reading],
) -> list[Reading]:
    """Readings of ``booking`` that point at other documents than ``chosen`` while
    ``chosen`` is weak (see the module); empty when none."""
    amount = booking.transaction.amount
    found: list[Reading] = namesakes(book, booking, policy, chosen)
    if chosen.stage in _BY_PAYER:
        found += [
            r
            for r in readings
            if r.allocations
            and not r.documents <= chosen.documents
            and (
                r.stage in _IDENTIFIED
                or (
                    chosen.stage is Stage.TOLERANCE
                    and r.stage is Stage.DEBTOR_AMOUNT
                    and _exact(book, r, amount)
                )
            )
        ]
    if not found and chosen.stage in _BY_REFERENCE and not _exact(book, chosen, amount):
        found += [
            r
            for r in invoice_numbers.readings(book, booking, policy)
            if r.confidence >= policy.auto_apply
            and not r.documents <= chosen.documents
            and _exact(book, r, amount)
        ]
    return found


def namesakes(book: Book, booking: Booking, policy: MatchPolicy, reading: Reading) -> list[Reading]:
    """Readings (suggestions, at most 0.60) of the open documents that share their invoice
    number with a document of ``reading``, where the booking names that number and no
    reference of the booking is that document's own; empty when there are none."""
    if not book.shared:
        return []
    tx = booking.transaction
    named: set[str] | None = None
    references: set[str] = set()
    found: list[Reading] = []
    for key in reading.documents:
        if key not in book.items:
            continue
        others = [
            k
            for k in book.namesakes(key)
            if book.is_open(k) and book.items[k].currency == tx.currency
        ]
        if not others:
            continue
        if named is None:
            named = set(number_keys(tx))
            references = {c.value for c in reference_candidates(tx)}
        item = book.items[key]
        if item.payment_reference and item.payment_reference in references:
            continue
        full = number_key(item.number)
        if full not in named and digit_key(full) not in named:
            continue
        found += [_namesake(book, booking, policy, item, book.items[k]) for k in others]
    return found


def _namesake(
    book: Book, booking: Booking, policy: MatchPolicy, item: OpenItem, other: OpenItem
) -> Reading:
    reason = (
        f"the booking names {item.number}, the number of {book.label(item.key)} and of "
        f"{book.label(other.key)}: which one is meant is not known"
    )
    reading = settle(
        book,
        [other],
        booking.transaction.amount,
        policy,
        stage=Stage.INVOICE_NUMBER,
        reason=reason,
        exact=0.6,
        inexact=0.5,
    )
    if reading is not None:
        return reading
    key: DocumentKey = other.key
    return Reading(  # a credit note: what consuming it would be
        allocations=(allocate(other, book.signed_open(key)),),
        stage=Stage.INVOICE_NUMBER,
        reason=reason,
        confidence=0.5,
    )
