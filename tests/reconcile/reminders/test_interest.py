"""Statutory interest per period: worked examples from the rates in the reference notes
(section 3.4), compounding after a full year (art. 6:119 lid 2 BW), and a day-by-day
computation (tests/support/day_interest.py) that shares no code with the package."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from reconcile.reminders import rates, statutory_interest
from reconcile.reminders.interest import anniversary
from tests.support.day_interest import COMMERCIAL, STATUTORY, day_by_day

D = Decimal


def cents(value: Decimal) -> Decimal:
    return value.quantize(D("0.01"), ROUND_HALF_UP)


def periods(principal: str, due: date, on: date, kind: str) -> list[tuple[date, date, str, str]]:
    result = statutory_interest(D(principal), due, on, rates(kind))
    return [(p.start, p.end, str(p.rate), str(p.amount)) for p in result.periods]


def test_the_data_files_hold_every_rate_of_the_reference_table() -> None:
    for kind, table in (("commercial", COMMERCIAL), ("statutory", STATUTORY)):
        loaded = rates(kind)
        for first, percent in table:
            (segment,) = loaded.segments(first, first)
            assert segment[2] == D(percent), (kind, first)
            assert all(p.source and p.status in ("src", "derived") for p in loaded.periods)


def test_commercial_interest_across_two_rate_changes() -> None:
    # EUR 1,000 due 15 Dec 2024, on 10 Aug 2025: 12.25 % (16 days), 11.15 % (181), 10.15 % (41).
    assert periods("1000", date(2024, 12, 15), date(2025, 8, 10), "commercial") == [
        (
            date(2024, 12, 16),
            date(2024, 12, 31),
            "12.25",
            str(cents(D(1000 * 1225 * 16) / 3650000)),
        ),
        (date(2025, 1, 1), date(2025, 6, 30), "11.15", str(cents(D(1000 * 1115 * 181) / 3650000))),
        (date(2025, 7, 1), date(2025, 8, 10), "10.15", str(cents(D(1000 * 1015 * 41) / 3650000))),
    ]
    total = statutory_interest(D(1000), date(2024, 12, 15), date(2025, 8, 10), rates("commercial"))
    assert total.total == D("5.37") + D("55.29") + D("11.40")


def test_statutory_interest_is_added_to_the_principal_after_a_full_year() -> None:
    # EUR 5,000 due 31 Dec 2023, consumer rate: 2024 at 7 % all year (366 days, a leap year),
    # then from 1 Jan 2025 interest on 5,000 plus the first year's interest.
    # Two table rows of 7 % in 2024 are one period: the rate did not change.
    result = statutory_interest(D(5000), date(2023, 12, 31), date(2025, 3, 31), rates("statutory"))
    first_year = cents(D(5000) * 7 * 366 / 36500)
    assert [(p.start, p.end, p.principal) for p in result.periods] == [
        (date(2024, 1, 1), date(2024, 12, 31), D(5000)),
        (date(2025, 1, 1), date(2025, 3, 31), D(5000) + first_year),
    ]
    assert result.periods[0].amount == first_year == D("350.96")
    assert result.periods[1].amount == cents((D(5000) + first_year) * 6 * 90 / 36500)


def test_a_year_boundary_inside_a_rate_period_splits_the_period() -> None:
    due = date(2025, 3, 14)
    result = statutory_interest(D("250.00"), due, date(2026, 4, 30), rates("commercial"))
    starts = [p.start for p in result.periods]
    assert date(2026, 3, 15) in starts  # the anniversary of 15 March 2025
    later = next(p for p in result.periods if p.start == date(2026, 3, 15))
    year = [p for p in result.periods if p.end < date(2026, 3, 15)]
    assert later.principal == D("250.00") + sum(p.amount for p in year)


def test_the_periods_tile_the_range_and_nothing_is_due_before_the_day_after_due() -> None:
    due = date(2024, 5, 20)
    assert statutory_interest(D(100), due, due, rates("statutory")).periods == ()
    result = statutory_interest(D(100), due, date(2026, 11, 30), rates("statutory"))
    assert result.periods[0].start == due + timedelta(days=1)
    assert result.periods[-1].end == date(2026, 11, 30)
    for before, after in zip(result.periods, result.periods[1:], strict=False):
        assert after.start == before.end + timedelta(days=1)
    assert result.total == sum(p.amount for p in result.periods)


def test_29_february_has_its_anniversary_on_1_march() -> None:
    assert anniversary(date(2024, 2, 29)) == date(2025, 3, 1)
    assert anniversary(date(2025, 2, 28)) == date(2026, 2, 28)


def test_a_date_the_table_does_not_cover_names_the_file() -> None:
    import pytest

    from reconcile.reminders import DataError

    with pytest.raises(DataError, match=r"commercial_interest\.toml.*2015-12-31"):
        statutory_interest(D(100), date(2015, 12, 30), date(2016, 2, 1), rates("commercial"))


@settings(max_examples=60, deadline=None)
@given(
    principal=st.decimals(min_value=D("0.01"), max_value=D("250000"), places=2),
    due=st.dates(min_value=date(2016, 1, 1), max_value=date(2026, 10, 31)),
    days=st.integers(min_value=1, max_value=1200),
    kind=st.sampled_from(["commercial", "statutory"]),
)
def test_per_period_equals_day_by_day(principal: Decimal, due: date, days: int, kind: str) -> None:
    on = due + timedelta(days=days)
    table = COMMERCIAL if kind == "commercial" else STATUTORY
    expected = day_by_day(principal, due, on, table)
    got = statutory_interest(principal, due, on, rates(kind))
    assert [(p.start, p.end, p.rate, p.amount) for p in got.periods] == expected


def test_a_start_on_29_february_compounds_on_1_march() -> None:
    due = date(2024, 2, 28)
    got = statutory_interest(D("999.99"), due, date(2026, 5, 1), rates("statutory"))
    expected = day_by_day(D("999.99"), due, date(2026, 5, 1), STATUTORY)
    assert [(p.start, p.end, p.rate, p.amount) for p in got.periods] == expected
    assert any(p.start == date(2025, 3, 1) for p in got.periods)
