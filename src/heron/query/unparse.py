"""Syntax tree -> canonical filter text: ``parse(unparse(e)) == e``."""

from __future__ import annotations

import re

from heron.query import nodes

_BARE_KEY = re.compile(r"[^\s()<>=!,\"'`]+")


def _quote(value: str, quote: str = '"') -> str:
    escaped = value.replace("\\", "\\\\").replace(quote, "\\" + quote)
    escaped = escaped.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return quote + escaped + quote


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _quote(key, "`")


def unparse_field(f: nodes.Field) -> str:
    if f.kind == "config":
        return f"config.{_key(f.key)}"
    if f.kind == "metric":
        name = f"metrics.{_key(f.key)}"
        return name if f.part == "value" else f"{f.part}({name})"
    if f.kind == "system":
        return f"system.{_key(f.key)}"
    if f.kind == "dataset":
        return f"datasets.{_key(f.key)}"
    return f.key


def format_number(x: float) -> str:
    """``3.0`` -> ``3``, else the shortest text that reads back as the same float."""
    return str(int(x)) if x.is_integer() and abs(x) < 1e16 else repr(x)


def unparse_value(v: nodes.Value) -> str:
    if v.kind == "string":
        return _quote(str(v.value))
    if v.kind == "number":
        assert isinstance(v.value, float)
        return format_number(v.value)
    return {True: "true", False: "false", None: "null"}[v.value]  # type: ignore[index]


def _operand(expr: nodes.Expr) -> str:
    """An operand of and/or/not: nested and/or in parentheses, so the tree comes back."""
    out = unparse(expr)
    return f"({out})" if isinstance(expr, (nodes.And, nodes.Or)) else out


def unparse(expr: nodes.Expr) -> str:
    """Canonical text for ``expr`` (lower-case keywords, double quotes, minimal spaces)."""
    if isinstance(expr, nodes.MatchAll):
        return ""
    if isinstance(expr, nodes.And):
        return " and ".join(_operand(e) for e in expr.operands)
    if isinstance(expr, nodes.Or):
        return " or ".join(_operand(e) for e in expr.operands)
    if isinstance(expr, nodes.Not):
        return f"not {_operand(expr.operand)}"
    name = unparse_field(expr.field)
    not_ = "not " if getattr(expr, "negated", False) else ""
    if isinstance(expr, nodes.Compare):
        return f"{name} {expr.op} {unparse_value(expr.value)}"
    if isinstance(expr, nodes.In):
        return f"{name} {not_}in ({', '.join(unparse_value(v) for v in expr.values)})"
    if isinstance(expr, nodes.Like):
        return f"{name} {not_}like {unparse_value(expr.pattern)}"
    if isinstance(expr, nodes.Has):
        return f"{name} has {unparse_value(expr.tag)}"
    assert isinstance(expr, nodes.Exists)
    return f"{name} {not_}exists"
