"""run_console: what a run printed, one row per line.

A new table only; nothing existing changes. A frozen copy of the table as
``heron.store.schema`` defines it at this revision (migrations never import the live
schema).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "run_console",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("line", sa.BigInteger(), nullable=False),
        sa.Column("stream", sa.String(length=8), nullable=False),
        sa.Column("time", sa.Float(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("partial", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "line", name="pk_run_console"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_run_console_run_id_runs", ondelete="CASCADE"
        ),
    )
    op.create_index(
        "ix_run_console_run_id_stream_line", "run_console", ["run_id", "stream", "line"]
    )


def downgrade() -> None:
    op.drop_index("ix_run_console_run_id_stream_line", table_name="run_console")
    op.drop_table("run_console")
