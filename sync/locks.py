"""Who owns a ``sending`` outbox row: the live worker that holds the row's lock.

On PostgreSQL a session advisory lock per row (on a connection of its own, so no
transaction holds it); on SQLite one lock file next to the store, so one deliverer per
SQLite store at a time. A lock dies with its process: after a ``kill -9`` the next run
can take the rows the dead worker left ``sending`` and recover them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import func, select, text

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from sync.store import Store

__all__ = ["RowLocks", "lock_file"]

_LOCK_CLASS: Final = 0x6C6C  # "ll": the advisory-lock namespace of outbox rows


class RowLocks:
    """The row locks of one deliver run: a PostgreSQL session advisory lock per row being
    sent (held on a connection of its own), or one lock file for a SQLite store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.postgres = store.engine.dialect.name == "postgresql"
        self._session: Connection | None = None
        self._file: Any = None

    def __enter__(self) -> RowLocks:
        if self.postgres:
            self._session = self.store.engine.connect()
        else:
            self._file = lock_file(self.store)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._session is not None:
            # the connection goes back to the pool: its session must not keep the locks
            try:
                self._session.rollback()
                self._session.execute(select(func.pg_advisory_unlock_all()))
                self._session.commit()
            except Exception:
                self._session.invalidate()  # a closed session drops its locks too
            finally:
                self._session.close()
        if self._file is not None:
            self._file.close()

    def take(self, outbox_id: int) -> bool:
        """True when this run now owns row ``outbox_id`` (no live worker holds it)."""
        if self._session is None:
            return True  # SQLite: the lock file makes this run the only deliverer
        got = self._session.execute(
            select(func.pg_try_advisory_lock(_LOCK_CLASS, outbox_id))
        ).scalar_one()
        self._session.commit()
        return bool(got)

    def take_all(self, outbox_ids: Sequence[int]) -> list[int]:
        """:meth:`take` for each of ``outbox_ids`` in one round trip: those now owned."""
        if self._session is None or not outbox_ids:
            return list(outbox_ids)
        got = self._session.execute(
            text(
                "SELECT id FROM unnest(CAST(:ids AS integer[])) AS id"
                " WHERE pg_try_advisory_lock(:lock_class, id) ORDER BY id"
            ),
            {"ids": list(outbox_ids), "lock_class": _LOCK_CLASS},
        ).scalars()
        owned = [int(each) for each in got]
        self._session.commit()
        return owned

    def release(self, outbox_id: int) -> None:
        self.release_all([outbox_id])

    def release_all(self, outbox_ids: Sequence[int]) -> None:
        if self._session is not None and outbox_ids:
            self._session.execute(
                text(
                    "SELECT pg_advisory_unlock(:lock_class, id)"
                    " FROM unnest(CAST(:ids AS integer[])) AS id"
                ),
                {"ids": list(outbox_ids), "lock_class": _LOCK_CLASS},
            )
            self._session.commit()


def lock_file(store: Store) -> Any:
    """The store's outbox lock file, locked for this process (waits up to 60 s for
    another deliverer to finish); None for an in-memory database."""
    import fcntl
    import time

    from sync.store.errors import StoreUnavailable
    from sync.store.urls import sqlite_file

    path = sqlite_file(store.url)
    if path is None:  # an in-memory database: one process by nature
        return None
    handle = open(f"{path}.outbox-lock", "a")  # noqa: SIM115 - held for the run
    deadline = time.monotonic() + 60
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() > deadline:
                handle.close()
                raise StoreUnavailable(
                    f"another ledgerlink delivers from the store {store.shown}"
                    f" (it holds {path}.outbox-lock); try again when it is done"
                ) from None
            time.sleep(0.2)
