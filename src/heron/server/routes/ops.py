"""Operations: liveness, readiness and Prometheus metrics (at the root, not /api/v1)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from heron.server.models import Health, Ready
from heron.server.problems import PROBLEM_TYPE, PROBLEMS, problem
from heron.server.responses import json_response
from heron.server.state import State

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, summary="The process is alive")
async def healthz() -> Response:
    alive: Health = {"status": "ok"}
    return json_response(alive)


@router.get(
    "/readyz",
    response_model=Ready,
    responses={503: PROBLEMS["5XX"]},
    summary="The store answers (503 otherwise)",
)
async def readyz(state: State) -> Response:
    try:
        await run_in_threadpool(state.store.count_runs, None, None)
    except Exception as exc:  # any failure means "not ready"; the detail stays in the log
        import logging

        logging.getLogger("heron.server").warning("heron server: not ready: %s", exc)
        body = problem(503, "Not ready", "the store does not answer", "Unavailable")
        return JSONResponse(body, 503, media_type=PROBLEM_TYPE)
    ready: Ready = {"status": "ready"}
    return json_response(ready)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
)
async def metrics(state: State) -> Response:
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
