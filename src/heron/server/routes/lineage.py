"""Lineage: the graph around a run or a model version, the runs that used a dataset
version, the data that trained a model version (``heron.service.lineage``).

Authorised like run reads: the starting run's project (the registry, for a model
version) must be readable, and nodes of projects the caller may not read are left out.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from heron import wire
from heron.server.problems import PROBLEMS
from heron.server.responses import json_response
from heron.server.state import ServerState, State
from heron.service.lineage import DEFAULT_DEPTH, MAX_DEPTH, Direction, Lineage

router = APIRouter(tags=["lineage"], responses=PROBLEMS)

Depth = Annotated[
    int, Query(ge=0, le=MAX_DEPTH, description=f"Hops from the start (0..{MAX_DEPTH}).")
]
Towards = Annotated[
    Direction,
    Query(description="both, up (towards the inputs: data, parents) or down (to the outputs)."),
]


class LineageNode(BaseModel):
    id: str
    kind: Literal["run", "dataset", "artifact", "checkpoint", "model_version"]
    label: str
    level: int
    data: dict[str, Any]


class LineageEdge(BaseModel):
    source: str
    target: str
    kind: Literal["input", "output", "registered", "reproduces"]


class LineageGraph(BaseModel):
    root: str
    depth: int
    truncated: bool
    nodes: list[LineageNode]
    edges: list[LineageEdge]


class LineageItem(BaseModel):
    id: str
    kind: str
    label: str
    data: dict[str, Any]


class TrainingData(BaseModel):
    model: str
    version: int
    stage: str
    aliases: list[str]
    runs: list[LineageItem]
    datasets: list[LineageItem]
    artifacts: list[LineageItem]


def _lineage(state: ServerState) -> Lineage:
    return Lineage(state.tracking, state.registry)


@router.get(
    "/runs/{run_id}/lineage",
    response_model=LineageGraph,
    summary="The lineage graph around a run",
)
def run_lineage(
    state: State, run_id: str, depth: Depth = DEFAULT_DEPTH, direction: Towards = "both"
) -> Response:
    return json_response(_lineage(state).of_run(run_id, depth, direction).to_json())


@router.get(
    "/models/{name}/versions/{version}/lineage",
    response_model=LineageGraph,
    summary="The lineage graph around a model version",
)
def model_version_lineage(
    state: State, name: str, version: int, depth: Depth = DEFAULT_DEPTH, direction: Towards = "both"
) -> Response:
    graph = _lineage(state).of_model_version(name, str(version), depth, direction)
    return json_response(graph.to_json())


@router.get(
    "/models/{name}/training-data",
    response_model=TrainingData,
    summary="Which data trained a model version (by stage, alias or version)",
)
def training_data(
    state: State,
    name: str,
    ref: Annotated[
        str, Query(max_length=200, description="A stage (Production), an alias or a version.")
    ] = "Production",
) -> Response:
    return json_response(_lineage(state).training_data(name, ref).to_json())


@router.get(
    "/datasets/{digest}/runs",
    response_model=list[wire.Run],
    summary="Runs that used a dataset version (by digest)",
)
def dataset_runs(
    state: State,
    digest: str,
    name: Annotated[
        str | None, Query(max_length=200, description="Only under this dataset name.")
    ] = None,
    project: str | None = None,
) -> Response:
    runs = _lineage(state).runs_using_dataset(digest, name=name, project=project)
    return json_response([wire.run_to_json(r, include_system=False) for r in runs])
