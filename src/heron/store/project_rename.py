"""Renaming a project in the database: one transaction over every table that names a
project. Runs and artifacts hold the project by id (table ``projects``); members, alert
rules, alerts and held run groups, saved views, reports and project marks hold it by
name. The audit log keeps the names it was written with (it is history). The rules (who
may, the name's form, what else follows) are the service's
(:mod:`heron.service.projects`)."""

from __future__ import annotations

from sqlalchemy import Table, select, update
from sqlalchemy.engine import Connection

from heron.errors import Conflict, NotFound
from heron.store import schema as s
from heron.store.sql import SqlStore

# The tables that hold a project by its name (column ``project``).
BY_NAME: tuple[Table, ...] = (
    s.memberships,
    s.alert_rules,
    s.alerts,
    s.alert_group_holds,
    s.saved_views,
    s.reports,
    s.project_marks,
)


def named(conn: Connection, project: str) -> bool:
    """Whether any row names ``project``: its runs, or a member, rule, alert, view,
    report or mark given before its first run."""
    if conn.execute(select(s.projects.c.id).where(s.projects.c.name == project)).first():
        return True
    return any(
        conn.execute(select(t.c.project).where(t.c.project == project).limit(1)).first()
        for t in BY_NAME
    )


def rename(store: SqlStore, old: str, new: str) -> dict[str, int]:
    """Rename ``old`` to ``new`` in one transaction: NotFound when nothing names
    ``old``, Conflict when anything names ``new``. Returns the rows changed per table
    (``projects``: 1 when the project has runs or artifacts)."""

    def work(conn: Connection) -> dict[str, int]:
        if not named(conn, old):
            raise NotFound(f"project {old!r} does not exist")
        if named(conn, new):
            raise Conflict(f"project {new!r} already exists; pick another name")
        changed: dict[str, int] = {}
        for table, column in [(s.projects, s.projects.c.name)] + [
            (t, t.c.project) for t in BY_NAME
        ]:
            done = conn.execute(update(table).where(column == old).values({column.name: new}))
            changed[table.name] = int(done.rowcount or 0)
        return changed

    return store.transactor.write(work)
