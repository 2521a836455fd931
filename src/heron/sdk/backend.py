"""Where a run's records go. ``Run`` talks to a :class:`Backend` and never asks which.

The local backend writes the embedded store in-process; a remote backend (HTTP to
``heron server``) implements the same protocol. Both receive spool batches from the
shipper, which makes delivery exactly-once through ``Batch.seq``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Protocol, runtime_checkable

from heron.artifacts.base import ArtifactStore, BlobInfo
from heron.local_dir import LocalDir
from heron.store.base import (
    ArtifactVersion,
    Batch,
    IngestResult,
    RunInfo,
    RunSpec,
    Store,
)

ORPHAN_GRACE_SECONDS = 60.0


@runtime_checkable
class Backend(Protocol):
    """The SDK's view of a store, local or remote."""

    def create_run(self, spec: RunSpec) -> RunInfo: ...

    def get_run(self, run_id: str) -> RunInfo: ...

    def find_resumable(self, project: str, resume_key: str) -> RunInfo | None: ...

    def ingest(self, batch: Batch) -> IngestResult: ...

    def heartbeat(self, run_id: str, at: float) -> None: ...

    def put_blob(self, path: Path) -> BlobInfo:
        """Store a file's bytes (content-addressed) before its record is spooled."""
        ...

    def resolve_artifact(self, project: str, ref: str) -> ArtifactVersion: ...

    def download_artifact(self, version: ArtifactVersion, dest: Path) -> Path: ...

    def close(self) -> None: ...


class LocalBackend:
    """The embedded store: SQLite in a folder, blobs beside it."""

    def __init__(
        self, folder: LocalDir, store: Store | None = None, artifacts: ArtifactStore | None = None
    ) -> None:
        # Imported here: SQLAlchemy and friends load only when a store is opened.
        from heron.artifacts import open_artifact_store
        from heron.store import open_store

        self.folder = folder.create()
        self.store = store if store is not None else open_store(folder.db_url)
        self.artifacts = (
            artifacts if artifacts is not None else open_artifact_store(str(folder.blobs))
        )

    def create_run(self, spec: RunSpec) -> RunInfo:
        return self.store.create_run(spec)

    def get_run(self, run_id: str) -> RunInfo:
        return self.store.get_run(run_id)

    def find_resumable(self, project: str, resume_key: str) -> RunInfo | None:
        return self.store.find_resumable(project, resume_key)

    def ingest(self, batch: Batch) -> IngestResult:
        result = self.store.ingest(batch)
        if result.orphaned:
            self._free(result.orphaned)
        return result

    def _free(self, digests: frozenset[str]) -> None:
        """Delete blobs that checkpoint retention left unreferenced. A blob touched
        within the grace period may be about to be referenced by another run (its put
        happened, its record is not ingested yet): ``heron gc`` frees it later."""
        cutoff = time.time() - ORPHAN_GRACE_SECONDS
        for digest in digests:
            path = self.artifacts.local_path(digest)
            if path is not None and path.exists() and path.stat().st_mtime > cutoff:
                continue
            self.artifacts.delete(digest)

    def heartbeat(self, run_id: str, at: float) -> None:
        self.store.heartbeat(run_id, at)

    def put_blob(self, path: Path) -> BlobInfo:
        return self.artifacts.put_file(path)

    def resolve_artifact(self, project: str, ref: str) -> ArtifactVersion:
        return self.store.artifact(project, ref)

    def download_artifact(self, version: ArtifactVersion, dest: Path) -> Path:
        from heron.artifacts.files import materialize

        return materialize(version.files, self.artifacts, dest)

    def close(self) -> None:
        self.store.close()
