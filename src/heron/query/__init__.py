"""The runs filter language: text -> syntax tree -> SQLAlchemy (see docs/query.md).

    parse("config.lr < 0.01 and tags has 'baseline'")   # -> Expr, validated
    compile_filter(text)                                 # -> WHERE clause over schema.runs
    compile_order(["-metrics.val/acc", "name"])          # -> ORDER BY keys, missing last

Errors are ``heron.errors.FilterSyntaxError`` with the column and what was expected.
The clauses are plain, portable SQL: SQLite and PostgreSQL select the same runs.
"""

from __future__ import annotations

from heron.query.compile import compile_expr, compile_filter
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
from heron.query.order import compile_order
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
    "compile_expr",
    "compile_filter",
    "compile_order",
    "parse",
    "parse_order_term",
    "unparse",
]
