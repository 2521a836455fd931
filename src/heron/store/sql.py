"""``SqlStore``: the :class:`~heron.store.base.Store` on SQLite or PostgreSQL (every
capability: ``RunStore``, ``MaintenanceStore`` and ``BlockReads``).

This module wires the pieces together, one transaction per call: ``engine`` (engines,
transactions, retries), ``migrate`` (schema upgrades), ``create`` (projects and runs),
``ingest`` (batches), ``series`` (metric chunks), ``summary`` (metric summaries),
``artifacts_sql`` and ``reads``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection
from typing_extensions import Unpack

from heron.errors import InvalidKey, NotFound, StoreError
from heron.keys import check_tag
from heron.store import (
    artifacts_sql,
    blocks,
    create,
    idle_engines,
    ingest,
    media_sql,
    reads,
    series,
    table,
)
from heron.store import schema as s
from heron.store.base import (
    ArtifactVersion,
    Batch,
    BlockRef,
    BlockSummaries,
    ChartAxis,
    ConsolePage,
    FileEntry,
    IngestResult,
    MediaItem,
    MediaKey,
    ProjectInfo,
    ProjectKeys,
    RunChange,
    RunEdit,
    RunInfo,
    RunSpec,
    RunTable,
    Series,
)
from heron.store.console import read as read_console
from heron.store.engine import (
    Transactor,
    disk_full,
    fixed_rows,
    is_read_only,
    make_engine,
    parse_url,
    safe_url,
    upsert,
)
from heron.store.lite import STALE_RUNS_SQL
from heron.store.migrate import HEAD_REVISION, current_revision, ensure_schema

_r = s.runs.c
# Built once: every shipper's heartbeat (every 5 s a run) built and looked it up again.
_HEARTBEAT = update(s.runs).where(_r.id == bindparam("b_id")).values(heartbeat_at=bindparam("b_at"))
_IN_BATCH = 500


class SqlStore:
    """Projects, runs, metrics and artifact metadata in one SQL database.

    Thread-safe; any number of processes may open the same database. Open it with
    :func:`heron.store.open_store`.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = self._parsed = parse_url(url)
        self.dialect = parsed.get_backend_name()
        self._engine = idle_engines.acquire(parsed)
        self._tx = Transactor(self._engine)
        self.read_only_reason: str | None = None
        try:
            ensure_schema(self._tx)  # even on a kept engine: the file may have been migrated
        except StoreError as exc:
            self._engine.dispose()
            if not self._open_read_only_on_a_full_disk(exc):
                raise StoreError(f"cannot open the store: {exc.message}") from exc
        except BaseException:
            self._engine.dispose()
            raise
        self._file = idle_engines.file_identity(parsed)  # the file exists once checked
        self._closed = False

    def __repr__(self) -> str:
        return f"SqlStore({safe_url(parse_url(self.url))!r})"

    def _open_read_only_on_a_full_disk(self, failure: StoreError) -> bool:
        """On a full disk SQLite cannot even open the file for writing (its -shm file
        cannot be made): open it read-only instead, so that reading still works.
        False (nothing changed) when that is not the cause or the schema is not current."""
        database = self._parsed.database
        if self.dialect != "sqlite" or not database or is_read_only(self._engine):
            return False
        if not disk_full(Path(database), failure):
            return False
        engine = make_engine(self._parsed, read_only=True)
        transactor = Transactor(engine)
        try:
            current = transactor.read(current_revision) == HEAD_REVISION
        except StoreError:
            current = False
        if not current:
            engine.dispose()
            return False
        self._engine, self._tx = engine, transactor
        self.read_only_reason = "its disk is full"
        return True

    @property
    def read_only(self) -> bool:
        """True for a SQLite file opened read-only (a read-only mount or folder, or a
        full disk: ``read_only_reason`` says so): reads work, writes raise StoreError."""
        return is_read_only(self._engine)

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            idle_engines.release(self._parsed, self._engine, self._file)

    @property
    def transactor(self) -> Transactor:
        """The store's transactions (with their retries), for modules that keep their
        own tables in the same database (``heron.registry``)."""
        return self._tx

    # --- writing -----------------------------------------------------------

    def create_run(self, spec: RunSpec) -> RunInfo:
        def work(conn: Connection) -> RunInfo:
            create.create_run(conn, spec, time.time())
            return _one_run(conn, spec.id)

        return self._tx.write(work)

    def ingest(self, batch: Batch) -> IngestResult:
        return self._tx.write(lambda conn: ingest.ingest(conn, batch, time.time()))

    def heartbeat(self, run_id: str, at: float) -> None:
        def work(conn: Connection) -> None:
            result = conn.execute(_HEARTBEAT, {"b_id": run_id, "b_at": at})
            if not result.rowcount:
                raise _run_not_found(run_id)

        self._tx.write(work)

    def mark_crashed(self, run_id: str, at: float, reason: str) -> None:
        def work(conn: Connection) -> None:
            state = conn.execute(select(_r.state).where(_r.id == run_id)).scalar()
            if state is None:
                raise _run_not_found(run_id)
            conn.execute(
                update(s.runs)
                .where(_r.id == run_id, _r.state == "running")
                .values(
                    state="crashed",
                    ended_at=at,
                    error=reason,
                    traceback=None,
                    updated_at=time.time(),
                )
            )

        self._tx.write(work)

    def stale_runs(self, older_than: float) -> list[str]:
        # Fixed SQL text (heron.store.lite asks the same): every heron.Api() asks it on
        # open, where building and compiling the expression would cost more than it.
        query = STALE_RUNS_SQL.replace("?", ":t")
        return self._tx.read(
            lambda conn: [r[0] for r in fixed_rows(conn, query, {"t": older_than})]
        )

    def delete_runs(self, run_ids: Sequence[str]) -> int:
        ids = sorted(set(run_ids))

        def work(conn: Connection) -> int:
            deleted = 0
            for i in range(0, len(ids), _IN_BATCH):
                part = ids[i : i + _IN_BATCH]
                found = set(conn.execute(select(_r.id).where(_r.id.in_(part))).scalars())
                missing = [run_id for run_id in part if run_id not in found]
                if missing:  # the transaction rolls back what earlier parts deleted
                    raise NotFound(f"run {missing[0]!r} not found; no run was deleted")
                # Everything keyed by run id cascades; artifact versions stay (others use them).
                result = conn.execute(delete(s.runs).where(_r.id.in_(part)))
                # Tombstones: a writer still logging (a forced delete) is refused.
                conn.execute(delete(s.deleted_runs).where(s.deleted_runs.c.run_id.in_(part)))
                conn.execute(
                    insert(s.deleted_runs),
                    [{"run_id": run_id, "deleted_at": time.time()} for run_id in part],
                )
                deleted += int(result.rowcount)
            return deleted

        return self._tx.write(work) if ids else 0

    def update_run(self, run_id: str, **edit: Unpack[RunEdit]) -> RunInfo:
        changes: dict[str, Any] = {}
        if (name := edit.get("name")) is not None:
            changes["name"] = _check_run_name(name)
        if (notes := edit.get("notes")) is not None:
            if not isinstance(notes, str):
                raise InvalidKey(f"run notes must be a string, got {notes!r}")
            changes["notes"] = notes
        add = sorted({check_tag(tag) for tag in edit.get("add_tags", ())})
        remove = sorted({str(tag) for tag in edit.get("remove_tags", ())} - set(add))

        def work(conn: Connection) -> RunInfo:
            _require_run(conn, run_id)
            t = s.run_tags.c
            if remove:
                conn.execute(delete(s.run_tags).where(t.run_id == run_id, t.tag.in_(remove)))
            upsert(
                conn, s.run_tags, [{"run_id": run_id, "tag": tag} for tag in add], ["run_id", "tag"]
            )
            conn.execute(
                update(s.runs).where(_r.id == run_id).values(updated_at=time.time(), **changes)
            )
            return _one_run(conn, run_id)

        return self._tx.write(work)

    # --- reading -----------------------------------------------------------

    def list_projects(self) -> list[ProjectInfo]:
        return self._tx.read(reads.projects)

    def get_run(self, run_id: str) -> RunInfo:
        return self._tx.read(lambda conn: _one_run(conn, run_id))

    def refuse_deleted(self, run_id: str) -> None:
        """Raise RunDeleted when ``run_id`` was deleted (its later batches are refused)."""
        self._tx.read(lambda conn: ingest.refuse_deleted(conn, run_id))

    def search_runs(
        self,
        project: str | None = None,
        filter: str | None = None,
        order_by: Sequence[str] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> list[RunInfo]:
        return self._tx.read(
            lambda conn: reads.search(conn, project, filter, order_by, limit, offset)
        )

    def count_runs(self, project: str | None = None, filter: str | None = None) -> int:
        return self._tx.read(lambda conn: reads.count(conn, project, filter))

    def history(self, run_id: str, keys: Iterable[str] | None = None) -> dict[str, Series]:
        wanted = None if keys is None else list(keys)

        def work(conn: Connection) -> dict[str, Series]:
            _require_run(conn, run_id)
            return series.read(conn, run_id, wanted)

        return self._tx.read(work)

    def block_summaries(
        self,
        run_ids: Sequence[str],
        keys: Sequence[str],
        x_axis: ChartAxis = "step",
        x_min: float | None = None,
        x_max: float | None = None,
    ) -> dict[tuple[str, str], BlockSummaries]:
        return self._tx.read(
            lambda conn: blocks.summaries(conn, run_ids, keys, x_axis, x_min, x_max)
        )

    def block_points(
        self, wanted: Mapping[tuple[str, str], Sequence[BlockRef]]
    ) -> dict[tuple[str, str], Series]:
        return self._tx.read(lambda conn: blocks.points(conn, wanted))

    def find_resumable(self, project: str, resume_key: str) -> RunInfo | None:
        def work(conn: Connection) -> RunInfo | None:
            newest = conn.execute(
                reads.runs_query(_r.id, _r.state)
                .where(s.projects.c.name == project, _r.resume_key == resume_key)
                .order_by(_r.created_at.desc(), _r.id.desc())
                .limit(1)
            ).first()
            if newest is None or newest.state == "finished":
                return None
            return _one_run(conn, newest.id)

        return self._tx.read(work)

    def project_keys(self, project: str) -> ProjectKeys:
        return self._tx.read(lambda conn: table.project_keys(conn, project))

    def project_names(self, deleted: bool = True) -> list[str]:
        """Every project's name, sorted: ``list_projects`` without its counts; less the
        deleted projects unless ``deleted``."""
        return self._tx.read(lambda conn: table.project_names(conn, deleted))

    def held_keys(self, projects: Sequence[str], kind: str, keys: Sequence[str]) -> set[str]:
        """Those of ``keys`` that a run of ``projects`` holds: config paths (or the
        start of one) when ``kind`` is "config", metric or summary keys when "metric"."""
        return self._tx.read(lambda conn: table.held_keys(conn, projects, kind, keys))

    def config_samples(
        self, project: str | None, keys: Sequence[str], runs: int
    ) -> dict[str, list[tuple[str, str | None]]]:
        """(vtype, text) of each config path in ``keys`` on the newest ``runs`` runs
        of ``project`` (every project: None), newest first."""
        return self._tx.read(lambda conn: table.config_samples(conn, project, keys, runs))

    def runs_table(
        self,
        project: str | None = None,
        filter: str | None = None,
        order_by: Sequence[str] = (),
        columns: Sequence[str] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> RunTable:
        return self._tx.read(
            lambda conn: table.runs_table(conn, project, filter, order_by, columns, limit, offset)
        )

    def changed_runs(self, since: float) -> list[RunChange]:
        return self._tx.read(lambda conn: table.changed_runs(conn, since))

    def console(self, run_id: str, after: int = 0, limit: int | None = 1000) -> ConsolePage:
        def work(conn: Connection) -> ConsolePage:
            _require_run(conn, run_id)
            return read_console(conn, run_id, after, limit)

        return self._tx.read(work)

    # --- media -------------------------------------------------------------

    def media_keys(self, run_id: str) -> list[MediaKey]:
        def work(conn: Connection) -> list[MediaKey]:
            _require_run(conn, run_id)
            return media_sql.media_keys(conn, run_id)

        return self._tx.read(work)

    def media(
        self,
        run_id: str,
        key: str,
        *,
        first_step: int | None = None,
        last_step: int | None = None,
        limit: int | None = None,
    ) -> list[MediaItem]:
        def work(conn: Connection) -> list[MediaItem]:
            _require_run(conn, run_id)
            return media_sql.media(conn, run_id, key, first_step, last_step, limit)

        return self._tx.read(work)

    # --- artifacts ---------------------------------------------------------

    def run_files(self, run_id: str) -> list[FileEntry]:
        def work(conn: Connection) -> list[FileEntry]:
            _require_run(conn, run_id)
            f = s.run_files.c
            rows = conn.execute(
                select(f.path, f.digest, f.size).where(f.run_id == run_id).order_by(f.path)
            )
            return [FileEntry(path, digest, int(size)) for path, digest, size in rows]

        return self._tx.read(work)

    def artifact(self, project: str, ref: str) -> ArtifactVersion:
        return self._tx.read(lambda conn: artifacts_sql.resolve(conn, project, ref))

    def artifact_by_id(self, version_id: int) -> ArtifactVersion:
        return self._tx.read(lambda conn: artifacts_sql.by_id(conn, version_id))

    def artifacts(
        self,
        project: str | None = None,
        *,
        created_by: str | None = None,
        used_by: str | None = None,
        name: str | None = None,
    ) -> list[ArtifactVersion]:
        v = s.artifact_versions.c
        where: list[Any] = []
        if project is not None:
            where.append(s.projects.c.name == project)
        if created_by is not None:
            where.append(v.created_by == created_by)
        if name is not None:
            where.append(v.name == name)
        if used_by is not None:
            u = s.artifact_usage.c
            where.append(v.id.in_(select(u.version_id).where(u.run_id == used_by)))
        return self._tx.read(lambda conn: artifacts_sql.load(conn, where))

    def referenced_digests(self) -> set[str]:
        return self._tx.read(artifacts_sql.referenced_digests)


def _one_run(conn: Connection, run_id: str) -> RunInfo:
    found = reads.run_by_id(conn, run_id)
    if found is None:
        raise _run_not_found(run_id)
    return found


def _require_run(conn: Connection, run_id: str) -> None:
    if not fixed_rows(conn, "SELECT 1 FROM runs WHERE id = :id", {"id": run_id}):
        raise _run_not_found(run_id)


def _check_run_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidKey(f"a run name must be a non-empty string, got {name!r}")
    if len(name) > 256 or any(ord(c) < 32 or ord(c) == 0x7F for c in name):
        raise InvalidKey(f"run name {name!r} is too long (256 max) or has control characters")
    return name


def _run_not_found(run_id: str) -> NotFound:
    return NotFound(f"run {run_id!r} not found")
