"""deleted_runs (issue 18): a tombstone per deleted run, so ingest refuses the
records its still-running process (or a dead spool of it) sends later: deletion is
final. (A resumed run's history of crashes and resumes is in its system record,
``system.heron.history``, written by the SDK: no table.)

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


def downgrade() -> None:
    op.drop_table("deleted_runs")
