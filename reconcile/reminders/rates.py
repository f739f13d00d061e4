"""Dutch statutory interest rates by period, loaded from the data files.

``data/statutory_interest.toml`` holds the *wettelijke rente* (art. 6:119 BW, consumers and
other non-commercial debts), ``data/commercial_interest.toml`` the *wettelijke handelsrente*
(art. 6:119a BW). Each period has a start, an end (inclusive; the last may be open), a rate
in percent per year, and its source. :func:`load_rates` checks that the periods tile
without a gap or an overlap.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from reconcile.reminders._data import DataError, Fields, packaged, read_toml

__all__ = ["KINDS", "RatePeriod", "RateTable", "load_rates", "rates"]

KINDS = {"statutory": "statutory_interest.toml", "commercial": "commercial_interest.toml"}
"""The packaged tables: ``statutory`` (wettelijke rente), ``commercial`` (handelsrente)."""

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class RatePeriod:
    """One rate in force from ``start`` to ``end`` (inclusive; ``None``: until further notice)."""

    start: date
    end: date | None
    rate: Decimal
    """Percent per year (``10.15`` is 10.15 %)."""
    status: str
    """``src`` (published figure) or ``derived`` (computed from the published rule)."""
    source: str


@dataclass(frozen=True, slots=True)
class RateTable:
    """A statutory interest table: its periods in order, tiling from the first start on."""

    name: str
    law: str
    day_count: str
    """``actual/365``: a day range earns principal x rate / 100 x days / 365."""
    compounding: str
    """``yearly`` (interest added to the principal after each full year) or ``none``."""
    periods: tuple[RatePeriod, ...]
    path: Path

    def segments(self, start: date, end: date) -> Iterator[tuple[date, date, Decimal]]:
        """``(from, to, rate)`` for the days ``start`` to ``end`` (inclusive), split where the
        rate changes (adjacent periods with the same rate are one segment). A day no period
        covers is a :class:`DataError` naming the file."""
        pending: tuple[date, date, Decimal] | None = None
        for first, last, rate in self._periods_over(start, end):
            if pending is not None and pending[2] == rate:
                pending = (pending[0], last, rate)
                continue
            if pending is not None:
                yield pending
            pending = (first, last, rate)
        if pending is not None:
            yield pending

    def _periods_over(self, start: date, end: date) -> Iterator[tuple[date, date, Decimal]]:
        day = start
        for period in self.periods:
            if day > end:
                return
            if period.end is not None and period.end < day:
                continue
            if period.start > day:
                break
            last = end if period.end is None else min(end, period.end)
            yield day, last, period.rate
            day = last + _DAY
        if day <= end:
            raise DataError(
                f"{self.path}: no {self.name} rate in force on {day.isoformat()} "
                f"(the table covers {self.periods[0].start.isoformat()} to "
                f"{_end_text(self.periods[-1].end)}); add the published rate as a [[period]]"
            )


def _end_text(end: date | None) -> str:
    return "today" if end is None else end.isoformat()


def load_rates(path: Path) -> RateTable:
    """Read and check a rate table file (see the packaged files for the format)."""
    top = Fields(read_toml(path), path)
    top.unknown({"name", "law", "day_count", "compounding", "period"})
    periods: list[RatePeriod] = []
    for fields in top.tables("period"):
        fields.unknown({"from", "to", "rate", "status", "source"})
        start = fields.day("from")
        end = fields.day("to", required=False)
        assert start is not None
        if end is not None and end < start:
            raise fields.error("to", f"{end.isoformat()} is before from {start.isoformat()}")
        periods.append(
            RatePeriod(
                start=start,
                end=end,
                rate=fields.amount("rate"),
                status=fields.choice("status", ("src", "derived")),
                source=fields.text("source"),
            )
        )
    for number, (before, after) in enumerate(itertools.pairwise(periods), 2):
        where = Fields({}, path, f"period {number}")
        if before.end is None:
            raise where.error("from", "follows a period without 'to' (only the last may be open)")
        expected = before.end + _DAY
        if after.start < expected:
            raise where.error(
                "from", f"{after.start.isoformat()} overlaps the period before (to {before.end})"
            )
        if after.start > expected:
            raise where.error(
                "from",
                f"{after.start.isoformat()} leaves a gap after {before.end.isoformat()} "
                f"(expected {expected.isoformat()})",
            )
    return RateTable(
        name=top.text("name"),
        law=top.text("law"),
        day_count=top.choice("day_count", ("actual/365",)),
        compounding=top.choice("compounding", ("yearly", "none")),
        periods=tuple(periods),
        path=path,
    )


@functools.cache
def rates(kind: str) -> RateTable:
    """The packaged table ``statutory`` or ``commercial`` (read once per process)."""
    if kind not in KINDS:
        raise DataError(f"unknown interest table {kind!r} (known: {', '.join(KINDS)})")
    return load_rates(packaged(KINDS[kind]))
