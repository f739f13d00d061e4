"""When a connection's next cycle is due, and how long a failing one waits.

A connection of the settings file runs on one :class:`Schedule`: ``every = "5m"`` (a fixed
interval) or ``cron = "*/5 * * * *"`` (a 5-field cron expression, read in UTC). Both runners
of ``ledgerlink daemon`` ask the same two functions: :func:`due` (is there an instant of the
schedule in a window?) and :func:`next_due` (the first instant after a moment).

``every`` instants are aligned on the Unix epoch plus a stable offset per connection (from
its ``name``, below one interval), so 30 connections with ``every = "5m"`` do not all start
in the same second, and every daemon - in any process, after any restart - computes the same
instants for a connection::

    >>> from datetime import UTC, datetime, timedelta
    >>> five = Schedule(every=timedelta(minutes=5))
    >>> next_due(five, datetime(2026, 12, 7, 10, 1, tzinfo=UTC))
    datetime.datetime(2026, 12, 7, 10, 5, tzinfo=datetime.timezone.utc)
    >>> next_due(five, datetime(2026, 12, 7, 10, 1, tzinfo=UTC), name="shop")
    datetime.datetime(2026, 12, 7, 10, 3, 6, tzinfo=datetime.timezone.utc)
    >>> cron = parse_schedule(None, "0 2 * * *")
    >>> due(cron, datetime(2026, 12, 7, 1, 59, 55, tzinfo=UTC), datetime(2026, 12, 7, 2, 0, tzinfo=UTC))
    True

A cron expression has five fields (minute, hour, day of month, month, day of week). A 6-field
one is refused: croniter reads a sixth field as *seconds, last*, so ``*/15 * * * * *`` would
mean every second of minutes 0, 15, 30 and 45, not every 15 seconds.

Every datetime given or returned is timezone-aware; a naive one is refused (it names no
instant), one in another zone is read as the instant it is, and results are in UTC.

:class:`Backoff` is the wait after failures in a row of one connection: exponential, with
full jitter, capped, and back to nothing after a success.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Final

__all__ = [
    "DEFAULT_BACKOFF_BASE",
    "DEFAULT_BACKOFF_CAP",
    "EPOCH",
    "Backoff",
    "Schedule",
    "due",
    "next_due",
    "offset_of",
    "parse_duration",
    "parse_schedule",
]

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
"""Where ``every`` instants are counted from (plus the connection's offset)."""
DEFAULT_BACKOFF_BASE: Final = timedelta(seconds=10)
"""The longest wait after a first failure (the jitter draws below it)."""
DEFAULT_BACKOFF_CAP: Final = timedelta(minutes=15)
"""The longest wait after any number of failures in a row (``[daemon] backoff_cap``)."""
_CRON_FIELDS: Final = 5
_MICROSECONDS: Final = 1_000_000
_DURATION: Final = re.compile(r"^\s*(\d+)\s*(s|m|h|d)?\s*$")
_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: object) -> timedelta:
    """``"90s"``, ``"10m"``, ``"2h"``, ``"1d"`` or a number of seconds as a timedelta: the
    durations of the settings file (``lookback``, ``every``, ``[daemon] grace``, ...).

    >>> parse_duration("10m")
    datetime.timedelta(seconds=600)
    """
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"a duration is a string like '10m' or a number of seconds, not {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"a duration cannot be negative ({value})")
        return timedelta(seconds=value)
    found = _DURATION.match(value)
    if found is None:
        raise ValueError(f"{value!r} is no duration: write e.g. '90s', '10m', '2h' or '1d'")
    return timedelta(seconds=int(found.group(1)) * _UNITS[found.group(2) or "s"])


