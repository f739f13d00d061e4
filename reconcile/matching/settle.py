"""How a payment is spread over the documents it names: in full, partly, or with a surplus.

Credit notes are consumed first (their allocation is negative), then invoices oldest due
first. An amount short of the total is a partial payment (the last invoice stays partly
open) unless the shortfall lies within the policy's tolerance; an amount over the total
leaves its surplus unapplied, as a credit of the debtor.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from reconcile.matching.book import Book, allocate
from reconcile.matching.policy import MatchPolicy
from reconcile.matching.reading import Reading
from reconcile.open_items import ItemKind, OpenItem
from reconcile.result import Stage

__all__ = ["settle"]


def settle(
    book: Book,
    items: Sequence[OpenItem],
    amount: Decimal,
    policy: MatchPolicy,
    *,
    stage: Stage,
    reason: str,
    exact: float,
    inexact: float,
) -> Reading | None:
    """The reading that applies ``amount`` to ``items``; None when they owe nothing.

    ``exact`` is the confidence when the amount is the items' total, ``inexact`` when it is
    a partial payment or an over-payment; a shortfall within tolerance is stage
    :attr:`~reconcile.result.Stage.TOLERANCE` at ``min(exact, inexact + 0.05)``.
    """
    credits = [i for i in items if i.kind is ItemKind.CREDIT_NOTE and book.is_open(i.key)]
    invoices = [i for i in items if i.kind is ItemKind.INVOICE and book.is_open(i.key)]
    invoices.sort(key=lambda item: (item.due_date or item.issue_date, item.number))
    total = sum((book.signed_open(i.key) for i in credits + invoices), Decimal(0))
    if total <= 0 or amount <= 0:
        return None
    allocations = [allocate(i, book.signed_open(i.key)) for i in credits]
    if amount == total:
        allocations += [allocate(i, book.open[i.key]) for i in invoices]
        return Reading(allocations=tuple(allocations), stage=stage, reason=reason, confidence=exact)
    if amount > total:
        allocations += [allocate(i, book.open[i.key]) for i in invoices]
        surplus = amount - total
        return Reading(
            allocations=tuple(allocations),
            stage=stage,
            reason=f"{reason}; over-payment, {surplus} unapplied as a credit",
            confidence=inexact,
            unapplied=surplus,
        )
    shortfall = total - amount
    within = shortfall <= policy.tolerance(total)
    if within and policy.write_off:
        allocations += [allocate(i, book.open[i.key]) for i in invoices]
        return Reading(
            allocations=tuple(allocations),
            stage=Stage.TOLERANCE,
            reason=f"{reason}; short by {shortfall}, within tolerance, written off",
            confidence=min(exact, inexact + 0.05),
            written_off=shortfall,
        )
    left = amount - sum((a.amount for a in allocations), Decimal(0))
    for invoice in invoices:
        if left <= 0:
            break
        part = min(left, book.open[invoice.key])
        allocations.append(allocate(invoice, part))
        left -= part
    if within:
        return Reading(
            allocations=tuple(allocations),
            stage=Stage.TOLERANCE,
            reason=f"{reason}; short by {shortfall}, within tolerance, kept open",
            confidence=min(exact, inexact + 0.05),
        )
    return Reading(
        allocations=tuple(allocations),
        stage=stage,
        reason=f"{reason}; partial payment, {shortfall} stays open",
        confidence=inexact,
    )
