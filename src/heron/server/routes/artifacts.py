"""Run files and artifact versions, and downloads of their files.

A download names a path; the path is validated (``check_artifact_path``) and looked
up in the run's or the version's file list, and only the blob recorded there is
streamed. No client-supplied path or URI is ever opened.
"""

from __future__ import annotations

import posixpath
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from heron import wire
from heron.errors import NotFound
from heron.keys import check_artifact_path
from heron.server.routes.blobs import stream_blob
from heron.server.state import ServerState, server_state
from heron.store.base import FileEntry

router = APIRouter(tags=["artifacts"])
State = Annotated[ServerState, Depends(server_state)]


@router.get("/runs/{run_id}/files", summary="A run's own files")
def run_files(state: State, run_id: str) -> list[dict[str, Any]]:
    return [wire.file_to_json(f) for f in state.store.run_files(run_id)]


@router.get("/runs/{run_id}/files/{path:path}", summary="Download one of a run's files")
def run_file(state: State, run_id: str, path: str) -> StreamingResponse:
    wanted = check_artifact_path(path)
    entry = _find(state.store.run_files(run_id), wanted, f"run {run_id}")
    return stream_blob(state, entry.digest, posixpath.basename(entry.path))


@router.get("/runs/{run_id}/artifacts", summary="Artifact versions a run produced or used")
def run_artifacts(
    state: State, run_id: str, produced: bool = True, used: bool = True
) -> list[dict[str, Any]]:
    state.store.get_run(run_id)  # NotFound for an unknown run, not an empty list
    found: dict[int, Any] = {}
    if produced:
        found.update((a.id, a) for a in state.store.artifacts(created_by=run_id))
    if used:
        found.update((a.id, a) for a in state.store.artifacts(used_by=run_id))
    return [wire.artifact_to_json(a) for _, a in sorted(found.items())]


@router.get("/artifacts", summary="Search artifact versions")
def list_artifacts(
    state: State,
    project: str | None = None,
    name: str | None = None,
    created_by: str | None = None,
    used_by: str | None = None,
) -> list[dict[str, Any]]:
    found = state.store.artifacts(project, created_by=created_by, used_by=used_by, name=name)
    return [wire.artifact_to_json(a) for a in found]


@router.get("/artifacts/{version_id}", summary="One artifact version")
def get_artifact(state: State, version_id: int) -> dict[str, Any]:
    return wire.artifact_to_json(state.store.artifact_by_id(version_id))


@router.get("/projects/{project}/artifacts/{ref}", summary="Resolve name, name:vN, name:alias")
def resolve_artifact(state: State, project: str, ref: str) -> dict[str, Any]:
    return wire.artifact_to_json(state.store.artifact(project, ref))


@router.get("/artifacts/{version_id}/files/{path:path}", summary="Download a file of a version")
def artifact_file(state: State, version_id: int, path: str) -> StreamingResponse:
    wanted = check_artifact_path(path)
    version = state.store.artifact_by_id(version_id)
    entry = _find(version.files, wanted, f"artifact {version.ref}")
    return stream_blob(state, entry.digest, posixpath.basename(entry.path))


def _find(files: Any, path: str, owner: str) -> FileEntry:
    for entry in files:
        if entry.path == path:
            return entry  # type: ignore[no-any-return]
    raise NotFound(f"{owner} has no file {path!r}")
