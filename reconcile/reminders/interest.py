"""Statutory interest, computed exactly per period with the rate in force for each day range.

Interest runs from the day after the due date (BT-9 Payment due date) to the computation date,
both inclusive. Each day range with one rate earns ``principal x rate / 100 x days / 365``
(day count ``actual/365``), rounded half up to the cent per period. With yearly compounding
(art. 6:119 lid 2 BW) the interest of each full year - the year from the start date to the
day before its anniversary - is added to the principal, so the next year earns interest on
it too; a period therefore also ends at each anniversary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from reconcile.reminders.rates import RateTable

__all__ = ["Interest", "InterestPeriod", "anniversary", "statutory_interest"]

_CENT = Decimal("0.01")
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class InterestPeriod:
    """The interest of one day range with one rate and one principal."""

    start: date
    end: date
    """Inclusive."""
    rate: Decimal
    """Percent per year."""
    principal: Decimal
    """What earns interest in this range: the open amount plus interest added at earlier
    anniversaries."""
    amount: Decimal
    """Rounded to the cent."""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True, slots=True)
class Interest:
    """The statutory interest from ``start`` to ``end`` and its split by period."""

    start: date
    end: date
    periods: tuple[InterestPeriod, ...]

    @property
    def total(self) -> Decimal:
        """The sum of the periods' amounts."""
        return sum((p.amount for p in self.periods), Decimal("0.00"))

    def periods_json(self) -> list[dict[str, str]]:
        """The periods as the JSON contract writes them: ``from``, ``to``, ``rate`` and
        ``amount`` as text (rate and amount with two decimals)."""
        cent = Decimal("0.01")
        return [
            {
                "from": period.start.isoformat(),
                "to": period.end.isoformat(),
                "rate": str(period.rate.quantize(cent)),
                "amount": str(period.amount.quantize(cent)),
            }
            for period in self.periods
        ]


def anniversary(start: date) -> date:
    """The same day one year later; for 29 February, 1 March."""
    try:
        return start.replace(year=start.year + 1)
    except ValueError:
        return date(start.year + 1, 3, 1)


def _days_basis(table: RateTable) -> int:
    if table.day_count != "actual/365":  # pragma: no cover - the loader allows no other
        raise ValueError(f"{table.path}: day_count {table.day_count!r} is not supported")
    return 365


def statutory_interest(principal: Decimal, due_date: date, on: date, table: RateTable) -> Interest:
    """The interest on ``principal`` from the day after ``due_date`` to ``on`` inclusive.

    Nothing is due (no periods) when ``on`` is not after ``due_date``. A day the table does
    not cover raises :class:`~reconcile.reminders.DataError`.
    """
    start = due_date + _DAY
    periods: list[InterestPeriod] = []
    basis = Decimal(100 * _days_basis(table))
    year_start = start
    while year_start <= on:
        next_year = anniversary(year_start)
        year_end = min(on, next_year - _DAY)
        earned = Decimal(0)
        for first, last, rate in table.segments(year_start, year_end):
            days = (last - first).days + 1
            amount = (principal * rate * days / basis).quantize(_CENT, ROUND_HALF_UP)
            periods.append(InterestPeriod(first, last, rate, principal, amount))
            earned += amount
        if table.compounding == "yearly" and year_end == next_year - _DAY:
            principal += earned
        year_start = next_year
    return Interest(start=start, end=on, periods=tuple(periods))
