"""The ``reports`` table: a project's Markdown reports (``heron.service.reports``).

Each function runs inside the caller's transaction (``SqlStore.transactor``), so it
gets the store's SQLite-lock and PostgreSQL-deadlock retries.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from heron.errors import NotFound
from heron.store import schema as s

_c = s.reports.c


@dataclass(frozen=True)
class Report:
    """A report: Markdown ``body`` with heron blocks (docs/ui.md), by ``project``."""

    id: int
    project: str
    title: str
    body: str
    created_by: str
    created_at: float
    updated_by: str
    updated_at: float


def _report(row: RowMapping, body: str | None = None) -> Report:
    return Report(
        id=int(row["id"]),
        project=row["project"],
        title=row["title"],
        body=row["body"] if body is None else body,
        created_by=row["created_by"],
        created_at=float(row["created_at"]),
        updated_by=row["updated_by"],
        updated_at=float(row["updated_at"]),
    )


def count(conn: Connection, project: str) -> int:
    query = select(func.count()).select_from(s.reports).where(_c.project == project)
    return int(conn.execute(query).scalar_one())


def add(conn: Connection, project: str, title: str, body: str, actor: str, now: float) -> Report:
    inserted = conn.execute(
        insert(s.reports).values(
            project=project,
            title=title,
            body=body,
            created_by=actor,
            created_at=now,
            updated_by=actor,
            updated_at=now,
        )
    ).inserted_primary_key
    assert inserted is not None
    return one(conn, project, int(inserted[0]))


def one(conn: Connection, project: str, report_id: int) -> Report:
    row = (
        conn.execute(select(s.reports).where(_c.id == report_id, _c.project == project))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"report {report_id} not found in project {project!r}")
    return _report(row)


def listed(conn: Connection, project: str, limit: int) -> list[Report]:
    """The project's reports, the last changed first; bodies left empty."""
    columns = [c for c in s.reports.c if c.name != "body"]
    query = (
        select(*columns)
        .where(_c.project == project)
        .order_by(_c.updated_at.desc(), _c.id.desc())
        .limit(limit)
    )
    return [_report(row, body="") for row in conn.execute(query).mappings()]


def change(
    conn: Connection,
    project: str,
    report_id: int,
    title: str | None,
    body: str | None,
    actor: str,
    now: float,
) -> Report:
    one(conn, project, report_id)  # NotFound first
    values: dict[str, object] = {"updated_by": actor, "updated_at": now}
    if title is not None:
        values["title"] = title
    if body is not None:
        values["body"] = body
    conn.execute(update(s.reports).where(_c.id == report_id).values(**values))
    return one(conn, project, report_id)


def remove(conn: Connection, project: str, report_id: int) -> None:
    one(conn, project, report_id)
    conn.execute(delete(s.reports).where(_c.id == report_id))
