"""Projects: the list, the keys their runs hold, resumable runs, renaming."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from heron import wire
from heron.keys import MAX_NAME_LENGTH
from heron.server.problems import PROBLEMS
from heron.server.responses import json_response
from heron.server.state import State
from heron.service.projects import Projects

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


class ProjectRename(BaseModel):
    """The project's new name: the rule of project names (letters, digits, ``_ - .``,
    starting with a letter, digit or ``_``), naming no project yet."""

    model_config = ConfigDict(extra="forbid")

    new_name: Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH)]


class ProjectRenamed(TypedDict):
    """``moved``: the rows that now name ``name``, per table (``projects``: 1 when the
    project has runs or artifacts)."""

    old_name: str
    name: str
    moved: dict[str, int]


@router.post(
    "/projects/{project}/rename",
    response_model=ProjectRenamed,
    summary="Rename a project (project admin): its runs, members, rules, views, reports move",
)
def rename_project(state: State, project: str, body: ProjectRename) -> Response:
    moved = Projects(state.tracking).rename(project, body.new_name)
    return json_response(ProjectRenamed(old_name=project, name=body.new_name, moved=moved))
