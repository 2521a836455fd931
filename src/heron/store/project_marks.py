"""A project's tags and its deletion mark (table ``project_marks``, by project name),
beside the database. A project without a row has no tags and is not deleted. The
rules (who may, limits, what a deleted project means) are the service's
(:mod:`heron.service.projects`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.engine import Connection

from heron.store import schema as s
from heron.store.engine import upsert
from heron.store.sql import SqlStore
from heron.store.values import dumps, loads_dict

_p = s.project_marks.c


@dataclass(frozen=True)
class ProjectMarks:
    tags: dict[str, str] = field(default_factory=dict)
    deleted_at: float | None = None  # None: not deleted


class SqlProjectMarks:
    """The marks of ``store``'s projects (one transaction per call)."""

    def __init__(self, store: SqlStore) -> None:
        self._tx = store.transactor

    def get(self, project: str) -> ProjectMarks:
        return self._tx.read(lambda conn: _get(conn, project))

    def deleted(self) -> dict[str, float]:
        """Deleted projects and when."""

        def work(conn: Connection) -> dict[str, float]:
            rows = conn.execute(select(_p.project, _p.deleted_at).where(_p.deleted_at.is_not(None)))
            return {str(r.project): float(r.deleted_at) for r in rows}

        return self._tx.read(work)

    def set_tags(
        self, project: str, tags: Mapping[str, str], remove: Sequence[str] = ()
    ) -> ProjectMarks:
        def work(conn: Connection) -> ProjectMarks:
            current = _get(conn, project)
            merged = {k: v for k, v in current.tags.items() if k not in remove}
            merged.update(tags)
            _put(conn, project, merged, current.deleted_at)
            return ProjectMarks(merged, current.deleted_at)

        return self._tx.write(work)

    def mark_deleted(self, project: str, at: float | None) -> None:
        """Mark the project deleted at ``at`` (None: restored)."""

        def work(conn: Connection) -> None:
            _put(conn, project, _get(conn, project).tags, at)

        self._tx.write(work)


def _get(conn: Connection, project: str) -> ProjectMarks:
    row = conn.execute(select(_p.tags, _p.deleted_at).where(_p.project == project)).one_or_none()
    if row is None:
        return ProjectMarks()
    tags = {str(k): str(v) for k, v in loads_dict(row.tags).items()}
    return ProjectMarks(tags, None if row.deleted_at is None else float(row.deleted_at))


def _put(conn: Connection, project: str, tags: dict[str, str], deleted_at: float | None) -> None:
    row = {"project": project, "tags": dumps(tags), "deleted_at": deleted_at}
    upsert(conn, s.project_marks, row, ["project"], ["tags", "deleted_at"])


def deleted_projects(store: object) -> dict[str, float]:
    """The deleted projects of ``store`` (none when it is not beside the database: a
    server's client gets its lists from the server, which leaves them out)."""
    return SqlProjectMarks(store).deleted() if isinstance(store, SqlStore) else {}
