"""The reconciler's store: imported statements, the transactions' full detail, match
events with write-offs, and the payment pushes (issue 16).

* ``statements``: one row per imported statement with its balances and, for one imported
  with ``--accept-unbalanced``, the difference.
* ``transactions`` gains the connection that owns the account, its statement and entry,
  the EndToEndId, bank code, reversal flag, return reason and the whole transaction as
  JSON (batch children too), so the matcher sees what the reader read.
* ``matches`` (r0002) becomes the match event log: rows are only ever added; it gains
  ``written_off``.
* ``payment_pushes``: one push per match, by idempotency key.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from sync.store.types import ExactDecimal, UtcDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def _money() -> ExactDecimal:
    return ExactDecimal(18, 4)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    op.create_table(
        "statements",
        sa.Column("id", sa.Integer(), nullable=False, comment="surrogate key"),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column(
            "account",
            sa.String(length=50),
            nullable=False,
            comment="the statement's account: compact IBAN, or the bank's account id",
        ),
        sa.Column(
            "format", sa.String(length=30), nullable=False, comment="camt.053.001.02 ... or mt940"
        ),
        sa.Column(
            "statement_ref",
            sa.String(length=200),
            nullable=True,
            comment="camt Stmt/Id, MT940 :20:/:28C:",
        ),
        sa.Column(
            "identity",
            sa.String(length=64),
            nullable=False,
            comment="hash of account, statement id, period and balances: imported once",
        ),
        sa.Column("source", sa.Text(), nullable=False, comment="the file it was imported from"),
        sa.Column(
            "currency", sa.String(length=3), nullable=False, comment="the account's currency"
        ),
        sa.Column("period_from", sa.Date(), nullable=True),
        sa.Column("period_to", sa.Date(), nullable=True),
        sa.Column("opening", _money(), nullable=True, comment="opening booked balance, signed"),
        sa.Column("opening_date", sa.Date(), nullable=True),
        sa.Column("closing", _money(), nullable=True, comment="closing booked balance, signed"),
        sa.Column("closing_date", sa.Date(), nullable=True),
        sa.Column(
            "difference",
            _money(),
            nullable=True,
            comment="opening + entries - closing; null without balances",
        ),
        sa.Column(
            "balance", sa.String(length=30), nullable=False, comment="one of STATEMENT_BALANCES"
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False, comment="row written"),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_statements_connection_id_connections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statements")),
        sa.UniqueConstraint("identity", name=op.f("uq_statements_identity")),
        comment="A bank statement as imported (`ledgerlink statements import`), with its balances.",
    )
    op.create_index(
        op.f("ix_statements_connection_id_account"),
        "statements",
        ["connection_id", "account"],
        unique=False,
    )
    with op.batch_alter_table("transactions") as batch:
        batch.alter_column(
            "identity",
            existing_type=sa.String(length=64),
            existing_nullable=False,
            comment="sync.statement_import.transaction_identity: imported once",
            existing_comment="stable hash of account, dates, amount and references: imported once",
        )
        batch.add_column(
            sa.Column(
                "connection_id",
                sa.Integer(),
                nullable=True,
                comment="the connection that owns the account (revision 0006; null before)",
            )
        )
        batch.add_column(
            sa.Column(
                "statement_id",
                sa.Integer(),
                nullable=True,
                comment="the statement it was imported with",
            )
        )
        batch.add_column(
            sa.Column(
                "entry", sa.Integer(), nullable=True, comment="1-based position in its statement"
            )
        )
        batch.add_column(
            sa.Column(
                "end_to_end_id",
                sa.String(length=200),
                nullable=True,
                comment="the payer's EndToEndId",
            )
        )
        batch.add_column(
            sa.Column(
                "bank_code", sa.String(length=100), nullable=True, comment="bank transaction code"
            )
        )
        batch.add_column(
            sa.Column(
                "reversal",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
                comment="a reversal or return",
            )
        )
        batch.add_column(
            sa.Column(
                "return_reason",
                sa.String(length=10),
                nullable=True,
                comment="ISO 20022 return reason",
            )
        )
        batch.add_column(
            sa.Column(
                "data",
                _json(),
                nullable=True,
                comment="the whole reconcile.Transaction (batch children too), for the matcher",
            )
        )
        batch.create_foreign_key(
            op.f("fk_transactions_connection_id_connections"),
            "connections",
            ["connection_id"],
            ["id"],
        )
        batch.create_foreign_key(
            op.f("fk_transactions_statement_id_statements"),
            "statements",
            ["statement_id"],
            ["id"],
        )
        batch.create_index(op.f("ix_transactions_statement_id"), ["statement_id"], unique=False)
        batch.create_index(
            op.f("ix_transactions_connection_id_bank_reference"),
            ["connection_id", "bank_reference"],
            unique=False,
        )
    with op.batch_alter_table("transactions") as batch:
        batch.alter_column("reversal", existing_type=sa.Boolean(), server_default=None)
    with op.batch_alter_table("matches") as batch:
        batch.alter_column(
            "amount",
            existing_type=_money(),
            existing_nullable=False,
            comment="signed reduction of the document's open amount (negative: credit note "
            "consumed, reversal)",
            existing_comment="the part of the transaction for it",
        )
        batch.add_column(
            sa.Column(
                "written_off",
                _money(),
                nullable=False,
                server_default="0",
                comment="a shortfall of the document written off under the tolerance policy",
            )
        )
    with op.batch_alter_table("matches") as batch:
        batch.alter_column("written_off", existing_type=_money(), server_default=None)
    if op.get_bind().dialect.name != "sqlite":  # SQLite keeps no comments
        op.create_table_comment(
            "matches",
            "A match event, never changed: a transaction (or part of it) applied to a "
            "document. A document's open amount is its amount less its matches.",
            existing_comment="A transaction (or part of it) applied to a document.",
        )
    op.create_table(
        "payment_pushes",
        sa.Column("id", sa.Integer(), nullable=False, comment="surrogate key"),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column(
            "idempotency_key",
            sa.String(length=64),
            nullable=False,
            comment="sync.payment_push.push_key(connection, bank reference, source record)",
        ),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind", sa.String(length=20), nullable=False, comment="payment, reversal or credit"
        ),
        sa.Column("amount", _money(), nullable=False, comment="what is pushed (BT-113), positive"),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False, comment="the booking date"),
        sa.Column(
            "reference",
            sa.Text(),
            nullable=False,
            comment="Payment.reference: the bank reference",
        ),
        sa.Column("state", sa.String(length=20), nullable=False, comment="one of PUSH_STATES"),
        sa.Column("attempts", sa.Integer(), nullable=False, comment="pushes tried so far"),
        sa.Column("last_error", sa.Text(), nullable=True, comment="why it failed or is reported"),
        sa.Column("pushed_at", UtcDateTime(), nullable=True, comment="when the source took it"),
        sa.Column("created_at", UtcDateTime(), nullable=False, comment="row written"),
        sa.Column("updated_at", UtcDateTime(), nullable=False, comment="row last changed"),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_payment_pushes_connection_id_connections"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_payment_pushes_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["match_id"], ["matches.id"], name=op.f("fk_payment_pushes_match_id_matches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_pushes")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_payment_pushes_idempotency_key")),
        sa.UniqueConstraint("match_id", name=op.f("uq_payment_pushes_match_id")),
        comment="One push_payment per match: at most one booking at the source, whatever crashes.",
    )
    op.create_index(op.f("ix_payment_pushes_state"), "payment_pushes", ["state"], unique=False)


def downgrade() -> None:
    op.drop_table("payment_pushes")
    if op.get_bind().dialect.name != "sqlite":
        op.create_table_comment(
            "matches",
            "A transaction (or part of it) applied to a document.",
            existing_comment="A match event, never changed: a transaction (or part of it) applied "
            "to a document. A document's open amount is its amount less its matches.",
        )
    with op.batch_alter_table("matches") as batch:
        batch.drop_column("written_off")
        batch.alter_column(
            "amount",
            existing_type=_money(),
            existing_nullable=False,
            comment="the part of the transaction for it",
        )
    with op.batch_alter_table("transactions") as batch:
        batch.drop_index(op.f("ix_transactions_connection_id_bank_reference"))
        batch.drop_index(op.f("ix_transactions_statement_id"))
        batch.drop_constraint(op.f("fk_transactions_statement_id_statements"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_transactions_connection_id_connections"), type_="foreignkey")
        for column in (
            "data",
            "return_reason",
            "reversal",
            "bank_code",
            "end_to_end_id",
            "entry",
            "statement_id",
            "connection_id",
        ):
            batch.drop_column(column)
        batch.alter_column(
            "identity",
            existing_type=sa.String(length=64),
            existing_nullable=False,
            comment="stable hash of account, dates, amount and references: imported once",
        )
    op.drop_index(op.f("ix_statements_connection_id_account"), table_name="statements")
    op.drop_table("statements")
