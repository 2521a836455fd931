"""Live events: ``GET /events?project=|run=``, a Server-Sent Events stream."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from heron.errors import NotFound
from heron.server.problems import PROBLEMS
from heron.server.state import ServerState, State

router = APIRouter(tags=["events"], responses=PROBLEMS)


@router.get(
    "/events",
    summary="Server-Sent Events: run and points notifications",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "`event: run|points|console` with a JSON `data:` line each "
            "(docs/rest-api.md), and a `: ping` comment every 15 s.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def events(
    state: State, project: str | None = None, run: str | None = None
) -> StreamingResponse:
    await run_in_threadpool(_authorize, state, project, run)
    sub = state.hub.subscribe(project, run)
    return StreamingResponse(
        state.hub.stream(sub, state.ping_seconds),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _authorize(state: ServerState, project: str | None, run: str | None) -> None:
    """The caller may read what it listens to (no project: every project's events; a
    run that has not started yet: only who may read every project, since it may start
    in any)."""
    if run is None:
        state.tracking.reads(project)
        return
    try:
        state.tracking.run_reads(run)
    except NotFound:
        state.tracking.reads(None)
