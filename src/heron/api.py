"""``heron.Api``: read runs, metrics and artifacts back out of a store.

    api = heron.Api()                       # HERON_DIR, or ./heron-runs
    runs = api.runs("cifar10", filter="metrics.val/acc > 0.9", order_by="-metrics.val/acc")
    df = runs.to_pandas()                   # one row per run: config.* and summary.* columns
    h = runs[0].history(["train/loss", "val/acc"], x_axis="epoch")

Opening a store first ships what dead processes left in its spool and marks runs
whose heartbeat went stale as crashed (see :mod:`heron.sdk.recovery`), so what you
read is as complete as the store can make it.

History rows
    ``history`` joins series on (step, occurrence): the n-th point a key logged at
    step ``s`` shares a row with the n-th point every other key logged at ``s``. Keys
    logged in one ``run.log`` call therefore share a row; a repeated step (a resumed
    run, a loop logging twice) becomes a second row instead of overwriting the first.
    Rows come in log order (by the earliest wall time in the row), so out-of-order
    steps keep their place. A cell whose key was not logged in that row is NaN, and
    so is a logged NaN: use :meth:`ApiRun.series` to tell them apart.
"""

from __future__ import annotations

import heapq
import importlib
import itertools
import logging
import os
import time
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, overload
from urllib.parse import quote

import numpy as np

from heron.artifacts.base import BlobInfo
from heron.artifacts.files import materialize, materialize_version
from heron.connect import connect, locate
from heron.errors import InvalidInput, NotFound
from heron.follow import DEFAULT_POLL, console_lines
from heron.keys import check_artifact_path
from heron.local_dir import try_lock
from heron.media.read import StoredMedia
from heron.nested import flatten
from heron.sdk.backend import LocalBackend
from heron.sdk.distributed import rank_spool_roots
from heron.sdk.spool import iter_spools
from heron.sdk.sync import SyncProgress, SyncReport, sync_spools
from heron.service import DEFAULT_GC_GRACE, Maintenance, QueryWarning, Tracking
from heron.service.lineage import Direction, Graph, Lineage, TrainingData
from heron.settings import Settings
from heron.store.base import (
    ArtifactVersion,
    ConsoleLine,
    ConsolePage,
    FileEntry,
    Float64Array,
    Int64Array,
    MediaKey,
    MetricSummary,
    ProjectInfo,
    ProjectKeys,
    RunInfo,
    Series,
)
from heron.store.sql import SqlStore
from heron.store.views_sql import SavedView, ViewListing

log = logging.getLogger("heron.api")

if TYPE_CHECKING:
    import httpx
    import pandas

    from heron.service.views import Views


__all__ = ["DEFAULT_GC_GRACE", "Api", "ApiRun", "Runs", "SyncReport"]

_INDEX_COLUMNS = ("step", "time", "relative_time")
RUN_COLUMNS = ("id", "name", "project", "state", "group", "tags", "created", "duration")


def _pandas() -> ModuleType | None:
    """pandas if installed (an optional extra), else None: callers fall back to numpy."""
    try:
        return importlib.import_module("pandas")
    except ImportError:
        return None


