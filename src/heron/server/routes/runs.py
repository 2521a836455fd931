"""Runs: create, list, count, table, read, edit, delete, bulk actions, heartbeat, history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from heron import wire
from heron.errors import InvalidInput
from heron.server.models import (
    BulkResult,
    BulkRuns,
    CrashReport,
    DeleteRuns,
    Heartbeat,
    RunPatch,
    RunSpec,
    TableQuery,
)
from heron.server.problems import PROBLEMS
from heron.server.responses import json_response
from heron.server.state import State
from heron.service import MAX_BULK_RUNS, BulkRequest
from heron.service import BulkResult as Bulk
from heron.store.base import Batch

router = APIRouter(tags=["runs"], responses=PROBLEMS)


@router.post("/runs", response_model=wire.Run, summary="Create a run (idempotent on id)")
def create_run(state: State, spec: RunSpec) -> Response:
    info = state.tracking.create_run(wire.spec_from_json(spec.model_dump()))
    return json_response(wire.run_to_json(info))


@router.get("/runs", response_model=wire.RunPage, summary="Search runs")
def list_runs(
    state: State,
    project: str | None = None,
    filter: str | None = None,
    order_by: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies defaults
    limit: Annotated[int | None, Query(ge=0)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    include_system: bool = False,
    check_names: bool = True,
) -> Response:
    # An unknown project, or a config or metric key no run has: 400 with "did you
    # mean"; a comparison that can never match: a Heron-Warning header. check_names=false:
    # the store protocol's plain answer (an unknown name matches no runs), for clients
    # that check names themselves (heron.Api) or need that contract (RemoteStore).
    notes = state.tracking.check_query(project, filter, order_by) if check_names else []
    store = state.tracking.reads(project)
    runs = store.search_runs(project, filter, order_by, limit, offset)
    total = len(runs) if limit is None and offset == 0 else store.count_runs(project, filter)
    return _warned(json_response(wire.run_page_to_json(runs, total, include_system)), notes)


@router.get("/runs/count", response_model=wire.RunCount, summary="Count matching runs")
def count_runs(
    state: State, project: str | None = None, filter: str | None = None, check_names: bool = True
) -> Response:
    notes = state.tracking.check_query(project, filter) if check_names else []
    count = state.tracking.reads(project).count_runs(project, filter)
    return _warned(json_response(wire.count_to_json(count)), notes)


def _warned(response: Response, notes: list[str]) -> Response:
    """One ``Heron-Warning`` header per note (non-ASCII characters escaped)."""
    for note in notes:
        response.headers.append("Heron-Warning", note.encode("ascii", "backslashreplace").decode())
    return response


@router.post(
    "/runs/table", response_model=wire.RunsTable, summary="Runs as columns, for tables and plots"
)
def runs_table(state: State, query: TableQuery) -> Response:
    table = state.tracking.reads(query.project).runs_table(
        query.project, query.filter, query.order_by, query.columns, query.limit, query.offset
    )
    return json_response(wire.table_to_json(table))


@router.post(
    "/runs/delete",
    response_model=wire.RunsDeleted,
    summary="Delete runs (409 for a running run without force)",
)
def delete_runs(state: State, body: DeleteRuns) -> Response:
    deleted = state.tracking.delete_runs(body.ids, force=body.force)
    return json_response(wire.deleted_to_json(deleted))


@router.post(
    "/projects/{project}/runs/bulk",
    response_model=BulkResult,
    summary=f"Tag, untag or delete runs by ids or by filter (at most {MAX_BULK_RUNS:,} a call)",
)
def bulk_runs(state: State, project: str, body: BulkRuns) -> Response:
    """The runs are resolved once, when the call starts (a run that starts matching
    later is not touched). Tags change run by run: a run that fails (deleted
    meanwhile, say) is listed in ``failed`` and the others still change. A delete is
    one store call: all or nothing."""
    result = state.tracking.bulk(project, BulkRequest(**body.model_dump()))
    return json_response(_bulk_to_json(result))


def _bulk_to_json(result: Bulk) -> BulkResult:
    return {
        "action": result.action,
        "matched": result.matched,
        "running": result.running,
        "done": result.done,
        "failed": [{"id": f.id, "status": f.status, "detail": f.detail} for f in result.failed],
        "limit": result.limit,
    }


@router.get("/runs/{run_id}", response_model=wire.Run, summary="One run, with system info")
def get_run(state: State, run_id: str) -> Response:
    return json_response(wire.run_to_json(state.tracking.get_run(run_id)))


@router.patch("/runs/{run_id}", response_model=wire.Run, summary="Rename, annotate or tag a run")
def patch_run(state: State, run_id: str, patch: RunPatch) -> Response:
    info = state.tracking.update_run(
        run_id,
        name=patch.name,
        notes=patch.notes,
        add_tags=patch.add_tags,
        remove_tags=patch.remove_tags,
    )
    return json_response(wire.run_to_json(info))


@router.post("/runs/{run_id}/heartbeat", status_code=204, summary="The run's process is alive")
def heartbeat(state: State, run_id: str, body: Heartbeat) -> Response:
    state.tracking.heartbeat(run_id, body.at)
    return Response(status_code=204)


@router.post(
    "/runs/{run_id}/crashed",
    response_model=wire.Run,
    summary="Mark a running run crashed (its process died)",
)
def crashed(state: State, run_id: str, body: CrashReport) -> Response:
    """``heron sync`` reports a dead training process it found; a no-op on an ended run."""
    return json_response(
        wire.run_to_json(state.tracking.mark_crashed(run_id, body.at, body.reason))
    )


@router.get(
    "/runs/{run_id}/history",
    summary="Full series, in log order",
    response_class=Response,
    responses={
        200: {
            "model": dict[str, wire.SeriesPoints],
            "content": {
                wire.BATCH_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}
            },
            "description": "JSON `{key: SeriesPoints}`; with `Accept: "
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
    return json_response(wire.history_to_json(found))
