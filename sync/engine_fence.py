"""The fence token and the holder record of one engine cycle (``connection_fences``,
``cycle_holders``; ``docs/decisions/0001-job-engine.md``, "What we write by hand").

The job engine gives one ``doing`` job per connection (its ``lock``), but it cannot stop
a worker it *declared* dead while that worker is still alive (a pause longer than
``[daemon] takeover``, a frozen VM): the reaper hands the connection to another worker and
the first one carries on when it wakes. The fence closes that gap:

* :func:`take`, when a cycle starts: a fresh token in the connection's
  ``connection_fences`` row and a ``cycle_holders`` row (connection, holder, token, job,
  ``started_at``), committed together;
* :meth:`FenceControl.fence`, in each page transaction of the pipeline: the row is read
  ``FOR UPDATE``; a token that is no longer the cycle's raises
  :class:`~sync.control.Fenced`, so the page and its cursor roll back. ``FOR UPDATE``
  orders it against a :func:`take` of the same row: the page either commits before the
  newer cycle took the connection, or it is refused;
* :func:`release`, when it ends: ``ended_at`` and the outcome on its holder row, and the
  connection's back-off (failures in a row, ``not_before``), the latter only while the
  token is still its own.

A worker killed mid-cycle leaves its holder row without ``ended_at``: it did nothing after
its death, and the next holder's row starts after the takeover.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from random import Random
from typing import TYPE_CHECKING, Final, Literal, TypeAlias

from sqlalchemy import select, update

from sync.control import Fenced
from sync.schedule import Backoff
from sync.store.schema import connection_fences, cycle_holders

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from sync.store import Store

__all__ = ["FenceControl", "Held", "Outcome", "backoff_of", "release", "take"]

Outcome: TypeAlias = Literal["done", "stopped", "failed", "fenced"]
_TOKEN_BYTES: Final = 16


class Held:
    """One cycle's hold on a connection: its token and its ``cycle_holders`` row."""

    def __init__(self, connection: str, holder: str, token: str, row: int) -> None:
        self.connection = connection
        self.holder = holder
        self.token = token
        self.row = row

    def __repr__(self) -> str:
        return f"Held({self.connection!r}, holder={self.holder!r}, token={self.token[:8]}...)"


def _now() -> datetime:
    return datetime.now(UTC)


def take(store: Store, connection: str, holder: str, job_id: int | None = None) -> Held:
    """Give ``connection`` a fresh token for a cycle of ``holder`` and record its start."""
    token = secrets.token_hex(_TOKEN_BYTES)
    now = _now()
    with store.begin() as conn:
        found = conn.execute(
            select(connection_fences.c.token)
            .where(connection_fences.c.connection == connection)
            .with_for_update()
        ).first()
        if found is None:
            conn.execute(
                connection_fences.insert().values(
                    connection=connection, token=token, holder=holder, taken_at=now, failures=0
                )
            )
        else:
            conn.execute(
                update(connection_fences)
                .where(connection_fences.c.connection == connection)
                .values(token=token, holder=holder, taken_at=now)
            )
        row = conn.execute(
            cycle_holders.insert()
            .values(
                connection=connection, holder=holder, token=token, job_id=job_id, started_at=now
            )
            .returning(cycle_holders.c.id)
        ).scalar_one()
    return Held(connection, holder, token, int(row))


def check(conn: Connection, held: Held) -> None:
    """Raise :class:`~sync.control.Fenced` unless ``held`` still owns its connection (in
    the caller's transaction, which keeps the row locked until it ends)."""
    token = conn.execute(
        select(connection_fences.c.token)
        .where(connection_fences.c.connection == held.connection)
        .with_for_update()
    ).scalar()
    if token != held.token:
        raise Fenced(
            f"connection {held.connection}: another worker took it over from {held.holder}; "
            "this page is rolled back"
        )


def backoff_of(
    failures: int, base: timedelta, cap: timedelta, random: Random | None = None
) -> timedelta:
    """The wait after ``failures`` failures in a row (:class:`~sync.schedule.Backoff`)."""
    backoff = Backoff(base, max(cap, base), random=random)
    wait = timedelta(0)
    for _ in range(min(failures, 64)):
        wait = backoff.failed()
    return wait


def release(
    store: Store,
    held: Held,
    outcome: Outcome,
    *,
    error: bool,
    backoff: Callable[[int], timedelta],
) -> tuple[int, datetime | None]:
    """Record the end of ``held``'s cycle; while its token is still the connection's, set the
    back-off: failures in a row and ``not_before`` (``backoff(failures)`` from now), or both
    cleared after a success. Returns (failures, not_before)."""
    now = _now()
    failures, not_before = 0, None
    with store.begin() as conn:
        conn.execute(
            update(cycle_holders)
            .where(cycle_holders.c.id == held.row)
            .values(ended_at=now, outcome=outcome)
        )
        if outcome == "fenced":
            return failures, not_before
        before = conn.execute(
            select(connection_fences.c.failures).where(
                connection_fences.c.connection == held.connection,
                connection_fences.c.token == held.token,
            )
        ).scalar()
        if before is None:
            return failures, not_before
        if error:
            failures = int(before) + 1
            not_before = now + backoff(failures)
        conn.execute(
            update(connection_fences)
            .where(
                connection_fences.c.connection == held.connection,
                connection_fences.c.token == held.token,
            )
            .values(failures=failures, not_before=not_before)
        )
    return failures, not_before


def waiting(store: Store, now: datetime) -> set[str]:
    """The connections whose back-off has not ended at ``now`` (the tick skips them)."""
    with store.begin() as conn:
        return {
            str(name)
            for name in conn.execute(
                select(connection_fences.c.connection).where(
                    connection_fences.c.not_before.is_not(None),
                    connection_fences.c.not_before > now,
                )
            ).scalars()
        }


class FenceControl:
    """The :class:`~sync.control.RunControl` of one engine cycle: ``should_stop`` asks the
    runner (and the engine's abort flag), ``fence`` checks the token (:func:`check`)."""

    def __init__(self, held: Held, should_stop: Callable[[], bool]) -> None:
        self.held = held
        self._should_stop = should_stop

    def should_stop(self) -> bool:
        return self._should_stop()

    def fence(self, conn: Connection) -> None:
        check(conn, self.held)