class Api:
    """Read access to a Heron store. ``dir_or_url``: a store folder, a server's
    ``http(s)://`` address or a database URL; default as everywhere in Heron
    (:func:`heron.connect.locate`): ``HERON_URL``, else ``HERON_DIR``, else
    ``./heron-runs``. ``recover=False`` skips shipping dead spools on open (``heron
    sync`` does it itself, with a progress bar)."""

    def __init__(
        self,
        dir_or_url: str | Path | None = None,
        *,
        settings: Settings | None = None,
        recover: bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._settings = settings if settings is not None else Settings.from_env()
        location = locate(dir_or_url, self._settings)
        # A folder holding only spools (offline runs) is opened to sync them.
        spools_only = location.folder is not None and location.folder.spool.is_dir()
        self._conn = connect(
            dir_or_url, settings=self._settings, create=spools_only, transport=transport
        )
        self.root: str | Path = location.folder.root if location.folder else str(location)
        self._folder = location.folder
        self._store = self._conn.store
        self._artifacts = self._conn.blobs
        self._tracking = Tracking(self._store, self._artifacts)
        self.recovered = SyncReport()
        if self._folder is not None and recover and self.read_only:
            reason = getattr(self._store, "read_only_reason", None)
            log.warning(
                "heron: the store at %s is read-only%s: it is read as it is, and dead runs' "
                "spools are not shipped (run `heron sync` %s)",
                self.root,
                f" because {reason}" if reason else "",
                "once space is freed" if reason else "where it is writable",
            )
        elif self._folder is not None and recover and not self._nothing_to_recover():
            try:
                self.recovered = self.sync()
            except BaseException:
                self.close()  # a failed open must not leak the store's connections
                raise

    # --- lifecycle ---------------------------------------------------------
    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"heron.Api({str(self.root)!r})"

    @property
    def read_only(self) -> bool:
        """True when the store is a SQLite file opened read-only (a read-only mount, or
        a full disk: SQLite cannot open it for writing there): every read works;
        writes (deleting runs, sync) raise StoreError."""
        return isinstance(self._store, SqlStore) and self._store.read_only

    @property
    def remote(self) -> bool:
        """True when this Api reads from a server rather than a folder."""
        return self._conn.remote

    # --- runs --------------------------------------------------------------
    def projects(self) -> list[ProjectInfo]:
        return self._store.list_projects()

    def rename_project(self, project: str, new_name: str) -> dict[str, int]:
        """Rename ``project`` to ``new_name``: its runs, members, alert rules, saved
        views, reports and tags move along (on a server, as its admin). ``new_name``
        follows the rule of project names and must name nothing yet (Conflict).
        Returns the rows moved per table."""
        if self._conn.http is not None:
            path = f"/projects/{quote(project, safe='')}/rename"
            answer = self._conn.http.json("POST", path, json={"new_name": new_name})
            return {str(k): int(v) for k, v in answer["moved"].items()}
        from heron.service.projects import Projects

        return Projects(self._tracking).rename(project, new_name)

    def project_keys(self, project: str) -> ProjectKeys:
        """The config paths, metric keys, summary keys and tags of ``project``'s runs
        (NotFound for an unknown project)."""
        return self._store.project_keys(project)

    def runs(
        self,
        project: str | None = None,
        filter: str | None = None,
        order_by: str | Sequence[str] = (),
        limit: int | None = None,
    ) -> Runs:
        """Runs matching ``filter`` (the filter language, docs/query.md), sorted by
        ``order_by`` terms such as ``"-metrics.val/acc"`` (newest first by default)."""
        order = (order_by,) if isinstance(order_by, str) else tuple(order_by)
        if limit is not None and limit < 0:
            raise InvalidInput(f"limit must be >= 0, got {limit}")
        self._check_query(project, filter, order)
        infos = self._store.search_runs(project, filter, order, limit)
        return Runs([ApiRun(self, info) for info in infos])

    def count_runs(self, project: str | None = None, filter: str | None = None) -> int:
        self._check_query(project, filter)
        return self._store.count_runs(project, filter)

    def _check_query(
        self, project: str | None, filter: str | None, order: Sequence[str] = ()
    ) -> None:
        """An unknown project or key: InvalidInput with "did you mean"; a comparison
        that can never match: a QueryWarning (heron.service.names)."""
        for message in self._tracking.check_query(project, filter, order):
            warnings.warn(message, QueryWarning, stacklevel=3)

    def run(self, run_id: str) -> ApiRun:
        return ApiRun(self, self._get_run(run_id))

    def delete_runs(self, run_ids: Iterable[str], *, force: bool = False) -> int:
        """Delete runs (all of them, or none when one is unknown). A ``running`` run is
        refused unless ``force``: its process may still be logging. Artifact bytes stay
        until ``heron gc`` (other runs may share them)."""
        ids = list(dict.fromkeys(run_ids))
        for run_id in ids:
            self._get_run(run_id)  # NotFound with this store's wording, before any change
        return self._tracking.delete_runs(ids, force=force)

    def _get_run(self, run_id: str) -> RunInfo:
        try:
            return self._store.get_run(run_id)
        except NotFound:
            raise NotFound(
                f"no run {run_id!r} in the store at {self.root}; "
                "list runs with `heron runs ls` (or Api.runs())"
            ) from None
        except InvalidInput:  # a malformed id cannot name a run either
            raise NotFound(f"no run {run_id!r}: run ids are short tokens like 3kq9x0abcd") from None

    # --- artifacts ---------------------------------------------------------
    def artifact(self, project: str, ref: str) -> ArtifactVersion:
        """``name``, ``name:v3`` or ``name:alias`` (``latest`` when no version is given)."""
        return self._store.artifact(project, ref)

    def download(self, version: ArtifactVersion, dest: str | Path) -> Path:
        """Write an artifact version's files into ``dest``; return ``dest`` (or the file
        itself for an artifact logged from a single file)."""
        return materialize_version(version, self._artifacts, Path(dest))

    def _read_blob(self, digest: str) -> bytes:
        with self._artifacts.open(digest) as stream:
            return stream.read()

    def _artifacts_of(self, run_id: str, produced: bool, used: bool) -> list[ArtifactVersion]:
        found: dict[int, ArtifactVersion] = {}
        if produced:
            found.update((a.id, a) for a in self._store.artifacts(created_by=run_id))
        if used:
            found.update((a.id, a) for a in self._store.artifacts(used_by=run_id))
        return sorted(found.values(), key=lambda a: (a.name, a.version))

    # --- lineage -----------------------------------------------------------
    def _lineage(self) -> Lineage:
        try:
            registry = self._conn.registry
        except InvalidInput:  # a store without a registry: lineage stops at artifacts
            registry = None
        return Lineage(self._tracking, registry)

    def runs_using_dataset(
        self, digest: str, *, name: str | None = None, project: str | None = None
    ) -> Runs:
        """Runs (newest first) that hashed a dataset with this digest
        (``"sha256:..."``, ``run.use_dataset``), under ``name`` when given, else under
        any name (docs/reproducibility.md#lineage)."""
        found = self._lineage().runs_using_dataset(digest, name=name, project=project)
        return Runs([ApiRun(self, info) for info in found])

    def training_data(self, model: str, ref: str = "Production", depth: int = 6) -> TrainingData:
        """Which data trained model ``model`` at ``ref`` (a stage, an alias or a version
        number): the runs upstream of that version, the datasets and the artifacts they
        used (``.runs``, ``.datasets``, ``.artifacts``, ``.graph``)."""
        return self._lineage().training_data(model, ref, depth)

    def model_lineage(
        self, model: str, ref: str, depth: int = 2, direction: Direction = "both"
    ) -> Graph:
        """The lineage graph around a model version (``ref``: version, stage or alias)."""
        return self._lineage().of_model_version(model, ref, depth, direction)

    # --- saved views ---------------------------------------------------------
    def views(self, project: str) -> list[ViewListing]:
        """The project's saved views (the web UI's workspace layouts shared by link), by
        name, without their states."""
        if self._conn.http is not None:
            answer = self._conn.http.json("GET", f"/projects/{quote(project, safe='')}/views")
            return [ViewListing(**v) for v in answer]
        return self._views().list_views(project)

    def view(self, project: str, name: str) -> SavedView:
        """The project's view called ``name`` (or whose id is ``name``), with its state:
        ``{"workspace": {...}, "runs": {...}}`` as the web UI saves it. NotFound when
        there is none."""
        found = [v for v in self.views(project) if v.name == name] or [
            v for v in self.views(project) if v.id == name
        ]
        if not found:
            raise NotFound(f"project {project!r} has no saved view {name!r}")
        if self._conn.http is not None:
            path = f"/projects/{quote(project, safe='')}/views/{found[0].id}"
            return SavedView(**self._conn.http.json("GET", path))
        return self._views().get(project, found[0].id)

    def save_view(self, project: str, name: str, layout: dict[str, Any]) -> SavedView:
        """Save ``layout`` (a view's state, as :meth:`view` returns it) as the project's
        view ``name``: a new view, or the state of the one of that name replaced. The
        web UI opens it at ``/p/<project>/workspace?view=<id>``."""
        from heron.service.views import check_view_state

        check_view_state(layout)  # here too: NaN cannot even travel as JSON
        same = [v for v in self.views(project) if v.name == name]
        if self._conn.http is not None:
            base = f"/projects/{quote(project, safe='')}/views"
            if same:
                answer = self._conn.http.json(
                    "PATCH", f"{base}/{same[0].id}", json={"state": layout}
                )
            else:
                answer = self._conn.http.json("POST", base, json={"name": name, "state": layout})
            return SavedView(**answer)
        if same:
            return self._views().update(project, same[0].id, state=layout)
        return self._views().create(project, name, layout)

    def _views(self) -> Views:
        from heron.service.views import Views

        if not isinstance(self._store, SqlStore):
            raise InvalidInput("this store keeps no saved views (it needs a SQL store)")
        return Views(self._store.transactor, self._tracking.caller)

    # --- maintenance -------------------------------------------------------
    def sync(self, progress: SyncProgress | None = None) -> SyncReport:
        """Ship every dead spool (idempotent: exactly-once by seq) and mark crashed the
        runs whose heartbeat went stale. ``progress(spools_done, spools_total, points)``
        is called after each shipped batch and each spool."""
        if self._folder is None:
            return SyncReport()  # a server ships and reaps on its own
        from heron.alerts import open_alerts

        store, blobs = self._conn.maintenance()
        alerts = open_alerts(store, self._settings) if isinstance(store, SqlStore) else None
        local = LocalBackend(self._folder, store, blobs, online=False, alerts=alerts)
        try:  # through the backend's service: what is shipped and reaped raises its alerts
            report = sync_spools(self._folder, local, self._settings, progress=progress)
            alive = self._folder.writer_alive
            reaped = local.tracking.reap_stale(self._settings.crash_after, alive)
        finally:
            local.close()  # its alert deliveries finish first
        return SyncReport(report.shipped, tuple(reaped), report.unreachable, report.failed)

    def _nothing_to_recover(self) -> bool:
        """True when :meth:`sync` would do nothing: no spool without a live writer and
        no running run with a stale heartbeat whose writer is gone. Two directory
        listings and one indexed query, so that opening a store in the usual case
        (nothing died) neither writes nor loads the shipping and alerting machinery."""
        folder = self._folder
        if folder is None:
            return True
        roots = [folder.spool, *(root for root, _rank in rank_spool_roots(folder))]
        for spool in (spool for root in roots for spool in iter_spools(root)):
            fd = try_lock(spool)
            if fd is not None:  # nobody holds it: its writer is gone, it must be shipped
                os.close(fd)
                return False
        store, _ = self._conn.maintenance()
        stale = store.stale_runs(time.time() - self._settings.crash_after)
        return all(folder.writer_alive(run_id) for run_id in stale)

    def orphaned_blobs(self, grace_seconds: float = DEFAULT_GC_GRACE) -> list[BlobInfo]:
        """Blobs no run file or artifact version references, older than the grace period."""
        return Maintenance(self._tracking).orphaned_blobs(grace_seconds)

    def delete_blobs(self, blobs: Iterable[BlobInfo]) -> tuple[int, int]:
        """Delete blobs from :meth:`orphaned_blobs`; (how many, bytes). Re-put ones are spared."""
        return Maintenance(self._tracking).delete_blobs(blobs)


class ApiRun:
    """One run as stored. Attributes are a snapshot; :meth:`refresh` reloads them."""

    def __init__(self, api: Api, info: RunInfo) -> None:
        self._api = api
        self.info = info

    def refresh(self) -> ApiRun:
        self.info = self._api._get_run(self.id)
        return self

    def __repr__(self) -> str:
        return f"<heron.ApiRun {self.id} {self.name!r} project={self.project!r} {self.state}>"

    # --- the record ----------------------------------------------------------
    @property
    def id(self) -> str:
        return self.info.id

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def project(self) -> str:
        return self.info.project

    @property
    def state(self) -> str:
        return self.info.state

    @property
    def created_by(self) -> str | None:
        """The server account that created the run (None on a local store)."""
        return self.info.created_by

    @property
    def group(self) -> str | None:
        return self.info.group

    @property
    def tags(self) -> tuple[str, ...]:
        return self.info.tags

    @property
    def notes(self) -> str:
        return self.info.notes

    @property
    def config(self) -> dict[str, Any]:
        """The nested config as logged."""
        return self.info.config

    @property
    def summary(self) -> dict[str, Any]:
        """Each metric's shown value (last, or min/max by its goal), overrides on top."""
        return self.info.summary

    @property
    def metrics(self) -> dict[str, MetricSummary]:
        return self.info.metrics

    @property
    def system(self) -> dict[str, Any]:
        """Git, environment, packages, seeds and datasets recorded by the run."""
        return self.info.system

    @property
    def created_at(self) -> float:
        return self.info.created_at

    @property
    def ended_at(self) -> float | None:
        return self.info.ended_at

    @property
    def duration(self) -> float | None:
        """Seconds from start to end (to the last heartbeat while running)."""
        return self.info.duration

    @property
    def error(self) -> str | None:
        return self.info.error

    @property
    def traceback(self) -> str | None:
        return self.info.traceback

    def to_record(self) -> dict[str, Any]:
        """A flat dict: the run columns, ``config.<dotted>`` and ``summary.<key>``."""
        record: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "project": self.project,
            "state": self.state,
            "group": self.group,
            "tags": list(self.tags),
            "created": self.created_at,
            "duration": self.duration,
        }
        record.update(flatten(self.config, "config."))
        record.update((f"summary.{k}", v) for k, v in self.summary.items())
        return record

    # --- files and artifacts -------------------------------------------------
    def files(self) -> list[FileEntry]:
        """The run's own files (saved files, captured diff and requirements)."""
        return self._api._store.run_files(self.id)

    def artifacts(self, produced: bool = True, used: bool = True) -> list[ArtifactVersion]:
        """Artifact versions this run logged (``produced``) and/or used."""
        return self._api._artifacts_of(self.id, produced, used)

    def lineage(self, depth: int = 2, direction: Direction = "both") -> Graph:
        """The lineage graph around this run, ``depth`` hops out (0..10): datasets and
        artifacts it used, what it logged (checkpoints...), model versions registered
        from it, the runs that used its outputs, reproductions. ``direction``: ``up``
        (towards its inputs), ``down`` (its outputs) or ``both``. ``.nodes``,
        ``.edges``, ``.to_json()`` (docs/reproducibility.md#lineage)."""
        return self._api._lineage().of_run(self.id, depth, direction)

    @property
    def reproduction_of(self) -> str | None:
        """The id of the run this one reproduces (``heron reproduce --run``), if any."""
        found = self.info.system.get("reproduction")
        of = found.get("of") if isinstance(found, dict) else None
        return of if isinstance(of, str) else None

    def download(self, path_or_version: str | ArtifactVersion, dest: str | Path) -> Path:
        """Write a run file, a folder of run files (a path prefix), or an artifact version
        into ``dest``. Run files keep their paths: returns ``dest/<path>``."""
        if isinstance(path_or_version, ArtifactVersion):
            return self._api.download(path_or_version, dest)
        wanted = check_artifact_path(path_or_version.rstrip("/"))
        files = self.files()
        chosen = [f for f in files if f.path == wanted or f.path.startswith(wanted + "/")]
        if not chosen:
            listed = ", ".join(f.path for f in files[:10]) or "none"
            raise NotFound(f"run {self.id} has no file {wanted!r} (its files: {listed})")
        materialize(chosen, self._api._artifacts, Path(dest))
        return Path(dest) / wanted

    # --- media -------------------------------------------------------------------
    def media_keys(self) -> list[MediaKey]:
        """The keys this run logged media under (kind, count, first and last step)."""
        return self._api._store.media_keys(self.id)

    def media(
        self,
        key: str,
        *,
        first_step: int | None = None,
        last_step: int | None = None,
        limit: int | None = None,
    ) -> list[StoredMedia]:
        """The media logged under ``key``, in step order (one per step), with steps in
        ``[first_step, last_step]``; ``limit``: at most that many, spread evenly. Each
        has ``step``, ``caption``, ``meta`` and its data (``to_numpy()``, ``bytes()``,
        ``image()``, ``histogram()``, ``table()``...) fetched on use (docs/media.md)."""
        items = self._api._store.media(
            self.id, key, first_step=first_step, last_step=last_step, limit=limit
        )
        read = self._api._read_blob
        return [
            StoredMedia(m.key, m.step, m.kind, m.meta, m.digest, m.refs, m.time, read)
            for m in items
        ]

    # --- console -----------------------------------------------------------------
    def console(
        self, after: int = 0, limit: int | None = None, *, tail: int | None = None
    ) -> ConsolePage:
        """What the run printed (stdout and stderr, captured by ``heron.init``): lines
        numbered above ``after`` (at most ``limit``; None: all), or the last ``tail``
        lines, and ``total``, the run's line count."""
        if tail is not None:
            return self._api._store.console(self.id, self._tail_start(tail), None)
        return self._api._store.console(self.id, after, limit)

    def console_lines(
        self, *, tail: int | None = None, follow: bool = False, poll: float = DEFAULT_POLL
    ) -> Iterator[ConsoleLine]:
        """The run's console lines a page at a time (the last ``tail`` only, if given).
        ``follow``: keep yielding finished lines as the run prints them, polling every
        ``poll`` seconds, until it ends (a progress bar comes once it is finished)."""
        after = 0 if tail is None else self._tail_start(tail)
        return console_lines(self._api._store, self.id, after, follow=follow, poll=poll)

    def _tail_start(self, tail: int) -> int:
        if tail < 0:
            raise InvalidInput(f"tail must be >= 0, got {tail}")
        return max(0, self._api._store.console(self.id, 0, 0).total - tail)

    # --- metrics ---------------------------------------------------------------
    def series(self, keys: Iterable[str] | None = None) -> dict[str, Series]:
        """The raw series (steps, times, values in log order) of ``keys`` (all if None)."""
        wanted = None if keys is None else [keys] if isinstance(keys, str) else list(keys)
        return self._api._store.history(self.id, wanted)

    def history(
        self,
        keys: Iterable[str] | None = None,
        x_axis: str = "step",
        as_numpy: bool = False,
    ) -> pandas.DataFrame | dict[str, np.ndarray[Any, Any]]:
        """Metrics as a table: columns ``step``, ``time`` (wall, epoch seconds), one per key.

        Rows: see the module doc (joined on step and occurrence, in log order).
        ``x_axis="time"`` adds ``relative_time`` (seconds since the run started);
        ``x_axis="<key>"`` (e.g. ``"epoch"``) adds a column of that metric's latest value
        at or before each row's step, and the key's own points make no rows.
        A key named like a fixed column (``step``, ``time``...) becomes ``metrics.<key>``.
        Returns a pandas DataFrame, or a dict of numpy arrays when pandas is missing
        or ``as_numpy`` is set. Keys asked for but never logged are all-NaN columns.
        """
        if isinstance(keys, str):  # one key: a str is an Iterable[str] of its letters
            keys = [keys]
        wanted = None if keys is None else list(dict.fromkeys(keys))
        metric_axis = x_axis not in ("step", "time", "_time")
        fetch = None if wanted is None else wanted + ([x_axis] if metric_axis else [])
        data = self.series(fetch)
        x_series = data.get(x_axis) if metric_axis else None
        if metric_axis and x_series is None:
            known = ", ".join(sorted(self.metrics)) or "none"
            raise NotFound(f"run {self.id} has no metric {x_axis!r} for the x axis (has: {known})")
        names = sorted(data) if wanted is None else wanted
        ys = {k: data.get(k, Series.empty()) for k in names if not (metric_axis and k == x_axis)}
        steps, times, columns = join_series(ys)
        table: dict[str, np.ndarray[Any, Any]] = {"step": steps, "time": times}
        if x_axis in ("time", "_time"):
            table["relative_time"] = times - self.created_at
        elif x_series is not None:
            table[x_axis] = value_at_step(x_series, steps)
        for key, values in columns.items():
            table[f"metrics.{key}" if key in _INDEX_COLUMNS or key in table else key] = values
        pd = None if as_numpy else _pandas()
        return table if pd is None else pd.DataFrame(table)


