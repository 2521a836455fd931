"""What a read of runs returns: :class:`RunInfo` and its :class:`MetricSummary` es
(part of the contract in ``heron.store.base``, which re-exports them).

They live apart so that a short process that only lists runs (``heron runs ls``,
through ``heron.store.lite``) does not pay for building the rest of the contract's
classes. They are frozen: :func:`new_run_info` and :func:`new_metric_summary` build them
without going through the frozen ``__init__`` (one ``object.__setattr__`` per field),
which is most of the cost of a page of runs, and give the same objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from heron.states import RunState

SummaryGoal = Literal["last", "min", "max"]


@dataclass(frozen=True)
class MetricSummary:
    key: str
    count: int
    last: float
    last_step: int
    last_time: float
    min: float
    max: float
    first_time: float
    goal: SummaryGoal = "last"
    x_axis: str | None = None  # None: step; "_time": wall time; else another metric key

    @property
    def value(self) -> float:
        """The value the runs table shows for this key."""
        return {"last": self.last, "min": self.min, "max": self.max}[self.goal]


@dataclass(frozen=True)
class RunInfo:
    id: str
    project: str
    name: str
    group: str | None
    state: RunState
    tags: tuple[str, ...]
    notes: str
    config: dict[str, Any]
    system: dict[str, Any]
    metrics: dict[str, MetricSummary]
    summary_overrides: dict[str, Any]
    created_at: float
    ended_at: float | None
    heartbeat_at: float | None
    error: str | None
    traceback: str | None
    last_step: int | None
    ingested_seq: int
    created_by: str | None = None  # the server account that created it

    @property
    def summary(self) -> dict[str, Any]:
        """Every metric's shown value, then the overrides on top."""
        out: dict[str, Any] = {k: m.value for k, m in self.metrics.items()}
        out.update(self.summary_overrides)
        return out

    @property
    def duration(self) -> float | None:
        """Seconds the run was running: from creation to its end (or last heartbeat),
        less the time between a crash and a resume (``system.heron.inactive_seconds``,
        written by the SDK when it resumes a run)."""
        end = self.ended_at if self.ended_at is not None else self.heartbeat_at
        if end is None:
            return None
        heron = self.system.get("heron")
        inactive = heron.get("inactive_seconds") if isinstance(heron, dict) else None
        idle = float(inactive) if isinstance(inactive, (int, float)) else 0.0
        return max(0.0, end - self.created_at - idle)


# The read path's constructors: the instance's __dict__ set in one call, as the frozen
# __init__ would fill it field by field (tests/store/test_records.py holds them to it).
_new = object.__new__
_set = object.__setattr__


def new_metric_summary(
    key: str,
    count: int,
    last: float,
    last_step: int,
    last_time: float,
    min: float,
    max: float,
    first_time: float,
    goal: SummaryGoal,
    x_axis: str | None,
) -> MetricSummary:
    """``MetricSummary(...)`` with every field given, without the frozen ``__init__``."""
    obj = _new(MetricSummary)
    _set(obj, "__dict__", {
        "key": key, "count": count, "last": last, "last_step": last_step,
        "last_time": last_time, "min": min, "max": max, "first_time": first_time,
        "goal": goal, "x_axis": x_axis,
    })  # fmt: skip
    return obj


def new_run_info(
    id: str,
    project: str,
    name: str,
    group: str | None,
    state: RunState,
    tags: tuple[str, ...],
    notes: str,
    config: dict[str, Any],
    system: dict[str, Any],
    metrics: dict[str, MetricSummary],
    summary_overrides: dict[str, Any],
    created_at: float,
    ended_at: float | None,
    heartbeat_at: float | None,
    error: str | None,
    traceback: str | None,
    last_step: int | None,
    ingested_seq: int,
    created_by: str | None,
) -> RunInfo:
    """``RunInfo(...)`` with every field given, without the frozen ``__init__``."""
    obj = _new(RunInfo)
    _set(obj, "__dict__", {
        "id": id, "project": project, "name": name, "group": group, "state": state,
        "tags": tags, "notes": notes, "config": config, "system": system,
        "metrics": metrics, "summary_overrides": summary_overrides,
        "created_at": created_at, "ended_at": ended_at, "heartbeat_at": heartbeat_at,
        "error": error, "traceback": traceback, "last_step": last_step,
        "ingested_seq": ingested_seq, "created_by": created_by,
    })  # fmt: skip
    return obj
