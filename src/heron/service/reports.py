"""Reports: Markdown documents of a project with live charts, tables and run sets
embedded (``heron`` fenced blocks, docs/ui.md), kept in the project's database.

The rules: reading a project's reports needs ``read`` on it, writing (create, change,
delete) needs ``write``, both through the one authorisation check
(:meth:`~heron.service.runs.Tracking.authorize`). The limits below are checked here,
whatever the skin (the routes' schemas only repeat them for the OpenAPI document).
A report lives beside the database (it needs a SQL store): elsewhere it is NotFound.
"""

from __future__ import annotations

import time

from sqlalchemy.engine import Connection

from heron.errors import InvalidInput, NotFound
from heron.keys import check_label, check_name, check_text
from heron.service.runs import Tracking
from heron.store import reports_sql
from heron.store.engine import Transactor
from heron.store.reports_sql import Report
from heron.store.sql import SqlStore

MAX_TITLE_LENGTH = 256  # characters
MAX_REPORT_BYTES = 512 * 1024  # a report's Markdown, in bytes of UTF-8
MAX_REPORTS_PER_PROJECT = 1000

__all__ = ["MAX_REPORTS_PER_PROJECT", "MAX_REPORT_BYTES", "MAX_TITLE_LENGTH", "Report", "Reports"]


def transactor(tracking: Tracking, what: str) -> Transactor:
    """The transactions of ``tracking``'s database (NotFound where there is none)."""
    store = tracking.store
    if not isinstance(store, SqlStore):
        raise NotFound(f"this store keeps no {what} (they need a SQL store)")
    return store.transactor


class Reports:
    """A project's reports, acting for ``tracking``'s caller."""

    def __init__(self, tracking: Tracking) -> None:
        self._tracking = tracking
        self._tx = transactor(tracking, "reports")

    def list(self, project: str) -> list[Report]:
        """The project's reports without their bodies, the last changed first."""
        self._tracking.authorize("read", project)
        return self._tx.read(lambda c: reports_sql.listed(c, project, MAX_REPORTS_PER_PROJECT))

    def get(self, project: str, report_id: int) -> Report:
        self._tracking.authorize("read", project)
        return self._tx.read(lambda c: reports_sql.one(c, project, report_id))

    def create(self, project: str, title: str, body: str = "") -> Report:
        self._tracking.authorize("write", project)
        check_name(project, "project name")
        title, body = _title(title), _body(body)
        actor, now = self._tracking.caller.name, time.time()

        def work(conn: Connection) -> Report:
            if reports_sql.count(conn, project) >= MAX_REPORTS_PER_PROJECT:
                raise InvalidInput(
                    f"project {project!r} has {MAX_REPORTS_PER_PROJECT} reports, the limit; "
                    "delete one first"
                )
            return reports_sql.add(conn, project, title, body, actor, now)

        report = self._tx.write(work)
        self._tracking.audit("report.create", f"{project}/{report.id}", {"title": title})
        return report

    def update(
        self, project: str, report_id: int, *, title: str | None = None, body: str | None = None
    ) -> Report:
        self._tracking.authorize("write", project)
        title = None if title is None else _title(title)
        body = None if body is None else _body(body)
        actor, now = self._tracking.caller.name, time.time()
        return self._tx.write(
            lambda c: reports_sql.change(c, project, report_id, title, body, actor, now)
        )

    def delete(self, project: str, report_id: int) -> None:
        self._tracking.authorize("write", project)
        self._tx.write(lambda c: reports_sql.remove(c, project, report_id))
        self._tracking.audit("report.delete", f"{project}/{report_id}")


def _title(title: object) -> str:
    return check_label(title, "report title", MAX_TITLE_LENGTH)


def _body(body: object) -> str:
    return check_text(body, "a report's Markdown", MAX_REPORT_BYTES)