class Runs(Sequence[ApiRun]):
    """The runs a query found, in its order. ``to_pandas()`` makes the runs table."""

    def __init__(self, runs: Sequence[ApiRun]) -> None:
        self._runs = list(runs)

    @overload
    def __getitem__(self, index: int) -> ApiRun: ...

    @overload
    def __getitem__(self, index: slice) -> Runs: ...

    def __getitem__(self, index: int | slice) -> ApiRun | Runs:
        if isinstance(index, slice):
            return Runs(self._runs[index])
        return self._runs[index]

    def __len__(self) -> int:
        return len(self._runs)

    def __iter__(self) -> Iterator[ApiRun]:
        return iter(self._runs)

    def __repr__(self) -> str:
        return f"<heron.Runs of {len(self)}>"

    def to_records(self) -> list[dict[str, Any]]:
        """One flat dict per run, every dict with the same keys (missing: None), in the
        column order of :meth:`to_pandas` (``created`` as epoch seconds)."""
        records = [run.to_record() for run in self._runs]
        extra = sorted({k for r in records for k in r} - set(RUN_COLUMNS), key=_column_order)
        columns = [*RUN_COLUMNS, *extra]
        return [{c: r.get(c) for c in columns} for r in records]

    def to_pandas(self) -> pandas.DataFrame:
        """One row per run: id, name, project, state, group, tags, created (UTC
        timestamps), duration (seconds), ``config.<dotted key>``, ``summary.<key>``."""
        pd = _pandas()
        if pd is None:
            raise ImportError("Runs.to_pandas needs pandas: pip install 'heron[pandas]'")
        records = self.to_records()
        frame = pd.DataFrame(records, columns=list(records[0]) if records else list(RUN_COLUMNS))
        frame["created"] = pd.to_datetime(frame["created"], unit="s", utc=True)
        return frame


