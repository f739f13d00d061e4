"""Days sales outstanding per month, by the simple formula and by count-back (reference
section 7).

* Simple: receivables at the month's end / credit sales of the month x days in the month.
* Count-back: walk back from the month, taking each month's sales off the receivables at the
  end of the month and counting its days, until what is left is less than a month's sales;
  that month adds the share of its days that the rest is of its sales.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reconcile.credit.history import History

__all__ = [
    "MonthDso",
    "MonthFigures",
    "countback_dso",
    "dso_by_month",
    "month_figures",
    "simple_dso",
]

_TENTH = Decimal("0.1")


def _days_in(month: date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def _first(day: date) -> date:
    return day.replace(day=1)


def _next(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


@dataclass(frozen=True, slots=True)
class MonthFigures:
    month: date
    """The first day of the month."""
    receivable: Decimal
    """What was open at the end of the month."""
    sales: Decimal
    """What was invoiced in the month, net of credit notes."""


@dataclass(frozen=True, slots=True)
class MonthDso:
    month: date
    simple: Decimal | None
    """``None`` when the month had no sales."""
    countback: Decimal | None
    """``None`` when the months before do not hold enough sales to count back the receivables."""


def simple_dso(receivable: Decimal, sales: Decimal, days: int) -> Decimal | None:
    """``receivable / sales x days``, to one decimal; ``None`` without positive sales."""
    if sales <= 0:
        return None
    return (receivable / sales * days).quantize(_TENTH)


def countback_dso(figures: Sequence[MonthFigures]) -> Decimal | None:
    """The count-back DSO at the end of the last month of ``figures`` (oldest first)."""
    if not figures:
        return None
    left = figures[-1].receivable
    if left <= 0:
        return Decimal("0.0")
    days = Decimal("0")
    for month in reversed(figures):
        length = _days_in(month.month)
        if month.sales > 0 and left <= month.sales:
            return (days + left / month.sales * length).quantize(_TENTH)
        left -= max(month.sales, Decimal("0"))
        days += length
    return None


def month_figures(
    documents: Iterable[History], first: date, last: date, *, currency: str
) -> list[MonthFigures]:
    """Receivables at each month's end and sales per month, from ``first`` to ``last``
    (any day in each month), over the documents in ``currency``.

    One pass over the documents and their settlements: each adds its amount to its issue
    month and takes each settlement off the settlement's month; the receivables are the running
    sum, starting from everything that happened before ``first``.
    """
    months = []
    month = _first(first)
    while month <= _first(last):
        months.append(month)
        month = _next(month)
    index = {month: i for i, month in enumerate(months)}
    sales = [Decimal("0")] * len(months)
    change = [Decimal("0")] * len(months)
    before = Decimal("0")
    start = months[0] if months else first

    def add(day: date, amount: Decimal) -> None:
        nonlocal before
        if day < start:
            before += amount
        elif (i := index.get(_first(day))) is not None:
            change[i] += amount

    for document in documents:
        if document.currency != currency:
            continue
        add(document.issue_date, document.amount)
        if (i := index.get(_first(document.issue_date))) is not None:
            sales[i] += document.amount
        for on, paid in document.settlements:
            add(max(on, document.issue_date), -paid)
    figures = []
    running = before
    for i, month in enumerate(months):
        running += change[i]
        figures.append(MonthFigures(month=month, receivable=running, sales=sales[i]))
    return figures


def dso_by_month(figures: Sequence[MonthFigures]) -> list[MonthDso]:
    """Both DSO figures for every month of ``figures`` (oldest first); count-back for a month
    looks only at that month and the ones before it."""
    return [
        MonthDso(
            month=month.month,
            simple=simple_dso(month.receivable, month.sales, _days_in(month.month)),
            countback=countback_dso(figures[: i + 1]),
        )
        for i, month in enumerate(figures)
    ]
