"""The reconciler's tables: bank transactions and their matches to documents.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def _exact(precision: int, scale: int) -> sa.types.TypeEngine[Decimal]:
    """sync.store.types.ExactDecimal as it was at this revision."""
    return sa.Numeric(precision, scale).with_variant(sa.BigInteger(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "transactions",
        sa.Column("id", sa.Integer(), nullable=False, comment="surrogate key"),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column(
            "account",
            sa.String(length=50),
            nullable=False,
            comment="the tenant's IBAN (BT-84 side)",
        ),
        sa.Column("booking_date", sa.Date(), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=True),
        sa.Column("amount", _exact(18, 4), nullable=False, comment="signed: credit > 0, debit < 0"),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("counterparty_name", sa.Text(), nullable=True),
        sa.Column(
            "counterparty_account", sa.String(length=50), nullable=True, comment="the payer's IBAN"
        ),
        sa.Column(
            "structured_reference",
            sa.String(length=100),
            nullable=True,
            comment="RF ISO 11649, betalingskenmerk or OGM, as read",
        ),
        sa.Column("remittance", sa.Text(), nullable=True, comment="unstructured remittance text"),
        sa.Column(
            "bank_reference",
            sa.String(length=200),
            nullable=True,
            comment="the bank's entry reference",
        ),
        sa.Column(
            "identity",
            sa.String(length=64),
            nullable=False,
            comment="stable hash of account, dates, amount and references: imported once",
        ),
        sa.Column(
            "source", sa.Text(), nullable=True, comment="the statement file or feed it came from"
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False, comment="row written"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_transactions_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transactions")),
        sa.UniqueConstraint("identity", name=op.f("uq_transactions_identity")),
        comment="A bank or statement transaction, for the reconciler.",
    )
    op.create_index(
        op.f("ix_transactions_account_booking_date"),
        "transactions",
        ["account", "booking_date"],
        unique=False,
    )
    op.create_table(
        "matches",
        sa.Column("id", sa.Integer(), nullable=False, comment="surrogate key"),
        sa.Column("transaction_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column(
            "amount", _exact(18, 4), nullable=False, comment="the part of the transaction for it"
        ),
        sa.Column(
            "stage",
            sa.String(length=50),
            nullable=False,
            comment="the matching stage that found it",
        ),
        sa.Column("reason", sa.Text(), nullable=False, comment="why, in words"),
        sa.Column("confidence", _exact(5, 4), nullable=False, comment="0 to 1"),
        sa.Column("created_at", sa.DateTime(), nullable=False, comment="row written"),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_matches_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_matches_transaction_id_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matches")),
        sa.UniqueConstraint(
            "transaction_id", "document_id", name=op.f("uq_matches_transaction_id_document_id")
        ),
        comment="A transaction (or part of it) applied to a document.",
    )
    op.create_index(op.f("ix_matches_document_id"), "matches", ["document_id"], unique=False)


def downgrade() -> None:
    op.drop_table("matches")
    op.drop_table("transactions")
