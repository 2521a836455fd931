"""Syntax tree -> a SQLAlchemy WHERE clause over ``schema.runs``.

Every clause is two-valued (never SQL NULL), so ``not`` is plain negation: config,
metrics and tags are tested with correlated EXISTS, nullable columns are guarded
with IS NOT NULL. A comparison on a value the run lacks is false; ``!=``, ``not in``
and ``not like`` hold for runs that have the field and fail the positive test.
``system.*`` and ``datasets.*`` fields read the run's system record through the
database's JSON functions (``heron.store.record_sql``).

``heron.store.reads.search_sql`` writes the simplest searches (config and metric
comparisons joined by "and") as the SQLite text compiled from these clauses, without
SQLAlchemy: tests/store/test_reads_sql.py fails when the two part.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    String,
    Table,
    and_,
    case,
    false,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    true,
    type_coerce,
)

from heron.query import nodes
from heron.query.fields import record_path, time_value
from heron.query.parser import parse
from heron.store.schema import projects, run_config, run_summary, run_tags, runs
from heron.store.sqlext import Binary, Glob, is_number
from heron.store.values import NUMERIC_VTYPES

_OPS: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
# An alias: callers join `projects` too, and must not absorb our subqueries' FROM.
PROJECT = projects.alias("heron_q_project")


def number(value: float | str | bool | None) -> ColumnElement[float]:
    # Typed Float so PostgreSQL never casts the parameter to an integer column's type.
    return literal(float(value), Float())  # type: ignore[arg-type]


def string(value: float | str | bool | None) -> ColumnElement[str]:
    return literal(str(value), String())


def row_exists(table: Table, *conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """EXISTS a row of ``table`` for the current run meeting ``conditions``."""
    return _exists(table.c.run_id == runs.c.id, *conditions)


def project_exists(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """EXISTS the run's project meeting ``condition`` (on ``PROJECT``)."""
    return _exists(PROJECT.c.id == runs.c.project_id, condition)


