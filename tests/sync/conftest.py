"""Fixtures of the store tests: every store test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.postgres import missing_postgres, reachable, reset_schema, session_database


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """This run's own PostgreSQL database (skips, or fails under CI, without a server)."""
    if why := reachable():
        missing_postgres(why)
    with session_database() as url:
        yield url


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> str:
    """The run's PostgreSQL database, emptied for this test."""
    url: str = request.getfixturevalue("postgres_database")
    reset_schema(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite store file in the test's temporary folder (not created yet)."""
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest) -> str:
    """An empty store on each database in turn."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url
