"""alert_group_holds: run groups whose ``group_done`` alert waits for their driver (a
sweep) to say it finished, rather than for every existing run to end. By project name,
like alert rules; a group without a row is a plain group.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_group_holds",
        sa.Column("project", sa.String(128), nullable=False),
        sa.Column("group_name", sa.String(256), nullable=False),
        sa.Column("holder", sa.String(256), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("project", "group_name", "holder", name="pk_alert_group_holds"),
    )


def downgrade() -> None:
    op.drop_table("alert_group_holds")
