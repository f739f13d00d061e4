"""The packaged Alembic migrations build exactly the schema of ``sync.store.schema``."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Connection, MetaData, String, inspect
from support.revisions import VERSION_FILES

from sync.store import metadata, open_store


def _differences(connection: Connection, target: MetaData) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, target))


def test_the_migrations_produce_exactly_the_schema_of_the_metadata(store_url: str) -> None:
    with open_store(store_url, create=True) as store:
        store.upgrade()
        with store.begin() as connection:
            assert _differences(connection, metadata) == []
            # the comparison sees a difference when there is one
            changed = MetaData(naming_convention=metadata.naming_convention)
            for table in metadata.sorted_tables:
                table.to_metadata(changed)
            changed.tables["documents"].append_column(Column("extra", String(10)))
            assert _differences(connection, changed) != []


def test_the_revisions_form_one_line_and_downgrade_to_nothing(store_url: str) -> None:
    with open_store(store_url, create=True) as store:
        assert store.revisions() == VERSION_FILES and store.head == VERSION_FILES[-1]
        store.upgrade()
        with store.begin() as connection:
            command.downgrade(store.alembic_config(connection), "base")
        with store.begin() as connection:
            assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
        assert store.revision() is None
