"""Reading runs from a local SQLite store with the standard library alone.

``heron runs ls`` is a short process: importing SQLAlchemy and numpy (what ``heron.Api``
opens a store with) costs it more than everything else it does. ``LiteReader`` reads
the newest runs of a project the way ``SqlStore.search_runs`` does without a filter or
a sort, in the same three queries (tests/store/test_lite.py compares the two), with
:mod:`sqlite3`. It is for reads only, and only of a store at the current schema
revision (:meth:`LiteReader.open` says None otherwise: the caller goes through
``heron.Api``, which upgrades it).

The SQL of a page's tags and summaries is shared with ``heron.store.reads``.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from heron.store.migrate import HEAD_REVISION
from heron.store.records import MetricSummary, RunInfo, new_metric_summary, new_run_info
from heron.store.values import loads, loads_dict

SUMMARY_FIELDS = (
    "key", "count", "last", "last_step", "last_time", "min", "max", "first_time", "goal", "x_axis"
)  # fmt: skip
# What RunInfo is built from, in the order _info unpacks it (reads.py selects the same).
RUN_FIELDS = (
    "runs.id", "projects.name", "runs.name", "runs.group_name", "runs.state", "runs.notes",
    "runs.config", "runs.system", "runs.created_at", "runs.ended_at", "runs.heartbeat_at",
    "runs.error", "runs.traceback", "runs.last_step", "runs.ingested_seq", "runs.created_by",
)  # fmt: skip
# A page's tags and metric summaries, for the ids bound to :ids (an IN list).
TAGS_SQL = "SELECT run_id, tag FROM run_tags WHERE run_id IN {ids} ORDER BY run_id, tag"
SUMMARIES_SQL = (
    f"SELECT run_id, override, {', '.join(SUMMARY_FIELDS)} FROM run_summary "
    "WHERE run_id IN {ids} ORDER BY run_id, key"
)
# Running runs whose last heartbeat (or creation, with none) is older than ? (twice).
STALE_RUNS_SQL = (
    "SELECT id FROM runs WHERE state = 'running' AND (heartbeat_at < ? OR "
    "(heartbeat_at IS NULL AND created_at < ?)) ORDER BY created_at, id"
)
_GOALS = ("last", "min", "max")
_IN_BATCH = 500


class LiteReader:
    """The newest runs of a local SQLite store, through :mod:`sqlite3`."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    @classmethod
    def open(cls, path: Path) -> LiteReader | None:
        """A reader of the database file ``path``, or None when it is missing, not
        writable (``heron.Api`` explains a read-only store), or not at the schema
        revision of this version of Heron."""
        if not path.is_file() or path.stat().st_size == 0:
            return None
        try:
            conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
        except sqlite3.Error:
            return None
        try:
            conn.execute("PRAGMA query_only = ON")
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            if revision is None or revision[0] != HEAD_REVISION:
                conn.close()
                return None
        except sqlite3.Error:
            conn.close()
            return None
        return cls(conn)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> LiteReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def project_names(self) -> list[str]:
        return [r[0] for r in self._conn.execute("SELECT name FROM projects ORDER BY name")]

    def deleted_projects(self) -> set[str]:
        query = "SELECT project FROM project_marks WHERE deleted_at IS NOT NULL"
        return {r[0] for r in self._conn.execute(query)}

    def stale_runs(self, older_than: float) -> list[str]:
        """Running runs with no heartbeat since ``older_than`` (as ``SqlStore.stale_runs``)."""
        return [r[0] for r in self._conn.execute(STALE_RUNS_SQL, (older_than, older_than))]

    def newest_runs(self, project: str | None, limit: int | None) -> list[RunInfo]:
        """``SqlStore.search_runs(project, limit=limit)``: newest first."""
        params: list[Any] = [project] if project is not None else []
        where = "WHERE projects.name = ?" if project is not None else ""
        query = (
            f"SELECT {', '.join(RUN_FIELDS)} FROM runs JOIN projects "
            f"ON projects.id = runs.project_id {where} "
            "ORDER BY runs.created_at DESC, runs.id DESC"
        )
        if limit is not None:
            query += " LIMIT ?"
            params.append(limit)
        self._conn.execute("BEGIN")  # the three reads see one state of the store
        try:
            rows = self._conn.execute(query, params).fetchall()
            ids = [r[0] for r in rows]
            tags: dict[str, list[str]] = {}
            summaries: dict[str, list[Sequence[Any]]] = {}
            for i in range(0, len(ids), _IN_BATCH):
                part = ids[i : i + _IN_BATCH]
                marks = "(" + ", ".join("?" * len(part)) + ")"
                for run_id, tag in self._conn.execute(TAGS_SQL.format(ids=marks), part):
                    tags.setdefault(run_id, []).append(tag)
                for row in self._conn.execute(SUMMARIES_SQL.format(ids=marks), part):
                    summaries.setdefault(row[0], []).append(row)
        finally:
            self._conn.execute("COMMIT")
        return [run_info(r, tags.get(r[0], ()), summaries.get(r[0], ())) for r in rows]

    def count_runs(self, project: str | None) -> int:
        if project is None:
            return int(self._conn.execute("SELECT count(*) FROM runs").fetchone()[0])
        query = (
            "SELECT count(*) FROM runs JOIN projects ON projects.id = runs.project_id "
            "WHERE projects.name = ?"
        )
        return int(self._conn.execute(query, (project,)).fetchone()[0])


def run_info(row: Sequence[Any], tags: Sequence[str], summary_rows: Sequence[Any]) -> RunInfo:
    """RunInfo from a row of RUN_FIELDS, its tags, and its rows of SUMMARIES_SQL."""
    metrics: dict[str, MetricSummary] = {}
    overrides: dict[str, Any] = {}
    for _run_id, override, *fields in summary_rows:
        if fields[1]:  # count
            metrics[fields[0]] = metric_summary(*fields)
        if override is not None:
            overrides[fields[0]] = loads(override)
    (run_id, project, name, group, state, notes, config, system, created_at, ended_at,
     heartbeat_at, error, traceback, last_step, ingested_seq, created_by) = row  # fmt: skip
    return new_run_info(
        run_id, project, name, group, state, tuple(tags), notes, loads_dict(config),
        loads_dict(system), metrics, overrides, float(created_at), ended_at, heartbeat_at,
        error, traceback, last_step, int(ingested_seq), created_by,
    )  # fmt: skip


def metric_summary(
    key: str,
    count: int,
    last: float | None,
    last_step: int | None,
    last_time: float | None,
    min: float | None,
    max: float | None,
    first_time: float | None,
    goal: str,
    x_axis: str | None,
) -> MetricSummary:
    """The public view of a ``run_summary`` row that has points (count > 0); NULL is
    NaN (SQLite cannot store NaN)."""
    nan = math.nan
    return new_metric_summary(
        key,
        int(count),
        nan if last is None else last,
        0 if last_step is None else last_step,
        nan if last_time is None else last_time,
        nan if min is None else min,
        nan if max is None else max,
        nan if first_time is None else first_time,
        goal if goal in _GOALS else "last",  # type: ignore[arg-type]
        x_axis,
    )
