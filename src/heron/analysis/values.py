"""The one number a run gives for a metric, shared by ``heron compare`` and the server."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

__all__ = ["VALUE_KINDS", "ValueKind", "run_value"]

ValueKind = Literal["summary", "last", "min", "max"]
VALUE_KINDS: tuple[ValueKind, ...] = ("summary", "last", "min", "max")


def run_value(
    summary: Mapping[str, Any], metrics: Mapping[str, Any], metric: str, kind: ValueKind
) -> float | None:
    """``summary``: the run's shown values (overrides included); ``metrics``: its metric
    summaries (objects with ``last``, ``min``, ``max``). None: no such metric, or a
    value that is not a number."""
    if kind == "summary":
        value: Any = summary.get(metric)
    else:
        found = metrics.get(metric)
        value = None if found is None else getattr(found, kind)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)
