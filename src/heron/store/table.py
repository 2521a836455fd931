"""Columnar reads for tables and plots: runs as columns, a project's keys, recent changes.

``runs_table`` reads the page's base fields in one query, then each requested column
in one more query, whatever the number of runs: a small page asks by id, a large one
(or every matching run, for plots) re-applies the filter in a subquery instead of
sending thousands of ids.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from heron.errors import InvalidInput, NotFound
from heron.keys import key_problem
from heron.store import reads
from heron.store import schema as s
from heron.store.base import ProjectKeys, RunChange, RunTable
from heron.store.engine import fixed_rows

_r = s.runs.c
_BY_ID_LIMIT = 1000  # pages up to this size are read by id; larger ones by subquery
_COLUMN = re.compile(
    r"(?:(?P<fn>min|max|last|count)\(metrics\.(?P<fkey>.+)\)|(?P<prefix>config|metrics|summary)\.(?P<key>.+))",
    re.DOTALL,
)


@dataclass(frozen=True)
class ColumnSpec:
    """A parsed column name: ``kind`` is config, metrics or summary; ``part`` picks a
    summary field for ``min(metrics.k)`` and friends ("value" otherwise)."""

    name: str
    kind: str
    key: str
    part: str = "value"


def parse_column(name: object) -> ColumnSpec:
    if not isinstance(name, str):
        raise InvalidInput(f"table columns are strings, got {name!r}")
    match = _COLUMN.fullmatch(name)
    if match is None:
        raise InvalidInput(
            f"unknown table column {name!r}: use config.<path>, metrics.<key>, "
            "summary.<key> or min|max|last|count(metrics.<key>)"
        )
    if match["fn"]:
        spec = ColumnSpec(name, "metrics", match["fkey"], match["fn"])
    else:
        spec = ColumnSpec(name, match["prefix"], match["key"])
    if spec.kind != "config":
        problem = key_problem(spec.key)
        if problem:
            raise InvalidInput(f"table column {name!r}: {problem}")
    return spec


def runs_table(
    conn: Connection,
    project: str | None,
    filter: str | None,
    order_by: Sequence[str],
    columns: Sequence[str],
    limit: int | None,
    offset: int,
) -> RunTable:
    specs = [parse_column(c) for c in dict.fromkeys(columns)]
    from heron.store.filter_sql import duration  # the query language: loaded for tables only

    base = reads.runs_query(_r.id, _r.name, _r.state, _r.group_name, _r.created_at, duration())
    rows = conn.execute(reads.page(base, project, filter, order_by, limit, offset)).all()
    ids = [r[0] for r in rows]
    total = len(ids) if limit is None and offset == 0 else reads.count(conn, project, filter)
    if ids and limit is not None and len(ids) <= _BY_ID_LIMIT:
        members: Any = ids
    else:  # every match: the filter again, as a subquery, instead of thousands of ids
        members = reads.filtered(reads.runs_query(_r.id), project, filter).scalar_subquery()
    tags: dict[str, list[str]] = {}
    if ids:
        t = s.run_tags.c
        for run_id, tag in conn.execute(
            select(t.run_id, t.tag).where(t.run_id.in_(members)).order_by(t.run_id, t.tag)
        ):
            tags.setdefault(run_id, []).append(tag)
    values = {spec.name: _column(conn, spec, members) if ids else {} for spec in specs}
    return RunTable(
        total=total,
        ids=ids,
        names=[r[1] for r in rows],
        states=[r[2] for r in rows],
        groups=[r[3] for r in rows],
        tags=[tags.get(i, []) for i in ids],
        created_at=[float(r[4]) for r in rows],
        durations=[None if r[5] is None else float(r[5]) for r in rows],  # active time
        columns={name: [found.get(i) for i in ids] for name, found in values.items()},
    )


def _column(conn: Connection, spec: ColumnSpec, members: Any) -> dict[str, Any]:
    """run id -> value of one column, for the runs in ``members``."""
    if spec.kind == "config":
        c = s.run_config.c
        query = select(c.run_id, c.vtype, c.num, c.text).where(
            c.key == spec.key, c.run_id.in_(members)
        )
        return {run_id: _config_value(*rest) for run_id, *rest in conn.execute(query)}
    m = s.run_summary.c
    query = select(m.run_id, m.override, m.count, m.last, m.min, m.max, m.goal).where(
        m.key == spec.key, m.run_id.in_(members)
    )
    out: dict[str, Any] = {}
    for run_id, override, count, last, low, high, goal in conn.execute(query):
        if spec.kind == "summary" and override is not None:
            out[run_id] = json.loads(override)
        elif count:
            part = goal if spec.part == "value" else spec.part
            if part == "count":
                out[run_id] = int(count)
            else:  # NULL in a row with points is a NaN (SQLite cannot store NaN)
                found = {"min": low, "max": high}.get(part, last)
                out[run_id] = math.nan if found is None else float(found)
    return out


def _config_value(vtype: str, num: float | None, text: str | None) -> Any:
    if vtype == "int":
        return int(text) if num is None and text is not None else None if num is None else int(num)
    if vtype == "float":
        return math.nan if num is None else num  # NaN is stored as NULL
    if vtype == "bool":
        return bool(num)
    if vtype == "str":
        return text
    if vtype == "list":
        return json.loads(text) if text is not None else None
    return None


def project_keys(conn: Connection, project: str) -> ProjectKeys:
    project_id = conn.execute(select(s.projects.c.id).where(s.projects.c.name == project)).scalar()
    if project_id is None:
        raise NotFound(f"project {project!r} not found")
    return ProjectKeys(
        config=_distinct(conn, "run_config", "key", project_id),
        metrics=_distinct(conn, "run_summary", "key", project_id, "x.count > 0"),
        summary=_overridden(conn, project_id),
        tags=_distinct(conn, "run_tags", "tag", project_id),
    )


def _overridden(conn: Connection, project_id: int) -> tuple[str, ...]:
    """Keys set with ``run.summary[key] = v`` (rare: no skip scan, which would read
    every row of every key to find none) on the project's runs."""
    m = s.run_summary.c
    query = (
        select(m.key)
        .join_from(s.run_summary, s.runs, _r.id == m.run_id)
        .where(m.override.is_not(None), _r.project_id == project_id)
        .distinct()
        .order_by(m.key)
    )
    return tuple(conn.execute(query).scalars())


