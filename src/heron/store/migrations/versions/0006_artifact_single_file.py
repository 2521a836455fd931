"""artifact_versions.single_file: whether a download gives the file itself.

Until now a ``"single_file"`` key in a version's user metadata carried this (set by
the SDK, the model registry and the server). It becomes a column; the key is moved
out of existing metadata into it, in batches. Ingest still accepts the key from
older spools and clients (``store.artifacts_sql``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-15
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 500
_KEY = "single_file"

_versions = sa.table(
    "artifact_versions",
    sa.column("id", sa.Integer),
    sa.column("metadata", sa.Text),
    sa.column("single_file", sa.Boolean),
)


def upgrade() -> None:
    op.add_column(
        "artifact_versions",
        sa.Column("single_file", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    _move(op.get_bind(), to_column=True)


def downgrade() -> None:
    _move(op.get_bind(), to_column=False)
    with op.batch_alter_table("artifact_versions") as batch:  # SQLite: no in-place drop
        batch.drop_column("single_file")


def _move(conn: sa.Connection, *, to_column: bool) -> None:
    """Move the flag from the metadata key to the column, or back (downgrade)."""
    c = _versions.c
    # Upgrade: rows whose metadata may hold the key; downgrade: rows with the flag set.
    where = c.metadata.like(f'%"{_KEY}"%') if to_column else c.single_file.is_(True)
    update = (
        sa.update(_versions)
        .where(c.id == sa.bindparam("b_id"))
        .values(metadata=sa.bindparam("b_metadata"), single_file=sa.bindparam("b_single"))
    )
    after = 0
    while True:
        rows = conn.execute(
            sa.select(c.id, c.metadata, c.single_file)
            .where(where, c.id > after)
            .order_by(c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        found = (_change(int(i), text, flag, to_column) for i, text, flag in rows)
        changes = [change for change in found if change is not None]
        if changes:
            conn.execute(update, changes)
        after = int(rows[-1][0])


def _change(version_id: int, text: str, flag: bool, to_column: bool) -> dict[str, Any] | None:
    try:
        metadata = json.loads(text)
    except ValueError:
        return None  # not JSON: nothing Heron could have read a flag from
    if not isinstance(metadata, dict):
        return None
    if to_column:
        if _KEY not in metadata:
            return None  # the text matched elsewhere (a value, a nested key)
        single = bool(metadata.pop(_KEY))
    else:
        metadata[_KEY], single = True, False
    dumped = json.dumps(metadata, allow_nan=True, separators=(",", ":"), ensure_ascii=False)
    return {"b_id": version_id, "b_metadata": dumped, "b_single": single}
