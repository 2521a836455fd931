"""Batch ingest: the SDK's remote backend ships spool batches here, exactly once."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from heron import wire
from heron.errors import InvalidInput
from heron.sdk.backend import free_orphans
from heron.server.limits import gunzip
from heron.server.state import ServerState, server_state
from heron.store.base import Batch

router = APIRouter(tags=["ingest"])
State = Annotated[ServerState, Depends(server_state)]


@router.post(
    "/runs/{run_id}/batches",
    summary="Apply a spool batch (application/x-heron-batch, optionally gzip)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                wire.BATCH_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def ingest_batch(state: State, run_id: str, request: Request) -> dict[str, Any]:
    body = await request.body()  # the size limit middleware has capped it already
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip"):
        raise InvalidInput(f"Content-Encoding {encoding!r} is not supported; use gzip or none")
    return await run_in_threadpool(_ingest, state, run_id, body, encoding == "gzip")


def _ingest(state: ServerState, run_id: str, body: bytes, gzipped: bool) -> dict[str, Any]:
    if gzipped:
        body = gunzip(body, state.settings.max_request_bytes)
    batch = wire.decode_batch(body)
    if batch.run_id != run_id:
        raise InvalidInput(
            f"the batch is for run {batch.run_id!r} but was posted to run {run_id!r}"
        )
    result = state.store.ingest(batch)
    state.metrics.batches.labels("applied" if result.applied else "duplicate").inc()
    if result.orphaned:
        free_orphans(state.artifacts, result.orphaned)
    if result.applied:
        state.metrics.points.inc(batch.point_count)
        _announce(state, batch, result.seq)
    return {"seq": result.seq, "applied": result.applied}


def _announce(state: ServerState, batch: Batch, seq: int) -> None:
    kinds = {event.get("type") for event in batch.events}
    if kinds - {"console"}:  # state, config, tags...: the run's record changed
        info = state.store.get_run(batch.run_id)
        state.hub.run_changed(info.id, info.project, info.state)
    if "console" in kinds:  # printed lines: only the logs view cares
        state.hub.console(batch.run_id, _project(batch) or state.project_of(batch.run_id), seq)
    keys = [key for key, series in batch.metrics.items() if len(series)]
    if keys:
        project = _project(batch) or state.project_of(batch.run_id)
        last_step = max(int(batch.metrics[k].steps.max()) for k in keys)
        state.hub.points(batch.run_id, project, keys, last_step, seq)


def _project(batch: Batch) -> str | None:
    """The project, if the batch names it (its create event); else the store says."""
    for event in batch.events:
        spec = event.get("spec")
        if event.get("type") == "create" and isinstance(spec, dict):
            project = spec.get("project")
            return project if isinstance(project, str) else None
    return None
