"""A run's console output: pages of lines for the UI and clients, and the whole log as
a plain-text download, streamed page by page (a run may have printed millions of lines).

Live: the ingest route announces a batch that added lines as a ``console`` event
(docs/rest-api.md); clients then ask again from their last line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from heron import wire
from heron.errors import InvalidInput
from heron.server.state import ServerState, server_state
from heron.store.base import CONSOLE_PAGE_MAX, Store

router = APIRouter(tags=["logs"])
State = Annotated[ServerState, Depends(server_state)]
_DOWNLOAD_PAGE = 5000  # lines read per query while streaming the download


@router.get("/runs/{run_id}/console", summary="Lines a run printed, in order")
def console(
    state: State,
    run_id: str,
    after: Annotated[int, Query(ge=0, description="Lines numbered above this one.")] = 0,
    limit: Annotated[int, Query(ge=0, le=CONSOLE_PAGE_MAX)] = 1000,
    tail: Annotated[
        int | None, Query(ge=0, le=CONSOLE_PAGE_MAX, description="The last N lines instead.")
    ] = None,
) -> dict[str, Any]:
    if tail is not None:
        if after:
            raise InvalidInput("give either after or tail, not both")
        total = state.store.console(run_id, 0, 0).total
        after, limit = max(0, total - tail), tail
    return wire.console_to_json(state.store.console(run_id, after, limit))


@router.get(
    "/runs/{run_id}/console.txt",
    summary="Download everything a run printed, as plain text",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/plain": {}}}},
)
def console_text(state: State, run_id: str) -> StreamingResponse:
    state.store.console(run_id, 0, 0)  # NotFound now, not in the middle of a stream
    return StreamingResponse(
        _lines(state.store, run_id),
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{run_id}-console.log"'},
    )


def _lines(store: Store, run_id: str) -> Iterator[bytes]:
    after = 0
    while True:
        page = store.console(run_id, after, _DOWNLOAD_PAGE)
        if not page.lines:
            return
        yield "".join(line.text + "\n" for line in page.lines).encode("utf-8", "replace")
        after = page.lines[-1].line
