"""Values as the SQL store keeps them: JSON text, flattened config rows, NaN as NULL."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from typing import Any

from heron.errors import InvalidValue, StoreError
from heron.nested import leaves


def dumps(value: Any) -> str:
    """JSON text; NaN and +-inf are written as ``NaN``/``Infinity`` so that they survive."""
    try:
        return json.dumps(value, allow_nan=True, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InvalidValue(
            f"cannot store {type(value).__name__} value as JSON ({exc}); "
            "use numbers, strings, booleans, None, lists and dicts"
        ) from None


def loads(text: str | None) -> Any:
    """The value of JSON text the store wrote; StoreError when the text is damaged."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        shown = text if len(text) <= 60 else text[:60] + "..."
        raise StoreError(
            f"a stored JSON value is damaged ({exc}: {shown!r}); the database was changed "
            "outside Heron: restore it from a backup, or fix the value by hand"
        ) from None


def loads_dict(text: str | None) -> dict[str, Any]:
    value = loads(text)
    return value if isinstance(value, dict) else {}


def number(value: Any) -> float | None:
    """The numeric reading of a JSON value (bool as 0/1), or None when it is not a number."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        try:
            return float(value)
        except OverflowError:  # an int beyond float range has no numeric column value
            return None
    return None


def nan_to_null(value: float | None) -> float | None:
    """SQLite cannot store NaN (it becomes NULL); the PostgreSQL side stores NULL too,
    so that both sort and filter alike. Readers map NULL back (see ``null_to_nan``)."""
    if value is None or math.isnan(value):
        return None
    return float(value)


def null_to_nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


ConfigRow = tuple[str, str, float | None, str | None]  # key, vtype, num, text


def flatten_config(config: Mapping[str, Any]) -> Iterator[ConfigRow]:
    """(dotted key, vtype, num, text) for every leaf of ``config`` (:func:`heron.nested.leaves`:
    lists and empty dicts are leaves)."""
    for path, value in leaves(config):
        yield (path, *config_leaf(value))


NUMERIC_VTYPES = ("int", "float")  # the vtypes of config leaves held in ``num``


def config_leaf(value: Any) -> tuple[str, float | None, str | None]:
    """(vtype, num, text) of one config leaf."""
    if value is None:
        return "null", None, None
    if isinstance(value, bool):
        return "bool", float(value), None
    if isinstance(value, int):
        num = number(value)
        return "int", num, None if num is not None else str(value)
    if isinstance(value, float):
        return "float", nan_to_null(value), None
    if isinstance(value, str):
        return "str", None, value
    if isinstance(value, (list, tuple)):
        return "list", None, dumps(list(value))
    if isinstance(value, Mapping) and not value:
        return "dict", None, "{}"
    raise InvalidValue(
        f"config value {value!r} of type {type(value).__name__} cannot be stored; "
        "use numbers, strings, booleans, None, lists and dicts"
    )