def _column_order(column: str) -> tuple[int, str]:
    return (0 if column.startswith("config.") else 1, column)


def occurrences(steps: Int64Array) -> Int64Array:
    """For each point, how many earlier points (in log order) have the same step."""
    order = np.argsort(steps, kind="stable")
    ordered = steps[order]
    index = np.arange(len(steps), dtype=np.int64)
    starts_group = np.ones(len(steps), dtype=bool)
    starts_group[1:] = ordered[1:] != ordered[:-1]
    group_start = np.maximum.accumulate(np.where(starts_group, index, 0))
    out = np.empty(len(steps), dtype=np.int64)
    out[order] = index - group_start
    return out


def join_series(
    series: dict[str, Series],
) -> tuple[Int64Array, Float64Array, dict[str, Float64Array]]:
    """Outer join on (step, occurrence); rows in log order (see the module doc)."""
    parts = [s for s in series.values() if len(s)]
    if not parts:
        empty = np.empty(0, np.float64)
        return np.empty(0, np.int64), empty, {k: empty.copy() for k in series}
    if len(series) == 1:  # one key: every point is its own row, already in log order
        ((key, only),) = series.items()
        return only.steps, only.times, {key: only.values}
    steps = np.concatenate([s.steps for s in parts])
    occ = np.concatenate([occurrences(s.steps) for s in parts])
    times = np.concatenate([s.times for s in parts])
    position = np.concatenate([np.arange(len(s), dtype=np.int64) for s in parts])
    # Group points by (step, occurrence): sort once, cut where either changes.
    by_key = np.lexsort((occ, steps))
    sorted_steps, sorted_occ = steps[by_key], occ[by_key]
    starts = np.ones(len(by_key), dtype=bool)
    starts[1:] = (sorted_steps[1:] != sorted_steps[:-1]) | (sorted_occ[1:] != sorted_occ[:-1])
    first = np.flatnonzero(starts)
    rows = len(first)
    row_of = np.empty(len(by_key), dtype=np.int64)
    row_of[by_key] = np.cumsum(starts) - 1
    row_step, row_occ = sorted_steps[first], sorted_occ[first]
    row_time = np.minimum.reduceat(times[by_key], first)
    # Ties in time (one log call, or a fast loop): the position within a series keeps
    # one key's points in the order they were logged.
    row_pos = np.minimum.reduceat(position[by_key], first)
    order = np.lexsort((row_occ, row_step, row_pos, row_time))
    rank = np.empty(rows, dtype=np.int64)
    rank[order] = np.arange(rows)
    chains = np.split(row_of, np.cumsum([len(s) for s in parts])[:-1])  # rows per series
    if any(np.any(np.diff(rank[chain]) < 0) for chain in chains):
        order = _keep_series_order(chains, rank)
        rank[order] = np.arange(rows)
    columns: dict[str, Float64Array] = {}
    chain_of = iter(chains)
    for key, s in series.items():
        column = np.full(rows, np.nan)
        if len(s):
            column[rank[next(chain_of)]] = s.values
        columns[key] = column
    return row_step[order].astype(np.int64), row_time[order], columns


