"""sync.schedule: when a connection is due (every / cron), and the backoff of a failing one."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from random import Random

import pytest

import sync.schedule
from sync.schedule import (
    EPOCH,
    Backoff,
    Schedule,
    due,
    next_due,
    offset_of,
    parse_duration,
    parse_schedule,
)

FIVE_MINUTES = Schedule(every=timedelta(minutes=5))
EVERY_FIVE = Schedule(cron="*/5 * * * *")


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_the_docstring_examples_hold() -> None:
    result = doctest.testmod(sync.schedule, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 8 and result.failed == 0


# -- Schedule and parse_schedule --------------------------------------------------------------


def test_parse_schedule_reads_the_settings_forms() -> None:
    assert parse_schedule("5m", None) == FIVE_MINUTES
    assert parse_schedule("90", None) == Schedule(every=timedelta(seconds=90))
    assert parse_schedule(timedelta(hours=1), None) == Schedule(every=timedelta(hours=1))
    assert parse_schedule(None, "*/5 * * * *") == EVERY_FIVE
    assert parse_schedule(None, None) is None  # not scheduled: the daemon leaves it alone


def test_both_or_neither_is_no_schedule() -> None:
    with pytest.raises(ValueError, match="both every and cron"):
        parse_schedule("5m", "*/5 * * * *")
    with pytest.raises(ValueError, match="give one of them"):
        Schedule()
    with pytest.raises(ValueError, match="give one of them"):
        Schedule(every=timedelta(minutes=5), cron="*/5 * * * *")


@pytest.mark.parametrize("every", [timedelta(0), timedelta(seconds=-1)])
def test_an_interval_must_be_positive(every: timedelta) -> None:
    with pytest.raises(ValueError, match="longer than 0s"):
        Schedule(every=every)


@pytest.mark.parametrize("every", ["soon", "5 minutes", "-5m", "1.5h"])
def test_an_interval_that_is_no_duration_is_refused(every: str) -> None:
    with pytest.raises(ValueError, match="is no duration"):
        parse_schedule(every, None)


def test_a_six_field_cron_is_refused_saying_why() -> None:
    with pytest.raises(ValueError) as raised:
        Schedule(cron="*/15 * * * * *")
    message = str(raised.value)
    assert "'*/15 * * * * *' has 6 fields" in message
    assert "has 5 (minute hour day-of-month month day-of-week)" in message
    assert "seconds, read last" in message


@pytest.mark.parametrize(
    ("cron", "complaint"),
    [
        ("* * *", "has 3 fields; a cron expression has 5"),
        ("* * * * * * *", "has 7 fields; a cron expression has 5"),
        ("@hourly", "has 1 field; a cron expression has 5"),
        ("", "has 0 fields"),
        ("61 * * * *", "'61 \\* \\* \\* \\*' is no cron expression croniter reads: .*out of range"),
        ("0 25 * * *", "'0 25 \\* \\* \\*' is no cron expression croniter reads"),
        ("abc * * * *", "'abc \\* \\* \\* \\*' is no cron expression croniter reads"),
        ("0 0 31 2 *", "names no date that exists"),
    ],
)
def test_a_bad_cron_says_what_is_wrong(cron: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        Schedule(cron=cron)


# -- every ------------------------------------------------------------------------------------


def test_every_instants_are_epoch_aligned_without_a_name() -> None:
    assert next_due(FIVE_MINUTES, at(2026, 12, 7, 10, 1)) == at(2026, 12, 7, 10, 5)
    assert next_due(FIVE_MINUTES, at(2026, 12, 7, 10, 5)) == at(
        2026, 12, 7, 10, 10
    )  # strictly after
    just_before = at(2026, 12, 7, 10, 4, 59) + timedelta(microseconds=999_999)
    assert next_due(FIVE_MINUTES, just_before) == at(2026, 12, 7, 10, 5)
    # across the end of a day, a month and a year (UTC has no DST to skip or repeat)
    assert next_due(FIVE_MINUTES, at(2026, 12, 31, 23, 58)) == at(2027, 1, 1, 0, 0)
    daily = Schedule(every=timedelta(days=1))
    assert next_due(daily, at(2028, 2, 28, 12)) == at(2028, 2, 29)  # a leap day
    assert next_due(daily, at(2028, 2, 29, 0, 0, 1)) == at(2028, 3, 1)
    assert next_due(Schedule(every=timedelta(hours=1)), EPOCH) == at(1970, 1, 1, 1)


def test_every_instants_repeat_at_the_interval_and_never_twice() -> None:
    seven = Schedule(every=timedelta(minutes=7))  # no divisor of an hour: any interval works
    start = at(2026, 3, 29, 0, 30)  # the night Europe changes clocks: nothing happens in UTC
    instants = [next_due(seven, start, name="shop")]
    for _ in range(500):
        instants.append(next_due(seven, instants[-1], name="shop"))
    gaps = {later - earlier for earlier, later in pairwise(instants)}
    assert gaps == {timedelta(minutes=7)}
    assert timedelta(0) < instants[0] - start <= timedelta(minutes=7)


def test_every_offset_is_stable_per_name_below_one_interval_and_spreads_connections() -> None:
    every = timedelta(minutes=5)
    names = [f"shop-{number}" for number in range(30)]
    offsets = [offset_of(name, every) for name in names]
    assert offsets == [offset_of(name, every) for name in names]  # the same every time
    assert all(0 <= offset < 300_000_000 and offset % 1_000_000 == 0 for offset in offsets)
    assert len(set(offsets)) > 20  # 30 connections do not all start in the same second
    assert offset_of("", every) == 0
    assert offset_of("shop", timedelta(seconds=1)) == 0
    instants = {next_due(Schedule(every=every), at(2026, 12, 7, 10, 1), name=n) for n in names}
    assert len(instants) == len(set(offsets))
    # the known CRC-32 of "shop" gives 186 s past each 5 minutes, in any process
    assert next_due(Schedule(every=every), at(2026, 12, 7, 10, 1), name="shop") == at(
        2026, 12, 7, 10, 3, 6
    )


def test_due_is_true_once_per_instant_however_the_looks_fall() -> None:
    start = at(2026, 12, 31, 23, 0)
    for step in (timedelta(seconds=1), timedelta(seconds=7), timedelta(minutes=3)):
        looks = [start + step * count for count in range(int(timedelta(hours=2) / step) + 1)]
        hits = sum(due(FIVE_MINUTES, after, until, name="shop") for after, until in pairwise(looks))
        assert hits == 24, step  # two hours of five-minute instants, across the new year


def test_due_windows_are_open_at_the_start_and_closed_at_the_end() -> None:
    five = at(2026, 12, 7, 10, 5)
    second = timedelta(seconds=1)
    assert due(FIVE_MINUTES, five - second, five)
    assert not due(FIVE_MINUTES, five, five + second)
    assert not due(FIVE_MINUTES, five, five)  # an empty window
    assert not due(FIVE_MINUTES, five + second, five - second)  # a window backwards
    assert due(FIVE_MINUTES, five - timedelta(hours=1), five - timedelta(minutes=55))


# -- cron -------------------------------------------------------------------------------------


def test_cron_next_due_across_day_month_and_year_boundaries() -> None:
    assert next_due(EVERY_FIVE, at(2026, 12, 31, 23, 58)) == at(2027, 1, 1, 0, 0)
    assert next_due(EVERY_FIVE, at(2026, 12, 7, 10, 5)) == at(2026, 12, 7, 10, 10)
    nightly = Schedule(cron="0 2 * * *")
    assert next_due(nightly, at(2026, 1, 31, 3)) == at(2026, 2, 1, 2)
    leap = Schedule(cron="30 12 29 2 *")
    assert next_due(leap, at(2026, 3, 1)) == at(2028, 2, 29, 12, 30)
    mondays = Schedule(cron="0 9 * * MON")
    assert next_due(mondays, at(2026, 12, 7, 9)) == at(2026, 12, 14, 9)


def test_cron_ignores_the_name_and_reads_fields_in_utc() -> None:
    amsterdam = timezone(timedelta(hours=1))
    nightly = Schedule(cron="0 2 * * *")
    after = datetime(2026, 12, 7, 2, 30, tzinfo=amsterdam)  # 01:30 UTC
    assert next_due(nightly, after) == at(2026, 12, 7, 2)
    assert next_due(nightly, after).tzinfo is UTC
    assert next_due(nightly, after, name="shop") == next_due(nightly, after)


def test_cron_due_counts_each_instant_once() -> None:
    start = at(2026, 12, 31, 23, 0)
    looks = [start + timedelta(seconds=13) * count for count in range(601)]  # 2 h 10 min
    hits = [until for after, until in pairwise(looks) if due(EVERY_FIVE, after, until)]
    assert len(hits) == 26
    assert hits[0] - at(2026, 12, 31, 23, 5) < timedelta(seconds=13)


@pytest.mark.parametrize("schedule", [FIVE_MINUTES, EVERY_FIVE])
def test_naive_datetimes_are_refused(schedule: Schedule) -> None:
    naive = datetime(2026, 12, 7, 10, 1)
    with pytest.raises(ValueError, match="after must be timezone-aware"):
        next_due(schedule, naive)
    with pytest.raises(ValueError, match="until must be timezone-aware"):
        due(schedule, at(2026, 12, 7, 10), naive)


def test_the_duration_parser_is_the_settings_one() -> None:
    from ledgerlink import settings

    assert settings.parse_duration is parse_duration
    assert parse_duration("10m") == timedelta(minutes=10)
    with pytest.raises(ValueError, match="not True"):
        parse_duration(True)


# -- Backoff ----------------------------------------------------------------------------------

SECOND = timedelta(seconds=1)


def test_backoff_ceiling_doubles_from_the_base_up_to_the_cap() -> None:
    backoff = Backoff(timedelta(seconds=10), timedelta(minutes=15), random=Random(1))
    assert backoff.ceiling() == timedelta(0)
    ceilings = []
    for _ in range(12):
        backoff.failed()
        ceilings.append(backoff.ceiling().total_seconds())
    assert ceilings == [10, 20, 40, 80, 160, 320, 640, 900, 900, 900, 900, 900]
    assert backoff.failures == 12


def test_backoff_waits_are_drawn_within_the_ceiling_and_spread_out() -> None:
    backoff = Backoff(SECOND, timedelta(seconds=64), random=Random(42))
    for failures in range(1, 200):
        wait = backoff.failed()
        assert timedelta(0) <= wait <= SECOND * min(64, 2 ** (failures - 1))
    capped = [backoff.failed() for _ in range(2000)]
    assert max(capped) <= timedelta(seconds=64)
    # full jitter: uniform over [0, cap], not bunched at the cap
    mean = sum(capped, timedelta(0)) / len(capped)
    assert timedelta(seconds=28) < mean < timedelta(seconds=36)
    assert min(capped) < timedelta(seconds=4) and max(capped) > timedelta(seconds=60)


def test_backoff_is_repeatable_with_a_seeded_random() -> None:
    def draws(seed: int) -> list[timedelta]:
        backoff = Backoff(random=Random(seed))
        return [backoff.failed() for _ in range(10)]

    assert draws(5) == draws(5)
    assert draws(5) != draws(6)


def test_backoff_starts_over_after_a_success() -> None:
    backoff = Backoff(timedelta(seconds=10), timedelta(minutes=15), random=Random(3))
    for _ in range(6):
        backoff.failed()
    assert backoff.ceiling() == timedelta(seconds=320)
    backoff.succeeded()
    assert (backoff.failures, backoff.ceiling()) == (0, timedelta(0))
    assert backoff.failed() <= timedelta(seconds=10)
    assert backoff.ceiling() == timedelta(seconds=10)


def test_backoff_after_very_many_failures_stays_capped() -> None:
    backoff = Backoff(timedelta(microseconds=1), timedelta(days=1), random=Random(0))
    for _ in range(10_000):
        assert backoff.failed() <= timedelta(days=1)
    assert backoff.ceiling() == timedelta(days=1)


@pytest.mark.parametrize(
    ("base", "cap", "complaint"),
    [
        (timedelta(0), timedelta(minutes=1), "base must be longer than 0s"),
        (timedelta(minutes=2), timedelta(minutes=1), r"cap \(60s\) must not be shorter"),
    ],
)
def test_backoff_settings_that_cannot_work_are_refused(
    base: timedelta, cap: timedelta, complaint: str
) -> None:
    with pytest.raises(ValueError, match=complaint):
        Backoff(base, cap)
