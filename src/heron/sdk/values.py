"""Turning what users pass into what Heron stores, with errors that name the key.

Kept out of ``Run.log``'s loop: the hot path handles the plain ``float`` itself and
calls :func:`to_float` only for everything else.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import numbers
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any, NoReturn

from heron.errors import InvalidInput, InvalidValue
from heron.nested import deep_merge

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_SCALAR_HELP = "log numbers: int, float, bool, numpy scalars or 0-d torch tensors"


def to_float(key: str, value: Any) -> float:
    """A metric value as float64 (NaN and ±inf kept). InvalidValue names the key."""
    if isinstance(value, (bool, int, float)):
        try:
            return float(value)
        except OverflowError:
            raise InvalidValue(f"metric {key!r}: {value} does not fit a float64") from None
    ndim = getattr(value, "ndim", None)
    if ndim is not None:  # numpy scalars and arrays, torch tensors, jax arrays
        if ndim != 0:
            shape = tuple(getattr(value, "shape", ()))
            raise InvalidValue(
                f"metric {key!r} is an array of shape {shape}; {_SCALAR_HELP} "
                "(reduce it first, e.g. .mean().item())"
            )
        item = scalar_item("metric", key, value)
        try:
            return float(item)
        except (TypeError, ValueError):
            raise InvalidValue(f"metric {key!r} has dtype {value.dtype}; {_SCALAR_HELP}") from None
    if isinstance(value, numbers.Real):  # Decimal is not Real; Fraction is
        return float(value)
    raise InvalidValue(
        f"metric {key!r} is a {type(value).__name__} ({_short_repr(value)}); {_SCALAR_HELP}"
    )


def scalar_item(what: str, key: str, value: Any) -> Any:
    """The Python value of a 0-d array or tensor or a numpy scalar (``.item()``): the
    one reading of "a number" that ``log``, ``summary`` and ``config`` share. A
    complex number is refused with the same message everywhere."""
    item = value.item() if hasattr(value, "item") else value
    if isinstance(item, complex):
        raise InvalidValue(f"{what} {key!r} is complex ({item}); {_SCALAR_HELP}")
    return item


def _array_size(value: Any) -> int:
    numel = getattr(value, "numel", None)  # torch: .size is a method
    if callable(numel):
        return int(numel())
    size = getattr(value, "size", 0)
    return int(size() if callable(size) else size or 0)


def to_step(step: Any) -> int:
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        if getattr(step, "ndim", None) == 0 and hasattr(step, "item"):
            return to_step(int(step.item()))
        raise InvalidValue(f"step must be an int, got {type(step).__name__} {step!r}")
    number = int(step)
    if not INT64_MIN <= number <= INT64_MAX - 1:
        raise InvalidValue(f"step {number} is outside the int64 range")
    return number


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def to_json_value(path: str, value: Any, what: str = "config") -> Any:
    """A config or summary value as JSON-able data, keeping its type. Numbers are
    read as ``log`` reads them (numpy scalars, 0-d arrays and tensors); errors name
    ``what`` and the path."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value  # NaN and inf kept (JSON written with allow_nan)
    if isinstance(value, enum.Enum):
        return to_json_value(path, value.value)
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_json_value(f"{path}.{k}", v, what) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_json_value(path, dataclasses.asdict(value), what)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [to_json_value(f"{path}[{i}]", v, what) for i, v in enumerate(items)]
    ndim = getattr(value, "ndim", None)
    if ndim == 0:  # numpy scalars, 0-d arrays and tensors: as log reads them
        return to_json_value(path, scalar_item(what, path, value), what)
    if ndim is not None and hasattr(value, "tolist"):
        size = _array_size(value)
        if size > 10_000:
            raise InvalidValue(
                f"{what} {path!r}: an array of {size} elements is too large "
                f"for {what}; log it as an artifact"
            )
        return to_json_value(path, value.tolist(), what)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if hasattr(value, "__dict__") and type(value).__name__ == "Namespace":
        return to_json_value(path, vars(value), what)
    raise InvalidValue(
        f"{what} {path!r} is a {type(value).__name__} ({_short_repr(value)}); use numbers, "
        "strings, bools, None, lists and dicts (or str() it yourself)"
    )


def expand_dotted(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """``{"opt.lr": 1}`` -> ``{"opt": {"lr": 1}}``: dotted keys address nested config."""
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        if not isinstance(key, str) or not key:
            raise InvalidInput(f"config keys are non-empty strings, got {key!r}")
        parts = key.split(".")
        if any(not p for p in parts):
            raise InvalidInput(f"config key {key!r} has an empty segment")
        node = out
        for i, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is not None and not isinstance(child, dict):
                _conflict(".".join(parts[: i + 1]), key)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        leaf = parts[-1]
        existing = node.get(leaf)
        if isinstance(value, Mapping):
            nested = expand_dotted(value)
            if existing is not None and not isinstance(existing, dict):
                _conflict(key, key)
            if isinstance(existing, dict):
                _check_disjoint(existing, nested, key)
            node[leaf] = deep_merge(existing, nested) if isinstance(existing, dict) else nested
        else:
            if existing is not None or leaf in node:
                _conflict(key, key)
            node[leaf] = value
    return out


def _check_disjoint(a: Mapping[str, Any], b: Mapping[str, Any], prefix: str) -> None:
    """Two spellings of one config (``{"opt.lr": ..}`` and ``{"opt": {"lr": ..}}``)
    may fill different leaves, never the same one."""
    for key, value in b.items():
        if key in a:
            path = f"{prefix}.{key}"
            if isinstance(a[key], dict) and isinstance(value, dict):
                _check_disjoint(a[key], value, path)
            else:
                _conflict(path, path)


def _conflict(path: str, key: str) -> NoReturn:
    raise InvalidInput(
        f"config {path!r} is given twice (dotted and nested, e.g. {{'opt.lr': ..}} and "
        f"{{'opt': {{'lr': ..}}}}; at {key!r}): keep one spelling"
    )


def is_finite_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
