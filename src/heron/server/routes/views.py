"""Saved views of a project: a workspace layout plus the runs table's state, named and
shared by link (``/p/<project>/workspace?view=<id>``).

A skin over :class:`heron.service.views.Views`, which holds the rules: a viewer of the
project reads its views, an editor saves, renames and deletes them; names and state
sizes are limited (docs/ui.md, "Saved views").
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from heron.errors import NotFound
from heron.server.problems import PROBLEMS
from heron.server.responses import json_response
from heron.server.state import ServerState, State
from heron.service.views import MAX_VIEW_NAME_LENGTH, SavedView, ViewListing, Views
from heron.store.sql import SqlStore

router = APIRouter(tags=["views"], responses=PROBLEMS)

ViewName = Annotated[str, Field(min_length=1, max_length=MAX_VIEW_NAME_LENGTH)]


# --- shapes ---------------------------------------------------------------------------
class NewView(BaseModel):
    """A view to save: ``state`` is the UI's JSON object (``workspace``: sections and
    panels; ``runs``: filter, sort, columns, grouping), at most 256 KiB."""

    model_config = ConfigDict(extra="forbid")

    name: ViewName
    state: dict[str, Any]


class ViewPatch(BaseModel):
    """Rename a view and/or replace its state; what is left out stays."""

    model_config = ConfigDict(extra="forbid")

    name: ViewName | None = None
    state: dict[str, Any] | None = None


class ViewSummary(TypedDict):
    """A saved view without its state; ``size``: bytes of its JSON state."""

    id: str
    project: str
    name: str
    size: int
    created_by: str
    created_at: float
    updated_by: str
    updated_at: float


class View(TypedDict):
    id: str
    project: str
    name: str
    state: dict[str, Any]
    created_by: str
    created_at: float
    updated_by: str
    updated_at: float


# --- helpers --------------------------------------------------------------------------
def _views(state: ServerState) -> Views:
    if not isinstance(state.store, SqlStore):
        raise NotFound("this server's store keeps no saved views (it needs a SQL store)")
    return Views(state.store.transactor, state.caller)


def _summary(v: ViewListing) -> ViewSummary:
    return {
        "id": v.id,
        "project": v.project,
        "name": v.name,
        "size": v.size,
        "created_by": v.created_by,
        "created_at": v.created_at,
        "updated_by": v.updated_by,
        "updated_at": v.updated_at,
    }


def _view(v: SavedView) -> View:
    return {
        "id": v.id,
        "project": v.project,
        "name": v.name,
        "state": v.state,
        "created_by": v.created_by,
        "created_at": v.created_at,
        "updated_by": v.updated_by,
        "updated_at": v.updated_at,
    }


# --- routes ---------------------------------------------------------------------------
@router.get(
    "/projects/{project}/views", response_model=list[ViewSummary], summary="A project's views"
)
def list_views(state: State, project: str) -> Response:
    return json_response([_summary(v) for v in _views(state).list_views(project)])


@router.post(
    "/projects/{project}/views", response_model=View, status_code=201, summary="Save a view"
)
def create_view(state: State, project: str, body: NewView) -> Response:
    response = json_response(_view(_views(state).create(project, body.name, body.state)))
    response.status_code = 201
    return response


@router.get("/projects/{project}/views/{view_id}", response_model=View, summary="A saved view")
def get_view(state: State, project: str, view_id: str) -> Response:
    return json_response(_view(_views(state).get(project, view_id)))


@router.patch(
    "/projects/{project}/views/{view_id}",
    response_model=View,
    summary="Rename a view or replace its state",
)
def patch_view(state: State, project: str, view_id: str, body: ViewPatch) -> Response:
    changed = _views(state).update(project, view_id, name=body.name, state=body.state)
    return json_response(_view(changed))


@router.delete(
    "/projects/{project}/views/{view_id}", status_code=204, summary="Delete a saved view"
)
def delete_view(state: State, project: str, view_id: str) -> Response:
    _views(state).delete(project, view_id)
    return Response(status_code=204)