def _distinct(
    conn: Connection, table: str, column: str, project_id: int, condition: str = "1 = 1"
) -> tuple[str, ...]:
    """The distinct values of ``table.column`` (sorted) on rows of the project's runs
    meeting ``condition`` (on ``x``). A skip scan of the index that ``column`` leads:
    one step per distinct value (a handful of keys), each kept if one row of the
    project has it, instead of reading every row of every run (10,000 runs: 80,000
    rows). The SQL is fixed text: ``table``, ``column`` and ``condition`` come from
    this module, never from input."""
    query = text(
        f"""
        WITH RECURSIVE k(v) AS (
            SELECT MIN({column}) FROM {table}
            UNION ALL
            SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > k.v)
            FROM k WHERE k.v IS NOT NULL
        )
        SELECT v FROM k
        WHERE v IS NOT NULL AND EXISTS (
            SELECT 1 FROM {table} x JOIN runs r ON r.id = x.run_id
            WHERE x.{column} = k.v AND r.project_id = :project AND {condition}
        )
        ORDER BY v
        """
    )
    return tuple(conn.execute(query, {"project": project_id}).scalars())


def changed_runs(conn: Connection, since: float) -> list[RunChange]:
    query = (
        reads.runs_query(
            _r.id, s.projects.c.name, _r.state, _r.ingested_seq, _r.last_step, _r.updated_at
        )
        .where(_r.updated_at >= since)
        .order_by(_r.updated_at, _r.id)
    )
    return [
        RunChange(run_id, project, state, int(seq), last_step, float(updated))
        for run_id, project, state, seq, last_step, updated in conn.execute(query)
    ]


