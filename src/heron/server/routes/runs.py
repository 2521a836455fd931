"""Runs: create, list, count, table, read, edit, delete, bulk actions, heartbeat, history."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Response

from heron import wire
from heron.errors import Conflict, HeronError, InvalidInput
from heron.keys import check_tag
from heron.server.models import (
    MAX_BULK_RUNS,
    BulkRuns,
    CrashReport,
    DeleteRuns,
    Heartbeat,
    RunPatch,
    TableQuery,
)
from heron.server.responses import json_response
from heron.server.state import ServerState, server_state
from heron.store.base import Batch

log = logging.getLogger("heron.server")
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
    runs = {i.id: (i.project, i.state) for i in infos}
    return {"deleted": _delete(state, runs, body.force)}


def _delete(state: ServerState, runs: Mapping[str, tuple[str, str]], force: bool) -> int:
    """Delete ``runs`` (id -> (project, state)) in one store call, all or nothing, and
    tell live clients; 409 when some are still running, unless ``force``."""
    running = [run_id for run_id, (_, run_state) in runs.items() if run_state == "running"]
    if running and not force:
        shown = ", ".join(running[:5]) + (", ..." if len(running) > 5 else "")
        raise Conflict(
            f"{len(running):,} of the {len(runs):,} runs are still running ({shown}); "
            'finish or kill them first, or delete anyway with "force": true'
        )
    deleted = state.store.delete_runs(list(runs))
    for run_id, (project, _) in runs.items():
        state.hub.forget(run_id)
        state.hub.run_changed(run_id, project, "deleted")
    return deleted


@router.post(
    "/projects/{project}/runs/bulk",
    summary=f"Tag, untag or delete runs by ids or by filter (at most {MAX_BULK_RUNS:,} a call)",
)
def bulk_runs(state: State, project: str, body: BulkRuns) -> dict[str, Any]:
    """The runs are resolved once, when the call starts (a run that starts matching
    later is not touched). Tags change run by run: a run that fails (deleted
    meanwhile, say) is listed in ``failed`` and the others still change. A delete is
    one store call: all or nothing."""
    limit = MAX_BULK_RUNS
    _check_bulk(body)
    targets, failed = _bulk_targets(state, project, body, limit)
    running = [run_id for run_id, run_state in targets.items() if run_state == "running"]
    answer: dict[str, Any] = {
        "action": body.action,
        "matched": len(targets),
        "running": len(running),
        "done": 0,
        "failed": failed,
        "limit": limit,
    }
    if body.dry_run or not targets:
        return answer
    if body.action == "delete":
        answer["done"] = _delete(state, {i: (project, st) for i, st in targets.items()}, body.force)
        return answer
    add = body.tags if body.action == "add_tags" else []
    remove = body.tags if body.action == "remove_tags" else []
    pending = list(targets)
    for i, run_id in enumerate(pending):
        try:
            info = state.store.update_run(run_id, add_tags=add, remove_tags=remove)
        except HeronError as e:
            failed.append(_failure(run_id, e.status_code, e.message))
            continue
        except Exception:  # the store failed: stop, and say which runs were not tried
            log.exception("heron server: bulk %s failed on run %s", body.action, run_id)
            failed.append(_failure(run_id, 500, "the server failed on this run; see its log"))
            failed.extend(
                _failure(rest, 500, f"not tried: the server failed on run {run_id} first")
                for rest in pending[i + 1 :]
            )
            break
        answer["done"] += 1
        state.hub.run_changed(info.id, info.project, info.state)
    return answer


def _check_bulk(body: BulkRuns) -> None:
    """Refuse a malformed bulk call before anything is read or changed."""
    if (body.ids is None) == (body.filter is None):
        raise InvalidInput(
            'give either "ids" or "filter" (a filter, or "" for every run of the project), not both'
        )
    if body.action == "delete":
        if body.tags:
            raise InvalidInput('"tags" goes with add_tags and remove_tags, not with delete')
        return
    if not body.tags:
        raise InvalidInput(f'{body.action} needs at least one tag in "tags"')
    if body.force:
        raise InvalidInput('"force" goes with delete (of running runs), not with tags')
    for tag in body.tags:
        check_tag(tag)


def _bulk_targets(
    state: ServerState, project: str, body: BulkRuns, limit: int
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """The runs a bulk call acts on (id -> state, in order) and the ids it cannot."""
    exclude = set(body.exclude)
    failed: list[dict[str, Any]] = []
    targets: dict[str, str] = {}
    if body.filter is not None:
        # one read of ids and states, at most `limit` past the exclusions (+1 to notice more)
        table = state.store.runs_table(
            project, body.filter.strip() or None, (), (), limit + len(exclude) + 1, 0
        )
        for run_id, run_state in zip(table.ids, table.states, strict=True):
            if run_id not in exclude:
                targets[run_id] = run_state
        if len(targets) > limit:
            raise InvalidInput(
                f"the filter matches {table.total:,} runs ({len(exclude):,} excluded); one "
                f"bulk call changes at most {limit:,}: narrow the filter and repeat"
            )
        return targets, failed
    assert body.ids is not None
    ids = [run_id for run_id in dict.fromkeys(body.ids) if run_id not in exclude]
    if len(ids) > limit:
        raise InvalidInput(
            f"{len(ids):,} runs given; one bulk call changes at most {limit:,}: "
            "split them into several calls"
        )
    for run_id in ids:
        try:
            info = state.store.get_run(run_id)
        except HeronError as e:
            failed.append(_failure(run_id, e.status_code, e.message))
            continue
        if info.project != project:
            detail = f"run {run_id} is in project {info.project!r}, not {project!r}"
            failed.append(_failure(run_id, 404, detail))
            continue
        targets[run_id] = info.state
    return targets, failed


def _failure(run_id: str, status: int, detail: str) -> dict[str, Any]:
    return {"id": run_id, "status": status, "detail": detail}


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
