"""The ``saved_views`` table in SQL: a project's named views (heron.service.views holds
their rules: names, sizes, who may read and write).

Each function runs inside the caller's transaction (``SqlStore.transactor``), so it
gets the store's SQLite-lock and PostgreSQL-deadlock retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from heron.errors import Conflict, NotFound
from heron.store import schema as s
from heron.store.values import loads_dict

_v = s.saved_views.c


@dataclass(frozen=True)
class SavedView:
    """A named view of a project: ``state`` is the UI's JSON (workspace layout and the
    runs table's filter, sort, columns and grouping)."""

    id: str
    project: str
    name: str
    state: dict[str, Any]
    created_by: str
    created_at: float
    updated_by: str
    updated_at: float


@dataclass(frozen=True)
class ViewListing:
    """A view without its state (the list of a project's views)."""

    id: str
    project: str
    name: str
    size: int  # bytes of its JSON state
    created_by: str
    created_at: float
    updated_by: str
    updated_at: float


def _view(row: RowMapping) -> SavedView:
    return SavedView(
        id=row["id"],
        project=row["project"],
        name=row["name"],
        state=loads_dict(row["state"]),
        created_by=row["created_by"],
        created_at=float(row["created_at"]),
        updated_by=row["updated_by"],
        updated_at=float(row["updated_at"]),
    )


def taken(name: str, project: str) -> Conflict:
    return Conflict(f"project {project!r} already has a view named {name!r}; pick another name")


def count(conn: Connection, project: str) -> int:
    query = select(func.count()).where(_v.project == project)
    return int(conn.execute(query).scalar() or 0)


def listing(conn: Connection, project: str) -> list[ViewListing]:
    """The project's views by name."""
    query = (
        select(
            _v.id,
            _v.project,
            _v.name,
            func.length(_v.state).label("size"),
            _v.created_by,
            _v.created_at,
            _v.updated_by,
            _v.updated_at,
        )
        .where(_v.project == project)
        .order_by(_v.name, _v.id)
    )
    return [
        ViewListing(
            id=row["id"],
            project=row["project"],
            name=row["name"],
            size=int(row["size"] or 0),
            created_by=row["created_by"],
            created_at=float(row["created_at"]),
            updated_by=row["updated_by"],
            updated_at=float(row["updated_at"]),
        )
        for row in conn.execute(query).mappings()
    ]


def one(conn: Connection, project: str, view_id: str) -> SavedView:
    query = select(s.saved_views).where(_v.id == view_id, _v.project == project)
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"project {project!r} has no view {view_id!r}")
    return _view(row)


def _name_taken(conn: Connection, project: str, name: str, other_than: str | None) -> bool:
    query = select(_v.id).where(_v.project == project, _v.name == name)
    if other_than is not None:
        query = query.where(_v.id != other_than)
    return conn.execute(query.limit(1)).first() is not None


def add(
    conn: Connection, view_id: str, project: str, name: str, state: str, actor: str, now: float
) -> SavedView:
    if _name_taken(conn, project, name, None):
        raise taken(name, project)
    conn.execute(
        insert(s.saved_views).values(
            id=view_id,
            project=project,
            name=name,
            state=state,
            created_by=actor,
            created_at=now,
            updated_by=actor,
            updated_at=now,
        )
    )
    return one(conn, project, view_id)


def change(
    conn: Connection,
    project: str,
    view_id: str,
    name: str | None,
    state: str | None,
    actor: str,
    now: float,
) -> SavedView:
    one(conn, project, view_id)  # NotFound first
    if name is not None and _name_taken(conn, project, name, view_id):
        raise taken(name, project)
    values: dict[str, Any] = {"updated_by": actor, "updated_at": now}
    if name is not None:
        values["name"] = name
    if state is not None:
        values["state"] = state
    conn.execute(
        update(s.saved_views).where(_v.id == view_id, _v.project == project).values(**values)
    )
    return one(conn, project, view_id)


def remove(conn: Connection, project: str, view_id: str) -> None:
    gone = conn.execute(
        delete(s.saved_views).where(_v.id == view_id, _v.project == project)
    ).rowcount
    if not gone:
        raise NotFound(f"project {project!r} has no view {view_id!r}")
