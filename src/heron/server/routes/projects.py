"""Projects: the list, the keys their runs hold, resumable runs."""

from __future__ import annotations

from fastapi import APIRouter, Response

from heron import wire
from heron.server.problems import PROBLEMS
from heron.server.responses import json_response
from heron.server.state import State

router = APIRouter(tags=["projects"], responses=PROBLEMS)


@router.get("/projects", response_model=list[wire.Project], summary="The projects you may read")
def list_projects(state: State) -> Response:
    projects = state.tracking.projects()
    return json_response([wire.project_to_json(p) for p in projects])


@router.get(
    "/projects/{project}/keys",
    response_model=wire.ProjectKeyLists,
    summary="Config paths, metric and summary keys, tags",
)
def project_keys(state: State, project: str) -> Response:
    return json_response(wire.keys_to_json(state.tracking.reads(project).project_keys(project)))


@router.get(
    "/projects/{project}/resumable",
    response_model=wire.Run | None,
    summary="The run resume='auto' would continue (null: none)",
)
def resumable(state: State, project: str, resume_key: str) -> Response:
    info = state.tracking.reads(project).find_resumable(project, resume_key)
    return json_response(None if info is None else wire.run_to_json(info))
