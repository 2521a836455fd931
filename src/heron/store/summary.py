"""Per-run metric summaries (``run_summary`` rows) kept up to date during ingest.

A batch loads the run's summary rows and metric definitions once, updates them in
memory as points and events arrive, and writes back only the rows it touched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

import numpy as np
from sqlalchemy import bindparam, delete, select
from sqlalchemy.engine import Connection, RowMapping

from heron.errors import InvalidInput
from heron.store import schema as s
from heron.store.base import Float64Array, Int64Array
from heron.store.engine import upsert
from heron.store.values import dumps, loads, nan_to_null, null_to_nan, number

GOALS: frozenset[str] = frozenset({"last", "min", "max"})
_SUMMARY_COLUMNS = tuple(c.name for c in s.run_summary.columns if c.name not in ("run_id", "key"))


@dataclass(frozen=True)
class Definition:
    """A ``define_metric`` declaration; ``pattern`` may be a glob (``val/*``)."""

    pattern: str
    goal: str | None
    x_axis: str | None

    def matches(self, key: str) -> bool:
        return self.pattern == key or fnmatchcase(key, self.pattern)

    def specificity(self, key: str) -> tuple[bool, int, str]:
        literal = sum(c not in "*?[]" for c in self.pattern)
        return (self.pattern == key, literal, self.pattern)


def resolve(definitions: list[Definition], key: str) -> tuple[str, str | None]:
    """(goal, x_axis) of ``key``: each field from the most specific pattern that sets it."""
    matching = sorted(
        (d for d in definitions if d.matches(key)),
        key=lambda d: d.specificity(key),
        reverse=True,
    )
    goal = next((d.goal for d in matching if d.goal), "last")
    x_axis = next((d.x_axis for d in matching if d.x_axis), None)
    return goal, x_axis


@dataclass
class SummaryState:
    """One ``run_summary`` row in memory; NaN where the column holds NULL."""

    key: str
    count: int = 0
    last: float = math.nan
    last_step: int | None = None
    last_time: float = math.nan
    min: float = math.nan
    max: float = math.nan
    first_time: float = math.nan
    override: str | None = None  # JSON text
    goal: str = "last"
    x_axis: str | None = None

    @classmethod
    def from_row(cls, row: RowMapping) -> SummaryState:
        return cls(
            key=row["key"],
            count=int(row["count"]),
            last=null_to_nan(row["last"]),
            last_step=row["last_step"],
            last_time=null_to_nan(row["last_time"]),
            min=null_to_nan(row["min"]),
            max=null_to_nan(row["max"]),
            first_time=null_to_nan(row["first_time"]),
            override=row["override"],
            goal=row["goal"],
            x_axis=row["x_axis"],
        )

    def add(self, steps: Int64Array, times: Float64Array, values: Float64Array) -> None:
        if values.shape[0] == 0:
            return
        if self.count == 0:
            self.first_time = float(times[0])
        self.count += int(values.shape[0])
        self.last = float(values[-1])
        self.last_step = int(steps[-1])
        self.last_time = float(times[-1])
        # fmin/fmax skip NaN; the result is NaN only when every value is NaN.
        self.min = float(np.fmin(self.min, np.fmin.reduce(values)))
        self.max = float(np.fmax(self.max, np.fmax.reduce(values)))

    def shown_value(self) -> float | None:
        """What filters and sorts: a numeric override, else last/min/max per goal."""
        if self.override is not None:
            overridden = number(loads(self.override))
            if overridden is not None:
                return nan_to_null(overridden)
        if self.count == 0:
            return None
        return nan_to_null({"last": self.last, "min": self.min, "max": self.max}[self.goal])

    def to_row(self, run_id: str) -> dict[str, Any]:
        return {
            "run_id": run_id,
            "key": self.key,
            "value": self.shown_value(),
            "override": self.override,
            "count": self.count,
            "last": nan_to_null(self.last),
            "last_step": self.last_step,
            "last_time": nan_to_null(self.last_time),
            "min": nan_to_null(self.min),
            "max": nan_to_null(self.max),
            "first_time": nan_to_null(self.first_time),
            "goal": self.goal,
            "x_axis": self.x_axis,
        }


# A run's summaries and definitions (built once: each batch of a run reads them).
_BY_RUN = (
    select(s.run_summary).where(s.run_summary.c.run_id == bindparam("run_id")),
    select(s.metric_definitions).where(s.metric_definitions.c.run_id == bindparam("run_id")),
)


class RunSummaries:
    """The summary rows and metric definitions of one run, during one batch."""

    def __init__(self, conn: Connection, run_id: str) -> None:
        self._conn = conn
        self._run_id = run_id
        rows = conn.execute(_BY_RUN[0], {"run_id": run_id})
        self._states = {r["key"]: SummaryState.from_row(r) for r in rows.mappings()}
        defs = conn.execute(_BY_RUN[1], {"run_id": run_id})
        self._definitions = {
            d["pattern"]: Definition(d["pattern"], d["goal"], d["x_axis"]) for d in defs.mappings()
        }
        self._dirty: set[str] = set()
        self._dirty_definitions: set[str] = set()

    def _state(self, key: str) -> SummaryState:
        state = self._states.get(key)
        if state is None:
            goal, x_axis = resolve(list(self._definitions.values()), key)
            state = self._states[key] = SummaryState(key, goal=goal, x_axis=x_axis)
        self._dirty.add(key)
        return state

    def add_points(
        self, key: str, steps: Int64Array, times: Float64Array, values: Float64Array
    ) -> None:
        self._state(key).add(steps, times, values)

    def set_override(self, key: str, value: Any) -> None:
        self._state(key).override = dumps(value)

    def unset_override(self, key: str) -> None:
        if key in self._states:
            self._state(key).override = None

    def define(self, pattern: str, goal: str | None, x_axis: str | None) -> None:
        if goal is not None and goal not in GOALS:
            raise InvalidInput(f"define_metric goal must be last, min or max, got {goal!r}")
        self._definitions[pattern] = Definition(pattern, goal, x_axis)
        self._dirty_definitions.add(pattern)
        definitions = list(self._definitions.values())
        for key, state in self._states.items():
            goal_now, x_axis_now = resolve(definitions, key)
            if (goal_now, x_axis_now) != (state.goal, state.x_axis):
                state.goal, state.x_axis = goal_now, x_axis_now
                self._dirty.add(key)

    def flush(self) -> None:
        """Write the touched rows; a row with neither points nor override goes away."""
        rows = [self._states[k].to_row(self._run_id) for k in sorted(self._dirty)]
        keep = [r for r in rows if r["count"] > 0 or r["override"] is not None]
        gone = [r["key"] for r in rows if r["count"] == 0 and r["override"] is None]
        upsert(self._conn, s.run_summary, keep, ["run_id", "key"], _SUMMARY_COLUMNS)
        if gone:
            self._conn.execute(
                delete(s.run_summary).where(
                    s.run_summary.c.run_id == self._run_id, s.run_summary.c.key.in_(gone)
                )
            )
        definitions = [
            {"run_id": self._run_id, **vars(self._definitions[p])}
            for p in sorted(self._dirty_definitions)
        ]
        upsert(
            self._conn,
            s.metric_definitions,
            definitions,
            ["run_id", "pattern"],
            ["goal", "x_axis"],
        )
        self._dirty.clear()
        self._dirty_definitions.clear()
