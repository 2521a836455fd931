"""The syntax tree of a filter. Positions (0-based offsets into the text) are kept
for error messages and excluded from equality, so trees compare by meaning.

The nodes are frozen value classes written out by hand rather than made by
``@dataclass(frozen=True)``: dataclasses generate their methods with ``exec`` when the
class is made, and the eleven of this module cost a fresh process (a script's first
search, the CLI) about 6 ms to import, a third of its first search. They behave as
those dataclasses did: keyword or positional arguments, equality and hashing by
class and compared fields, a dataclass-like ``repr``, ``match`` patterns, no
assignment (``dataclasses.FrozenInstanceError``), pickling and copying.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from typing import Any, ClassVar, Literal

FieldKind = Literal["attr", "config", "metric", "tags", "system", "dataset"]
# What of a metric summary a field reads: the shown value or a run_summary column.
MetricPart = Literal["value", "min", "max", "last", "count"]
CompareOp = Literal["=", "!=", "<", "<=", ">", ">="]
ValueKind = Literal["number", "string", "bool", "null"]

_set = object.__setattr__


class _Node:
    """A frozen value: ``_fields`` in order (``__init__``'s, shown by ``repr``), of which
    ``_compared`` make its equality and hash."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _compared: ClassVar[tuple[str, ...]] = ()

    def _key(self) -> tuple[Any, ...]:
        return tuple([getattr(self, name) for name in self._compared])

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._key() == other._key()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__qualname__}({shown})"

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        return type(self), tuple([getattr(self, name) for name in self._fields])


class Field(_Node):
    """``name``/``state``/... (attr), ``tags``, ``config.<key>``, ``metrics.<key>``,
    ``system.<path>`` (the run's system record) or ``datasets.<name>.<part>``."""

    __slots__ = ("key", "kind", "part", "pos")
    __match_args__ = _fields = ("kind", "key", "part", "pos")
    _compared = ("kind", "key", "part")
    kind: FieldKind
    # attribute name ("state", "tags"), the config / metric key, the path after
    # "system." ("git.commit", "packages.torch") or after "datasets." ("train.digest")
    key: str
    part: MetricPart  # metrics only: min(metrics.k) -> "min"
    pos: int

    def __init__(self, kind: FieldKind, key: str, part: MetricPart = "value", pos: int = 0) -> None:
        _set(self, "kind", kind)
        _set(self, "key", key)
        _set(self, "part", part)
        _set(self, "pos", pos)


class Value(_Node):
    __slots__ = ("kind", "pos", "value")
    __match_args__ = _fields = ("kind", "value", "pos")
    _compared = ("kind", "value")
    kind: ValueKind
    value: float | str | bool | None
    pos: int

    def __init__(self, kind: ValueKind, value: float | str | bool | None, pos: int = 0) -> None:
        _set(self, "kind", kind)
        _set(self, "value", value)
        _set(self, "pos", pos)


class Compare(_Node):
    __slots__ = ("field", "op", "value")
    __match_args__ = _fields = _compared = ("field", "op", "value")
    field: Field
    op: CompareOp
    value: Value

    def __init__(self, field: Field, op: CompareOp, value: Value) -> None:
        _set(self, "field", field)
        _set(self, "op", op)
        _set(self, "value", value)


class In(_Node):
    __slots__ = ("field", "negated", "values")
    __match_args__ = _fields = _compared = ("field", "values", "negated")
    field: Field
    values: tuple[Value, ...]
    negated: bool

    def __init__(self, field: Field, values: tuple[Value, ...], negated: bool = False) -> None:
        _set(self, "field", field)
        _set(self, "values", values)
        _set(self, "negated", negated)


class Like(_Node):
    __slots__ = ("field", "negated", "pattern")
    __match_args__ = _fields = _compared = ("field", "pattern", "negated")
    field: Field
    pattern: Value  # a string: a glob with * and ?
    negated: bool

    def __init__(self, field: Field, pattern: Value, negated: bool = False) -> None:
        _set(self, "field", field)
        _set(self, "pattern", pattern)
        _set(self, "negated", negated)


class Has(_Node):
    __slots__ = ("field", "tag")
    __match_args__ = _fields = _compared = ("field", "tag")
    field: Field  # tags
    tag: Value  # a string

    def __init__(self, field: Field, tag: Value) -> None:
        _set(self, "field", field)
        _set(self, "tag", tag)


class Exists(_Node):
    __slots__ = ("field", "negated")
    __match_args__ = _fields = _compared = ("field", "negated")
    field: Field
    negated: bool

    def __init__(self, field: Field, negated: bool = False) -> None:
        _set(self, "field", field)
        _set(self, "negated", negated)


class Not(_Node):
    __slots__ = ("operand",)
    __match_args__ = _fields = _compared = ("operand",)
    operand: Expr

    def __init__(self, operand: Expr) -> None:
        _set(self, "operand", operand)


class And(_Node):
    __slots__ = ("operands",)
    __match_args__ = _fields = _compared = ("operands",)
    operands: tuple[Expr, ...]  # two or more

    def __init__(self, operands: tuple[Expr, ...]) -> None:
        _set(self, "operands", operands)


class Or(_Node):
    __slots__ = ("operands",)
    __match_args__ = _fields = _compared = ("operands",)
    operands: tuple[Expr, ...]  # two or more

    def __init__(self, operands: tuple[Expr, ...]) -> None:
        _set(self, "operands", operands)


class MatchAll(_Node):
    """An empty filter: every run."""

    __slots__ = ()


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
