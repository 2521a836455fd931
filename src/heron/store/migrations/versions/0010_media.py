"""run_media and run_media_refs: rich media a run logged (heron.media), by key and step.

New tables only; nothing existing changes. Assigned 0008, numbered after the
revisions already committed so there is one head. A frozen copy of the tables as
``heron.store.schema`` defines them at this revision.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "run_media",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=256), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.String(length=80), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("meta", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "key", "step", name="pk_run_media"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_run_media_run_id_runs", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_run_media_digest", "run_media", ["digest"])
    op.create_table(
        "run_media_refs",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=256), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "key", "step", "digest", name="pk_run_media_refs"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_run_media_refs_run_id_runs", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_run_media_refs_digest", "run_media_refs", ["digest"])


def downgrade() -> None:
    op.drop_index("ix_run_media_refs_digest", table_name="run_media_refs")
    op.drop_table("run_media_refs")
    op.drop_index("ix_run_media_digest", table_name="run_media")
    op.drop_table("run_media")