@dataclass(frozen=True)
class Schedule:
    """When a connection runs: exactly one of ``every`` (a positive interval) and ``cron``
    (a 5-field cron expression, in UTC). A ValueError says what is wrong.

    >>> Schedule(cron="*/5 * * * * *")
    Traceback (most recent call last):
    ...
    ValueError: '*/5 * * * * *' has 6 fields; a cron expression has 5 (minute hour day-of-month month day-of-week): a sixth would be seconds, read last
    """

    every: timedelta | None = None
    cron: str | None = None

    def __post_init__(self) -> None:
        if (self.every is None) == (self.cron is None):
            raise ValueError(
                "a schedule is every = DURATION or cron = EXPRESSION: give one of them"
            )
        if self.every is not None and self.every <= timedelta(0):
            raise ValueError(f"every must be longer than 0s, not {_shown(self.every)}")
        if self.cron is not None:
            _checked_cron(self.cron)


def parse_schedule(every: str | timedelta | None, cron: str | None) -> Schedule | None:
    """The schedule of ``every = "5m"`` or ``cron = "*/5 * * * *"``; None when neither is
    given (a connection the daemon does not run; ``ledgerlink sync`` still can). A
    ValueError when both are given or either cannot be a schedule.

    >>> parse_schedule("5m", None)
    Schedule(every=datetime.timedelta(seconds=300), cron=None)
    >>> parse_schedule(None, None) is None
    True
    """
    if every is None and cron is None:
        return None
    if every is not None and cron is not None:
        raise ValueError("both every and cron are given; a connection runs on one schedule")
    return Schedule(every=None if every is None else parse_duration(every), cron=cron)


def next_due(schedule: Schedule, after: datetime, *, name: str = "") -> datetime:
    """The first instant of ``schedule`` strictly after ``after``, in UTC; ``name`` (the
    connection's) sets the offset of ``every`` instants and leaves cron alone.

    >>> from datetime import UTC, datetime
    >>> next_due(Schedule(cron="*/5 * * * *"), datetime(2026, 12, 31, 23, 58, tzinfo=UTC))
    datetime.datetime(2027, 1, 1, 0, 0, tzinfo=datetime.timezone.utc)
    """
    moment = _utc(after, "after")
    if schedule.every is not None:
        step = _micros(schedule.every)
        offset = timedelta(microseconds=offset_of(name, schedule.every))
        count = _micros(moment - EPOCH - offset) // step + 1
        return EPOCH + offset + timedelta(microseconds=count * step)
    assert schedule.cron is not None  # Schedule holds one of the two
    return _cron_next(schedule.cron, moment)


def due(schedule: Schedule, after: datetime, until: datetime, *, name: str = "") -> bool:
    """Whether an instant of ``schedule`` lies in ``(after, until]``: a runner that last
    looked at ``after`` and looks again at ``until`` starts a cycle when this is true, so an
    instant is caught once however the looks fall (an empty window has none).

    >>> from datetime import UTC, datetime, timedelta
    >>> hourly = Schedule(every=timedelta(hours=1))
    >>> noon = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    >>> due(hourly, noon - timedelta(seconds=5), noon), due(hourly, noon, noon + timedelta(seconds=5))
    (True, False)
    """
    start, end = _utc(after, "after"), _utc(until, "until")
    return start < end and next_due(schedule, start, name=name) <= end


def offset_of(name: str, every: timedelta) -> int:
    """The stable offset, in microseconds, of connection ``name``'s ``every`` instants:
    whole seconds below one interval (0 for an interval under a second, and for ``""``).
    A CRC-32 of the name, so it is the same in every process (``hash`` is not)."""
    seconds = _micros(every) // _MICROSECONDS
    if not name or seconds <= 1:
        return 0
    return (zlib.crc32(name.encode("utf-8")) % seconds) * _MICROSECONDS


