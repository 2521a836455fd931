"""Reading runs and projects: RunInfo for a page of runs in three queries, no N+1."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, desc, func, select
from sqlalchemy.engine import Connection

from heron.errors import InvalidInput
from heron.store import schema as s
from heron.store.base import ProjectInfo, RunInfo
from heron.store.engine import fixed_rows, sqlite_rows
from heron.store.lite import RUN_FIELDS, SUMMARIES_SQL, TAGS_SQL, run_info
from heron.store.values import NUMERIC_VTYPES

_r = s.runs.c
_IN_BATCH = 500  # ids per IN (...) list: far below every dialect's parameter limit


def runs_query(*columns: Any) -> Select[Any]:
    """SELECT over runs joined with their project (what ``heron.query`` filters)."""
    chosen = columns or _RUN_COLUMNS
    return select(*chosen).select_from(s.runs.join(s.projects, s.projects.c.id == _r.project_id))


# A run by id, and a page's tags and summaries: fixed SQL text (shared with
# heron.store.lite) run by engine.fixed_rows, since a fresh process (a script, the
# CLI) would spend longer building and compiling them with the expression language,
# and wrapping their rows, than running them.
_BY_ID = (
    f"SELECT {', '.join(RUN_FIELDS)} FROM runs JOIN projects ON projects.id = runs.project_id "
    "WHERE runs.id = :id"
)
_TAGS_OF = TAGS_SQL.format(ids=":ids")
_SUMMARIES_OF = SUMMARIES_SQL.format(ids=":ids")


def run_by_id(conn: Connection, run_id: str) -> RunInfo | None:
    """One run's RunInfo (None when there is none), with fixed SQL text: ``api.run(id)``
    is often a script's first read."""
    rows = fixed_rows(conn, _BY_ID, {"id": run_id})
    return build_infos(conn, rows)[0] if rows else None


def search(
    conn: Connection,
    project: str | None,
    filter: str | None,
    order_by: Sequence[str],
    limit: int | None,
    offset: int,
) -> list[RunInfo]:
    global _searched
    if conn.dialect.name == "sqlite":
        check_page(limit, offset)
        found = search_sql(project, filter, order_by, limit, offset)
        if found is not None:
            _searched = True
            return build_infos(conn, sqlite_rows(conn, *found))
    query = page(runs_query(), project, filter, order_by, limit, offset)
    if _searched:
        rows = conn.execute(query).all()
    else:
        # A process's first search: compiled without SQLAlchemy's statement cache, whose
        # key (a walk of the whole statement) would cost a fresh process (a script, the
        # CLI) a tenth of its search and be of use only to a second search. The SQL
        # and the rows are the same; searches after it are cached as usual.
        _searched = True
        rows = conn.execute(query, execution_options=_UNCACHED).all()
    return build_infos(conn, rows)


_searched = False  # whether this process has run a search (reads.search) yet
_UNCACHED = {"compiled_cache": None}


def check_page(limit: int | None, offset: int) -> None:
    if limit is not None and limit < 0:
        raise InvalidInput(f"limit must be >= 0, got {limit}")
    if offset < 0:
        raise InvalidInput(f"offset must be >= 0, got {offset}")


def page(
    query: Select[Any],
    project: str | None,
    filter: str | None,
    order_by: Sequence[str],
    limit: int | None,
    offset: int,
) -> Select[Any]:
    """``query`` (over ``runs_query``) filtered, sorted and cut to one page."""
    check_page(limit, offset)
    query = filtered(query, project, filter)
    if order_by:
        from heron.store.order_sql import compile_order

        query = query.order_by(*compile_order(order_by))
    query = query.order_by(desc(_r.created_at), desc(_r.id))  # newest first, then stable
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    return query


def count(conn: Connection, project: str | None, filter: str | None) -> int:
    query = filtered(runs_query(func.count()), project, filter)
    return int(conn.execute(query).scalar_one())


def filtered(query: Select[Any], project: str | None, filter: str | None) -> Select[Any]:
    if project is not None:
        query = query.where(s.projects.c.name == project)
    if filter is not None and filter.strip():
        from heron.store.filter_sql import compile_filter  # loaded on demand

        query = query.where(compile_filter(filter))
    return query


# Columns read for RunInfo, in the order _info unpacks them (positional access to rows
# is several times cheaper than mappings, and a page can hold thousands of runs).
_RUN_COLUMNS = (
    _r.id,
    s.projects.c.name,
    _r.name,
    _r.group_name,
    _r.state,
    _r.notes,
    _r.config,
    _r.system,
    _r.created_at,
    _r.ended_at,
    _r.heartbeat_at,
    _r.error,
    _r.traceback,
    _r.last_step,
    _r.ingested_seq,
    _r.created_by,
)


def build_infos(conn: Connection, rows: Sequence[Sequence[Any]]) -> list[RunInfo]:
    """RunInfo for ``rows`` (of ``runs_query(*_RUN_COLUMNS)``), in their order."""
    ids = [r[0] for r in rows]
    tags: dict[str, list[str]] = {}
    summaries: dict[str, list[Sequence[Any]]] = {}
    for i in range(0, len(ids), _IN_BATCH):
        part = ids[i : i + _IN_BATCH]
        for run_id, tag in fixed_rows(conn, _TAGS_OF, {"ids": part}):
            tags.setdefault(run_id, []).append(tag)
        for row in fixed_rows(conn, _SUMMARIES_OF, {"ids": part}):
            summaries.setdefault(row[0], []).append(row)
    return [run_info(r, tags.get(r[0], ()), summaries.get(r[0], ())) for r in rows]


