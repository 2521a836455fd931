"""Sweeps: list, one sweep with its trials, its parameter importance, pause/stop/resume.

The studies live beside the server's database (``heron.sweeps.study``); every route
authorises the caller on the sweep's project through ``state.tracking``. Agents are
local to the database (``heron agent`` with the folder or the PostgreSQL URL): there
are no ask/tell routes (docs/sweeps.md).
"""

from __future__ import annotations

import functools
import math
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict
from typing_extensions import TypedDict

from heron.errors import InvalidInput, Unavailable
from heron.server.problems import PROBLEMS
from heron.server.responses import json_response
from heron.server.state import ServerState, State

router = APIRouter(tags=["sweeps"], responses=PROBLEMS)


class SweepSummary(TypedDict):
    """A sweep: ``status`` is running, paused, stopped or finished (every trial ended
    and the cap reached); ``counts``: trials by state; ``spec``: its definition."""

    name: str
    project: str
    group: str
    method: str
    metric: str
    goal: str
    status: str
    run_cap: int
    counts: dict[str, int]
    best_value: float | None
    best_trial: int | None
    created_at: float
    spec: dict[str, Any]


class Trial(TypedDict):
    """A trial: ``status`` running, complete, pruned, failed or waiting; ``value`` its
    objective (complete trials); ``run_id`` the run its process logged;
    ``run_state`` that run's state (null: not created yet)."""

    number: int
    status: str
    params: dict[str, Any]
    value: float | None
    run_id: str | None
    run_state: str | None
    started_at: float | None
    ended_at: float | None
    steps: int
    error: str | None


class SweepDetail(TypedDict):
    sweep: SweepSummary
    trials: list[Trial]


class ParamImportance(TypedDict):
    """One parameter's importance for a metric: correlations (numeric parameters) and
    the random forest's share (null when the values do not vary)."""

    name: str
    numeric: bool
    runs: int
    correlation: float | None
    spearman: float | None
    importance: float | None


class Importance(TypedDict):
    metric: str
    runs: int  # how many runs (or trials) had a finite value
    params: list[ParamImportance]


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["running", "paused", "stopped"]


@functools.lru_cache(maxsize=8)
def _sweeps_at(db_url: str) -> Any:
    try:
        from heron.sweeps.study import Sweeps, sweeps_url_of
    except ImportError:  # pragma: no cover - the sweeps extra is part of dev
        raise Unavailable("sweeps need the sweeps extra: pip install 'heron[sweeps]'") from None
    return Sweeps(sweeps_url_of(db_url))


def _sweeps(state: ServerState) -> Any:
    return _sweeps_at(state.tracking.store.url)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def summary_json(info: Any) -> SweepSummary:
    return {
        "name": info.name,
        "project": info.project,
        "group": info.group,
        "method": info.method,
        "metric": info.metric,
        "goal": info.goal,
        "status": info.status,
        "run_cap": info.run_cap,
        "counts": dict(info.counts),
        "best_value": _finite(info.best_value),
        "best_trial": info.best_trial,
        "created_at": info.created_at,
        "spec": info.spec,
    }


@router.get("/sweeps", response_model=list[SweepSummary], summary="The sweeps you may read")
def list_sweeps(state: State, project: str | None = None) -> Response:
    if project is not None:
        state.tracking.authorize("read", project)
    infos = _sweeps(state).list_sweeps(project)
    readable = [i for i in infos if state.caller.may("read", i.project)]
    return json_response([summary_json(i) for i in readable])


def _readable(state: ServerState, name: str) -> Any:
    info = _sweeps(state).info(name)
    state.tracking.authorize("read", info.project)
    return info


@router.get("/sweeps/{name}", response_model=SweepDetail, summary="A sweep and its trials")
def get_sweep(state: State, name: str) -> Response:
    info = _readable(state, name)
    trials = _sweeps(state).trials(name)
    ids = [t.run_id for t in trials if t.run_id]
    states: dict[str, str] = {}
    if ids:
        listed = ", ".join(f"'{i}'" for i in ids if i.isalnum())
        store = state.tracking.reads(info.project)
        for run in store.search_runs(info.project, f"id in ({listed})"):
            states[run.id] = run.state
    answer: SweepDetail = {
        "sweep": summary_json(info),
        "trials": [
            {
                "number": t.number,
                "status": t.status,
                "params": t.params,
                "value": _finite(t.value),
                "run_id": t.run_id,
                "run_state": states.get(t.run_id) if t.run_id else None,
                "started_at": t.started_at,
                "ended_at": t.ended_at,
                "steps": t.steps,
                "error": t.error,
            }
            for t in trials
        ],
    }
    return json_response(answer)


@router.get(
    "/sweeps/{name}/importance",
    response_model=Importance,
    summary="How much each parameter mattered to the sweep's objective (complete trials)",
)
def sweep_importance(state: State, name: str) -> Response:
    from heron.analysis.importance import MIN_RUNS, importance

    info = _readable(state, name)
    done = [
        (t.params, t.value)
        for t in _sweeps(state).trials(name)
        if t.status == "complete" and t.value is not None
    ]
    params = [] if len(done) < MIN_RUNS else importance(done, params=list(info.spec["parameters"]))
    return json_response(importance_json(info.metric, len(done), params))


def importance_json(metric: str, runs: int, params: list[Any]) -> Importance:
    return {
        "metric": metric,
        "runs": runs,
        "params": [
            {
                "name": p.name,
                "numeric": p.numeric,
                "runs": p.runs,
                "correlation": _finite(p.correlation),
                "spearman": _finite(p.spearman),
                "importance": _finite(p.importance),
            }
            for p in params
        ],
    }


@router.post(
    "/sweeps/{name}/status",
    response_model=SweepSummary,
    summary="Pause, stop or resume a sweep (agents wait, stop claiming, or go on)",
)
def set_status(state: State, name: str, body: StatusChange) -> Response:
    info = _sweeps(state).info(name)
    state.tracking.authorize("write", info.project)
    if info.status == "finished" and body.status != "stopped":
        raise InvalidInput(f"sweep {name!r} is finished: every trial ran")
    return json_response(summary_json(_sweeps(state).set_status(name, body.status)))
