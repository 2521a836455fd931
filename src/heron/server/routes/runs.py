"""Runs: create, list, count, table, read, edit, delete, bulk actions, heartbeat, history."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Response

from heron import wire
from heron.errors import InvalidInput
from heron.server.models import (
    BulkRuns,
    CrashReport,
    DeleteRuns,
    Heartbeat,
    RunPatch,
    TableQuery,
)
from heron.server.responses import json_response
from heron.server.state import ServerState, server_state
from heron.service import MAX_BULK_RUNS, BulkRequest
from heron.store.base import Batch

router = APIRouter(tags=["runs"])
State = Annotated[ServerState, Depends(server_state)]


@router.post("/runs", summary="Create a run (idempotent on id)")
def create_run(state: State, spec: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    return wire.run_to_json(state.tracking.create_run(wire.spec_from_json(spec)))


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
    store = state.tracking.reads(project)
    runs = store.search_runs(project, filter, order_by, limit, offset)
    total = len(runs) if limit is None and offset == 0 else store.count_runs(project, filter)
    return {"runs": [wire.run_to_json(r, include_system) for r in runs], "total": total}


@router.get("/runs/count", summary="Count matching runs")
def count_runs(state: State, project: str | None = None, filter: str | None = None) -> Any:
    return {"count": state.tracking.reads(project).count_runs(project, filter)}


@router.post("/runs/table", summary="Runs as columns, for tables and plots")
def runs_table(state: State, query: TableQuery) -> dict[str, Any]:
    table = state.tracking.reads(query.project).runs_table(
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
    return {"deleted": state.tracking.delete_runs(body.ids, force=body.force)}


@router.post(
    "/projects/{project}/runs/bulk",
    summary=f"Tag, untag or delete runs by ids or by filter (at most {MAX_BULK_RUNS:,} a call)",
)
def bulk_runs(state: State, project: str, body: BulkRuns) -> dict[str, Any]:
    """The runs are resolved once, when the call starts (a run that starts matching
    later is not touched). Tags change run by run: a run that fails (deleted
    meanwhile, say) is listed in ``failed`` and the others still change. A delete is
    one store call: all or nothing."""
    request = BulkRequest(**body.model_dump())
    return dataclasses.asdict(state.tracking.bulk(project, request))


@router.get("/runs/{run_id}", summary="One run, with system info")
def get_run(state: State, run_id: str) -> dict[str, Any]:
    return wire.run_to_json(state.tracking.get_run(run_id))


@router.patch("/runs/{run_id}", summary="Rename, annotate or tag a run")
def patch_run(state: State, run_id: str, patch: RunPatch) -> dict[str, Any]:
    info = state.tracking.update_run(
        run_id,
        name=patch.name,
        notes=patch.notes,
        add_tags=patch.add_tags,
        remove_tags=patch.remove_tags,
    )
    return wire.run_to_json(info)


@router.post("/runs/{run_id}/heartbeat", status_code=204, summary="The run's process is alive")
def heartbeat(state: State, run_id: str, body: Heartbeat) -> Response:
    state.tracking.heartbeat(run_id, body.at)
    return Response(status_code=204)


@router.post("/runs/{run_id}/crashed", summary="Mark a running run crashed (its process died)")
def crashed(state: State, run_id: str, body: CrashReport) -> dict[str, Any]:
    """``heron sync`` reports a dead training process it found; a no-op on an ended run."""
    return wire.run_to_json(state.tracking.mark_crashed(run_id, body.at, body.reason))


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
    found = state.tracking.run_reads(run_id).history(run_id, keys)
    if wire.BATCH_CONTENT_TYPE in accept:
        batch = Batch(run_id=run_id, seq=0, metrics=found, events=[])
        return Response(wire.encode_batch(batch), media_type=wire.BATCH_CONTENT_TYPE)
    return json_response({key: wire.series_to_json(series) for key, series in found.items()})
