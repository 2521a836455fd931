"""A run's console output: pages of lines for the UI and clients, and the whole log as
a plain-text download, streamed page by page (a run may have printed millions of lines).

Live: the ingest route announces a batch that added lines as a ``console`` event
(docs/rest-api.md); clients then ask again from their last line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse

from heron import wire
from heron.errors import InvalidInput
from heron.server.problems import PROBLEMS
from heron.server.responses import json_response
from heron.server.state import State
from heron.store.base import CONSOLE_PAGE_MAX, RunStore

router = APIRouter(tags=["logs"], responses=PROBLEMS)
_DOWNLOAD_PAGE = 5000  # lines read per query while streaming the download


@router.get(
    "/runs/{run_id}/console", response_model=wire.LogPage, summary="Lines a run printed, in order"
)
def console(
    state: State,
    run_id: str,
    after: Annotated[int, Query(ge=0, description="Lines numbered above this one.")] = 0,
    limit: Annotated[int, Query(ge=0, le=CONSOLE_PAGE_MAX)] = 1000,
    tail: Annotated[
        int | None, Query(ge=0, le=CONSOLE_PAGE_MAX, description="The last N lines instead.")
    ] = None,
) -> Response:
    store = state.tracking.run_reads(run_id)
    if tail is not None:
        if after:
            raise InvalidInput("give either after or tail, not both")
        total = store.console(run_id, 0, 0).total
        after, limit = max(0, total - tail), tail
    return json_response(wire.console_to_json(store.console(run_id, after, limit)))


@router.get(
    "/runs/{run_id}/console.txt",
    summary="Download everything a run printed, as plain text",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def console_text(state: State, run_id: str) -> StreamingResponse:
    store = state.tracking.run_reads(run_id)
    store.console(run_id, 0, 0)  # NotFound now, not in the middle of a stream
    return StreamingResponse(
        _lines(store, run_id),
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{run_id}-console.log"'},
    )


def _lines(store: RunStore, run_id: str) -> Iterator[bytes]:
    after = 0
    while True:
        page = store.console(run_id, after, _DOWNLOAD_PAGE)
        if not page.lines:
            return
        yield "".join(line.text + "\n" for line in page.lines).encode("utf-8", "replace")
        after = page.lines[-1].line
