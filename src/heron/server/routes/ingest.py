"""Batch ingest: the SDK's remote backend ships spool batches here, exactly once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from heron import wire
from heron.errors import InvalidInput
from heron.server.limits import gunzip
from heron.server.problems import PROBLEMS
from heron.server.responses import json_response
from heron.server.state import ServerState, server_state

router = APIRouter(tags=["ingest"], responses=PROBLEMS)
State = Annotated[ServerState, Depends(server_state)]


@router.post(
    "/runs/{run_id}/batches",
    response_model=wire.Ingested,
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
async def ingest_batch(state: State, run_id: str, request: Request) -> Response:
    body = await request.body()  # the size limit middleware has capped it already
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip"):
        raise InvalidInput(f"Content-Encoding {encoding!r} is not supported; use gzip or none")
    return await run_in_threadpool(_ingest, state, run_id, body, encoding == "gzip")


def _ingest(state: ServerState, run_id: str, body: bytes, gzipped: bool) -> Response:
    if gzipped:
        body = gunzip(body, state.settings.max_request_bytes)
    batch = wire.decode_batch(body)
    if batch.run_id != run_id:
        raise InvalidInput(
            f"the batch is for run {batch.run_id!r} but was posted to run {run_id!r}"
        )
    result = state.tracking.ingest(batch)
    state.metrics.batches.labels("applied" if result.applied else "duplicate").inc()
    if result.applied:
        state.metrics.points.inc(batch.point_count)
    return json_response(wire.ingested_to_json(result))
