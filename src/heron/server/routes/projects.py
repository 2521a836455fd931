"""Projects: the list, the keys their runs hold, resumable runs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from heron import wire
from heron.server.state import ServerState, server_state

router = APIRouter(tags=["projects"])
State = Annotated[ServerState, Depends(server_state)]


@router.get("/projects", summary="Every project")
def list_projects(state: State) -> list[dict[str, Any]]:
    return [wire.project_to_json(p) for p in state.store.list_projects()]


@router.get("/projects/{project}/keys", summary="Config paths, metric and summary keys, tags")
def project_keys(state: State, project: str) -> dict[str, list[str]]:
    keys = state.store.project_keys(project)
    return {
        "config": list(keys.config),
        "metrics": list(keys.metrics),
        "summary": list(keys.summary),
        "tags": list(keys.tags),
    }


@router.get("/projects/{project}/resumable", summary="The run resume='auto' would continue")
def resumable(state: State, project: str, resume_key: str) -> dict[str, Any] | None:
    info = state.store.find_resumable(project, resume_key)
    return None if info is None else wire.run_to_json(info)