def projects(conn: Connection) -> list[ProjectInfo]:
    p = s.projects.c
    query = (
        select(
            p.name,
            p.created_at,
            func.count(_r.id),
            func.max(_r.created_at),
            func.max(_r.heartbeat_at),
            func.max(_r.ended_at),
        )
        .select_from(s.projects.outerjoin(s.runs, _r.project_id == p.id))
        .group_by(p.id, p.name, p.created_at)
        .order_by(p.name)
    )
    out = []
    for name, created_at, run_count, *times in conn.execute(query):
        seen = [float(t) for t in times if t is not None]
        out.append(
            ProjectInfo(
                name=name,
                run_count=int(run_count),
                created_at=float(created_at),
                last_activity=max(seen) if seen else None,
            )
        )
    return out


# --- Simple searches on SQLite as SQL text --------------------------------------------
# A search on SQLite whose filter is comparisons (and positive "in"s) of config values
# with numbers or strings and of metric summaries with numbers, joined by "and", and
# whose sort is by metric summaries (the common search: "config.lr < 0.01 and
# metrics.val/acc >= 0.5", "-metrics.val/acc"; no filter or sort at all) is written
# here as SQL text: the very text and parameters that SQLAlchemy compiles for SQLite
# from heron.store.filter_sql and heron.store.order_sql (tests/store/test_reads_sql.py
# holds the two to each other, also on random searches), run on the transaction's
# sqlite3 connection as engine.fixed_rows runs fixed SQL. In a fresh process (a
# script, the CLI), importing the expression modules and building, compiling and
# running that statement through SQLAlchemy was half of the first search. Every other
# search goes through SQLAlchemy.

_SELECT = (
    "SELECT runs.id, projects.name, runs.name AS name_1, "
    + ", ".join(RUN_FIELDS[3:])
    + " \nFROM runs JOIN projects ON projects.id = runs.project_id"
)
_INF = float("inf")
_PARTS = frozenset({"value", "min", "max", "last"})  # run_summary columns read as they are


def search_sql(
    project: str | None,
    filter: str | None,
    order_by: Sequence[str],
    limit: int | None,
    offset: int,
) -> tuple[str, list[Any]] | None:
    """The SQLite text and parameters of :func:`page` over ``runs_query()`` for a simple
    search (see above), or None for any other. Raises FilterSyntaxError as ``page``."""
    from heron.query import nodes
    from heron.query.parser import parse, parse_order_term

    if isinstance(order_by, str):
        return None
    params: list[Any] = []
    where: list[str] = []
    if project is not None:
        where.append("projects.name = ?")
        params.append(project)
    if filter is not None and filter.strip():
        expr = parse(filter)
        for pred in expr.operands if isinstance(expr, nodes.And) else (expr,):
            test = _predicate_sql(pred, params)
            if test is None:
                return None
            where.append(test)
    terms = []
    for n, term in enumerate(order_by, start=1):
        f, descending = parse_order_term(term)
        if f.kind != "metric" or f.part not in _PARTS:
            return None
        column = f"run_summary.{f.part}"
        value = (
            f"(SELECT CASE WHEN ({column} <= ?) THEN {column} END AS anon_{n} \n"
            "FROM run_summary \nWHERE run_summary.run_id = runs.id "
            'AND run_summary."key" = ?)'
        )
        terms += [
            f"CASE WHEN ({value} IS NULL) THEN ? ELSE ? END",
            f"{value} {'DESC' if descending else 'ASC'}",
        ]
        params += [_INF, f.key, 1, 0, _INF, f.key]
    sql = _SELECT
    if where:
        grouped = [w if len(where) == 1 or not w.startswith("EXISTS") else f"({w})" for w in where]
        sql += " \nWHERE " + " AND ".join(grouped)
    sql += " ORDER BY " + ", ".join([*terms, "runs.created_at DESC", "runs.id DESC"])
    if limit is not None or offset:
        sql += "\n LIMIT ? OFFSET ?"
        params += [-1 if limit is None else limit, offset]
    return sql, params


def _predicate_sql(pred: Any, params: list[Any]) -> str | None:
    """EXISTS ... for a comparison (or a positive ``in``) of a config value with numbers
    or with strings, or of a metric summary with numbers; else None."""
    from heron.query import nodes

    if isinstance(pred, nodes.Compare) and pred.op != "!=":
        op, values = pred.op, [pred.value]
    elif isinstance(pred, nodes.In) and not pred.negated:
        op, values = "=", list(pred.values)
    else:
        return None
    kinds = {v.kind for v in values}
    if len(kinds) != 1 or not kinds <= {"number", "string"}:
        return None
    f, numbers = pred.field, kinds == {"number"}
    test = "IN (" + ", ".join("?" * len(values)) + ")" if op == "=" else f"{op} ?"
    if f.kind == "config":
        if numbers:
            params += [f.key, *NUMERIC_VTYPES, _INF, *_numbers(values)]
            where = "run_config.vtype IN (?, ?) AND run_config.num <= ? AND run_config.num"
        else:
            params += [f.key, "str", *(str(v.value) for v in values)]
            where = "run_config.vtype = ? AND run_config.text"
        table = "run_config"
    elif f.kind == "metric" and f.part in _PARTS and numbers:
        params += [f.key, _INF, *_numbers(values)]
        column = f"run_summary.{f.part}"
        where = f"{column} <= ? AND {column}"
        table = "run_summary"
    else:
        return None
    return (
        f"EXISTS (SELECT 1 \nFROM {table} \nWHERE {table}.run_id = runs.id "
        f'AND {table}."key" = ? AND {where} {test})'
    )


def _numbers(values: Sequence[Any]) -> list[float]:
    """The numbers of ``values`` (nodes.Value of kind "number"), as filter_sql binds them."""
    return [float(v.value) for v in values]