def _keep_series_order(chains: list[Int64Array], rank: Int64Array) -> Int64Array:
    """Rows ordered so that every series keeps its log order, else by ``rank``.

    Needed when one key first touched a row earlier than another key's preceding row
    (key a logs step 1, then key b logs steps 0 and 1). A topological sort of "comes
    after in some series", smallest rank first; where two series logged the same rows
    in opposite orders no order satisfies both, and the smallest rank goes first.
    """
    rows = len(rank)
    successors: list[list[int]] = [[] for _ in range(rows)]
    waiting = [0] * rows
    for chain in chains:
        for before, after in itertools.pairwise(chain.tolist()):
            successors[before].append(after)
            waiting[after] += 1
    ranks = rank.tolist()
    ready = [(ranks[r], r) for r in range(rows) if waiting[r] == 0]
    heapq.heapify(ready)
    by_rank = sorted(range(rows), key=ranks.__getitem__)  # the cycle breaker's queue
    done = [False] * rows
    out: list[int] = []
    cursor = 0
    while len(out) < rows:
        if not ready:  # a cycle: release the earliest row not placed yet
            while done[by_rank[cursor]]:
                cursor += 1
            stuck = by_rank[cursor]
            waiting[stuck] = 0
            ready.append((ranks[stuck], stuck))
        _, row = heapq.heappop(ready)
        if done[row]:
            continue
        done[row] = True
        out.append(row)
        for after in successors[row]:
            waiting[after] -= 1
            if waiting[after] == 0:
                heapq.heappush(ready, (ranks[after], after))
    return np.array(out, dtype=np.int64)


def value_at_step(x: Series, steps: Int64Array) -> Float64Array:
    """For each step, ``x``'s value at the greatest step <= it (the last logged of those
    at that step); NaN before ``x``'s first step."""
    if not len(x):
        return np.full(len(steps), np.nan)
    order = np.lexsort((np.arange(len(x)), x.steps))
    ordered = x.steps[order]
    last = np.ones(len(ordered), dtype=bool)
    last[:-1] = ordered[1:] != ordered[:-1]
    at_steps, values = ordered[last], x.values[order][last]
    index = np.searchsorted(at_steps, steps, side="right") - 1
    out = np.where(index >= 0, values[np.maximum(index, 0)], np.nan)
    return out.astype(np.float64)
