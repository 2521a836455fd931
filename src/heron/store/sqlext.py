"""SQL pieces that behave the same on SQLite and PostgreSQL.

- Text compares and sorts by code point: SQLite's default (BINARY); PostgreSQL
  databases often default to a linguistic collation, so there we add COLLATE "C".
- Globs are case-sensitive: SQLite's LIKE ignores ASCII case, so there we use GLOB.
- NaN: SQLite stores it as NULL, PostgreSQL as a value greater than every number.
  ``is_number`` (``x <= +inf``) is false for both, so NaN is "no value" everywhere.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Float, String, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.selectable import FromClause
from sqlalchemy.sql.visitors import InternalTraversal

LIKE_ESCAPE = "!"


def is_number(expr: ColumnElement[Any]) -> ColumnElement[bool]:
    """True when ``expr`` is a number, not NULL and not NaN (see the module doc)."""
    return expr <= literal(float("inf"), Float())


class Binary(ColumnElement[str]):
    """A text expression that compares and sorts by code point on every database."""

    __visit_name__ = "heron_binary"
    inherit_cache = True
    _traverse_internals = [("expr", InternalTraversal.dp_clauseelement)]  # noqa: RUF012

    def __init__(self, expr: ColumnElement[Any]) -> None:
        self.expr = expr
        self.type = String()

    @property
    def _from_objects(self) -> list[FromClause]:
        return self.expr._from_objects


@compiles(Binary)
def _binary(element: Binary, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.expr, **kw)


@compiles(Binary, "postgresql")
def _binary_postgresql(element: Binary, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.expr.collate("C"), **kw)


def _glob_parts(pattern: str) -> list[str]:
    """Split a glob into '*', '?' and literal characters (as '\\' + char)."""
    parts: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            parts.append("\\" + pattern[i + 1])
            i += 2
            continue
        parts.append(ch if ch in "*?" else "\\" + ch)
        i += 1
    return parts


def _like_pattern(parts: list[str]) -> str:
    wild = {"*": "%", "?": "_"}
    out = []
    for part in parts:
        if part in wild:
            out.append(wild[part])
        else:
            ch = part[1]
            out.append(LIKE_ESCAPE + ch if ch in "%_" + LIKE_ESCAPE else ch)
    return "".join(out)


def _sqlite_glob(parts: list[str]) -> str:
    out = []
    for part in parts:
        if part in ("*", "?"):
            out.append(part)
        else:
            ch = part[1]
            out.append(f"[{ch}]" if ch in "*?[" else ch)  # brackets make a character literal
    return "".join(out)


class Glob(ColumnElement[bool]):
    """``expr`` matches the glob (``*`` any run, ``?`` one character, ``\\`` escapes)."""

    __visit_name__ = "heron_glob"
    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # SQLite: no "= 1" after it in WHERE
    _traverse_internals = [  # noqa: RUF012  # what SQLAlchemy's cache key covers
        ("expr", InternalTraversal.dp_clauseelement),
        ("like_pattern", InternalTraversal.dp_clauseelement),
        ("glob_pattern", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, expr: ColumnElement[Any], pattern: str) -> None:
        parts = _glob_parts(pattern)
        self.expr = expr
        self.like_pattern: BindParameter[str] = literal(_like_pattern(parts), String())
        self.glob_pattern: BindParameter[str] = literal(_sqlite_glob(parts), String())

    @property
    def _from_objects(self) -> list[FromClause]:
        return self.expr._from_objects


@compiles(Glob)
def _glob(element: Glob, compiler: SQLCompiler, **kw: Any) -> str:
    like = Binary(element.expr).like(element.like_pattern, escape=LIKE_ESCAPE)
    return compiler.process(like, **kw)


@compiles(Glob, "sqlite")
def _glob_sqlite(element: Glob, compiler: SQLCompiler, **kw: Any) -> str:
    glob = element.expr.op("GLOB", is_comparison=True)(element.glob_pattern)
    return compiler.process(glob, **kw)
