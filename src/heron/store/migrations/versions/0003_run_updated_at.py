"""runs.updated_at: when a run's content last changed, indexed for live pollers.

The server's change poller asks "which runs changed since t?" every second; without
this column that is a scan of every run (and of its JSON columns on SQLite). Rows
written before this revision keep NULL and show up again on their next change.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("updated_at", sa.Float(), nullable=True))
    op.create_index("ix_runs_updated_at", "runs", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_runs_updated_at", table_name="runs")
    op.drop_column("runs", "updated_at")
