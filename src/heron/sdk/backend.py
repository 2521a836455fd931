"""Where a run's records go. ``Run`` and ``heron.init`` talk to a :class:`Backend` and
never ask which one they have: each backend answers for itself.

- :class:`EmbeddedBackend` (the default: a store folder's SQLite): the store is
  opened on first use, which for a new run is the shipper's first pass, in its
  thread. ``heron.init`` returns without importing SQLAlchemy, the migration check
  or the rules layer; the run is created by its spool's ``create`` record (as on a
  server), named here. The store is opened at ``init`` only for the folder's first
  run (it is made then), when dead spools wait to be shipped, or for a resume.
- :class:`LocalBackend`: a store opened in this process (a folder's SQLite, or a
  database URL), written through the rules layer (:class:`heron.service.Tracking`:
  ingest frees the blobs checkpoint retention left, and so on). A new run is created
  in the store at once; dead spools are recovered at once.
- :class:`RemoteBackend`: a ``heron server`` over HTTP (``heron.remote``). A new run is
  provisional until its spool's ``create`` record ships, so training starts while the
  server is unreachable; blobs are staged locally and uploaded ahead of the batch that
  references them; dead spools are recovered on a background thread.
- :class:`NullBackend`: ``HERON_MODE=disabled``: a run that records nothing.

:func:`open_backend` opens the one the settings name (``heron.connect`` decides where
the store is). The shipper delivers spool batches to ``ingest``, exactly once by
``Batch.seq``. No backend imports server code.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast, runtime_checkable

from heron.artifacts.base import ArtifactStore, BlobInfo
from heron.connect import Connection, connect, locate
from heron.errors import HeronError, NotFound, StoreError, Unavailable
from heron.ids import default_run_name
from heron.local_dir import LocalDir, try_lock
from heron.sdk.recovery import recover_all, recover_spool, spool_target, write_spool_target
from heron.sdk.spool import SpoolWriter, iter_spools
from heron.settings import Settings
from heron.store.base import (
    ArtifactVersion,
    Batch,
    IngestResult,
    RunInfo,
    RunSpec,
    RunStore,
    Store,
)
from heron.store.events import Event

if TYPE_CHECKING:
    from heron.alerts import Alerts
    from heron.artifacts.local import LocalArtifactStore
    from heron.remote import RemoteArtifactStore
    from heron.service import Tracking
    from heron.store.sql import SqlStore

log = logging.getLogger("heron.recovery")


@runtime_checkable
class Backend(Protocol):
    """The SDK's view of a store: local, remote, or none.

    Attributes: ``folder`` holds the spools (``spool/<run id>/``) and caches of the
    runs written here; ``location`` is where their records are stored, as
    :func:`heron.connect.connect` takes it (a folder, a server's or a database URL;
    None when nothing is stored); ``spool_target`` is what a spool of this backend
    records as its target (a server URL; None: the local store); ``online``: a
    shipper delivers while the run goes (else the spool waits for ``heron sync``);
    ``records``: capturing the environment, system metrics and the console is worth
    it; ``resumes``: a run can be continued.
    """

    @property
    def folder(self) -> LocalDir: ...

    @property
    def location(self) -> str | None: ...

    @property
    def spool_target(self) -> str | None: ...

    @property
    def online(self) -> bool: ...

    @property
    def records(self) -> bool: ...

    @property
    def resumes(self) -> bool: ...

    def start_run(self, spec: RunSpec) -> RunInfo:
        """The info of a new run: created in the store now, or provisional (created
        by the spool's ``create`` record when it ships). Names the run if the spec
        does not and the store cannot."""
        ...

    def open_spool(self, run_id: str, first_segment: int = 0) -> SpoolWriter:
        """The run's spool writer, in ``folder.spool``."""
        ...

    def recover_dead(self) -> None:
        """Ship what dead processes left in this backend's spools (now, or in the
        background when the store may be unreachable). Never raises for a bad spool:
        it is kept, and a warning says which."""
        ...

    def recover_run(self, run_id: str) -> RunInfo:
        """Before resuming ``run_id``: ship what its dead process left, then its info."""
        ...

    def get_run(self, run_id: str) -> RunInfo: ...

    def find_resumable(self, project: str, resume_key: str) -> RunInfo | None: ...

    def ingest(self, batch: Batch) -> IngestResult: ...

    def heartbeat(self, run_id: str, at: float) -> None: ...

    def mark_crashed(self, run_id: str, at: float, reason: str) -> None: ...

    def put_blob(self, path: Path) -> BlobInfo:
        """Store a file's bytes (content-addressed) before its record is spooled."""
        ...

    def resolve_artifact(self, project: str, ref: str) -> ArtifactVersion: ...

    def download_artifact(self, version: ArtifactVersion, dest: Path) -> Path:
        """Write the version's files into ``dest``; the file itself for a version
        logged from a single file, else ``dest``."""
        ...

    def close(self) -> None: ...


def open_backend(settings: Settings) -> Backend:
    """The backend ``settings`` name: none (``mode`` disabled), else the store
    :func:`heron.connect.connect` finds (argument > HERON_URL > HERON_DIR), with the
    spools in its folder (or in ``settings.dir`` for a server or a database)."""
    if settings.mode == "disabled":
        return NullBackend(LocalDir.at(tempfile.mkdtemp(prefix="heron-disabled-")))
    location = locate(settings=settings)
    if location.folder is not None and settings.mode == "online":
        # The embedded store, opened when first needed. Offline, a run is still
        # created in the store at once (only its records wait for `heron sync`).
        return EmbeddedBackend(location.folder, settings)
    conn = connect(settings=settings, create=True)
    try:
        return backend_for(conn, conn.folder or LocalDir.at(settings.dir), settings.mode)
    except BaseException:
        conn.close()
        raise


def backend_for(conn: Connection, folder: LocalDir, mode: str = "online") -> Backend:
    """A backend over an open connection (closed with the backend), its spools in
    ``folder``. ``mode`` ``offline``: nothing ships until ``heron sync``."""
    if conn.remote:
        from heron.remote import RemoteArtifactStore, RemoteStore

        assert isinstance(conn.store, RemoteStore) and isinstance(conn.blobs, RemoteArtifactStore)
        return RemoteBackend(
            folder, conn.store, conn.blobs, online=mode == "online", on_close=conn.close
        )
    store, blobs = conn.maintenance()  # in this process: the whole store
    return LocalBackend(
        folder,
        store,
        blobs,
        online=mode == "online",
        location=str(conn.location),
        on_close=conn.close,
        alerts=_alerts(store, conn.settings),
    )


def _alerts(store: Store, settings: Settings) -> Alerts | None:
    """The alert rules of a database this process writes (heron.alerts), opened
    when a batch has something for them (:class:`AlertsOnDemand`)."""
    from heron.store.sql import SqlStore

    if not isinstance(store, SqlStore):
        return None
    return cast("Alerts", AlertsOnDemand(store, settings))


# As heron.alerts.engine.RULES_TTL_SECONDS: how soon another process's new rule applies.
_RULES_TTL_SECONDS = 5.0


class AlertsOnDemand:
    """:class:`heron.alerts.Alerts` for a training process, opened on first need.

    ``heron.alerts`` (its engine, the webhook and SMTP delivery, the egress policy)
    costs a training process about 1 MiB and 20 ms of its shipper's CPU, and most
    runs' projects have no alert rule. Until a batch carries a ``run.alert`` or its
    project has an enabled rule (one indexed query, its answer kept as long as the
    engine keeps a project's rules), nothing of it is imported; then the real
    ``Alerts`` is opened and everything goes to it, exactly as if it had been
    opened at once (``watch`` answers None in both cases before).
    """

    def __init__(self, store: SqlStore, settings: Settings) -> None:
        self._store = store
        self._settings = settings
        self._opened: Alerts | None = None
        self._lock = threading.Lock()
        self._checked: dict[str, float] = {}  # project -> when it had no rule

    def __repr__(self) -> str:
        return f"AlertsOnDemand({self._store!r}, opened={self._opened is not None})"

    def opened(self) -> Alerts:
        with self._lock:
            if self._opened is None:
                from heron.alerts import open_alerts

                self._opened = open_alerts(self._store, self._settings)
            return self._opened

    def _needed(self, project: str) -> bool:
        """Whether ``project`` has an enabled rule (or the engine is open already)."""
        if self._opened is not None:
            return True
        now = time.monotonic()
        checked = self._checked.get(project)
        if checked is not None and now - checked < _RULES_TTL_SECONDS:
            return False
        from sqlalchemy import select

        from heron.store import schema as s

        rules = s.alert_rules.c
        query = select(rules.id).where(rules.project == project, rules.enabled.is_(True)).limit(1)
        if self._store.transactor.read(lambda conn: conn.execute(query).first()) is not None:
            return True
        if len(self._checked) >= 10_000:
            self._checked.clear()
        self._checked[project] = now
        return False

    def watch(self, batch: Batch, project: str) -> object:
        spoken = any(
            isinstance(event, dict) and event.get("type") == "alert" for event in batch.events
        )
        if not spoken and not self._needed(project):
            return None
        return self.opened().watch(batch, project)

    def run_ended(self, project: str, run_id: str, state: str, reason: str | None) -> list[object]:
        if not self._needed(project):
            return []
        return list(self.opened().run_ended(project, run_id, state, reason))

    def forget(self, project: str) -> None:
        self._checked.pop(project, None)
        if self._opened is not None:
            self._opened.forget(project)

    def close(self, timeout: float | None = 30.0) -> None:
        if self._opened is not None:
            self._opened.close(timeout)

    def wait(self, timeout: float | None = None) -> bool:
        return True if self._opened is None else self._opened.wait(timeout)

    def __getattr__(self, name: str) -> object:
        # Anything else (rules, group holds of a sweep driven in this process): the
        # real engine, opened now.
        return getattr(self.opened(), name)


def _spool_writer(folder: LocalDir, run_id: str, first_segment: int) -> SpoolWriter:
    return SpoolWriter(folder.spool / run_id, first_segment=first_segment)


def _recover_run(backend: Backend, run_id: str) -> RunInfo:
    spool = backend.folder.spool / run_id
    if spool.exists():
        recover_spool(spool, backend)
    return backend.get_run(run_id)


def _warn_failed(backend: Backend) -> None:
    for failure in recover_all(backend.folder.spool, backend).failed:
        log.warning("heron: %s", failure.reason)


class LocalBackend:
    """A store in this process (a folder's SQLite or a database URL), written through
    :class:`heron.service.Tracking`; blobs in ``blobs``. ``on_close`` releases what
    the backend was opened with (the connection)."""

    spool_target = None
    records = True
    resumes = True

    def __init__(
        self,
        folder: LocalDir,
        store: Store,
        blobs: ArtifactStore,
        *,
        online: bool = True,
        location: str | None = None,
        on_close: Callable[[], None] | None = None,
        alerts: Alerts | None = None,
    ) -> None:
        from heron.service import Tracking

        self.folder = folder.create()
        self.store = store
        self.blobs = blobs
        self.tracking: Tracking = Tracking(store, blobs, alerts=alerts)
        self.online = online
        self.location = location if location is not None else str(folder.root)
        self._on_close = on_close

    def __repr__(self) -> str:
        return f"LocalBackend({self.location})"

    def start_run(self, spec: RunSpec) -> RunInfo:
        return self.tracking.create_run(spec)

    def open_spool(self, run_id: str, first_segment: int = 0) -> SpoolWriter:
        return _spool_writer(self.folder, run_id, first_segment)

    def recover_dead(self) -> None:
        _warn_failed(self)

    def recover_run(self, run_id: str) -> RunInfo:
        return _recover_run(self, run_id)

    def get_run(self, run_id: str) -> RunInfo:
        return self.tracking.get_run(run_id)

    def find_resumable(self, project: str, resume_key: str) -> RunInfo | None:
        return self.tracking.reads(project).find_resumable(project, resume_key)

    def ingest(self, batch: Batch) -> IngestResult:
        return self.tracking.ingest(batch)  # and frees what checkpoint retention left

    def heartbeat(self, run_id: str, at: float) -> None:
        self.tracking.heartbeat(run_id, at)

    def mark_crashed(self, run_id: str, at: float, reason: str) -> None:
        self.tracking.mark_crashed(run_id, at, reason)

    def put_blob(self, path: Path) -> BlobInfo:
        return self.blobs.put_file(path)

    def resolve_artifact(self, project: str, ref: str) -> ArtifactVersion:
        return self.tracking.reads(project).artifact(project, ref)

    def download_artifact(self, version: ArtifactVersion, dest: Path) -> Path:
        from heron.artifacts.files import materialize_version

        return materialize_version(version, self.blobs, dest)

    def close(self) -> None:
        if self.tracking.alerts is not None:  # its deliveries finish first
            self.tracking.alerts.close()
        if self._on_close is not None:
            self._on_close()


def dead_spools(spool_root: Path) -> bool:
    """Whether ``spool_root`` holds a local store's spool whose writer is gone (what
    ``recover_dead`` would ship), told without opening the store. A spool without a
    segment is left alone: it holds nothing, and it may be a writer's that is just
    starting (its lock file is made, then locked): taking that lock even for a moment
    would make the writer fail."""
    for folder in iter_spools(spool_root):
        try:
            if spool_target(folder) is not None or not any(folder.glob("seg-*")):
                continue  # a server's (its own backend recovers it), or nothing in it
            fd = try_lock(folder)
        except Exception:  # unreadable: recovery reports it
            return True
        if fd is not None:
            os.close(fd)
            return True
    return False


def _release_freed_heap() -> None:
    """Hand the C heap's free pages back to the system (glibc's ``malloc_trim``).

    Opening the embedded store imports SQLAlchemy, numpy and the store's modules in
    the shipper's thread: their loading frees as much as it keeps, in that thread's
    own malloc arena, which glibc does not trim by itself. Trimming once, there, cut
    the client's peak RSS by about 1.6 MiB (docs/benchmarks.md, (s)). Elsewhere
    (another C library, no ``malloc_trim``) nothing is done.
    """
    try:
        import ctypes

        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim.argtypes = [ctypes.c_size_t]
    trim(0)


class StoreRefused(StoreError):
    """The embedded store could not be opened (a database of a newer Heron, a damaged
    file): retrying in this process cannot help, so a shipper stops at once (a 4xx
    class) and the records stay in the spool for ``heron sync``."""

    status_code = 409


class EmbeddedBackend:
    """A store folder's SQLite (``heron-runs/``), opened on first use: by the shipper's
    first pass for a new run (in its thread), at once for the folder's first run, a
    resume, or when dead spools wait to be shipped. Until then ``heron.init`` has imported neither
    SQLAlchemy nor the rules layer: a new run is provisional (named here, created
    by its spool's ``create`` record when it ships, as on a server).

    Opening the store can fail only in the background for a new run (a database of
    a newer Heron, a corrupt file): the shipper then retries as for any store that
    fails (``heron.shipper`` warns), the records stay in the spool, and ``run.flush``
    answers False; ``heron sync`` ships them once the cause is fixed
    (docs/failures.md, "What heron.init checks")."""

    spool_target = None
    records = True
    resumes = True

    online = True

    def __init__(self, folder: LocalDir, settings: Settings) -> None:
        self.folder = folder.create()  # a file in the way, a read-only disk: StoreError now
        self.location = str(folder.root)
        self._settings = settings
        self._local: LocalBackend | None = None
        self._blobs: ArtifactStore | None = None  # the blob store alone (put_blob)
        self._lock = threading.Lock()
        self._pending: dict[str, RunSpec] = {}  # started here, maybe not shipped yet

    def __repr__(self) -> str:
        return f"EmbeddedBackend({self.location})"

    @property
    def opened(self) -> bool:
        """Whether the store has been opened (tests, benchmarks)."""
        return self._local is not None

    def local(self) -> LocalBackend:
        """The store, opened now if it was not yet (thread-safe)."""
        local = self._local
        if local is not None:
            return local
        with self._lock:
            if self._local is None:
                try:
                    conn = connect(self.folder.root, settings=self._settings, create=True)
                except HeronError as exc:
                    if isinstance(exc, Unavailable):
                        raise
                    raise StoreRefused(
                        f"cannot open the store at {self.folder.root}: {exc.message}. What "
                        "runs write is kept in their spools there; `heron sync` ships it "
                        "once the store opens"
                    ) from exc
                try:
                    opened = backend_for(conn, self.folder)
                except BaseException:
                    conn.close()
                    raise
                assert isinstance(opened, LocalBackend)
                self._local = opened
                _release_freed_heap()
            return self._local

    def start_run(self, spec: RunSpec) -> RunInfo:
        named = _named(spec)
        self._pending[named.id] = named
        return provisional_info(named)

    def open_spool(self, run_id: str, first_segment: int = 0) -> SpoolWriter:
        return _spool_writer(self.folder, run_id, first_segment)

    def recover_dead(self) -> None:
        if not self.folder.exists():
            # The folder's first run: the database is made now, so that whatever the
            # script opens next on this folder (heron.Api, the model registry) finds
            # it; made at the head revision with sqlite3 alone (store.head_schema), and
            # opened, as for a second run, by the shipper's first pass.
            self._create_database()
        if dead_spools(self.folder.spool):
            _warn_failed(self)

    def _create_database(self) -> None:
        from heron.store.head_schema import create_sqlite

        try:
            create_sqlite(self.folder.db_path)
        except sqlite3.Error:
            self.local()  # a damaged or unwritable file: say so as every open does

    def recover_run(self, run_id: str) -> RunInfo:
        return _recover_run(self, run_id)

    def get_run(self, run_id: str) -> RunInfo:
        local = self.local()
        try:
            return local.get_run(run_id)
        except NotFound:
            spec = self._pending.get(run_id)
            if spec is None:
                raise
        # Asked before its first batch shipped (``run.summary``): create it now; the
        # spool's ``create`` record is then a no-op.
        local.tracking.create_run(spec)
        return local.get_run(run_id)

    def find_resumable(self, project: str, resume_key: str) -> RunInfo | None:
        return self.local().find_resumable(project, resume_key)

    def ingest(self, batch: Batch) -> IngestResult:
        result = self.local().ingest(batch)
        self._pending.pop(batch.run_id, None)
        return result

    def heartbeat(self, run_id: str, at: float) -> None:
        self.local().heartbeat(run_id, at)

    def mark_crashed(self, run_id: str, at: float, reason: str) -> None:
        self.local().mark_crashed(run_id, at, reason)

    def put_blob(self, path: Path) -> BlobInfo:
        # The bytes go to the blob store; their record is a spool event: the SQL
        # store is not needed (init's capture saves files this way).
        if self._local is not None:
            return self._local.put_blob(path)
        with self._lock:
            if self._blobs is None:
                from heron.artifacts import open_artifact_store

                where = locate(self.folder.root, self._settings).artifacts
                self._blobs = open_artifact_store(
                    where or str(self.folder.blobs), settings=self._settings
                )
            blobs = self._blobs
        return blobs.put_file(path)

    def resolve_artifact(self, project: str, ref: str) -> ArtifactVersion:
        return self.local().resolve_artifact(project, ref)

    def download_artifact(self, version: ArtifactVersion, dest: Path) -> Path:
        return self.local().download_artifact(version, dest)

    def close(self) -> None:
        with self._lock:
            local, self._local = self._local, None
        if local is not None:
            local.close()


class RemoteBackend:
    """A ``heron server``: ``store`` and ``blobs`` speak its REST API. Blobs are staged
    in ``folder/blobs`` and uploaded by the shipper just before the batch that
    references them, so ``log_artifact`` works (and loses nothing) while the server
    is down, and never blocks on the network."""

    records = True
    resumes = True

    def __init__(
        self,
        folder: LocalDir,
        store: RunStore,
        blobs: RemoteArtifactStore,
        *,
        online: bool = True,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        from heron.artifacts.local import LocalArtifactStore

        self.folder = folder.create()
        self.store = store
        self.blobs = blobs
        self.staging: LocalArtifactStore = LocalArtifactStore(folder.blobs)
        self.online = online
        self._on_close = on_close

    def __repr__(self) -> str:
        return f"RemoteBackend({self.url})"

    @property
    def url(self) -> str:
        return self.blobs.url

    @property
    def location(self) -> str:
        return self.url

    @property
    def spool_target(self) -> str:
        return self.url

    def start_run(self, spec: RunSpec) -> RunInfo:
        return provisional_info(_named(spec))

    def open_spool(self, run_id: str, first_segment: int = 0) -> SpoolWriter:
        writer = _spool_writer(self.folder, run_id, first_segment)
        write_spool_target(writer.folder, self.url)  # `heron sync` ships it here
        return writer

    def recover_dead(self) -> None:
        if not self.online:
            return  # offline: the network is not to be used
        # In the background: the server may be down, and training must not wait.
        threading.Thread(target=self._recover_quietly, daemon=True, name="heron-recover").start()

    def _recover_quietly(self) -> None:
        try:
            _warn_failed(self)
        except Exception as exc:  # the next init or `heron sync` tries again
            log.info("heron: recovery deferred: %s", exc)

    def recover_run(self, run_id: str) -> RunInfo:
        return _recover_run(self, run_id)

    def get_run(self, run_id: str) -> RunInfo:
        return self.store.get_run(run_id)

    def find_resumable(self, project: str, resume_key: str) -> RunInfo | None:
        return self.store.find_resumable(project, resume_key)

    def ingest(self, batch: Batch) -> IngestResult:
        digests = digests_in(batch.events)
        for digest in digests:
            self._upload(digest)
        result = self.store.ingest(batch)
        for digest in digests:  # on the server now: the staged copy is not needed
            self.staging.delete(digest)
        return result

    def _upload(self, digest: str) -> None:
        if self.blobs.has(digest):
            return
        staged = self.staging.local_path(digest)
        if staged is None or not staged.exists():
            raise Unavailable(
                f"blob {digest} is neither on the server nor staged in {self.staging.root}; "
                "retrying (another process may be uploading it)"
            )
        self.blobs.put_known(staged, digest)

    def heartbeat(self, run_id: str, at: float) -> None:
        self.store.heartbeat(run_id, at)

    def mark_crashed(self, run_id: str, at: float, reason: str) -> None:
        self.store.mark_crashed(run_id, at, reason)

    def put_blob(self, path: Path) -> BlobInfo:
        return self.staging.put_file(path)

    def resolve_artifact(self, project: str, ref: str) -> ArtifactVersion:
        return self.store.artifact(project, ref)

    def download_artifact(self, version: ArtifactVersion, dest: Path) -> Path:
        from heron.artifacts.files import materialize_version

        return materialize_version(version, self.blobs, dest)

    def close(self) -> None:
        if self._on_close is not None:
            self._on_close()


def digests_in(events: list[Event]) -> list[str]:
    """Blob digests that "file", "artifact" and "media" events of a batch point at, in
    order."""
    found: dict[str, None] = {}
    for event in events:
        if event["type"] == "file":
            entries = [event["file"]]
        elif event["type"] == "artifact":
            entries = event.get("files") or []
        elif event["type"] == "media":
            own = event.get("digest")
            found.update((str(d), None) for d in [*([own] if own else []), *event.get("refs", [])])
            continue
        else:
            continue
        found.update((str(entry["digest"]), None) for entry in entries)
    return list(found)


class NullBackend:
    """``HERON_MODE=disabled``: a run that records nothing. The script's calls are
    still checked (bad keys and values raise as usual) but nothing is kept: the
    shipper empties the spool into nowhere, and ``close`` removes ``folder``."""

    location = None
    spool_target = None
    online = True  # shipped into the void, so the temporary spool stays small
    records = False
    resumes = False

    def __init__(self, folder: LocalDir) -> None:
        self.folder = folder.create()

    def __repr__(self) -> str:
        return "NullBackend()"

    def start_run(self, spec: RunSpec) -> RunInfo:
        return provisional_info(_named(spec))

    def open_spool(self, run_id: str, first_segment: int = 0) -> SpoolWriter:
        return _spool_writer(self.folder, run_id, first_segment)

    def recover_dead(self) -> None:
        pass

    def recover_run(self, run_id: str) -> RunInfo:
        return self.get_run(run_id)

    def get_run(self, run_id: str) -> RunInfo:
        raise NotFound(f"HERON_MODE=disabled: run {run_id!r} was not recorded")

    def find_resumable(self, project: str, resume_key: str) -> RunInfo | None:
        return None

    def ingest(self, batch: Batch) -> IngestResult:
        return IngestResult(seq=batch.seq, applied=True)

    def heartbeat(self, run_id: str, at: float) -> None:
        pass

    def mark_crashed(self, run_id: str, at: float, reason: str) -> None:
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
        shutil.rmtree(self.folder.root, ignore_errors=True)


def _named(spec: RunSpec) -> RunSpec:
    """A provisional run names itself: nobody else can before it ships."""
    if spec.name:
        return spec
    return replace(spec, name=default_run_name(1000 + secrets.randbelow(9000)))


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
