"""The store library on SQLite and PostgreSQL: schema, revisions, exact values, constraints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import func, inspect, select, update
from sqlalchemy.exc import IntegrityError, StatementError
from support.store_rows import ROW_TIME, fill, read_all, sample_rows

from sync.store import (
    Store,
    StoreTooNew,
    StoreTooOld,
    StoreUnavailable,
    copy_store,
    documents,
    open_store,
    outbox,
    tenants,
    transactions,
)


@pytest.fixture
def store(store_url: str) -> Any:
    with open_store(store_url, create=True) as opened:
        opened.upgrade()
        yield opened


def _stamp(store: Store, revision: str) -> None:
    with store.begin() as connection:
        connection.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{revision}'")


def test_upgrade_of_a_new_store_creates_every_table_at_the_newest_revision(store_url: str) -> None:
    with open_store(store_url, create=True) as store:
        assert store.upgrade() == (None, store.head)
        assert store.check() == store.head
        assert store.upgrade() == (store.head, store.head)  # a second run changes nothing
        assert set(store.counts()) == {table.name for table in store.metadata.sorted_tables}
        assert set(store.counts().values()) == {0}


def test_ensure_creates_an_empty_store_but_refuses_an_older_one(store_url: str) -> None:
    with open_store(store_url, create=True) as store:
        assert store.ensure() == store.head  # empty: created at the newest revision
        _stamp(store, store.revisions()[0])
        with pytest.raises(StoreTooOld, match=r"run `ledgerlink store upgrade`") as refused:
            store.ensure()
        assert refused.value.revision == store.revisions()[0]


def test_a_store_at_an_older_revision_is_upgraded_to_the_newest(store_url: str) -> None:
    with open_store(store_url, create=True) as store:
        first = store.revisions()[0]
        with store.begin() as connection:
            command.upgrade(store.alembic_config(connection), first)
            assert "transactions" not in inspect(connection).get_table_names()
        with pytest.raises(StoreTooOld, match=f"at revision {first}"):
            store.check()
        assert store.upgrade() == (first, store.head)
        with store.begin() as connection:
            assert "transactions" in inspect(connection).get_table_names()
        assert store.check() == store.head


def test_a_revision_this_code_does_not_know_is_refused(store: Store) -> None:
    _stamp(store, "9f9f_from_the_future")
    for call in (store.check, store.upgrade, store.ensure):
        with pytest.raises(StoreTooNew, match=r"9f9f_from_the_future.*upgrade ledgerlink"):
            call()


def test_decimals_dates_json_bytes_and_times_read_back_exactly(store: Store) -> None:
    written = fill(store)
    assert read_all(store) == written
    with store.begin() as connection:
        amounts = connection.execute(select(documents.c.payable_amount)).scalars().all()
    # 18 significant digits: a float in between would have lost the last ones
    assert [str(amount) for amount in amounts] == ["-0.0001", "99999999999999.9999"]
    assert all(isinstance(amount, Decimal) for amount in amounts)


def test_a_python_none_in_a_json_column_is_sql_null(store: Store) -> None:
    fill(store)  # one document has parse_report None, the other []
    with store.begin() as connection:
        nulls = connection.execute(
            select(func.count()).select_from(documents).where(documents.c.parse_report.is_(None))
        ).scalar_one()
    assert nulls == 1


def test_money_refuses_floats_and_extra_decimals_instead_of_rounding(store: Store) -> None:
    fill(store)
    for wrong in (12.5, Decimal("1.23456"), Decimal("NaN"), Decimal("1E+14"), Decimal("1E+30")):
        with pytest.raises(StatementError), store.begin() as connection:
            connection.execute(update(documents).values(payable_amount=wrong))
    with store.begin() as connection:
        amounts = connection.execute(select(documents.c.payable_amount)).scalars().all()
    assert amounts == [Decimal("-0.0001"), Decimal("99999999999999.9999")]


def test_times_are_aware_utc_and_naive_ones_are_refused(store: Store) -> None:
    amsterdam = timezone(timedelta(hours=2))
    with store.begin() as connection:
        connection.execute(
            tenants.insert().values(
                key="t", name="T", created_at=datetime(2026, 7, 1, 14, 0, tzinfo=amsterdam)
            )
        )
        stored = connection.execute(select(tenants.c.created_at)).scalar_one()
    assert stored == datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert stored.tzinfo is UTC
    with pytest.raises(StatementError), store.begin() as connection:
        connection.execute(
            tenants.insert().values(key="n", name="N", created_at=datetime(2026, 7, 1))
        )


@pytest.mark.parametrize(
    ("table", "column"),
    [(documents, "content_hash"), (outbox, "idempotency_key"), (transactions, "identity")],
)
def test_what_must_never_be_doubled_is_refused_by_the_database(
    store: Store, table: Any, column: str
) -> None:
    rows = fill(store)
    twin = {**rows[table.name][0], "id": 99}  # the same row again under another id
    with pytest.raises(IntegrityError), store.begin() as connection:
        connection.execute(table.insert(), [twin])
    assert store.counts()[table.name] == len(rows[table.name])


def test_a_new_version_of_a_record_is_a_new_document(store: Store) -> None:
    rows = fill(store)
    changed = {**rows["documents"][0], "id": 99, "content_hash": "e" * 64}
    with store.begin() as connection:
        connection.execute(documents.insert(), [changed])
    assert store.counts()["documents"] == 3


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(IntegrityError), store.begin() as connection:
        connection.execute(
            documents.insert(), [{**sample_rows()["documents"][0], "connection_id": 42}]
        )


def test_a_failing_block_rolls_back_the_whole_transaction(store: Store) -> None:
    with pytest.raises(IntegrityError), store.begin() as connection:
        connection.execute(tenants.insert().values(key="a", name="A", created_at=ROW_TIME))
        connection.execute(tenants.insert().values(key="a", name="again", created_at=ROW_TIME))
    assert store.counts()["tenants"] == 0


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(sqlite_url: str) -> None:
    with open_store(sqlite_url, create=True) as store, store.begin() as connection:
        pragma = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        }
    assert pragma == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 10_000,
        "synchronous": 2,  # FULL: a recorded send survives a power loss
    }


def test_a_missing_sqlite_file_is_created_only_when_asked(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    with pytest.raises(StoreUnavailable, match=r"no store at .*new\.db"):
        open_store(url)
    assert not (tmp_path / "new.db").exists()
    open_store(url, create=True).close()
    assert (tmp_path / "new.db").exists()


def test_a_corrupt_sqlite_file_is_refused_in_one_line(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is no database, just text " * 200)
    with pytest.raises(StoreUnavailable) as refused:
        open_store(f"sqlite:///{corrupt}")
    assert "not a SQLite database" in str(refused.value)
    assert str(corrupt) in str(refused.value)
    assert "\n" not in str(refused.value)


def test_postgresql_urls_are_driven_by_psycopg_3(postgres_url: str) -> None:
    assert postgres_url.startswith("postgresql://")
    with open_store(postgres_url) as store:
        assert store.engine.dialect.driver == "psycopg"


def test_copy_in_small_batches_copies_every_row(
    sqlite_url: str, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sync.store.copy

    with open_store(sqlite_url, create=True) as source:
        source.upgrade()
        with source.begin() as connection:
            connection.execute(
                tenants.insert(),
                [
                    {"key": f"t{n}", "name": f"Tenant {n}", "created_at": ROW_TIME}
                    for n in range(11)
                ],
            )
        monkeypatch.setattr(sync.store.copy, "BATCH_BYTES", 20)  # about two rows a batch
        with open_store(postgres_url, create=True) as target:
            seen: list[tuple[str, int]] = []
            counts = copy_store(
                source, target, batch_size=3, progress=lambda *done: seen.append(done)
            )
            assert read_all(target) == read_all(source)
    assert ("tenants", 11) in seen
    assert [(c.table, c.source, c.target) for c in counts if c.source] == [("tenants", 11, 11)]
