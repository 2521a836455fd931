"""The ``run_comments`` table: a thread per run (``heron.service.comments``).

Each function runs inside the caller's transaction (``SqlStore.transactor``). A run's
comments go with it (the foreign key cascades).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from heron.errors import NotFound
from heron.store import schema as s

_c = s.run_comments.c


@dataclass(frozen=True)
class Comment:
    """One comment of run ``run_id``'s thread; ``edited_at`` None until edited."""

    id: int
    run_id: str
    author: str
    body: str
    created_at: float
    edited_at: float | None


def _comment(row: RowMapping) -> Comment:
    edited = row["edited_at"]
    return Comment(
        id=int(row["id"]),
        run_id=row["run_id"],
        author=row["author"],
        body=row["body"],
        created_at=float(row["created_at"]),
        edited_at=None if edited is None else float(edited),
    )


def count(conn: Connection, run_id: str) -> int:
    query = select(func.count()).select_from(s.run_comments).where(_c.run_id == run_id)
    return int(conn.execute(query).scalar_one())


def add(conn: Connection, run_id: str, author: str, body: str, now: float) -> Comment:
    inserted = conn.execute(
        insert(s.run_comments).values(run_id=run_id, author=author, body=body, created_at=now)
    ).inserted_primary_key
    assert inserted is not None
    return one(conn, run_id, int(inserted[0]))


def one(conn: Connection, run_id: str, comment_id: int) -> Comment:
    query = select(s.run_comments).where(_c.id == comment_id, _c.run_id == run_id)
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"comment {comment_id} not found on run {run_id!r}")
    return _comment(row)


def thread(conn: Connection, run_id: str) -> list[Comment]:
    """The run's comments, oldest first."""
    query = select(s.run_comments).where(_c.run_id == run_id).order_by(_c.id)
    return [_comment(row) for row in conn.execute(query).mappings()]


def edit(conn: Connection, run_id: str, comment_id: int, body: str, now: float) -> Comment:
    conn.execute(
        update(s.run_comments)
        .where(_c.id == comment_id, _c.run_id == run_id)
        .values(body=body, edited_at=now)
    )
    return one(conn, run_id, comment_id)


def remove(conn: Connection, run_id: str, comment_id: int) -> None:
    conn.execute(delete(s.run_comments).where(_c.id == comment_id, _c.run_id == run_id))
