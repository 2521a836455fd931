"""Runs: create, list, count, table, read, edit, delete, heartbeat, history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Response

from heron import wire
from heron.errors import Conflict, InvalidInput
from heron.server.models import CrashReport, DeleteRuns, Heartbeat, RunPatch, TableQuery
from heron.server.responses import json_response
from heron.server.state import ServerState, server_state
from heron.store.base import Batch

router = APIRouter(tags=["runs"])
State = Annotated[ServerState, Depends(server_state)]


@router.post("/runs", summary="Create a run (idempotent on id)")
def create_run(state: State, spec: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    info = state.store.create_run(wire.spec_from_json(spec))
    state.hub.run_changed(info.id, info.project, info.state)
    return wire.run_to_json(info)


@router.get("/runs", summary="Search runs")
def list_runs(
    state: State,
    project: str | None = None,
    filter: str | None = None,
    order_by: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies defaults
    limit: Annotated[int | None, Query(ge=0)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    include_system: bool = False,
) -> dict[str, Any]:
    runs = state.store.search_runs(project, filter, order_by, limit, offset)
    total = len(runs) if limit is None and offset == 0 else state.store.count_runs(project, filter)
    return {"runs": [wire.run_to_json(r, include_system) for r in runs], "total": total}


@router.get("/runs/count", summary="Count matching runs")
def count_runs(state: State, project: str | None = None, filter: str | None = None) -> Any:
    return {"count": state.store.count_runs(project, filter)}


@router.post("/runs/table", summary="Runs as columns, for tables and plots")
def runs_table(state: State, query: TableQuery) -> dict[str, Any]:
    table = state.store.runs_table(
        query.project, query.filter, query.order_by, query.columns, query.limit, query.offset
    )
    return {
        "total": table.total,
        "ids": table.ids,
        "names": table.names,
        "states": table.states,
        "groups": table.groups,
        "tags": table.tags,
        "created_at": table.created_at,
        "durations": table.durations,
        "columns": {name: wire.jsonable(values) for name, values in table.columns.items()},
    }


@router.post("/runs/delete", summary="Delete runs (409 for a running run without force)")
def delete_runs(state: State, body: DeleteRuns) -> dict[str, int]:
    infos = [state.store.get_run(run_id) for run_id in dict.fromkeys(body.ids)]
    running = [i.id for i in infos if i.state == "running"]
    if running and not body.force:
        raise Conflict(
            f"run {', '.join(running)} is still running; finish or kill it first, "
            'or delete anyway with "force": true'
        )
    deleted = state.store.delete_runs([i.id for i in infos])
    for info in infos:
        state.hub.forget(info.id)
        state.hub.run_changed(info.id, info.project, "deleted")
    return {"deleted": deleted}


@router.get("/runs/{run_id}", summary="One run, with system info")
def get_run(state: State, run_id: str) -> dict[str, Any]:
    return wire.run_to_json(state.store.get_run(run_id))


@router.patch("/runs/{run_id}", summary="Rename, annotate or tag a run")
def patch_run(state: State, run_id: str, patch: RunPatch) -> dict[str, Any]:
    info = state.store.update_run(
        run_id,
        name=patch.name,
        notes=patch.notes,
        add_tags=patch.add_tags,
        remove_tags=patch.remove_tags,
    )
    state.hub.run_changed(info.id, info.project, info.state)
    return wire.run_to_json(info)


@router.post("/runs/{run_id}/heartbeat", status_code=204, summary="The run's process is alive")
def heartbeat(state: State, run_id: str, body: Heartbeat) -> Response:
    state.store.heartbeat(run_id, body.at)
    return Response(status_code=204)


@router.post("/runs/{run_id}/crashed", summary="Mark a running run crashed (its process died)")
def crashed(state: State, run_id: str, body: CrashReport) -> dict[str, Any]:
    """``heron sync`` reports a dead training process it found; a no-op on an ended run."""
    state.store.mark_crashed(run_id, body.at, body.reason)
    info = state.store.get_run(run_id)
    state.hub.run_changed(info.id, info.project, info.state)
    return wire.run_to_json(info)


@router.get(
    "/runs/{run_id}/history",
    summary="Full series, in log order",
    response_class=Response,
    responses={
        200: {
            "content": {"application/json": {}, wire.BATCH_CONTENT_TYPE: {}},
            "description": "JSON `{key: {steps, times, values}}`; with `Accept: "
            f"{wire.BATCH_CONTENT_TYPE}` the same series in the binary batch format "
            "(heron.wire: 24 bytes a point, no parsing; what heron.Api asks for).",
        }
    },
)
def history(
    state: State,
    run_id: str,
    keys: Annotated[list[str] | None, Query()] = None,
    accept: Annotated[str, Header()] = "",
) -> Response:
    if keys is not None and not keys:
        raise InvalidInput("keys: give at least one key, or leave keys out for every key")
    found = state.store.history(run_id, keys)
    if wire.BATCH_CONTENT_TYPE in accept:
        batch = Batch(run_id=run_id, seq=0, metrics=found, events=[])
        return Response(wire.encode_batch(batch), media_type=wire.BATCH_CONTENT_TYPE)
    return json_response({key: wire.series_to_json(series) for key, series in found.items()})
