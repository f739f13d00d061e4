"""Planner statistics on PostgreSQL: refreshed at growing steps while a cycle records rows,
so page look-ups go by index on a server whose autovacuum is off; nothing on SQLite."""

from __future__ import annotations

from sqlalchemy import text

from sync.store import open_store
from sync.store.statistics import FIRST_STEP, Statistics


def analyzed(url: str) -> int:
    store = open_store(url)
    try:
        with store.begin() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'documents'"
                    )
                ).scalar_one()
            )
    finally:
        store.close()


def test_analyze_runs_at_each_step_on_postgresql(postgres_url: str) -> None:
    store = open_store(postgres_url, create=True)
    store.ensure()
    try:
        before = analyzed(postgres_url)
        statistics = Statistics(store)
        statistics.add(FIRST_STEP - 1)
        assert statistics.refreshed == 0
        statistics.add(1)  # the first step
        assert statistics.refreshed == 1
        statistics.add(FIRST_STEP * 2)  # 3,000: below the next step (4,000)
        assert statistics.refreshed == 1
        statistics.add(FIRST_STEP * 20)  # 23,000: past 4,000 and 16,000, one ANALYZE
        assert (statistics.refreshed, statistics.next_step) == (2, FIRST_STEP * 64)
    finally:
        store.close()
    # the statistics collector reports asynchronously; the count moved on
    assert analyzed(postgres_url) >= before + 1


def test_sqlite_needs_no_analyze(sqlite_url: str) -> None:
    store = open_store(sqlite_url, create=True)
    store.ensure()
    try:
        statistics = Statistics(store)
        statistics.add(FIRST_STEP * 10)
        assert statistics.refreshed == 0
    finally:
        store.close()
