"""MLflow's artifact proxy (``/api/2.0/mlflow-artifacts/artifacts/...``) and
``/api/2.0/mlflow/artifacts/list``, over a run's own files.

A run's ``artifact_uri`` is ``mlflow-artifacts:/<project>/<run id>/artifacts``; the
client turns it into these routes. An upload is streamed to a temporary file, stored
as a content-addressed blob and recorded as the run's file at that path (a path
uploaded again replaces its entry), through ``Tracking.ingest``. Only run artifact
paths exist: anything else under the proxy is RESOURCE_DOES_NOT_EXIST.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from heron.artifacts.digest import CHUNK_SIZE
from heron.errors import NotFound, UnsafePath
from heron.keys import check_artifact_path
from heron.server.mlflow import model
from heron.server.mlflow.errors import (
    NOT_IMPLEMENTED,
    RESOURCE_DOES_NOT_EXIST,
    MlflowError,
    answer_error,
    invalid,
    not_implemented,
)
from heron.server.mlflow.params import Params, endpoint, json_answer
from heron.server.state import ServerState, State
from heron.store.base import FileEntry, RunInfo
from heron.store.checks import RUN_ID

router = APIRouter()
PROXY = "/api/2.0/mlflow-artifacts"


def _locate(state: ServerState, path: str, action: str) -> tuple[RunInfo, str]:
    """The run and the file path (``""``: the run's root) that a proxy path names:
    ``<project>/<run id>/artifacts[/<path>]``."""
    parts = path.strip("/").split("/", 3)
    if len(parts) < 3 or parts[2] != "artifacts" or not RUN_ID.match(parts[1]):
        raise MlflowError(
            RESOURCE_DOES_NOT_EXIST,
            f"No artifact at {path!r}: Heron serves run artifacts only "
            "(<experiment>/<run id>/artifacts/<path>)",
        )
    project, run_id = parts[0], parts[1]
    try:
        info = state.tracking.get_run(run_id)
    except NotFound:
        raise MlflowError(RESOURCE_DOES_NOT_EXIST, f"Run '{run_id}' not found") from None
    if info.project != project:
        raise MlflowError(
            RESOURCE_DOES_NOT_EXIST, f"Run '{run_id}' is not in experiment {project!r}"
        )
    state.tracking.authorize("write" if action == "write" else "read", info.project)
    inner = parts[3] if len(parts) > 3 else ""
    if inner.strip("/"):
        try:
            inner = check_artifact_path(inner)
        except UnsafePath as e:
            raise invalid(e.message) from None
    return info, inner.strip("/")


def list_entries(files: list[FileEntry], folder: str) -> list[dict[str, Any]]:
    """The files and folders directly inside ``folder`` (``""``: the root), with paths
    relative to the root, folders first implied by deeper files."""
    prefix = f"{folder}/" if folder else ""
    dirs: set[str] = set()
    out: list[dict[str, Any]] = []
    for f in files:
        if not f.path.startswith(prefix) or f.path == folder:
            continue
        rest = f.path[len(prefix) :]
        head, sep, _ = rest.partition("/")
        if sep:
            dirs.add(prefix + head)
        else:
            out.append({"path": f.path, "is_dir": False, "file_size": f.size})
    out.extend({"path": d, "is_dir": True} for d in dirs)
    out.sort(key=lambda e: e["path"])
    return out


def _list(state: ServerState, path: str) -> dict[str, Any]:
    info, folder = _locate(state, path, "read")
    files = state.tracking.run_reads(info.id).run_files(info.id)
    entries = list_entries(files, folder)
    base = f"{folder}/" if folder else ""
    for entry in entries:  # the proxy answers names relative to the folder listed
        entry["path"] = entry["path"][len(base) :]
    return {"files": entries}


async def list_artifacts(request: Request, state: State) -> Response:
    try:
        path = request.query_params.get("path", "")
        body = await run_in_threadpool(_list, state, path)
    except Exception as exc:
        return answer_error(exc)
    return json_answer(body)


def _find(state: ServerState, path: str) -> FileEntry:
    info, inner = _locate(state, path, "read")
    for entry in state.tracking.run_reads(info.id).run_files(info.id):
        if entry.path == inner:
            return entry
    raise MlflowError(RESOURCE_DOES_NOT_EXIST, f"No artifact {inner!r} in run {info.id}")


async def download_artifact(request: Request, state: State, artifact_path: str) -> Response:
    try:
        entry = await run_in_threadpool(_find, state, artifact_path)
        stream = await run_in_threadpool(state.artifacts.open, entry.digest)
    except Exception as exc:
        return answer_error(exc)

    def chunks() -> Iterator[bytes]:
        with stream:
            while block := stream.read(CHUNK_SIZE):
                yield block

    headers = {"Content-Length": str(entry.size)}
    return StreamingResponse(chunks(), media_type="application/octet-stream", headers=headers)


async def upload_artifact(request: Request, state: State, artifact_path: str) -> Response:
    try:
        info, inner = await run_in_threadpool(_locate, state, artifact_path, "write")
        if not inner:
            raise invalid("an upload names a file path under the run's artifacts")
        fd, name = tempfile.mkstemp(prefix="heron-mlflow-", suffix=".part")
        temp = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                async for block in request.stream():
                    await run_in_threadpool(out.write, block)
            await run_in_threadpool(_record, state, info, inner, temp)
        finally:
            temp.unlink(missing_ok=True)
    except Exception as exc:
        return answer_error(exc)
    return json_answer({})


def _record(state: ServerState, info: RunInfo, path: str, temp: Path) -> None:
    blob = state.artifacts.put_file(temp)
    event = {
        "type": "file",
        "file": {"path": path, "digest": blob.digest, "size": blob.size},
        "time": model.now(),
    }
    model.write(state.tracking, info.id, [event])  # type: ignore[list-item]


async def delete_artifact(request: Request, artifact_path: str) -> Response:
    return answer_error(not_implemented("deleting an artifact"))


# MLflow's own words for a store without multipart uploads: on this message the client
# (MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD set) falls back to one PUT of the whole file.
MULTIPART_UNSUPPORTED = "Multipart upload is not supported for the current artifact repository"


async def multipart(request: Request, state: State, artifact_path: str) -> Response:
    """``mpu/create``, ``mpu/complete``, ``mpu/abort``: the path checked and authorised
    like an upload, then answered as MLflow's server answers for a store without
    multipart uploads (NOT_IMPLEMENTED with its message), so the client uploads the file
    in one PUT."""
    try:
        await run_in_threadpool(_locate, state, artifact_path, "write")
    except Exception as exc:
        return answer_error(exc)
    return answer_error(MlflowError(NOT_IMPLEMENTED, MULTIPART_UNSUPPORTED))


router.add_api_route(f"{PROXY}/artifacts", list_artifacts, methods=["GET"], include_in_schema=False)
for _method, _handler in (
    ("GET", download_artifact),
    ("PUT", upload_artifact),
    ("DELETE", delete_artifact),
):
    router.add_api_route(
        f"{PROXY}/artifacts/{{artifact_path:path}}",
        _handler,
        methods=[_method],
        include_in_schema=False,
    )
for _kind in ("create", "complete", "abort"):
    router.add_api_route(
        f"{PROXY}/mpu/{_kind}/{{artifact_path:path}}",
        multipart,
        methods=["POST"],
        include_in_schema=False,
    )


@endpoint(router, "GET", "/artifacts/list")
def list_run_artifacts(state: ServerState, params: Params) -> dict[str, Any]:
    run_id = params.opt_text("run_id") or params.text("run_uuid")
    if not RUN_ID.match(run_id):
        raise MlflowError(RESOURCE_DOES_NOT_EXIST, f"Run '{run_id}' not found")
    info = state.tracking.get_run(run_id)
    folder = (params.opt_text("path") or "").strip("/")
    files = state.tracking.run_reads(run_id).run_files(run_id)
    return {"root_uri": model.artifact_uri(info), "files": list_entries(files, folder)}
