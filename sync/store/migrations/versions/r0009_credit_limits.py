"""Credit limits pulled from a source, per connection and party (issue 17 section 3).

``credit_limits``: what Tryton's ``credit_limit_amount`` (or another source's limit) gives
each party, with the party's debtor identifiers, so ``ledgerlink debtors``, ``report credit``
and the credit hold find the limit of a debtor its invoices make. A sync cycle replaces a
connection's rows with what the source gives now.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from sync.store.types import ExactDecimal, UtcDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    op.create_table(
        "credit_limits",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column(
            "party_id", sa.String(length=200), nullable=False, comment="the party's record id"
        ),
        sa.Column("name", sa.Text(), nullable=False, comment="the party's name (BT-44 as a buyer)"),
        sa.Column(
            "identifiers",
            _json(),
            nullable=False,
            comment="the party's debtor identifiers as 'kind:value' (kvk:..., vat:...)",
        ),
        sa.Column(
            "amount",
            ExactDecimal(18, 4),
            nullable=False,
            comment="the credit limit the source gives",
        ),
        sa.Column("currency", sa.String(length=3), nullable=False, comment="the limit's currency"),
        sa.Column("updated_at", UtcDateTime(), nullable=False, comment="row last changed"),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_credit_limits_connection_id_connections"),
        ),
        sa.PrimaryKeyConstraint("connection_id", "party_id", name=op.f("pk_credit_limits")),
        comment="Credit limits pulled from a source (Tryton's credit_limit_amount), per "
        "connection and party; a limit in the settings file wins over them (revision 0009).",
    )


def downgrade() -> None:
    op.drop_table("credit_limits")
