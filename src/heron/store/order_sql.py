"""Sort terms (``"-metrics.val/acc"``, ``"config.lr"``, ``"name"``) -> ORDER BY keys.

Runs that lack the value sort last in both directions: each nullable key is preceded
by a 0/1 "missing" key, which works the same on SQLite (NULLs first ascending) and
PostgreSQL (NULLs last ascending). Config values of different types never mix:
numbers, then booleans, then strings, then lists, whichever the direction.

``heron.store.reads.search_sql`` writes the sorts by metric summaries of simple
searches as the SQLite text compiled from these keys, without SQLAlchemy:
tests/store/test_reads_sql.py fails when the two part.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, select

from heron.query.lexer import fail
from heron.query.nodes import Field
from heron.query.parser import parse_order_term
from heron.store.filter_sql import (
    PROJECT,
    attr_column,
    duration,
    metric_column,
    record_value,
)
from heron.store.schema import run_config, run_summary, runs
from heron.store.sqlext import Binary, is_number
from heron.store.values import NUMERIC_VTYPES


def _direction(expr: ColumnElement[Any], descending: bool) -> ColumnElement[Any]:
    return expr.desc() if descending else expr.asc()


def _missing_last(expr: ColumnElement[Any]) -> ColumnElement[int]:
    return case((expr.is_(None), 1), else_=0)


def _nullable(expr: ColumnElement[Any], descending: bool) -> list[ColumnElement[Any]]:
    return [_missing_last(expr), _direction(expr, descending)]


def _config_value(key: str, value: ColumnElement[Any]) -> ColumnElement[Any]:
    """A scalar subquery: ``value`` computed on the run's config row for ``key``."""
    c = run_config.c
    query = select(value).where(c.run_id == runs.c.id, c.key == key)
    return query.correlate(runs).scalar_subquery()


def _config_keys(key: str, descending: bool) -> list[ColumnElement[Any]]:
    c = run_config.c
    numeric = and_(c.vtype.in_(NUMERIC_VTYPES), is_number(c.num))
    rank = _config_value(
        key,
        case((numeric, 0), (c.vtype == "bool", 1), (c.vtype == "str", 2), (c.vtype == "list", 3)),
    )  # NULL: missing, null or NaN
    num = _config_value(key, case((numeric | (c.vtype == "bool"), c.num)))
    txt = _config_value(key, case((c.vtype.in_(("str", "list")), c.text)))
    # Within one rank either every num or every text is NULL, so NULL order never matters.
    by_value = [_direction(num, descending), _direction(Binary(txt), descending)]
    return [_missing_last(rank), rank.asc(), *by_value]


def _metric_keys(f: Field, descending: bool) -> list[ColumnElement[Any]]:
    column = metric_column(f.part)
    query = select(case((is_number(column), column))).where(
        run_summary.c.run_id == runs.c.id, run_summary.c.key == f.key
    )
    return _nullable(query.correlate(runs).scalar_subquery(), descending)


def _keys(f: Field, descending: bool, term: str) -> list[ColumnElement[Any]]:
    if f.kind == "config":
        return _config_keys(f.key, descending)
    if f.kind == "metric":
        return _metric_keys(f, descending)
    if f.kind == "tags":
        fail("cannot sort by tags", term, f.pos, "; sort by a field with one value per run")
    if f.kind in ("system", "dataset"):
        value = record_value(f)  # text, a float, or 'false' < 'true'
        key = Binary(value) if isinstance(value.type, String) else value
        return _nullable(key, descending)
    if f.key == "created":
        return [_direction(runs.c.created_at, descending)]
    if f.key == "duration":
        return _nullable(duration(), descending)
    if f.key == "project":
        query = select(PROJECT.c.name).where(PROJECT.c.id == runs.c.project_id)
        return [_direction(Binary(query.correlate(runs).scalar_subquery()), descending)]
    column = attr_column(f.key)
    keys = [_direction(Binary(column), descending)]
    return [_missing_last(column), *keys] if f.key == "group" else keys


def compile_order(terms: Sequence[str]) -> list[ColumnElement[Any]]:
    """ORDER BY keys for sort terms; ``-`` prefix sorts descending, missing values last.

    A single string is taken as one term. Raises FilterSyntaxError.
    """
    if isinstance(terms, str):
        terms = [terms]
    keys: list[ColumnElement[Any]] = []
    for term in terms:
        f, descending = parse_order_term(term)
        keys += _keys(f, descending, term)
    return keys
