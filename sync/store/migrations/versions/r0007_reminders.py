"""Reminders on the store (issue 17, section 2).

* ``reminders``: one row per invoice and policy step that fired, unique on (connection,
  source record, step): inserted with insert-or-ignore, so a step fires once whatever
  crashes or reruns; the row is the decision and carries the state of its outputs
  (webhook, e-mail).
* ``reminder_pauses``: disputes, promises to pay and payment plans that pause an invoice's
  reminders (``ledgerlink reminders pause`` / ``resume``).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from sync.store.types import ExactDecimal, UtcDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def _money() -> ExactDecimal:
    return ExactDecimal(18, 4)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False, comment="surrogate key"),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column(
            "source_id", sa.String(length=200), nullable=False, comment="the source record's id"
        ),
        sa.Column(
            "document_id",
            sa.Integer(),
            nullable=False,
            comment="the version of the document the reminder was fired for",
        ),
        sa.Column("number", sa.String(length=200), nullable=False, comment="invoice number (BT-1)"),
        sa.Column("step", sa.String(length=100), nullable=False, comment="the policy step's name"),
        sa.Column(
            "step_type",
            sa.String(length=30),
            nullable=False,
            comment="reconcile.reminders.StepType",
        ),
        sa.Column("policy", sa.String(length=100), nullable=False, comment="the policy's name"),
        sa.Column(
            "fired_on", sa.Date(), nullable=False, comment="the day it fired (the run's --on)"
        ),
        sa.Column(
            "days_overdue",
            sa.Integer(),
            nullable=False,
            comment="days after the due date (BT-9)",
        ),
        sa.Column(
            "currency",
            sa.String(length=3),
            nullable=False,
            comment="invoice currency code (BT-5)",
        ),
        sa.Column("open", _money(), nullable=False, comment="what was still open of BT-115"),
        sa.Column("costs", _money(), nullable=False, comment="the costs its letter states"),
        sa.Column(
            "interest", _money(), nullable=False, comment="statutory interest up to fired_on"
        ),
        sa.Column(
            "details",
            _json(),
            nullable=False,
            comment="interest periods, the 14-day letter's dates, the debtor: what the letter says",
        ),
        sa.Column(
            "webhook_state",
            sa.String(length=20),
            nullable=True,
            comment="REMINDER_STATES; null: none",
        ),
        sa.Column(
            "email_state",
            sa.String(length=20),
            nullable=True,
            comment="REMINDER_STATES; null: none",
        ),
        sa.Column("attempts", sa.Integer(), nullable=False, comment="output runs tried so far"),
        sa.Column(
            "last_error", sa.Text(), nullable=True, comment="the last output failure, as one line"
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False, comment="row written"),
        sa.Column("updated_at", UtcDateTime(), nullable=False, comment="row last changed"),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_reminders_connection_id_connections"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_reminders_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
        sa.UniqueConstraint(
            "connection_id",
            "source_id",
            "step",
            name=op.f("uq_reminders_connection_id_source_id_step"),
        ),
        comment="A reminder step fired for an invoice: once per document and step, whatever "
        "crashes or reruns (the row is the decision; its outputs follow it).",
    )
    op.create_index(op.f("ix_reminders_fired_on"), "reminders", ["fired_on"], unique=False)
    op.create_table(
        "reminder_pauses",
        sa.Column("id", sa.Integer(), nullable=False, comment="surrogate key"),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column(
            "source_id", sa.String(length=200), nullable=False, comment="the source record's id"
        ),
        sa.Column("number", sa.String(length=200), nullable=False, comment="invoice number (BT-1)"),
        sa.Column("reason", sa.String(length=20), nullable=False, comment="one of PAUSE_REASONS"),
        sa.Column(
            "until",
            sa.Date(),
            nullable=True,
            comment="last day of the pause; null: until resumed",
        ),
        sa.Column("note", sa.Text(), nullable=True, comment="what the credit manager wrote"),
        sa.Column("created_at", UtcDateTime(), nullable=False, comment="row written"),
        sa.Column(
            "resumed_at",
            UtcDateTime(),
            nullable=True,
            comment="`reminders resume`; null: not yet",
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_reminder_pauses_connection_id_connections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_pauses")),
        comment="A dispute, a promise to pay or a payment plan that pauses an invoice's reminders.",
    )
    op.create_index(
        op.f("ix_reminder_pauses_connection_id_source_id"),
        "reminder_pauses",
        ["connection_id", "source_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_reminder_pauses_connection_id_source_id"), table_name="reminder_pauses")
    op.drop_table("reminder_pauses")
    op.drop_index(op.f("ix_reminders_fired_on"), table_name="reminders")
    op.drop_table("reminders")