class Backoff:
    """The wait after failures in a row of one connection: before the ``n``-th try after
    ``n`` failures, a random wait between 0 and ``min(cap, base * 2**(n-1))`` ("full
    jitter": failing connections spread out instead of retrying in step). A success
    (:meth:`succeeded`) starts it over. ``random`` makes the draws repeatable in tests.

    >>> from datetime import timedelta
    >>> from random import Random
    >>> backoff = Backoff(timedelta(seconds=10), timedelta(seconds=60), random=Random(7))
    >>> [backoff.failed() <= bound for bound in (timedelta(seconds=s) for s in (10, 20, 40, 60, 60))]
    [True, True, True, True, True]
    >>> backoff.failures, backoff.ceiling()
    (5, datetime.timedelta(seconds=60))
    >>> backoff.succeeded(); backoff.failures, backoff.ceiling()
    (0, datetime.timedelta(0))
    """

    def __init__(
        self,
        base: timedelta = DEFAULT_BACKOFF_BASE,
        cap: timedelta = DEFAULT_BACKOFF_CAP,
        *,
        random: Random | None = None,
    ) -> None:
        if base <= timedelta(0):
            raise ValueError(f"the backoff base must be longer than 0s, not {_shown(base)}")
        if cap < base:
            raise ValueError(
                f"the backoff cap ({_shown(cap)}) must not be shorter than its base ({_shown(base)})"
            )
        self.base = base
        self.cap = cap
        self._random = random if random is not None else Random()
        self._failures = 0

    @property
    def failures(self) -> int:
        """How many failures in a row there have been since the last success."""
        return self._failures

    def ceiling(self) -> timedelta:
        """The longest wait the failures so far allow: ``min(cap, base * 2**(failures-1))``,
        0 with no failure."""
        if self._failures == 0:
            return timedelta(0)
        base, cap = _micros(self.base), _micros(self.cap)
        doublings = min(self._failures - 1, cap.bit_length())  # past this it is capped anyway
        return timedelta(microseconds=min(cap, base << doublings))

    def failed(self) -> timedelta:
        """Count one more failure and draw the wait before the next try."""
        self._failures += 1
        return timedelta(microseconds=self._random.randint(0, _micros(self.ceiling())))

    def succeeded(self) -> None:
        """A cycle went through: the next failure waits as a first one."""
        self._failures = 0

    def __repr__(self) -> str:
        return f"Backoff(base={self.base!r}, cap={self.cap!r}, failures={self._failures})"


# -- helpers ---------------------------------------------------------------------------------


def _utc(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (UTC), not naive: {moment.isoformat()}")
    return moment.astimezone(UTC)


def _micros(span: timedelta) -> int:
    return (span.days * 86_400 + span.seconds) * _MICROSECONDS + span.microseconds


def _shown(span: timedelta) -> str:
    return f"{span.total_seconds():g}s"


def _checked_cron(expression: str) -> None:
    """A ValueError in plain words unless ``expression`` is a 5-field cron expression that
    croniter reads and that has an instant at all (``0 0 31 2 *`` has none)."""
    from croniter import CroniterBadDateError, CroniterError, croniter

    if not isinstance(expression, str):
        raise ValueError(f"a cron expression is a string, not {expression!r}")
    fields = expression.split()
    if len(fields) != _CRON_FIELDS:
        sixth = ": a sixth would be seconds, read last" if len(fields) == 6 else ""
        raise ValueError(
            f"{expression!r} has {len(fields)} field{'s' if len(fields) != 1 else ''}; a cron "
            f"expression has 5 (minute hour day-of-month month day-of-week){sixth}"
        )
    try:
        croniter(expression, EPOCH).get_next(datetime)
    except CroniterBadDateError:
        raise ValueError(f"{expression!r} names no date that exists (it would never run)") from None
    except (CroniterError, ValueError, KeyError) as failure:
        raise ValueError(
            f"{expression!r} is no cron expression croniter reads: {failure}"
        ) from None


def _cron_next(expression: str, after: datetime) -> datetime:
    from croniter import croniter

    found = croniter(expression, after).get_next(datetime)
    if not isinstance(found, datetime):  # croniter is untyped: say so rather than pass on Any
        raise TypeError(f"croniter gave {found!r} for {expression!r}")
    return found.astimezone(UTC)
