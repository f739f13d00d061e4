"""Stage 4: the debtor known by account (BT-91, or an account seen paying the debtor in this
run or a prior one) or by name (the ultimate debtor an agent pays for, or the payer's name),
with the exact amount of one open item, or of a combination of up to
``MatchPolicy.max_combination`` of that debtor's open items (an invoice net of its credit
note is such a combination).

Confidence: one item 0.90 by account, 0.85 by ultimate debtor, 0.82 by name; a combination
0.85 by account, 0.80 by ultimate debtor or name. Two items (or two combinations) that both
fit are ambiguous: each is a suggestion.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from reconcile.matching.book import Book, allocate
from reconcile.matching.booking import Booking
from reconcile.matching.policy import MatchPolicy
from reconcile.matching.reading import Reading
from reconcile.open_items import ItemKind
from reconcile.result import Stage

__all__ = ["combinations", "readings"]


def readings(book: Book, booking: Booking, policy: MatchPolicy) -> list[Reading]:
    tx = booking.transaction
    found: list[Reading] = []
    for debtor, via in booking.debtors.items():
        items = book.debtor_items(debtor, tx.currency)
        if not items:
            continue
        single, combined = _confidence(booking, via)
        exact = [
            i for i in items if i.kind is ItemKind.INVOICE and book.signed_open(i.key) == tx.amount
        ]
        if exact:
            for item in exact:
                found.append(
                    Reading(
                        allocations=(allocate(item, tx.amount),),
                        stage=Stage.DEBTOR_AMOUNT,
                        reason=f"debtor known by {via}; exact open amount of {item.number}",
                        confidence=single if len(exact) == 1 else 0.5,
                    )
                )
            continue
        values = [book.signed_open(i.key) for i in items]
        combos = combinations(values, tx.amount, _max_size(len(items), policy))
        for combo in combos:
            chosen = [items[k] for k in combo]
            found.append(
                Reading(
                    allocations=tuple(allocate(i, book.signed_open(i.key)) for i in chosen),
                    stage=Stage.DEBTOR_AMOUNT,
                    reason=(
                        f"debtor known by {via}; the open amounts of "
                        f"{', '.join(i.number for i in chosen)} add up to {tx.amount}"
                    ),
                    confidence=combined if len(combos) == 1 else 0.5,
                )
            )
    return found


def _confidence(booking: Booking, via: str) -> tuple[float, float]:
    if via.startswith("account"):
        return 0.90, 0.85
    if via.startswith("ultimate"):
        return 0.85, 0.80
    return 0.82, 0.80


def _max_size(count: int, policy: MatchPolicy) -> int:
    """Combinations grow as count**(size-1): a debtor with many open items gets smaller ones."""
    if count > 300:
        return min(policy.max_combination, 2)
    if count > 40:
        return min(policy.max_combination, 3)
    return policy.max_combination


def combinations(
    values: Sequence[Decimal], target: Decimal, max_size: int, limit: int = 2
) -> list[tuple[int, ...]]:
    """Up to ``limit`` sets of 2..``max_size`` positions whose values add up to ``target``
    (a positive total): enough to tell one fit from an ambiguous one. The last value of each
    set is found by a dictionary look-up, so the work is ``len(values) ** (size - 1)``."""
    by_value: dict[Decimal, list[int]] = defaultdict(list)
    for position, value in enumerate(values):
        by_value[value].append(position)
    found: list[tuple[int, ...]] = []
    count = len(values)

    def search(start: int, chosen: list[int], total: Decimal, size: int) -> None:
        if len(found) >= limit:
            return
        if len(chosen) == size - 1:
            for position in by_value.get(target - total, ()):
                if position >= start:
                    found.append((*chosen, position))
                    if len(found) >= limit:
                        return
            return
        for position in range(start, count):
            chosen.append(position)
            search(position + 1, chosen, total + values[position], size)
            chosen.pop()
            if len(found) >= limit:
                return

    for size in range(2, max_size + 1):
        search(0, [], Decimal(0), size)
    return found
