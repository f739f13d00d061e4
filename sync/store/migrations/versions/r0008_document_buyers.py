"""The buyer of each document in columns, so receivables need not read its model.

``documents`` gains ``buyer_key`` (the debtor key of BG-7: BT-47, else BT-48, BT-49, BT-44),
``buyer_identifiers`` (BT-46 to BT-49 as ``kind:value``), ``buyer_accounts`` (the BT-91
direct-debit accounts) and ``payment_reference`` (the first BT-83), as
:func:`sync.receivables.buyer_columns` gives them. :func:`sync.receivables.stored_items`
(``ledgerlink debtors``, ``report``, the credit hold) then reads a document's open item from
its row instead of parsing its model JSON. The rows stored before are filled from their
models here; a row whose model cannot be read keeps nulls and is read from its model.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

_BATCH = 2000
_COLUMNS = ("buyer_key", "buyer_identifiers", "buyer_accounts", "payment_reference")


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def _documents() -> sa.TableClause:
    return sa.table(
        "documents",
        sa.column("id", sa.Integer()),
        sa.column("model", _json()),
        sa.column("buyer_key", sa.String()),
        sa.column("buyer_identifiers", _json()),
        sa.column("buyer_accounts", _json()),
        sa.column("payment_reference", sa.String()),
    )


def _backfill() -> None:
    from model.jsonio import from_data
    from sync.receivables import buyer_columns

    bind = op.get_bind()
    table = _documents()
    update = (
        table.update()
        .where(table.c.id == sa.bindparam("row_id"))
        .values({name: sa.bindparam(name) for name in _COLUMNS})
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(table.c.id, table.c.model)
            .where(table.c.id > last)
            .order_by(table.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        filled = []
        for row in rows:
            try:
                columns = buyer_columns(from_data(row.model, source=f"documents row {row.id}"))
            except Exception:  # an unreadable model keeps nulls: read from it later
                continue
            filled.append({"row_id": row.id, **columns})
        if filled:
            bind.execute(update, filled)
        last = rows[-1].id


def upgrade() -> None:
    added: tuple[tuple[str, sa.types.TypeEngine[Any], str], ...] = (
        ("buyer_key", sa.String(length=300),
         "the buyer's debtor key (BT-47, else BT-48, BT-49, BT-44; revision 0008)"),
        ("buyer_identifiers", _json(),
         "the buyer's identifiers as 'kind:value' (BT-46 to BT-49; revision 0008)"),
        ("buyer_accounts", _json(),
         "the buyer's direct-debit accounts (BT-91), compact (revision 0008)"),
        ("payment_reference", sa.String(length=200),
         "the first remittance information (BT-83), compact (revision 0008)"),
    )  # fmt: skip
    for name, type_, comment in added:
        op.add_column(
            "documents",
            sa.Column(name, type_, nullable=True, comment=comment),
        )
    _backfill()


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        for name in reversed(_COLUMNS):
            batch.drop_column(name)
