"""One-shot migrations (`ledgerlink migrate`): their own cursor and the records they took.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _exact(precision: int, scale: int) -> sa.types.TypeEngine[Decimal]:
    """sync.store.types.ExactDecimal as it was at this revision."""
    return sa.Numeric(precision, scale).with_variant(sa.BigInteger(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "migrations",
        sa.Column("id", sa.Integer(), nullable=False, comment="surrogate key"),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column(
            "target", sa.Text(), nullable=False, comment="the resolved folder `migrate --to` writes"
        ),
        sa.Column(
            "since",
            sa.String(length=10),
            nullable=True,
            comment="--since (YYYY-MM-DD) it started with",
        ),
        sa.Column(
            "cursor_value", sa.Text(), nullable=True, comment="Cursor.value of the last page done"
        ),
        sa.Column("cursor_tie_breaker", sa.Text(), nullable=False, comment="Cursor.tie_breaker"),
        sa.Column("created_at", sa.DateTime(), nullable=False, comment="row written"),
        sa.Column("updated_at", sa.DateTime(), nullable=False, comment="row last changed"),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_migrations_connection_id_connections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_migrations")),
        sa.UniqueConstraint(
            "connection_id", "target", name=op.f("uq_migrations_connection_id_target")
        ),
        comment="A one-shot migration (`ledgerlink migrate`) of a connection into a folder: "
        "its own cursor, so that running it again continues where it stopped.",
    )
    op.create_table(
        "migration_items",
        sa.Column("id", sa.Integer(), nullable=False, comment="surrogate key"),
        sa.Column("migration_id", sa.Integer(), nullable=False),
        sa.Column(
            "source_id", sa.String(length=200), nullable=False, comment="the source record's id"
        ),
        sa.Column(
            "item_key",
            sa.String(length=64),
            nullable=False,
            comment="the content hash of the UBL, or of the record data when none was built",
        ),
        sa.Column("number", sa.String(length=200), nullable=True, comment="invoice number (BT-1)"),
        sa.Column(
            "kind", sa.String(length=20), nullable=True, comment="'invoice' or 'credit-note'"
        ),
        sa.Column("issue_date", sa.Date(), nullable=True, comment="invoice issue date (BT-2)"),
        sa.Column("buyer_name", sa.Text(), nullable=True, comment="buyer name (BT-44)"),
        sa.Column(
            "buyer_id",
            sa.Text(),
            nullable=True,
            comment="buyer identifier (BT-46, else BT-47, BT-48)",
        ),
        sa.Column(
            "net",
            _exact(18, 4),
            nullable=True,
            comment="invoice total amount without VAT (BT-109)",
        ),
        sa.Column("vat", _exact(18, 4), nullable=True, comment="invoice total VAT amount (BT-110)"),
        sa.Column(
            "payable", _exact(18, 4), nullable=True, comment="amount due for payment (BT-115)"
        ),
        sa.Column(
            "currency",
            sa.String(length=3),
            nullable=True,
            comment="invoice currency code (BT-5)",
        ),
        sa.Column(
            "state", sa.String(length=20), nullable=False, comment="written, held or quarantined"
        ),
        sa.Column("file", sa.Text(), nullable=True, comment="the UBL file's name in the folder"),
        sa.Column("reason", sa.Text(), nullable=True, comment="why held, quarantined or renamed"),
        sa.Column("findings", _JSON, nullable=True, comment="a list of Finding.to_dict()"),
        sa.Column(
            "document_id",
            sa.Integer(),
            nullable=True,
            comment="with --deliver: the document the outbox delivers",
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False, comment="row written"),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_migration_items_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["migration_id"],
            ["migrations.id"],
            name=op.f("fk_migration_items_migration_id_migrations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_migration_items")),
        sa.UniqueConstraint(
            "migration_id",
            "source_id",
            "item_key",
            name=op.f("uq_migration_items_migration_id_source_id_item_key"),
        ),
        comment="A record a migration took: one row of its index.csv, written once.",
    )


def downgrade() -> None:
    op.drop_table("migration_items")
    op.drop_table("migrations")
