"""Alembic's environment: runs the migrations on the connection the store hands over."""

from __future__ import annotations

from alembic import context

from sync.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the store's migrations through sync.store.Store.upgrade()")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by copying a table
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
