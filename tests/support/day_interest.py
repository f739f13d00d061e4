"""An independent statutory-interest computation for the tests: day by day.

It walks every day from the day after the due date to the end date, looks the rate up in a
plain list of (first day, percent) written from the reference notes (not from the package's
data files), accrues ``principal x rate / 36500`` per day, and closes a period whenever the
rate or the interest year changes. At each anniversary the year's (rounded) interest is
added to the principal (art. 6:119 lid 2 BW). This shares no code with
:mod:`reconcile.reminders.interest`.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["COMMERCIAL", "STATUTORY", "day_by_day"]

# From the reference notes, section 3.4 (first day, percent): one row per published change.
COMMERCIAL = [
    (date(2016, 1, 1), "8.05"),
    (date(2016, 7, 1), "8"),
    (date(2023, 1, 1), "10.5"),
    (date(2023, 7, 1), "12"),
    (date(2024, 1, 1), "12.5"),
    (date(2024, 7, 1), "12.25"),
    (date(2025, 1, 1), "11.15"),
    (date(2025, 7, 1), "10.15"),
]
STATUTORY = [
    (date(2015, 1, 1), "2"),
    (date(2023, 1, 1), "4"),
    (date(2023, 7, 1), "6"),
    (date(2024, 1, 1), "7"),
    (date(2025, 1, 1), "6"),
    (date(2025, 7, 1), "5"),
    (date(2026, 1, 1), "4"),
]


def _rate(table: list[tuple[date, str]], day: date) -> Decimal:
    found = None
    for first, percent in table:
        if first <= day:
            found = percent
    assert found is not None, f"no rate for {day}"
    return Decimal(found)


def _year_index(start: date, day: date) -> int:
    """How many anniversaries of ``start`` lie on or before ``day``."""
    years = day.year - start.year
    for back in (0, 1):
        candidate = years - back
        try:
            anniversary = start.replace(year=start.year + candidate)
        except ValueError:  # 29 February: the anniversary is 1 March
            anniversary = date(start.year + candidate, 3, 1)
        if anniversary <= day:
            return candidate
    return 0


def day_by_day(
    principal: Decimal, due: date, end: date, table: list[tuple[date, str]]
) -> list[tuple[date, date, Decimal, Decimal]]:
    """``(from, to, rate, amount)`` periods, amounts rounded half up to the cent."""
    cent = Decimal("0.01")
    periods: list[tuple[date, date, Decimal, Decimal]] = []
    start = due + timedelta(days=1)
    day = start
    key: tuple[int, Decimal] | None = None
    first = start
    accrued = Decimal(0)
    year_sum = Decimal(0)

    def close(last: date, rate: Decimal) -> None:
        nonlocal accrued, year_sum
        amount = accrued.quantize(cent, ROUND_HALF_UP)
        periods.append((first, last, rate, amount))
        year_sum += amount
        accrued = Decimal(0)

    while day <= end:
        here = (_year_index(start, day), _rate(table, day))
        if key is not None and here != key:
            close(day - timedelta(days=1), key[1])
            if here[0] != key[0]:
                principal += year_sum
                year_sum = Decimal(0)
            first = day
        key = here
        accrued += principal * here[1] / Decimal(36500)
        day += timedelta(days=1)
    if key is not None:
        close(end, key[1])
    return periods
