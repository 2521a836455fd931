"""Sweeps: create, list, one sweep with its trials, its parameter importance,
pause/stop/resume, and the trial lifecycle of ``heron agent`` behind a server (claim,
beat, report, tell).

The studies live beside the server's database (``heron.sweeps.study``); every route
is a skin over :class:`heron.sweeps.service.LocalSweeps` acting for the request's
caller (``state.tracking``): a viewer of the sweep's project reads, an editor creates,
claims and tells (docs/sweeps.md).
"""

from __future__ import annotations

import functools
import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from heron.errors import Unavailable
from heron.server.problems import PROBLEMS
from heron.server.responses import json_response
from heron.server.state import ServerState, State
from heron.sweeps.base import SweepInfo, TrialInfo
from heron.sweeps.service import LocalSweeps

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


class NewSweep(BaseModel):
    """A sweep's definition: the YAML's object (docs/sweeps.md, The YAML)."""

    model_config = ConfigDict(extra="forbid")
    spec: dict[str, Any]


class ClaimRequest(BaseModel):
    """``agent``: who claims (shown with the trial); ``grace``: seconds after which a
    silent agent's running trial is failed and its run marked crashed (default 60)."""

    model_config = ConfigDict(extra="forbid")
    agent: Annotated[str, Field(max_length=256)] = ""
    grace: Annotated[float | None, Field(ge=1, le=86400)] = None


class Ticket(TypedDict):
    number: int
    params: dict[str, Any]
    run_id: str


class ClaimAnswer(TypedDict):
    """``trial``: the claimed trial, or null and the sweep's ``status`` says why
    (``paused``: ask again later; otherwise nothing is left to run)."""

    trial: Ticket | None
    status: str


class Beat(BaseModel):
    model_config = ConfigDict(extra="forbid")
    trial: Annotated[int, Field(ge=0)]


class Report(BaseModel):
    """Intermediate values of a running trial: [step, finite value] pairs."""

    model_config = ConfigDict(extra="forbid")
    trial: Annotated[int, Field(ge=0)]
    points: Annotated[list[tuple[int, float]], Field(max_length=10_000)]


class PruneAnswer(TypedDict):
    prune: bool  # stop the trial: its pruner says so


class Tell(BaseModel):
    """How a running trial ended: ``value`` (finite) for a complete one; ``error``
    (at most 2,000 characters kept) for a failed one."""

    model_config = ConfigDict(extra="forbid")
    trial: Annotated[int, Field(ge=0)]
    outcome: Literal["complete", "pruned", "failed"]
    value: float | None = None
    error: Annotated[str | None, Field(max_length=100_000)] = None


@functools.lru_cache(maxsize=8)
def _sweeps_at(db_url: str) -> Any:
    try:
        from heron.sweeps.study import Sweeps, sweeps_url_of
    except ImportError:  # pragma: no cover - the sweeps extra is part of dev
        raise Unavailable("sweeps need the sweeps extra: pip install 'heron[sweeps]'") from None
    return Sweeps(sweeps_url_of(db_url))


def _sweeps(state: ServerState) -> LocalSweeps:
    """The store's sweeps acting for the request's caller (one study cache per database)."""
    return LocalSweeps(_sweeps_at(state.tracking.store.url), state.tracking)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def trial_json(t: TrialInfo, run_state: str | None) -> Trial:
    return {
        "number": t.number,
        "status": t.status,
        "params": t.params,
        "value": _finite(t.value),
        "run_id": t.run_id,
        "run_state": run_state,
        "started_at": t.started_at,
        "ended_at": t.ended_at,
        "steps": t.steps,
        "error": t.error,
    }


def summary_json(info: SweepInfo) -> SweepSummary:
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
    return json_response([summary_json(i) for i in _sweeps(state).list_sweeps(project)])


@router.post("/sweeps", response_model=SweepSummary, summary="Create a sweep (editor)")
def create_sweep(state: State, body: NewSweep) -> Response:
    return json_response(summary_json(_sweeps(state).create_from(body.spec)))


@router.get("/sweeps/{name}", response_model=SweepDetail, summary="A sweep and its trials")
def get_sweep(state: State, name: str) -> Response:
    sweeps = _sweeps(state)
    info = sweeps.info(name)
    trials = sweeps.trials(name)
    ids = [t.run_id for t in trials if t.run_id]
    states: dict[str, str] = {}
    if ids:
        listed = ", ".join(f"'{i}'" for i in ids if i.isalnum())
        store = state.tracking.reads(info.project)
        for run in store.search_runs(info.project, f"id in ({listed})"):
            states[run.id] = run.state
    answer: SweepDetail = {
        "sweep": summary_json(info),
        "trials": [trial_json(t, states.get(t.run_id) if t.run_id else None) for t in trials],
    }
    return json_response(answer)


@router.get(
    "/sweeps/{name}/importance",
    response_model=Importance,
    summary="How much each parameter mattered to the sweep's objective (complete trials)",
)
def sweep_importance(state: State, name: str) -> Response:
    from heron.analysis.importance import MIN_RUNS, importance

    sweeps = _sweeps(state)
    info = sweeps.info(name)
    done = [
        (t.params, t.value)
        for t in sweeps.trials(name)
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
    return json_response(summary_json(_sweeps(state).set_status(name, body.status)))


@router.post(
    "/sweeps/{name}/claim",
    response_model=ClaimAnswer,
    summary="Claim the sweep's next trial: its number, parameters and run id (editor)",
)
def claim_trial(state: State, name: str, body: ClaimRequest) -> Response:
    claim = _sweeps(state).claim(name, body.agent, grace=body.grace)
    trial = claim.trial
    answer: ClaimAnswer = {
        "trial": None
        if trial is None
        else {"number": trial.number, "params": trial.params, "run_id": trial.run_id},
        "status": claim.status,
    }
    return json_response(answer)


@router.post(
    "/sweeps/{name}/beat",
    status_code=204,
    summary="A running trial's agent is alive (its heartbeat; editor)",
)
def beat_trial(state: State, name: str, body: Beat) -> Response:
    _sweeps(state).beat(name, body.trial)
    return Response(status_code=204)


@router.post(
    "/sweeps/{name}/report",
    response_model=PruneAnswer,
    summary="Report a running trial's intermediate values; whether to prune it (editor)",
)
def report_trial(state: State, name: str, body: Report) -> Response:
    prune = _sweeps(state).report(name, body.trial, body.points)
    return json_response({"prune": prune})


@router.post(
    "/sweeps/{name}/tell",
    status_code=204,
    summary="How a running trial ended: complete (its value), pruned or failed (editor)",
)
def tell_trial(state: State, name: str, body: Tell) -> Response:
    _sweeps(state).tell(name, body.trial, body.outcome, body.value, body.error)
    return Response(status_code=204)
