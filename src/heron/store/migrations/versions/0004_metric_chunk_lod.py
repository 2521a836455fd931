"""metric_chunks.lod: block summaries beside each chunk, so charts skip decoding.

Existing chunks are summarised here, in batches. Unlike the schema, the summary is
computed with the live codecs (``store.chunks``, ``store.lod``): the column holds
whatever format the running Heron reads, and readers still summarise a NULL ``lod``
(a chunk written by an older process that was running during the upgrade).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 500  # chunks per read: a few MB of data at a time


def upgrade() -> None:
    op.add_column("metric_chunks", sa.Column("lod", sa.LargeBinary(), nullable=True))
    _backfill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("metric_chunks") as batch:  # SQLite cannot drop columns in place
        batch.drop_column("lod")


def _backfill(conn: sa.Connection) -> None:
    from heron.store import chunks, lod

    table = sa.table(
        "metric_chunks",
        sa.column("run_id", sa.String),
        sa.column("key", sa.String),
        sa.column("chunk", sa.Integer),
        sa.column("data", sa.LargeBinary),
        sa.column("lod", sa.LargeBinary),
    )
    c = table.c
    where = sa.and_(c.run_id == sa.bindparam("b_run"), c.key == sa.bindparam("b_key"))
    update = (
        sa.update(table)
        .where(where, c.chunk == sa.bindparam("b_chunk"))
        .values(lod=sa.bindparam("b_lod"))
    )
    after: tuple[str, str, int] | None = None
    while True:
        query = sa.select(c.run_id, c.key, c.chunk, c.data).where(c.lod.is_(None))
        if after is not None:  # keyset pagination over the primary key
            query = query.where(
                sa.tuple_(c.run_id, c.key, c.chunk) > sa.tuple_(*(sa.literal(v) for v in after))
            )
        rows = conn.execute(query.order_by(c.run_id, c.key, c.chunk).limit(_BATCH)).all()
        if not rows:
            return
        conn.execute(
            update,
            [
                {"b_run": r, "b_key": k, "b_chunk": n, "b_lod": lod.summarize(chunks.decode(d))}
                for r, k, n, d in rows
            ],
        )
        last = rows[-1]
        after = (last[0], last[1], last[2])
