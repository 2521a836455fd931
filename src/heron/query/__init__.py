"""The runs filter language: text -> syntax tree (see docs/query.md).

    parse("config.lr < 0.01 and tags has 'baseline'")   # -> Expr, validated

The language knows nothing of SQL: ``heron.store.filter_sql`` and
``heron.store.order_sql`` compile its trees to WHERE and ORDER BY clauses.

Errors are ``heron.errors.FilterSyntaxError`` with the column and what was expected.
The clauses are plain, portable SQL: SQLite and PostgreSQL select the same runs.
"""

from __future__ import annotations

from heron.query.nodes import (
    And,
    Compare,
    Exists,
    Expr,
    Field,
    Has,
    In,
    Like,
    MatchAll,
    Not,
    Or,
    Value,
)
from heron.query.parser import MAX_DEPTH, MAX_LENGTH, parse, parse_order_term
from heron.query.unparse import unparse

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "And",
    "Compare",
    "Exists",
    "Expr",
    "Field",
    "Has",
    "In",
    "Like",
    "MatchAll",
    "Not",
    "Or",
    "Value",
    "parse",
    "parse_order_term",
    "unparse",
]
