"""Stage 3: invoice numbers (BT-1) in the remittance text or the EndToEndId, found by
normalised tokens (``fact 2026-0842``, ``INV2026 0842``, ``factuurnr 20260842``), with an
amount check.

One payment may name several documents (invoices and credit notes): they are settled
together. Confidence: 0.95 when the amount is exactly what the named documents still owe
(0.97 when the EndToEndId is the number); for a partial or over-payment 0.85 when the payer
is known as the debtor, else 0.65 (a suggestion). A number that fits documents of several
debtors, or several documents of which the amount picks none, is ambiguous: each reading is
a suggestion.
"""

from __future__ import annotations

from reconcile.matching.book import Book, digit_key, number_key
from reconcile.matching.booking import Booking
from reconcile.matching.policy import MatchPolicy
from reconcile.matching.reading import Reading
from reconcile.matching.settle import settle
from reconcile.matching.tokens import number_keys
from reconcile.open_items import DocumentKey, OpenItem
from reconcile.result import Stage

__all__ = ["readings"]


def readings(book: Book, booking: Booking, policy: MatchPolicy) -> list[Reading]:
    tx = booking.transaction
    chosen: dict[DocumentKey, OpenItem] = {}
    alternatives: list[list[OpenItem]] = []
    for key in number_keys(tx):
        numbers = book.by_number.get(key)
        if not numbers:
            continue
        items = [book.items[n] for n in numbers if book.items[n].currency == tx.currency]
        if len(items) > 1:
            items = [i for i in items if booking.confirmed(i.debtor)] or items
        if len(items) > 1:
            exact = [i for i in items if book.signed_open(i.key) == tx.amount]
            items = exact if len(exact) == 1 else items
        if len(items) == 1:
            chosen[items[0].key] = items[0]
        elif items:
            alternatives.append(items)
    if alternatives:
        names = {i.key for group in alternatives for i in group}
        if not names <= set(chosen):
            return [
                r
                for group in alternatives
                for item in group
                if (r := _read(book, booking, [item], policy, weak=True)) is not None
            ]
    if not chosen:
        return []
    items = list(chosen.values())
    debtors = {i.debtor for i in items}
    if len(debtors) > 1:
        known = [i for i in items if booking.confirmed(i.debtor)]
        if {i.debtor for i in known} and len({i.debtor for i in known}) == 1:
            items = known
        else:
            by_debtor: dict[str, list[OpenItem]] = {}
            for item in items:
                by_debtor.setdefault(item.debtor, []).append(item)
            return [
                r
                for group in by_debtor.values()
                if (r := _read(book, booking, group, policy, weak=True)) is not None
            ]
    reading = _read(book, booking, items, policy, weak=False)
    return [reading] if reading is not None else []


def _read(
    book: Book, booking: Booking, items: list[OpenItem], policy: MatchPolicy, *, weak: bool
) -> Reading | None:
    tx = booking.transaction
    in_e2e = tx.end_to_end_id is not None and any(
        number_key(tx.end_to_end_id) == number_key(i.number)
        or digit_key(tx.end_to_end_id) == digit_key(i.number)
        for i in items
    )
    confirmed = all(booking.confirmed(i.debtor) for i in items)
    if weak:
        exact, inexact = 0.6, 0.5
    else:
        exact = 0.97 if in_e2e else 0.95
        inexact = 0.85 if confirmed else 0.65
    where = "the EndToEndId" if in_e2e else "the remittance text"
    names = ", ".join(i.number for i in items)
    return settle(
        book,
        items,
        tx.amount,
        policy,
        stage=Stage.INVOICE_NUMBER,
        reason=f"{where} names {names}",
        exact=exact,
        inexact=inexact,
    )
