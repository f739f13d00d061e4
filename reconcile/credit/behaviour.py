"""Payment behaviour: how long each debtor takes to pay, and where lateness concentrates.

Per debtor, over the invoices it has paid: the average days to pay (issue date BT-2 to the day
the payments covered the invoice) and the average days late (due date BT-9 to that day, 0 when
paid on time), with the average days late per month of payment over the last six months and
its trend (least-squares slope, days per month). Across debtors: the share of invoices paid
late, or still open after their due date, by amount band and by the weekday the invoice was
sent. Credit notes are left out.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reconcile.credit.history import History

__all__ = [
    "AMOUNT_BANDS",
    "DebtorBehaviour",
    "LateRate",
    "debtor_behaviour",
    "late_rate_by_band",
    "late_rate_by_weekday",
]

AMOUNT_BANDS: tuple[Decimal, ...] = (Decimal(100), Decimal(1000), Decimal(10000))
"""Upper bounds of the amount bands (the last band is open): up to 100, 1,000, 10,000, more."""

_TENTH = Decimal("0.1")
_PLACES = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class DebtorBehaviour:
    debtor: str
    paid: int
    """Invoices paid in full."""
    days_to_pay: Decimal | None
    days_late: Decimal | None
    monthly_days_late: tuple[tuple[date, Decimal | None], ...]
    """The last six months (first day of each), oldest first: average days late of the
    invoices paid in that month (``None``: none paid)."""
    trend: Decimal | None
    """Slope of ``monthly_days_late`` in days per month (positive: paying later and later);
    ``None`` with fewer than two months that have payments."""


@dataclass(frozen=True, slots=True)
class LateRate:
    label: str
    invoices: int
    late: int

    @property
    def rate(self) -> Decimal | None:
        return (
            None if self.invoices == 0 else (Decimal(self.late) / self.invoices).quantize(_PLACES)
        )


def _months_back(on: date, count: int) -> list[date]:
    year, month = on.year, on.month
    months = []
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


def _mean(values: Sequence[int]) -> Decimal | None:
    return None if not values else (Decimal(sum(values)) / len(values)).quantize(_TENTH)


def _slope(points: Sequence[tuple[int, Decimal]]) -> Decimal | None:
    if len(points) < 2:
        return None
    n = Decimal(len(points))
    mean_x = sum((Decimal(x) for x, _ in points), Decimal(0)) / n
    mean_y = sum((y for _, y in points), Decimal(0)) / n
    spread = sum(((Decimal(x) - mean_x) ** 2 for x, _ in points), Decimal(0))
    if spread == 0:
        return None
    covariance = sum(((Decimal(x) - mean_x) * (y - mean_y) for x, y in points), Decimal(0))
    return (covariance / spread).quantize(_TENTH)


def debtor_behaviour(documents: Iterable[History], on: date) -> list[DebtorBehaviour]:
    """Each debtor's behaviour on ``on`` (the six months end with ``on``'s month), sorted by
    debtor; invoices paid after ``on`` count as not yet paid."""
    months = _months_back(on, 6)
    per_debtor: dict[str, list[tuple[date, int, int]]] = {}
    for document in documents:
        if document.amount <= 0:
            continue
        paid = document.paid_on
        per_debtor.setdefault(document.debtor, [])
        if paid is None or paid > on:
            continue
        late = max((paid - document.due).days, 0)
        per_debtor[document.debtor].append((paid, (paid - document.issue_date).days, late))
    rows = []
    for debtor in sorted(per_debtor):
        paid_rows = per_debtor[debtor]
        monthly = []
        for month in months:
            lates = [
                late
                for paid, _, late in paid_rows
                if (paid.year, paid.month) == (month.year, month.month)
            ]
            monthly.append((month, _mean(lates)))
        points = [(i, value) for i, (_, value) in enumerate(monthly) if value is not None]
        rows.append(
            DebtorBehaviour(
                debtor=debtor,
                paid=len(paid_rows),
                days_to_pay=_mean([days for _, days, _ in paid_rows]),
                days_late=_mean([late for _, _, late in paid_rows]),
                monthly_days_late=tuple(monthly),
                trend=_slope(points),
            )
        )
    return rows


def _late(document: History, on: date) -> bool | None:
    """Paid after its due date, or open past it on ``on``: True; paid in time: False;
    not due yet and open: ``None`` (not counted)."""
    paid = document.paid_on
    if paid is not None and paid <= on:
        return paid > document.due
    return True if on > document.due else None


def _band_label(upper: Sequence[Decimal], i: int) -> str:
    if i == len(upper):
        return f"> {upper[-1]:,}"
    lower = Decimal(0) if i == 0 else upper[i - 1]
    return f"{lower:,}-{upper[i]:,}"


def late_rate_by_band(
    documents: Iterable[History], on: date, bands: Sequence[Decimal] = AMOUNT_BANDS
) -> list[LateRate]:
    """The late-payment rate per amount band (``bands`` are ascending upper bounds, inclusive)."""
    if list(bands) != sorted(set(bands)) or not bands:
        raise ValueError(f"amount bands must be ascending and distinct: {list(bands)}")
    counts = [[0, 0] for _ in range(len(bands) + 1)]
    for document in documents:
        if document.amount <= 0 or (late := _late(document, on)) is None:
            continue
        i = next((i for i, upper in enumerate(bands) if document.amount <= upper), len(bands))
        counts[i][0] += 1
        counts[i][1] += late
    return [LateRate(_band_label(bands, i), total, late) for i, (total, late) in enumerate(counts)]


def late_rate_by_weekday(documents: Iterable[History], on: date) -> list[LateRate]:
    """The late-payment rate per weekday the invoice was sent, Monday first."""
    counts = [[0, 0] for _ in range(7)]
    for document in documents:
        if document.amount <= 0 or (late := _late(document, on)) is None:
            continue
        day = document.sent.weekday()
        counts[day][0] += 1
        counts[day][1] += late
    return [LateRate(calendar.day_name[i], total, late) for i, (total, late) in enumerate(counts)]
