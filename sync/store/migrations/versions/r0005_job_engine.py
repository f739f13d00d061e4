"""Several daemons on one PostgreSQL store: the fence token per connection, the cycle
holders, and the job engine's own schema (``docs/decisions/0001-job-engine.md``).

On both databases: ``connection_fences`` (the token of the cycle that owns a connection,
checked in each page transaction) and ``cycle_holders`` (who worked which connection
from when to when). SQLite has one daemon per store (its lock file), so these stay
empty there.

On PostgreSQL only: procrastinate 3.10.0's ``schema.sql``, vendored beside the migrations
(``procrastinate_3_10_0.sql``, MIT), into a schema of its own, ``procrastinate``, so its
tables and functions never mix with ours. Its functions name their tables unqualified:
the engine's connections carry ``search_path=procrastinate``, and the store's own queries
qualify ``procrastinate.procrastinate_jobs``. The search path is changed for this
transaction only and set back before Alembic writes ``alembic_version``.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import op

from sync.store.types import UtcDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

ENGINE_SCHEMA = "procrastinate"
ENGINE_SQL = Path(__file__).resolve().parent.parent / "procrastinate_3_10_0.sql"


def upgrade() -> None:
    op.create_table(
        "connection_fences",
        sa.Column(
            "connection",
            sa.String(length=200),
            nullable=False,
            comment="the settings file's connection name",
        ),
        sa.Column(
            "token",
            sa.String(length=32),
            nullable=False,
            comment="the fence token of the cycle that holds the connection now",
        ),
        sa.Column(
            "holder",
            sa.String(length=200),
            nullable=False,
            comment="the worker that took it (worker id)",
        ),
        sa.Column("taken_at", UtcDateTime(), nullable=False, comment="when it was taken"),
        sa.Column(
            "failures",
            sa.Integer(),
            nullable=False,
            comment="failed cycles in a row (0 after a success)",
        ),
        sa.Column(
            "not_before",
            UtcDateTime(),
            nullable=True,
            comment="a failing connection's back-off: no cycle is queued before this",
        ),
        sa.PrimaryKeyConstraint("connection", name=op.f("pk_connection_fences")),
        comment="ledgerlink daemon on PostgreSQL: the cycle that owns each connection. A cycle "
        "writes a fresh token here when it starts; each page transaction checks it "
        "(RunControl.fence), so a worker declared dead that wakes up commits nothing.",
    )
    op.create_table(
        "cycle_holders",
        sa.Column("id", sa.Integer(), nullable=False, comment="surrogate key"),
        sa.Column(
            "connection", sa.String(length=200), nullable=False, comment="the connection name"
        ),
        sa.Column(
            "holder",
            sa.String(length=200),
            nullable=False,
            comment="the worker that ran the cycle",
        ),
        sa.Column("token", sa.String(length=32), nullable=False, comment="its fence token"),
        sa.Column("job_id", sa.Integer(), nullable=True, comment="the job engine's job id, if any"),
        sa.Column(
            "started_at", UtcDateTime(), nullable=False, comment="the cycle took the connection"
        ),
        sa.Column(
            "ended_at",
            UtcDateTime(),
            nullable=True,
            comment="the cycle let it go; null while it runs, or when its worker died",
        ),
        sa.Column(
            "outcome",
            sa.String(length=20),
            nullable=True,
            comment="done, stopped, failed or fenced",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cycle_holders")),
        comment="ledgerlink daemon on PostgreSQL: who worked which connection when, one row per "
        "cycle (operators, and the test that no two intervals of a connection overlap).",
    )
    op.create_index(
        op.f("ix_cycle_holders_connection_started_at"),
        "cycle_holders",
        ["connection", "started_at"],
        unique=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        _install_engine_schema()


def _install_engine_schema() -> None:
    bind = op.get_bind()
    saved = bind.exec_driver_sql("SELECT current_setting('search_path')").scalar_one()
    bind.exec_driver_sql(f"CREATE SCHEMA {ENGINE_SCHEMA}")
    bind.exec_driver_sql(f"SET LOCAL search_path = {ENGINE_SCHEMA}")
    # psycopg reads % as a parameter marker even with no parameters: doubled, it is one %
    bind.exec_driver_sql(ENGINE_SQL.read_text(encoding="utf-8").replace("%", "%%"))
    bind.execute(sa.text("SELECT set_config('search_path', :saved, true)"), {"saved": saved})


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.get_bind().exec_driver_sql(f"DROP SCHEMA {ENGINE_SCHEMA} CASCADE")
    op.drop_index(op.f("ix_cycle_holders_connection_started_at"), table_name="cycle_holders")
    op.drop_table("cycle_holders")
    op.drop_table("connection_fences")
