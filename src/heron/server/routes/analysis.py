"""Analysis over a project's runs: parameter importance, two groups compared, seed groups.

Pure statistics (``heron.analysis``) over what the caller may read
(``state.tracking.reads``). Runs are chosen with the filter language; at most
:data:`MAX_RUNS` runs take part (400 beyond).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from heron.analysis.values import ValueKind, run_value
from heron.errors import InvalidInput
from heron.server.problems import PROBLEMS
from heron.server.responses import json_response
from heron.server.routes.sweeps import Importance, importance_json
from heron.server.state import ServerState, State
from heron.store.base import RunInfo

router = APIRouter(tags=["analysis"], responses=PROBLEMS)

MAX_RUNS = 10_000
Text = Annotated[str, Field(min_length=1, max_length=4096)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ImportanceQuery(_Body):
    metric: Text
    filter: Text | None = None
    value: ValueKind = "summary"
    params: Annotated[list[Text] | None, Field(max_length=200)] = None


class CompareQuery(_Body):
    """``a`` and ``b``: filters choosing each group's runs (``group = "x"``)."""

    metric: Text
    a: Text
    b: Text
    value: ValueKind = "summary"
    confidence: Annotated[float, Field(ge=0.5, lt=1.0)] = 0.95
    bootstrap: Annotated[int, Field(ge=100, le=100_000)] = 10_000
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0


class GroupsQuery(_Body):
    filter: Text | None = None
    keys: Annotated[list[Text], Field(min_length=1, max_length=20)] = ["seed"]


class Comparison(TypedDict):
    """Group a against group b (see docs/analysis.md); null for a number that is not
    finite (e.g. t when both groups are constant)."""

    metric: str
    n_a: int
    n_b: int
    dropped: int
    mean_a: float | None
    mean_b: float | None
    std_a: float | None
    std_b: float | None
    difference: float | None
    confidence: float
    ci_low: float | None
    ci_high: float | None
    t: float | None
    df: float | None
    p_value: float | None
    bootstrap_low: float | None
    bootstrap_high: float | None
    bootstrap_p: float | None
    bootstrap_samples: int
    cohens_d: float | None
    hedges_g: float | None
    power: float | None
    needed_per_group: int | None
    significant: bool
    verdict: str


class SeedGroup(TypedDict):
    name: str
    run_ids: list[str]


def _runs(state: ServerState, project: str, filter: str | None) -> list[RunInfo]:
    store = state.tracking.reads(project)
    runs = store.search_runs(project, filter, (), MAX_RUNS + 1)
    if len(runs) > MAX_RUNS:
        raise InvalidInput(f"at most {MAX_RUNS} runs take part; narrow the filter")
    return runs


@router.post(
    "/projects/{project}/analysis/importance",
    response_model=Importance,
    summary="Correlation and random-forest importance of config parameters for a metric",
)
def importance(state: State, project: str, query: ImportanceQuery) -> Response:
    from heron.analysis.importance import MIN_RUNS
    from heron.analysis.importance import importance as rate

    pairs = []
    for run in _runs(state, project, query.filter):
        value = run_value(run.summary, run.metrics, query.metric, query.value)
        if value is not None:
            pairs.append((run.config, value))
    rated = [] if len(pairs) < MIN_RUNS else rate(pairs, params=query.params)
    return json_response(importance_json(query.metric, len(pairs), rated))


@router.post(
    "/projects/{project}/analysis/compare",
    response_model=Comparison,
    summary="Two groups of runs compared on a metric: CI, Welch, bootstrap, effect size",
)
def compare(state: State, project: str, query: CompareQuery) -> Response:
    from heron.analysis.stats import compare as compare_values

    groups = []
    for name, text in (("a", query.a), ("b", query.b)):
        runs = _runs(state, project, text)
        values = [run_value(r.summary, r.metrics, query.metric, query.value) for r in runs]
        groups.append([v for v in values if v is not None])
        if len(groups[-1]) < 2:
            raise InvalidInput(
                f"group {name} ({text}): {len(groups[-1])} of its {len(runs)} runs have a "
                f"value of {query.metric!r}; a comparison needs at least 2 per group"
            )
    result = compare_values(
        groups[0],
        groups[1],
        confidence=query.confidence,
        bootstrap=query.bootstrap,
        seed=query.seed,
        names=("A", "B"),
    )
    return json_response({"metric": query.metric, **result.to_json()})


@router.post(
    "/projects/{project}/analysis/groups",
    response_model=list[SeedGroup],
    summary="Runs that differ only in the seed (or other keys), grouped",
)
def groups(state: State, project: str, query: GroupsQuery) -> Response:
    from heron.analysis.groups import seed_groups

    runs = _runs(state, project, query.filter)
    found = seed_groups([(r.id, r.config) for r in runs], keys=query.keys)
    return json_response([{"name": g.name, "run_ids": list(g.run_ids)} for g in found])
