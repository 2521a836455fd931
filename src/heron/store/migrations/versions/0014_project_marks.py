"""project_marks: a project's tags and its deletion mark (an MLflow experiment's tags
and lifecycle stage: docs/compatibility.md). By project name, like alert rules; a
project without a row has no tags and is not deleted.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "project_marks",
        sa.Column("project", sa.String(128), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("deleted_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("project", name="pk_project_marks"),
    )


def downgrade() -> None:
    op.drop_table("project_marks")
