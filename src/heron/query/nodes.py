"""The syntax tree of a filter. Positions (0-based offsets into the text) are kept
for error messages and excluded from equality, so trees compare by meaning."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FieldKind = Literal["attr", "config", "metric", "tags", "system", "dataset"]
# What of a metric summary a field reads: the shown value or a run_summary column.
MetricPart = Literal["value", "min", "max", "last", "count"]
CompareOp = Literal["=", "!=", "<", "<=", ">", ">="]
ValueKind = Literal["number", "string", "bool", "null"]


@dataclass(frozen=True)
class Field:
    """``name``/``state``/... (attr), ``tags``, ``config.<key>``, ``metrics.<key>``,
    ``system.<path>`` (the run's system record) or ``datasets.<name>.<part>``."""

    kind: FieldKind
    # attribute name ("state", "tags"), the config / metric key, the path after
    # "system." ("git.commit", "packages.torch") or after "datasets." ("train.digest")
    key: str
    part: MetricPart = "value"  # metrics only: min(metrics.k) -> "min"
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Value:
    kind: ValueKind
    value: float | str | bool | None
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Compare:
    field: Field
    op: CompareOp
    value: Value


@dataclass(frozen=True)
class In:
    field: Field
    values: tuple[Value, ...]
    negated: bool = False


@dataclass(frozen=True)
class Like:
    field: Field
    pattern: Value  # a string: a glob with * and ?
    negated: bool = False


@dataclass(frozen=True)
class Has:
    field: Field  # tags
    tag: Value  # a string


@dataclass(frozen=True)
class Exists:
    field: Field
    negated: bool = False


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class And:
    operands: tuple[Expr, ...]  # two or more


@dataclass(frozen=True)
class Or:
    operands: tuple[Expr, ...]  # two or more


@dataclass(frozen=True)
class MatchAll:
    """An empty filter: every run."""


Predicate = Compare | In | Like | Has | Exists
Expr = Compare | In | Like | Has | Exists | Not | And | Or | MatchAll

__all__ = [
    "And",
    "Compare",
    "CompareOp",
    "Exists",
    "Expr",
    "Field",
    "FieldKind",
    "Has",
    "In",
    "Like",
    "MatchAll",
    "MetricPart",
    "Not",
    "Or",
    "Predicate",
    "Value",
    "ValueKind",
]
