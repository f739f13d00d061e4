"""Opening a store, its revision check, its upgrade and its transactions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, create_engine, event, func, inspect, select
from sqlalchemy.exc import (
    ArgumentError,
    DataError,
    DBAPIError,
    IntegrityError,
    ProgrammingError,
    SQLAlchemyError,
)
from sqlalchemy.pool import ConnectionPoolEntry

from sync.store.errors import StoreError, StoreTooNew, StoreTooOld, StoreUnavailable
from sync.store.schema import metadata
from sync.store.urls import driver_url, redact, sqlite_file

__all__ = ["BUSY_TIMEOUT_MS", "UPGRADE_LOCK_KEY", "Store", "open_store"]

BUSY_TIMEOUT_MS = 10_000
"""How long a SQLite writer waits for another one before giving up."""

MIGRATIONS = "sync.store:migrations"

UPGRADE_LOCK_KEY = 0x6C65_6467_6572_6C6B & 0x7FFF_FFFF_FFFF_FFFF
"""The PostgreSQL advisory lock (``"ledgerlk"``) that serialises :meth:`Store.upgrade`s of
one database: several daemons started at once on an older store upgrade it one by one."""


def _one_line(failure: BaseException, password: str | None) -> str:
    original = getattr(failure, "orig", None) or failure
    text = " ".join(str(original).split()) or type(original).__name__
    return text.replace(password, "***") if password else text


def _sqlite_connected(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # pysqlite's own transaction handling is switched off: the "begin" listener issues
    # BEGIN, so DDL (the migrations) is transactional and PRAGMAs run outside a transaction.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # FULL, not WAL's usual NORMAL: a commit that records a send must survive a power
        # loss, or the outbox would send that document again.
        cursor.execute("PRAGMA synchronous=FULL")
    finally:
        cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


class Store:
    """An opened store: its engine, the schema's metadata and the helpers the engine needs.

    ``url`` is the URL as given, ``shown`` the same without a password (for messages).
    """

    def __init__(self, url: str, engine: Engine) -> None:
        self.url = url
        self.shown = redact(url)
        self.engine = engine
        self.metadata: MetaData = metadata
        self._scripts = ScriptDirectory.from_config(self.alembic_config())

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection in a transaction: committed when the block ends, rolled back on error.

        A database failure inside the block comes out as :class:`StoreUnavailable`.
        """
        with self._translated(), self.engine.begin() as connection:
            yield connection

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except (IntegrityError, ProgrammingError, DataError):
            raise  # the statement is wrong, not the store: the caller's to handle
        except (DBAPIError, sqlite3.Error) as failure:
            raise StoreUnavailable(self._describe(failure)) from failure

    def _describe(self, failure: BaseException) -> str:
        detail = _one_line(failure, self.engine.url.password)
        if "file is not a database" in detail or "malformed" in detail:
            return f"the store {self.shown} is not a SQLite database (a corrupt file?): {detail}"
        if "unable to open database file" in detail:
            detail += " (can the folder be written?)"
        return f"cannot use the store {self.shown}: {detail}"

    # -- revisions -------------------------------------------------------------------------

    def alembic_config(self, connection: Connection | None = None) -> Config:
        """An Alembic configuration for the packaged migrations, on ``connection``."""
        config = Config()
        config.set_main_option("script_location", MIGRATIONS)
        config.attributes["connection"] = connection
        return config

    @property
    def head(self) -> str:
        """The newest revision this code knows."""
        head = self._scripts.get_current_head()
        assert head is not None, "the packaged migrations have no revision"
        return head

    def revisions(self) -> list[str]:
        """Every revision this code knows, oldest first."""
        return [script.revision for script in reversed(list(self._scripts.walk_revisions()))]

    def revision(self, connection: Connection | None = None) -> str | None:
        """The store's revision, or None when it has none yet."""
        if connection is None:
            with self.begin() as own:
                return self.revision(own)
        return MigrationContext.configure(connection).get_current_revision()

    def check(self, connection: Connection | None = None) -> str:
        """The store's revision when it is the newest this code knows; raises otherwise.

        :class:`StoreTooNew` for a revision this code does not know (a newer ledgerlink
        wrote it), :class:`StoreTooOld` for an older revision or a store with no schema.
        """
        current = self.revision(connection)
        if current == self.head:
            return current
        self._refuse_unknown(current)
        if current is None:
            raise StoreTooOld(
                f"the store {self.shown} has no schema yet: run `ledgerlink store upgrade`",
                current,
            )
        raise StoreTooOld(
            f"the store {self.shown} is at revision {current}, this ledgerlink needs "
            f"{self.head}: run `ledgerlink store upgrade`",
            current,
        )

    def _refuse_unknown(self, current: str | None) -> None:
        if current is not None and current not in self.revisions():
            raise StoreTooNew(
                f"the store {self.shown} is at revision {current}, which this ledgerlink does "
                "not know: a newer ledgerlink wrote it; upgrade ledgerlink",
                current,
            )

    def upgrade(self) -> tuple[str | None, str]:
        """Apply the migrations the store lacks, in one transaction: (from, to) revisions.

        On PostgreSQL the transaction first takes the advisory lock
        :data:`UPGRADE_LOCK_KEY` (``pg_advisory_xact_lock``, freed at its commit or
        rollback), so concurrent upgrades of one database wait for each other: the second
        reads the revision the first committed and has nothing left to do. (SQLite
        serialises writers by itself.)"""
        from alembic import command
        from sqlalchemy import text

        with self.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK_KEY}
                )
            before = self.revision(connection)
            self._refuse_unknown(before)
            if before != self.head:
                command.upgrade(self.alembic_config(connection), "head")
        return before, self.head

    def ensure(self) -> str:
        """For a command that writes: a store with no tables is created at the newest
        revision; any other store must pass :meth:`check`. Returns the revision."""
        with self.begin() as connection:
            empty = self.revision(connection) is None and not self._tables(connection)
        if empty:
            self.upgrade()
        return self.check()

    # -- contents --------------------------------------------------------------------------

    def _tables(self, connection: Connection) -> list[str]:
        present = set(inspect(connection).get_table_names())
        return [table.name for table in self.metadata.sorted_tables if table.name in present]

    def counts(self, connection: Connection | None = None) -> dict[str, int]:
        """Rows per table of the schema, in foreign-key order (tables not created yet: 0)."""
        if connection is None:
            with self.begin() as own:
                return self.counts(own)
        present = set(self._tables(connection))
        return {
            table.name: (
                connection.execute(select(func.count()).select_from(table)).scalar_one()
                if table.name in present
                else 0
            )
            for table in self.metadata.sorted_tables
        }


