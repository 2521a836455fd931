"""A run's media (docs/media.md): its keys, the items of a key, and their blobs.

Every read goes through ``state.tracking.run_reads`` (the caller may read the run's
project). A blob is streamed only when the (key, step) item names its digest, as its
own blob or among its ``refs`` (a mask, a table's image cells): no client-supplied
digest is served otherwise. The answer is typed by the item's kind (``image/png``,
``audio/wav``...), so the UI can show it in an ``<img>`` or ``<audio>``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse

from heron import wire
from heron.artifacts.digest import parse_digest
from heron.errors import NotFound
from heron.keys import check_key
from heron.server.problems import PROBLEMS
from heron.server.responses import json_response
from heron.server.routes.blobs import DOWNLOAD, stream_blob
from heron.server.state import State
from heron.store.base import MEDIA_PAGE_MAX

router = APIRouter(tags=["media"], responses=PROBLEMS)
INT64 = 2**63 - 1
_CONTENT_TYPES = {
    "image": "image/png",
    "table": "application/json",
    "text": "text/plain; charset=utf-8",
    "audio": "audio/wav",
}
Step = Annotated[int, Query(ge=-INT64 - 1, le=INT64)]


@router.get(
    "/runs/{run_id}/media",
    response_model=list[wire.MediaKeyRef],
    summary="The keys a run logged media under",
)
def media_keys(state: State, run_id: str) -> Response:
    keys = state.tracking.run_reads(run_id).media_keys(run_id)
    return json_response([wire.media_key_to_json(k) for k in keys])


@router.get(
    "/runs/{run_id}/media/items",
    response_model=list[wire.MediaItemRef],
    summary="The media items of one key, in step order",
)
def media_items(
    state: State,
    run_id: str,
    key: Annotated[str, Query(max_length=256)],
    first_step: Step | None = None,
    last_step: Step | None = None,
    limit: Annotated[
        int | None,
        Query(ge=1, le=MEDIA_PAGE_MAX, description="At most this many, spread evenly."),
    ] = None,
) -> Response:
    store = state.tracking.run_reads(run_id)
    items = store.media(
        run_id, check_key(key), first_step=first_step, last_step=last_step, limit=limit
    )
    return json_response([wire.media_item_to_json(m) for m in items])


@router.get(
    "/runs/{run_id}/media/blob",
    summary="The bytes of a media item, or of a blob it names (a mask, a table's image)",
    response_class=StreamingResponse,
    responses=DOWNLOAD,
)
def media_blob(
    state: State,
    run_id: str,
    key: Annotated[str, Query(max_length=256)],
    step: Step,
    digest: Annotated[
        str | None, Query(description="A blob the item names; default its own.")
    ] = None,
) -> StreamingResponse:
    store = state.tracking.run_reads(run_id)
    found = store.media(run_id, check_key(key), first_step=step, last_step=step)
    if not found:
        raise NotFound(f"run {run_id} has no media {key!r} at step {step}")
    item = found[0]
    wanted = item.digest if digest is None else digest
    if wanted is None:
        raise NotFound(f"media {key!r} at step {step} is a {item.kind}: its data is in its meta")
    parse_digest(wanted)
    if wanted != item.digest and wanted not in item.refs:
        raise NotFound(f"media {key!r} at step {step} names no blob {wanted}")
    response = stream_blob(state, wanted)
    own = wanted == item.digest
    response.headers["content-type"] = _CONTENT_TYPES[item.kind] if own else "image/png"
    response.headers["cache-control"] = "private, max-age=31536000, immutable"
    return response
