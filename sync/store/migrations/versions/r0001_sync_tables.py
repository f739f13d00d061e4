"""The sync engine's tables: tenants, connections, cursors, documents, events, outbox, quarantine.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _exact(precision: int, scale: int) -> sa.types.TypeEngine[Decimal]:
    """sync.store.types.ExactDecimal as it was at this revision."""
    return sa.Numeric(precision, scale).with_variant(sa.BigInteger(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.Integer(), nullable=False, comment="surrogate key"),
        sa.Column(
            "key", sa.String(length=100), nullable=False, comment="short name, e.g. 'default'"
        ),
        sa.Column("name", sa.Text(), nullable=False, comment="the company the store works for"),
        sa.Column("created_at", sa.DateTime(), nullable=False, comment="row written"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
        sa.UniqueConstraint("key", name=op.f("uq_tenants_key")),
        comment="A company whose connections, documents and bank accounts the store keeps.",
    )
    op.create_table(
        "connections",
        sa.Column("id", sa.Integer(), nullable=False, comment="surrogate key"),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column(
            "name",
            sa.String(length=200),
            nullable=False,
            comment="the settings file's connection name",
        ),
        sa.Column(
            "connector",
            sa.String(length=100),
            nullable=False,
            comment="connector type, e.g. 'tryton'",
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False, comment="row written"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_connections_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connections")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_connections_tenant_id_name")),
        comment="A source system as the settings file names it (its settings and secrets stay there).",
    )
    op.create_index(op.f("ix_connections_tenant_id"), "connections", ["tenant_id"], unique=False)
    op.create_table(
        "cursors",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column(
            "stream", sa.String(length=50), nullable=False, comment="invoices, parties or payments"
        ),
        sa.Column(
            "value", sa.Text(), nullable=False, comment="Cursor.value: ISO 8601 updated_at or token"
        ),
        sa.Column("tie_breaker", sa.Text(), nullable=False, comment="Cursor.tie_breaker: last id"),
        sa.Column("updated_at", sa.DateTime(), nullable=False, comment="row last changed"),
        sa.ForeignKeyConstraint(
            ["connection_id"], ["connections.id"], name=op.f("fk_cursors_connection_id_connections")
        ),
        sa.PrimaryKeyConstraint("connection_id", "stream", name=op.f("pk_cursors")),
        comment="Where a connection's stream resumes; written in the transaction of its records.",
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False, comment="surrogate key"),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column(
            "source_id", sa.String(length=200), nullable=False, comment="the source record's id"
        ),
        sa.Column("number", sa.String(length=200), nullable=False, comment="invoice number (BT-1)"),
        sa.Column(
            "kind", sa.String(length=20), nullable=False, comment="'invoice' or 'credit-note'"
        ),
        sa.Column(
            "type_code", sa.String(length=3), nullable=False, comment="invoice type code (BT-3)"
        ),
        sa.Column("issue_date", sa.Date(), nullable=False, comment="invoice issue date (BT-2)"),
        sa.Column("due_date", sa.Date(), nullable=True, comment="payment due date (BT-9)"),
        sa.Column(
            "currency", sa.String(length=3), nullable=False, comment="invoice currency code (BT-5)"
        ),
        sa.Column(
            "payable_amount",
            _exact(18, 4),
            nullable=False,
            comment="amount due for payment (BT-115)",
        ),
        sa.Column("buyer_name", sa.Text(), nullable=False, comment="buyer name (BT-44)"),
        sa.Column(
            "profile",
            sa.String(length=50),
            nullable=False,
            comment="the profile the UBL was built for",
        ),
        sa.Column(
            "content_hash",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 (hex) of the canonical UBL bytes; one delivery per hash",
        ),
        sa.Column("model", _JSON, nullable=False, comment="the EN 16931 model JSON"),
        sa.Column(
            "ubl", sa.LargeBinary(), nullable=False, comment="the UBL 2.1 document as written"
        ),
        sa.Column(
            "validation_report",
            _JSON,
            nullable=False,
            comment="the validator's findings: a list of Finding.to_dict()",
        ),
        sa.Column(
            "parse_report",
            _JSON,
            nullable=True,
            comment="an inbound UBL's parse findings (Finding.to_dict()); null when built here",
        ),
        sa.Column("state", sa.String(length=30), nullable=False, comment="one of DOCUMENT_STATES"),
        sa.Column("created_at", sa.DateTime(), nullable=False, comment="row written"),
        sa.Column("updated_at", sa.DateTime(), nullable=False, comment="row last changed"),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_documents_connection_id_connections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint(
            "connection_id",
            "source_id",
            "content_hash",
            name=op.f("uq_documents_connection_id_source_id_content_hash"),
        ),
        comment="An invoice or credit note as issued: a new source version is a new row.",
    )
    op.create_index(
        op.f("ix_documents_connection_id_number"),
        "documents",
        ["connection_id", "number"],
        unique=False,
    )
    op.create_index(op.f("ix_documents_state"), "documents", ["state"], unique=False)
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False, comment="surrogate key"),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False, comment="when the state changed"),
        sa.Column(
            "from_state", sa.String(length=30), nullable=True, comment="null for the first event"
        ),
        sa.Column("to_state", sa.String(length=30), nullable=False),
        sa.Column(
            "cause",
            sa.Text(),
            nullable=False,
            comment="what changed it: pull, validation, a channel",
        ),
        sa.Column("details", _JSON, nullable=False, comment="e.g. changed terms, MLR codes"),
        sa.Column(
            "pushed_at",
            sa.DateTime(),
            nullable=True,
            comment="when push_status reported this event to the source; null until then",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_events_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        comment="A document's state history; each row is pushed to the source once.",
    )
    op.create_index(op.f("ix_events_document_id"), "events", ["document_id"], unique=False)
    op.create_index(op.f("ix_events_pushed_at"), "events", ["pushed_at"], unique=False)
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False, comment="surrogate key"),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column(
            "idempotency_key",
            sa.String(length=64),
            nullable=False,
            comment="keys.idempotency_key(connection, source record, content hash)",
        ),
        sa.Column(
            "channel",
            sa.String(length=200),
            nullable=False,
            comment="the settings file's channel name",
        ),
        sa.Column("state", sa.String(length=30), nullable=False, comment="one of OUTBOX_STATES"),
        sa.Column("attempts", sa.Integer(), nullable=False, comment="sends tried so far"),
        sa.Column(
            "next_attempt_at", sa.DateTime(), nullable=True, comment="earliest retry; null: now"
        ),
        sa.Column("last_error", sa.Text(), nullable=True, comment="the last failure, as one line"),
        sa.Column(
            "remote_id",
            sa.Text(),
            nullable=True,
            comment="how the channel knows it (message id, file path), to ask after a crash",
        ),
        sa.Column("sent_at", sa.DateTime(), nullable=True, comment="when the channel took it"),
        sa.Column(
            "recorded_at", sa.DateTime(), nullable=True, comment="when the send was recorded here"
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False, comment="row written"),
        sa.Column("updated_at", sa.DateTime(), nullable=False, comment="row last changed"),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_outbox_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_idempotency_key")),
        comment="One delivery per idempotency key: at most one send, whatever crashes.",
    )
    op.create_index(op.f("ix_outbox_document_id"), "outbox", ["document_id"], unique=False)
    op.create_index(
        op.f("ix_outbox_state_next_attempt_at"),
        "outbox",
        ["state", "next_attempt_at"],
        unique=False,
    )
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), nullable=False, comment="surrogate key"),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column(
            "source_id", sa.String(length=200), nullable=False, comment="the source record's id"
        ),
        sa.Column(
            "document_id",
            sa.Integer(),
            nullable=True,
            comment="the built document when validation refused it; null when none was built",
        ),
        sa.Column(
            "stage",
            sa.String(length=30),
            nullable=False,
            comment="pull, map, build, validate or parse",
        ),
        sa.Column(
            "state", sa.String(length=20), nullable=False, comment="one of QUARANTINE_STATES"
        ),
        sa.Column("findings", _JSON, nullable=False, comment="why: a list of Finding.to_dict()"),
        sa.Column(
            "record", _JSON, nullable=True, comment="the source record's data, to rebuild it"
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False, comment="row written"),
        sa.Column("resolved_at", sa.DateTime(), nullable=True, comment="when a retry built it"),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_quarantine_connection_id_connections"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_quarantine_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
        comment="What could not be built or is invalid, with its reason; nothing is lost.",
    )
    op.create_index(
        op.f("ix_quarantine_connection_id_resolved_at"),
        "quarantine",
        ["connection_id", "resolved_at"],
        unique=False,
    )
    op.create_index(op.f("ix_quarantine_document_id"), "quarantine", ["document_id"], unique=False)


def downgrade() -> None:
    op.drop_table("quarantine")
    op.drop_table("outbox")
    op.drop_table("events")
    op.drop_table("documents")
    op.drop_table("cursors")
    op.drop_table("connections")
    op.drop_table("tenants")
