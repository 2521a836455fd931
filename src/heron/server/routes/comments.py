"""Run comments: a thread per run.

Rules and limits live in :mod:`heron.service.comments` (reading needs ``read`` on the
run's project, commenting ``write``; a comment is edited by its author and deleted by
its author or a project admin); these routes translate HTTP to it and back.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from heron.server.problems import PROBLEMS
from heron.server.responses import json_response
from heron.server.state import State
from heron.service.comments import MAX_COMMENT_BYTES, Comments
from heron.service.comments import Comment as Found

router = APIRouter(tags=["comments"], responses=PROBLEMS)


class NewComment(BaseModel):
    """``body``: Markdown (no raw HTML), at most 16 KiB of UTF-8."""

    model_config = ConfigDict(extra="forbid")

    body: Annotated[str, Field(min_length=1, max_length=MAX_COMMENT_BYTES)]


class Comment(TypedDict):
    """``author``: the account that wrote it (``local`` without accounts);
    ``edited_at``: None until edited."""

    id: int
    run_id: str
    author: str
    body: str
    created_at: float
    edited_at: float | None


def _comment(c: Found) -> Comment:
    return {
        "id": c.id,
        "run_id": c.run_id,
        "author": c.author,
        "body": c.body,
        "created_at": c.created_at,
        "edited_at": c.edited_at,
    }


@router.get(
    "/runs/{run_id}/comments",
    response_model=list[Comment],
    summary="A run's comments, oldest first",
)
def list_comments(state: State, run_id: str) -> Response:
    return json_response([_comment(c) for c in Comments(state.tracking).thread(run_id)])


@router.post(
    "/runs/{run_id}/comments", response_model=Comment, status_code=201, summary="Comment on a run"
)
def add_comment(state: State, run_id: str, body: NewComment) -> Response:
    response = json_response(_comment(Comments(state.tracking).add(run_id, body.body)))
    response.status_code = 201
    return response


@router.patch(
    "/runs/{run_id}/comments/{comment_id}",
    response_model=Comment,
    summary="Edit a comment (its author)",
)
def edit_comment(state: State, run_id: str, comment_id: int, body: NewComment) -> Response:
    return json_response(_comment(Comments(state.tracking).edit(run_id, comment_id, body.body)))


@router.delete(
    "/runs/{run_id}/comments/{comment_id}",
    status_code=204,
    summary="Delete a comment (its author or a project admin)",
)
def delete_comment(state: State, run_id: str, comment_id: int) -> Response:
    Comments(state.tracking).delete(run_id, comment_id)
    return Response(status_code=204)
