"""An index for the sync cycle's look-up of a page's content hashes per connection.

``documents(connection_id, content_hash)``: the pipeline asks, per page, which of its
content hashes the store holds for the connection (and a retry or a migration looks one
hash up). The unique key ``(connection_id, source_id, content_hash)`` only narrows such
a query to the connection, so each page read every document of the connection (SQLite
``SEARCH ... (connection_id=?)``, PostgreSQL a sequential scan): a cost that grew with
the store. Look-ups by source id are served by that unique key's prefix already; the
outbox's claim has ``outbox(state, next_attempt_at)`` and the status push
``events(pushed_at)`` since revision 0001.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_documents_connection_id_content_hash"),
        "documents",
        ["connection_id", "content_hash"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_documents_connection_id_content_hash"), table_name="documents")
