"""Where a run's records go. ``Run`` talks to a :class:`Backend` and never asks which.

The local backend writes the embedded store in-process; the remote backend (HTTP to
``heron server``) implements the same protocol. Both receive spool batches from the
shipper, which makes delivery exactly-once through ``Batch.seq``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast, runtime_checkable

from heron.artifacts.base import ArtifactStore, BlobInfo
from heron.errors import NotFound, Unavailable
from heron.local_dir import LocalDir
from heron.store.base import (
    ArtifactVersion,
    Batch,
    Event,
    IngestResult,
    RunInfo,
    RunSpec,
    Store,
)

if TYPE_CHECKING:
    from heron.remote import RemoteArtifactStore

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


class StoreBackend:
    """A Backend over one Store and one ArtifactStore (what local and remote share)."""

    def __init__(self, store: Store, artifacts: ArtifactStore) -> None:
        self.store = store
        self.artifacts = artifacts

    def create_run(self, spec: RunSpec) -> RunInfo:
        return self.store.create_run(spec)

    def get_run(self, run_id: str) -> RunInfo:
        return self.store.get_run(run_id)

    def find_resumable(self, project: str, resume_key: str) -> RunInfo | None:
        return self.store.find_resumable(project, resume_key)

    def ingest(self, batch: Batch) -> IngestResult:
        return self.store.ingest(batch)

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


class LocalBackend(StoreBackend):
    """The embedded store: SQLite in a folder, blobs beside it."""

    def __init__(
        self, folder: LocalDir, store: Store | None = None, artifacts: ArtifactStore | None = None
    ) -> None:
        # Imported here: SQLAlchemy and friends load only when a store is opened.
        from heron.artifacts import open_artifact_store
        from heron.store import open_store

        self.folder = folder.create()
        super().__init__(
            store if store is not None else open_store(folder.db_url),
            artifacts if artifacts is not None else open_artifact_store(str(folder.blobs)),
        )

    def ingest(self, batch: Batch) -> IngestResult:
        result = self.store.ingest(batch)
        if result.orphaned:
            free_orphans(self.artifacts, result.orphaned)
        return result


class RemoteBackend(StoreBackend):
    """A ``heron server``. Blobs are staged in the local folder and uploaded by the
    shipper just before the batch that references them, so ``log_artifact`` works
    (and loses nothing) while the server is down, and never blocks on the network."""

    def __init__(self, url: str, folder: LocalDir) -> None:
        from heron.artifacts.local import LocalArtifactStore
        from heron.remote import RemoteArtifactStore, RemoteStore

        self.folder = folder.create()
        store = RemoteStore(url)
        super().__init__(store, RemoteArtifactStore(url, client=store.http))
        self.remote_artifacts = cast("RemoteArtifactStore", self.artifacts)
        self.staging = LocalArtifactStore(folder.blobs)

    @property
    def url(self) -> str:
        return self.store.url

    def put_blob(self, path: Path) -> BlobInfo:
        return self.staging.put_file(path)

    def ingest(self, batch: Batch) -> IngestResult:
        digests = digests_in(batch.events)
        for digest in digests:
            self._upload(digest)
        result = self.store.ingest(batch)
        for digest in digests:  # on the server now: the staged copy is not needed
            self.staging.delete(digest)
        return result

    def _upload(self, digest: str) -> None:
        if self.remote_artifacts.has(digest):
            return
        staged = self.staging.local_path(digest)
        if staged is None or not staged.exists():
            raise Unavailable(
                f"blob {digest} is neither on the server nor staged in {self.staging.root}; "
                "retrying (another process may be uploading it)"
            )
        self.remote_artifacts.put_known(staged, digest)


def digests_in(events: list[Event]) -> list[str]:
    """Blob digests that "file" and "artifact" events of a batch point at, in order."""
    found: dict[str, None] = {}
    for event in events:
        if event.get("type") == "file" and isinstance(event.get("file"), dict):
            found[str(event["file"].get("digest"))] = None
        elif event.get("type") == "artifact" and isinstance(event.get("files"), list):
            found.update(
                (str(f.get("digest")), None) for f in event["files"] if isinstance(f, dict)
            )
    return list(found)


def free_orphans(artifacts: ArtifactStore, digests: frozenset[str]) -> None:
    """Delete blobs that checkpoint retention left unreferenced. A blob touched
    within the grace period may be about to be referenced by another run (its put
    happened, its record is not ingested yet): ``heron gc`` frees it later."""
    cutoff = time.time() - ORPHAN_GRACE_SECONDS
    for digest in digests:
        info = artifacts.stat(digest)
        if info is not None and info.modified <= cutoff:
            artifacts.delete(digest)


class NullBackend:
    """``HERON_MODE=disabled``: a run that records nothing. The script's calls are
    still checked (bad keys and values raise as usual) but nothing is kept."""

    def __init__(self, folder: LocalDir) -> None:
        self.folder = folder.create()

    def create_run(self, spec: RunSpec) -> RunInfo:
        return provisional_info(spec)

    def get_run(self, run_id: str) -> RunInfo:
        raise NotFound(f"HERON_MODE=disabled: run {run_id!r} was not recorded")

    def find_resumable(self, project: str, resume_key: str) -> RunInfo | None:
        return None

    def ingest(self, batch: Batch) -> IngestResult:
        return IngestResult(seq=batch.seq, applied=True)

    def heartbeat(self, run_id: str, at: float) -> None:
        pass

    def put_blob(self, path: Path) -> BlobInfo:
        from heron.artifacts.digest import file_digest

        return BlobInfo(file_digest(path), path.stat().st_size, time.time())

    def resolve_artifact(self, project: str, ref: str) -> ArtifactVersion:
        raise NotFound(
            f"HERON_MODE=disabled: artifacts are not available ({ref!r}); "
            "unset HERON_MODE to use them"
        )

    def download_artifact(self, version: ArtifactVersion, dest: Path) -> Path:
        raise NotFound("HERON_MODE=disabled: artifacts are not available")

    def close(self) -> None:
        import shutil

        shutil.rmtree(self.folder.root, ignore_errors=True)


def provisional_info(spec: RunSpec) -> RunInfo:
    """What a run looks like before the store has seen it (remote and disabled runs)."""
    return RunInfo(
        id=spec.id,
        project=spec.project,
        name=spec.name or spec.id,
        group=spec.group,
        state="running",
        tags=tuple(spec.tags),
        notes=spec.notes,
        config=dict(spec.config),
        system=dict(spec.system),
        metrics={},
        summary_overrides={},
        created_at=spec.created_at or time.time(),
        ended_at=None,
        heartbeat_at=None,
        error=None,
        traceback=None,
        last_step=None,
        ingested_seq=0,
    )
