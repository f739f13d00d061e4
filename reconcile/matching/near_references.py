"""Stage 2: a reference whose check digit fails and that is one edit (one wrong character,
two adjacent characters swapped, one character missing or extra) away from exactly one open
document's BT-83 reference, with the exact amount.

Confidence: 0.85 when the payer is known as that document's debtor (by account or name);
0.60 (a suggestion) when the payer is unknown. A near miss onto a document of another known
debtor is not read at all.
"""

from __future__ import annotations

from collections.abc import Iterator

from reconcile.matching.book import Book, allocate
from reconcile.matching.booking import Booking
from reconcile.matching.policy import MatchPolicy
from reconcile.matching.reading import Reading
from reconcile.matching.tokens import reference_candidates, valid_reference
from reconcile.open_items import DocumentKey
from reconcile.result import Stage

__all__ = ["one_edit", "readings"]

_DIGITS = "0123456789"
_ALNUM = _DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def one_edit(value: str) -> Iterator[str]:
    """Every string one edit away from ``value`` (an ``RF`` prefix is kept)."""
    head, body = ("RF", value[2:]) if value.startswith("RF") else ("", value)
    alphabet = _ALNUM if head else _DIGITS
    for i in range(len(body)):
        for ch in alphabet:
            if ch != body[i]:
                yield head + body[:i] + ch + body[i + 1 :]
        yield head + body[:i] + body[i + 1 :]
        if i + 1 < len(body) and body[i] != body[i + 1]:
            yield head + body[:i] + body[i + 1] + body[i] + body[i + 2 :]
    for i in range(len(body) + 1):
        for ch in alphabet:
            yield head + body[:i] + ch + body[i:]


def readings(book: Book, booking: Booking, policy: MatchPolicy) -> list[Reading]:
    tx = booking.transaction
    found: dict[DocumentKey, Reading] = {}
    if not book.with_amount(tx.amount, tx.currency):
        return []  # no invoice is open for exactly this amount
    for candidate in reference_candidates(tx):
        if not candidate.marked or candidate.value in book.by_reference:
            continue
        if valid_reference(candidate.value) is not None:
            continue
        hits: set[DocumentKey] = set()
        for variant in one_edit(candidate.value):
            hits.update(book.by_reference.get(variant, ()))
        for key in sorted(hits, key=str):
            item = book.items[key]
            if item.currency != tx.currency or book.signed_open(key) != tx.amount:
                continue
            if booking.conflicts(item.debtor):
                continue
            confidence = 0.85 if booking.confirmed(item.debtor) else 0.60
            found[key] = Reading(
                allocations=(allocate(item, tx.amount),),
                stage=Stage.NEAR_REFERENCE,
                reason=(
                    f"{candidate.value} fails its check and is one edit from "
                    f"{item.payment_reference}, the reference of {book.label(key)}, same amount"
                ),
                confidence=confidence,
            )
    if len(found) > 1:
        return [_weaker(r) for r in found.values()]
    return list(found.values())


def _weaker(reading: Reading) -> Reading:
    return Reading(
        allocations=reading.allocations,
        stage=reading.stage,
        reason=reading.reason + " (one of several)",
        confidence=min(reading.confidence, 0.6),
    )
