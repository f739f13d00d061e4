"""Stage 1: a structured payment reference (RF ISO 11649, Dutch betalingskenmerk, Belgian
OGM) in the structured fields or anywhere in the text, that is the BT-83 reference of an open
document.

Confidence: 0.99 for a reference whose check digits hold and the exact amount, 0.95 for a
partial or over-payment; a 7-digit betalingskenmerk (no check) or a reference that fails its
check but is exactly a document's BT-83: 0.90 exact, and for a different amount 0.80 when the
payer is known as the debtor, else 0.70. A reference of a settled document is a suggestion
(0.50: paid twice?).

One payment may carry several references of different open documents (``RF09 INV6 RF79
INV7``): when the amount is exactly what they owe together it settles all of them (0.99 when
every reference holds its check, else 0.90); any other amount is ambiguous: each reference's
reading is a suggestion (at most 0.60), and no later stage applies anything to the booking.
"""

from __future__ import annotations

from dataclasses import dataclass
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

_SEVERAL = 0.6
"""The most a reading of one of several references gets when the amount fits none of them
together: a suggestion."""


@dataclass(frozen=True, slots=True)
class _Named:
    """The open documents one reference of the booking names."""

    what: str
    items: list[OpenItem]
    checked: bool


def readings(book: Book, booking: Booking, policy: MatchPolicy) -> list[Reading]:
    tx = booking.transaction
    found: list[Reading] = []
    named: list[_Named] = []
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
        named.append(_Named(what, open_items, checked))
    several = _distinct(named)
    if len(several) > 1 and all(len(one.items) == 1 for one in named):
        return found + _together(book, booking, policy, several)
    for one in named:
        found += _alone(book, booking, policy, one)
    return found


def _alone(book: Book, booking: Booking, policy: MatchPolicy, one: _Named) -> list[Reading]:
    tx = booking.transaction
    confirmed = all(booking.confirmed(i.debtor) for i in one.items)
    if len(one.items) > 1:
        exact_c, inexact_c = 0.75, 0.70
    elif one.checked:
        exact_c, inexact_c = 0.99, 0.95
    else:
        exact_c, inexact_c = 0.90, 0.80 if confirmed else 0.70
    names = ", ".join(book.label(i.key) for i in one.items)
    reason = f"{one.what} is the payment reference of {names}"
    return _settle(book, tx.amount, policy, one.items, reason, (exact_c, inexact_c))


def _settle(
    book: Book,
    amount: Decimal,
    policy: MatchPolicy,
    items: list[OpenItem],
    reason: str,
    confidence: tuple[float, float],
) -> list[Reading]:
    """:func:`settle` at stage 1, ``confidence`` exact and inexact; empty for nothing."""
    exact, inexact = confidence
    reading = settle(
        book,
        items,
        amount,
        policy,
        stage=Stage.REFERENCE,
        reason=reason,
        exact=exact,
        inexact=inexact,
    )
    return [reading] if reading is not None else []


def _distinct(named: list[_Named]) -> list[_Named]:
    """The references that each name one document, and a document no other names (the same
    reference spelled twice, or a reference and its prefix, count once)."""
    seen: dict[object, _Named] = {}
    for one in named:
        if len(one.items) == 1:
            seen.setdefault(one.items[0].key, one)
    return list(seen.values())


def _together(
    book: Book, booking: Booking, policy: MatchPolicy, several: list[_Named]
) -> list[Reading]:
    tx = booking.transaction
    items = [one.items[0] for one in several]
    owed = sum((book.signed_open(i.key) for i in items), Decimal(0))
    parts = "; ".join(f"{one.what} of {book.label(one.items[0].key)}" for one in several)
    if owed == tx.amount:
        confidence = 0.99 if all(one.checked for one in several) else 0.90
        reason = f"payment references {parts}: the amount is what they owe together"
        return _settle(book, tx.amount, policy, items, reason, (confidence, _SEVERAL))
    weak: list[Reading] = []
    for one in several:
        for reading in _alone(book, booking, policy, one):
            weak.append(
                Reading(
                    allocations=reading.allocations,
                    stage=reading.stage,
                    reason=f"{reading.reason} (one of several references; {owed} owed together)",
                    confidence=min(reading.confidence, _SEVERAL),
                    unapplied=reading.unapplied,
                    written_off=reading.written_off,
                    ambiguous=True,
                )
            )
    return weak


def _settled(book: Book, items: list[OpenItem], amount: Decimal, what: str) -> Reading:
    names = ", ".join(book.label(i.key) for i in items)
    return Reading(
        allocations=tuple(allocate(i, Decimal(0)) for i in items[:1]),
        stage=Stage.REFERENCE,
        reason=f"{what} is the payment reference of {names}, already settled: paid twice?",
        confidence=0.5,
        unapplied=amount,
    )
