"""Content-addressed blobs: uploads stream to a temp file while hashed, downloads stream.

The digest in the URL goes through ``parse_digest`` before anything else; an upload
whose bytes hash to something else is refused (400) and nothing is kept.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import tempfile
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Annotated, Any, BinaryIO
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from heron import wire
from heron.artifacts.digest import CHUNK_SIZE, PREFIX, parse_digest
from heron.artifacts.local import LocalArtifactStore
from heron.errors import InvalidInput, NotFound
from heron.server.problems import PROBLEMS
from heron.server.responses import json_response
from heron.server.state import ServerState, server_state

log = logging.getLogger("heron.server")
router = APIRouter(tags=["blobs"], responses=PROBLEMS)
State = Annotated[ServerState, Depends(server_state)]
DIGEST_HEADER = "X-Heron-Digest"
_BYTES = {"schema": {"type": "string", "format": "binary"}}
DOWNLOAD: dict[int | str, dict[str, Any]] = {
    200: {
        "description": f"The bytes, streamed; `{DIGEST_HEADER}` names their digest.",
        "content": {"application/octet-stream": _BYTES},
    }
}
"""The answer of every route that streams a blob, for the OpenAPI document."""


@router.head(
    "/blobs/{digest}",
    response_class=Response,
    summary="200 with the blob's size (Content-Length) and Last-Modified when stored, else 404",
)
def has_blob(state: State, digest: str) -> Response:
    parse_digest(digest)
    state.tracking.authorize_blobs("read")
    info = state.artifacts.stat(digest)
    if info is None:
        return Response(status_code=404)
    headers = {
        "Content-Length": str(info.size),
        "Last-Modified": formatdate(info.modified, usegmt=True),
        DIGEST_HEADER: digest,
    }
    return Response(status_code=200, headers=headers)


@router.put(
    "/blobs/{digest}",
    response_model=wire.Blob,
    summary="Upload a blob (raw bytes, streamed; refused unless they hash to digest)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": _BYTES},
        }
    },
)
async def put_blob(state: State, digest: str, request: Request) -> Response:
    parse_digest(digest)
    state.tracking.authorize_blobs("write")
    fd, name = tempfile.mkstemp(prefix="heron-upload-", suffix=".part")
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            got = await _receive(request, out)
        if got != digest:
            raise InvalidInput(
                f"the uploaded bytes hash to {got}, not {digest}; nothing was stored "
                "(the upload was corrupted or the digest is wrong)"
            )
        info = await run_in_threadpool(state.artifacts.put_file, path)
    finally:
        path.unlink(missing_ok=True)
    return json_response(wire.blob_to_json(info))


async def _receive(request: Request, out: BinaryIO) -> str:
    """Copy the request body to ``out`` chunk by chunk, hashing it; return its digest."""
    h = hashlib.sha256()
    pending: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        h.update(chunk)
        pending.append(chunk)
        size += len(chunk)
        if size >= CHUNK_SIZE:  # write in ~1 MiB pieces, off the event loop
            await run_in_threadpool(out.write, b"".join(pending))
            pending, size = [], 0
    if pending:
        await run_in_threadpool(out.write, b"".join(pending))
    return PREFIX + h.hexdigest()


@router.get(
    "/blobs/{digest}",
    summary="Download a blob (streamed)",
    response_class=StreamingResponse,
    responses=DOWNLOAD,
)
def get_blob(state: State, digest: str) -> StreamingResponse:
    parse_digest(digest)
    state.tracking.authorize_blobs("read")
    return stream_blob(state, digest)


def stream_blob(state: ServerState, digest: str, filename: str | None = None) -> StreamingResponse:
    """A streamed response of a stored blob, with its digest (and size, when known)."""
    headers = {DIGEST_HEADER: digest}
    if isinstance(state.artifacts, LocalArtifactStore):
        local = state.artifacts.local_path(digest)
        headers["Content-Length"] = str(_checked_size(state.artifacts.root, local, digest))
    else:  # S3: one HEAD, so clients see the size (progress bars, resumable tools)
        info = state.artifacts.stat(digest)
        if info is None:
            raise NotFound(f"blob {digest} is not in the artifact store")
        headers["Content-Length"] = str(info.size)
    stream = state.artifacts.open(digest)  # NotFound when absent
    if filename is not None:
        headers["Content-Disposition"] = content_disposition(filename)
    return StreamingResponse(
        _chunks(stream), media_type="application/octet-stream", headers=headers
    )


def content_disposition(filename: str, kind: str = "inline") -> str:
    """``kind; filename="ascii"; filename*=UTF-8''percent-encoded`` (RFC 6266, 5987):
    any file name, in an ASCII header. The plain ``filename`` is the fallback for old
    clients: non-ASCII characters, quotes, backslashes and controls become ``_``."""
    fallback = (
        "".join(c if " " <= c <= "~" and c not in '"\\%' else "_" for c in filename) or "download"
    )
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _checked_size(root: Path, local: Path, digest: str) -> int:
    """The size of a local blob that is a regular file inside its store.

    The digest is only checked at the end of a stream, too late to take back bytes
    already sent; so a blob replaced by a symlink (to a file outside the store, say)
    is refused before a byte goes out.
    """
    expected = Path(os.path.realpath(root)) / local.relative_to(root)
    try:
        st = os.lstat(local)
        inside = Path(os.path.realpath(local)) == expected
    except (FileNotFoundError, NotADirectoryError):
        raise NotFound(f"blob {digest} is not in the artifact store") from None
    if not inside or not stat.S_ISREG(st.st_mode):
        log.warning("heron server: blob %s at %s is not a regular file; refusing it", digest, local)
        raise NotFound(f"blob {digest} is not stored as a regular file; refusing to serve it")
    return st.st_size


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    with stream:
        while chunk := stream.read(CHUNK_SIZE):
            yield chunk
