"""The real PostgreSQL on 127.0.0.1:5432 for the store tests: one database per test run.

:func:`session_database` creates ``ledgerlink_test_<pid>_<random>`` (user ``postgres``,
trust auth) and drops it at the end; :func:`reset_schema` empties it between tests (faster
than a database per test). When the server cannot be reached the PostgreSQL variants skip
with a message saying so; CI sets ``LEDGERLINK_REQUIRE_POSTGRES=1`` (``.ci/run``), and
there they fail instead, so a CI run can never pass by skipping them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import pytest

__all__ = [
    "REQUIRE_ENV",
    "SERVER",
    "missing_postgres",
    "postgres_required",
    "reachable",
    "reset_schema",
    "session_database",
]

SERVER = os.environ.get("LEDGERLINK_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
REQUIRE_ENV = "LEDGERLINK_REQUIRE_POSTGRES"


def postgres_required() -> bool:
    """True when an unreachable server must fail the run (CI) rather than skip the tests."""
    return os.environ.get(REQUIRE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def reachable() -> str | None:
    """None when the server answers, else why not (one line)."""
    import psycopg

    try:
        with psycopg.connect(f"{SERVER}/postgres", connect_timeout=3):
            return None
    except psycopg.Error as failure:
        return " ".join(str(failure).split())


def missing_postgres(why: str) -> NoReturn:
    """Skip the calling test, or fail it under ``LEDGERLINK_REQUIRE_POSTGRES``."""
    message = f"PostgreSQL at {SERVER} is not reachable ({why})"
    if postgres_required():
        pytest.fail(f"{message}; {REQUIRE_ENV} is set, so this fails instead of skipping")
    pytest.skip(message)


@contextmanager
def session_database() -> Iterator[str]:
    """A new database for this test run (its ``postgresql://`` URL), dropped afterwards."""
    import psycopg

    name = f"ledgerlink_test_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{SERVER}/{name}"
    finally:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def reset_schema(url: str) -> None:
    """Drop everything in the database at ``url`` (tables, sequences, alembic_version, the
    job engine's schema ``procrastinate``)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP SCHEMA IF EXISTS procrastinate CASCADE")
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")