def _engine(url: str, shown: str, *, create: bool) -> Engine:
    target = driver_url(url)
    path = sqlite_file(url)
    if path is not None:
        if not path.exists() and not create:
            raise StoreUnavailable(f"no store at {shown}: the file {path} does not exist")
        if not path.parent.is_dir():
            problem = "is not a folder" if path.parent.exists() else "does not exist"
            raise StoreUnavailable(f"cannot create the store {shown}: {path.parent} {problem}")
    try:
        if target.startswith("sqlite"):
            engine = create_engine(target)
            event.listen(engine, "connect", _sqlite_connected)
            event.listen(engine, "begin", _sqlite_begin)
            return engine
        return create_engine(target, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    except (ArgumentError, ValueError) as failure:
        raise StoreUnavailable(f"store URL {shown}: {_one_line(failure, None)}") from None
    except ImportError as failure:
        raise StoreUnavailable(f"store URL {shown}: driver missing ({failure.name})") from None


def open_store(url: str, *, create: bool = False) -> Store:
    """Open the store at ``url`` and make sure it can be reached; nothing is created yet.

    ``create`` allows a SQLite file that does not exist yet (a command that writes);
    without it a missing file is refused. Raises :class:`StoreUnavailable` with a one-line
    message naming the URL without its password. The schema is not checked here: call
    :meth:`Store.check`, :meth:`Store.ensure` or :meth:`Store.upgrade`.
    """
    shown = redact(url)
    engine = _engine(url, shown, create=create)
    store = Store(url, engine)
    try:
        with store.begin() as connection:
            connection.exec_driver_sql("SELECT 1")
            if engine.dialect.name == "sqlite":  # reads the header: a corrupt file fails here
                connection.exec_driver_sql("SELECT count(*) FROM sqlite_master")
    except StoreError:
        engine.dispose()
        raise
    except (SQLAlchemyError, OSError) as failure:
        engine.dispose()
        raise StoreUnavailable(
            f"cannot use the store {shown}: {_one_line(failure, None)}"
        ) from None
    return store