def _exists(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    query: Select[Any] = select(literal_column("1")).where(*conditions)
    return query.correlate(runs).exists()


def duration() -> ColumnElement[float | None]:
    """Seconds the run was active, as ``RunInfo.duration`` counts them: from creation to
    end (or last heartbeat), less the time between a crash and a resume
    (``system.heron.inactive_seconds``); never negative; NULL if unknown. The record is
    parsed only for the runs that hold the word (resumed runs): a plain text search."""
    from heron.store.record_sql import RecordValue  # (see record_value)

    span = func.coalesce(runs.c.ended_at, runs.c.heartbeat_at) - runs.c.created_at
    inactive = RecordValue(("heron", "inactive_seconds"), "number")
    idle = case(
        (runs.c.system.contains("inactive_seconds"), func.coalesce(inactive, 0.0)), else_=0.0
    )
    active = span - idle
    return case((active < 0, 0.0), else_=active)


def metric_column(part: str) -> ColumnElement[Any]:
    column = run_summary.c[part]
    return type_coerce(column, Float()) if part == "count" else column


def _json_strings(values: Iterable[nodes.Value]) -> list[str]:
    """How a summary string may be stored: JSON, with or without \\u escapes."""
    out: list[str] = []
    for v in values:
        out += [json.dumps(v.value), json.dumps(v.value, ensure_ascii=False)]
    return out


# --- positive tests: "= < <= > >=" and "in" -----------------------------------------
def _config_test(op: str, values: list[nodes.Value]) -> ColumnElement[bool]:
    c = run_config.c
    by_kind = {kind: [v for v in values if v.kind == kind] for kind in ("number", "string", "bool")}
    compare = _OPS[op]
    tests: list[ColumnElement[bool]] = []
    if by_kind["number"]:
        nums = [number(v.value) for v in by_kind["number"]]
        num_test = compare(c.num, nums[0]) if op != "=" else c.num.in_(nums)
        tests.append(and_(c.vtype.in_(NUMERIC_VTYPES), is_number(c.num), num_test))
    if by_kind["string"]:
        strs = [string(v.value) for v in by_kind["string"]]
        text_test = compare(Binary(c.text), strs[0]) if op != "=" else c.text.in_(strs)
        tests.append(and_(c.vtype == "str", text_test))
    if by_kind["bool"]:
        bools = [number(1.0 if v.value else 0.0) for v in by_kind["bool"]]
        tests.append(and_(c.vtype == "bool", c.num.in_(bools)))
    if any(v.kind == "null" for v in values):
        tests.append(c.vtype == "null")
    return or_(false(), *tests)


def _metric_test(f: nodes.Field, op: str, values: list[nodes.Value]) -> ColumnElement[bool]:
    column = metric_column(f.part)
    tests: list[ColumnElement[bool]] = []
    nums = [number(v.value) for v in values if v.kind == "number"]
    if nums:
        num_test = _OPS[op](column, nums[0]) if op != "=" else column.in_(nums)
        tests.append(and_(is_number(column), num_test))
    strings = _json_strings(v for v in values if v.kind == "string")
    if strings:  # a summary value set to a string: compare its JSON (only = and in)
        tests.append(run_summary.c.override.in_(strings))
    return row_exists(run_summary, run_summary.c.key == f.key, or_(false(), *tests))


def _attr_test(f: nodes.Field, op: str, values: list[nodes.Value]) -> ColumnElement[bool]:
    if f.key == "created":
        seconds = [number(time_value(v)) for v in values]
        created = runs.c.created_at
        return _OPS[op](created, seconds[0]) if op != "=" else created.in_(seconds)
    if f.key == "duration":
        nums = [number(v.value) for v in values]
        span = duration()
        test = _OPS[op](span, nums[0]) if op != "=" else span.in_(nums)
        return and_(presence(f), test)
    column: ColumnElement[Any] = PROJECT.c.name if f.key == "project" else attr_column(f.key)
    strs = [string(v.value) for v in values if v.kind == "string"]
    tests: list[ColumnElement[bool]] = []
    if strs:  # equality needs no Binary (keeps indexes usable): collations are deterministic
        test = _OPS[op](Binary(column), strs[0]) if op != "=" else column.in_(strs)
        tests.append(and_(column.is_not(None), test) if f.key == "group" else test)
    if any(v.kind == "null" for v in values):  # only `group = null` gets here
        tests.append(column.is_(None))
    test = or_(false(), *tests)
    return project_exists(test) if f.key == "project" else test


def record_value(f: nodes.Field) -> ColumnElement[Any]:
    """A ``system``/``dataset`` field's value: text, a float, or 'true'/'false'; NULL if
    the run's record lacks it (or holds another JSON type there)."""
    # Loaded here: most searches read no system record (a fresh process's first search
    # would pay for its import).
    from heron.store.record_sql import PackageVersion, RecordValue

    path, ftype = record_path(f)
    if path[0] == "packages":
        return PackageVersion(path[1])
    kind = {"bool": "boolean", "number": "number"}.get(ftype, "string")
    return RecordValue(path, kind)  # type: ignore[arg-type]  # one of JsonKind


def _record_test(f: nodes.Field, op: str, values: list[nodes.Value]) -> ColumnElement[bool]:
    from heron.store.record_sql import RecordValue

    value = record_value(f)
    compare = _OPS[op]
    if isinstance(value, RecordValue) and value.kind == "number":
        nums = [number(v.value) for v in values]
        test = compare(value, nums[0]) if op != "=" else value.in_(nums)
    elif isinstance(value, RecordValue) and value.kind == "boolean":
        test = value.in_([string("true" if v.value else "false") for v in values])
    else:
        strs = [string(v.value) for v in values]
        test = compare(Binary(value), strs[0]) if op != "=" else value.in_(strs)
    return and_(value.is_not(None), test)


def attr_column(key: str) -> ColumnElement[Any]:
    return runs.c["group_name" if key == "group" else key]


def _test(f: nodes.Field, op: str, values: list[nodes.Value]) -> ColumnElement[bool]:
    """``f op v`` (or ``f in values`` when op is '='), false when the run lacks ``f``."""
    if f.kind == "config":
        return row_exists(run_config, run_config.c.key == f.key, _config_test(op, values))
    if f.kind == "metric":
        return _metric_test(f, op, values)
    if f.kind == "tags":
        return row_exists(run_tags, run_tags.c.tag.in_([string(v.value) for v in values]))
    if f.kind in ("system", "dataset"):
        return _record_test(f, op, values)
    return _attr_test(f, op, values)


def _like(f: nodes.Field, pattern: str) -> ColumnElement[bool]:
    if f.kind == "config":
        c = run_config.c
        return row_exists(run_config, c.key == f.key, c.vtype == "str", Glob(c.text, pattern))
    if f.kind == "tags":
        return row_exists(run_tags, Glob(run_tags.c.tag, pattern))
    if f.kind in ("system", "dataset"):
        value = record_value(f)
        return and_(value.is_not(None), Glob(value, pattern))
    if f.key == "project":
        return project_exists(Glob(PROJECT.c.name, pattern))
    column = attr_column(f.key)
    return (
        and_(column.is_not(None), Glob(column, pattern))
        if f.key == "group"
        else Glob(column, pattern)
    )


def presence(f: nodes.Field) -> ColumnElement[bool]:
    """The run has a value for ``f`` (what ``exists`` tests)."""
    if f.kind == "config":
        return row_exists(run_config, run_config.c.key == f.key)
    if f.kind == "metric":
        column = metric_column(f.part)
        present = true() if f.part == "value" else is_number(column)
        return row_exists(run_summary, run_summary.c.key == f.key, present)
    if f.kind == "tags":
        return row_exists(run_tags)
    if f.kind in ("system", "dataset"):
        return record_value(f).is_not(None)
    if f.key == "group":
        return runs.c.group_name.is_not(None)
    if f.key == "duration":
        return func.coalesce(runs.c.ended_at, runs.c.heartbeat_at).is_not(None)
    return true()


def _negated(f: nodes.Field, positive: ColumnElement[bool]) -> ColumnElement[bool]:
    # Tags are a set every run has (maybe empty): `tags not in (..)` is plain negation.
    if f.kind == "tags":
        return not_(positive)
    return and_(presence(f), not_(positive))


def compile_expr(expr: nodes.Expr) -> ColumnElement[bool]:
    """The WHERE clause of a parsed filter (see the module doc)."""
    if isinstance(expr, nodes.MatchAll):
        return true()
    if isinstance(expr, nodes.And):
        return and_(*(compile_expr(e) for e in expr.operands))
    if isinstance(expr, nodes.Or):
        return or_(*(compile_expr(e) for e in expr.operands))
    if isinstance(expr, nodes.Not):
        return not_(compile_expr(expr.operand))
    if isinstance(expr, nodes.Compare):
        if expr.op == "!=":
            return _negated(expr.field, _test(expr.field, "=", [expr.value]))
        return _test(expr.field, expr.op, [expr.value])
    if isinstance(expr, nodes.In):
        positive = _test(expr.field, "=", list(expr.values))
        return _negated(expr.field, positive) if expr.negated else positive
    if isinstance(expr, nodes.Like):
        positive = _like(expr.field, str(expr.pattern.value))
        return _negated(expr.field, positive) if expr.negated else positive
    if isinstance(expr, nodes.Has):
        return _test(expr.field, "=", [expr.tag])
    assert isinstance(expr, nodes.Exists)
    present = presence(expr.field)
    return not_(present) if expr.negated else present


def compile_filter(text: str) -> ColumnElement[bool]:
    """A WHERE clause over ``schema.runs`` selecting the runs that match ``text``.

    Raises FilterSyntaxError. The caller selects FROM runs (JOIN projects is fine).
    """
    return compile_expr(parse(text))
