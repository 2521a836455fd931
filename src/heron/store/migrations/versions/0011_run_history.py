"""Run history and deleted runs (issue 18).

``deleted_runs``: a tombstone per deleted run, so ingest refuses the records its
still-running process (or a dead spool of it) sends later: deletion is final.
``run_history``: each crash and resume of a run (time, step reached, detail), so a
resumed run's record shows it crashed and its duration can count active time.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deleted_runs",
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("deleted_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", name="pk_deleted_runs"),
    )
    op.create_table(
        "run_history",
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_run_history_run_id_runs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "n", name="pk_run_history"),
    )


def downgrade() -> None:
    op.drop_table("run_history")
    op.drop_table("deleted_runs")