# --- what a query's names are checked against (heron.service.names) ---------------
# Fixed SQL text with bound parameters: nothing to compile in a fresh process, where
# building the same statements with SQLAlchemy's expression language costs more than
# running them.
_OF_PROJECTS = "r.project_id IN (SELECT p.id FROM projects p WHERE p.name IN :projects)"
_HELD = {
    "config": "SELECT 1 FROM run_config x JOIN runs r ON r.id = x.run_id WHERE {key} AND {of}",
    "metric": (
        "SELECT 1 FROM run_summary x JOIN runs r ON r.id = x.run_id "
        "WHERE {key} AND (x.count > 0 OR x.override IS NOT NULL) AND {of}"
    ),
}


def project_names(conn: Connection, deleted: bool = True) -> list[str]:
    """Every project's name, sorted (``list_projects`` without counting runs); without
    the deleted ones (heron.store.project_marks) unless ``deleted``."""
    live = (
        ""
        if deleted
        else "WHERE NOT EXISTS (SELECT 1 FROM project_marks m "
        "WHERE m.project = p.name AND m.deleted_at IS NOT NULL) "
    )
    sql = f"SELECT p.name FROM projects p {live}ORDER BY p.name"
    return [name for (name,) in fixed_rows(conn, sql)]  # a search's first check: fixed SQL


def held_keys(
    conn: Connection, projects: Sequence[str], kind: str, keys: Sequence[str]
) -> set[str]:
    """Those of ``keys`` (config paths when ``kind`` is "config", else metric keys)
    that a run of ``projects`` holds, as a key or as the start of a dotted path
    (``optimizer`` for ``optimizer.lr``): what ``project_keys`` would list, with one
    EXISTS per key on the indexes that the key leads instead of every key."""
    if not projects:
        return set()
    # "k." <= x.key < "k/" are the paths below k in SQLite's byte order ("/" follows
    # "."); PostgreSQL's collation may be linguistic: there, compare the key's start.
    below = (
        "x.key > :below AND x.key < :after"
        if conn.dialect.name == "sqlite"
        else "substr(x.key, 1, :n) = :below"
    )
    found = set()
    for key in dict.fromkeys(keys):
        params = {"key": key, "below": key + ".", "after": key + "/", "n": len(key) + 1}
        for where in ("x.key = :key", below):  # the key itself, else a path below it
            sql = f"SELECT EXISTS ({_HELD[kind].format(key=where, of=_OF_PROJECTS)})"
            if fixed_rows(conn, sql, {**params, "projects": list(projects)})[0][0]:
                found.add(key)
                break
    return found


def config_samples(
    conn: Connection, project: str | None, keys: Sequence[str], runs: int
) -> dict[str, list[tuple[str, str | None]]]:
    """(vtype, text) of each config path in ``keys`` on the newest ``runs`` runs of
    ``project`` (of every project when None), newest first: what a type check looks at."""
    of = "WHERE r.project_id = (SELECT p.id FROM projects p WHERE p.name = :project)"
    newest = (
        f"SELECT r.id, r.created_at FROM runs r {of if project is not None else ''} "
        "ORDER BY r.created_at DESC, r.id DESC LIMIT :runs"
    )
    sql = (
        f"SELECT c.vtype, c.text FROM ({newest}) n JOIN run_config c ON c.run_id = n.id "
        "WHERE c.key = :key ORDER BY n.created_at DESC, n.id DESC"
    )
    out: dict[str, list[tuple[str, str | None]]] = {}
    for key in dict.fromkeys(keys):
        params = {"key": key, "runs": runs, **({"project": project} if project else {})}
        rows = fixed_rows(conn, sql, params)
        out[key] = [(str(vtype), value) for vtype, value in rows]
    return out
