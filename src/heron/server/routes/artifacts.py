"""Run files and artifact versions, and downloads of their files.

A download names a path; the path is validated (``check_artifact_path``) and looked
up in the run's or the version's file list, and only the blob recorded there is
streamed. No client-supplied path or URI is ever opened.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import StreamingResponse

from heron import wire
from heron.errors import NotFound
from heron.keys import check_artifact_path
from heron.server.problems import PROBLEMS
from heron.server.responses import json_response
from heron.server.routes.blobs import DOWNLOAD, stream_blob
from heron.server.state import ServerState, server_state
from heron.store.base import ArtifactVersion, FileEntry

router = APIRouter(tags=["artifacts"], responses=PROBLEMS)
State = Annotated[ServerState, Depends(server_state)]


@router.get("/runs/{run_id}/files", response_model=list[wire.FileRef], summary="A run's own files")
def run_files(state: State, run_id: str) -> Response:
    files = state.tracking.run_reads(run_id).run_files(run_id)
    return json_response([wire.file_to_json(f) for f in files])


@router.get(
    "/runs/{run_id}/files/{path:path}",
    summary="Download one of a run's files",
    response_class=StreamingResponse,
    responses=DOWNLOAD,
)
def run_file(state: State, run_id: str, path: str) -> StreamingResponse:
    wanted = check_artifact_path(path)
    entry = _find(state.tracking.run_reads(run_id).run_files(run_id), wanted, f"run {run_id}")
    return stream_blob(state, entry.digest, posixpath.basename(entry.path))


@router.get(
    "/runs/{run_id}/artifacts",
    response_model=list[wire.Artifact],
    summary="Artifact versions a run produced or used",
)
def run_artifacts(state: State, run_id: str, produced: bool = True, used: bool = True) -> Response:
    store = state.tracking.run_reads(run_id)  # NotFound for an unknown run, not an empty list
    found: dict[int, Any] = {}
    if produced:
        found.update((a.id, a) for a in store.artifacts(created_by=run_id))
    if used:
        found.update((a.id, a) for a in store.artifacts(used_by=run_id))
    return json_response([wire.artifact_to_json(a) for _, a in sorted(found.items())])


@router.get("/artifacts", response_model=list[wire.Artifact], summary="Search artifact versions")
def list_artifacts(
    state: State,
    project: str | None = None,
    name: str | None = None,
    created_by: str | None = None,
    used_by: str | None = None,
) -> Response:
    store = state.tracking.reads(project)
    found = store.artifacts(project, created_by=created_by, used_by=used_by, name=name)
    return json_response([wire.artifact_to_json(a) for a in found])


@router.get("/artifacts/{version_id}", response_model=wire.Artifact, summary="One artifact version")
def get_artifact(state: State, version_id: int) -> Response:
    return json_response(wire.artifact_to_json(_version(state, version_id)))


@router.get(
    "/projects/{project}/artifacts/{ref}",
    response_model=wire.Artifact,
    summary="Resolve name, name:vN, name:alias",
)
def resolve_artifact(state: State, project: str, ref: str) -> Response:
    return json_response(
        wire.artifact_to_json(state.tracking.reads(project).artifact(project, ref))
    )


@router.get(
    "/artifacts/{version_id}/files/{path:path}",
    summary="Download a file of a version",
    response_class=StreamingResponse,
    responses=DOWNLOAD,
)
def artifact_file(state: State, version_id: int, path: str) -> StreamingResponse:
    wanted = check_artifact_path(path)
    version = _version(state, version_id)
    entry = _find(version.files, wanted, f"artifact {version.ref}")
    return stream_blob(state, entry.digest, posixpath.basename(entry.path))


def _version(state: ServerState, version_id: int) -> ArtifactVersion:
    """The version, once the caller may read its project (known only once it is read,
    as for a run: see ``Tracking.get_run``)."""
    version = state.tracking.store.artifact_by_id(version_id)
    state.tracking.authorize("read", version.project)
    return version


def _find(files: Iterable[FileEntry], path: str, owner: str) -> FileEntry:
    for entry in files:
        if entry.path == path:
            return entry
    raise NotFound(f"{owner} has no file {path!r}")
