"""Ageing: open amounts in buckets by days past the due date (reference section 7).

Buckets: not due, 1-30, 31-60, 61-90 and more than 90 days past BT-9 Payment due date; a
document without a due date is aged from BT-2 Issue date. A credit note's open amount counts
negative, in the bucket of its own date, so each debtor's buckets add up to its exposure.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from reconcile.open_items import OpenItem

__all__ = ["Ageing", "AgeingRow", "Bucket", "ageing", "bucket_of", "days_overdue"]


class Bucket(enum.StrEnum):
    NOT_DUE = "not due"
    DAYS_1_30 = "1-30"
    DAYS_31_60 = "31-60"
    DAYS_61_90 = "61-90"
    OVER_90 = "90+"


def days_overdue(item: OpenItem, on: date) -> int:
    """Days from the due date (BT-9, else the issue date BT-2) to ``on``; 0 or less is not due."""
    return (on - (item.due_date or item.issue_date)).days


def bucket_of(days: int) -> Bucket:
    """The bucket of a document ``days`` past its due date."""
    if days <= 0:
        return Bucket.NOT_DUE
    if days <= 30:
        return Bucket.DAYS_1_30
    if days <= 60:
        return Bucket.DAYS_31_60
    if days <= 90:
        return Bucket.DAYS_61_90
    return Bucket.OVER_90


def _empty() -> dict[Bucket, Decimal]:
    return {bucket: Decimal("0") for bucket in Bucket}


@dataclass(slots=True)
class AgeingRow:
    """One debtor's (or the total's) open amount per bucket, in one currency."""

    debtor: str
    currency: str
    buckets: dict[Bucket, Decimal] = field(default_factory=_empty)

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), Decimal("0"))

    @property
    def overdue(self) -> Decimal:
        return self.total - self.buckets[Bucket.NOT_DUE]


@dataclass(frozen=True, slots=True)
class Ageing:
    on: date
    rows: list[AgeingRow]
    """Per debtor and currency, sorted by debtor then currency."""
    totals: list[AgeingRow]
    """Per currency (``debtor`` is ``"*"``)."""


def ageing(items: Iterable[OpenItem], on: date) -> Ageing:
    """The ageing of every open item on ``on``; settled items (open 0) are left out."""
    rows: dict[tuple[str, str], AgeingRow] = {}
    totals: dict[str, AgeingRow] = {}
    for item in items:
        if item.open == 0:
            continue
        bucket = bucket_of(days_overdue(item, on))
        row = rows.get((item.debtor, item.currency))
        if row is None:
            row = rows[(item.debtor, item.currency)] = AgeingRow(item.debtor, item.currency)
        total = totals.get(item.currency)
        if total is None:
            total = totals[item.currency] = AgeingRow("*", item.currency)
        row.buckets[bucket] += item.signed_open
        total.buckets[bucket] += item.signed_open
    return Ageing(
        on=on,
        rows=[rows[key] for key in sorted(rows)],
        totals=[totals[key] for key in sorted(totals)],
    )
