"""Applying a :class:`Batch` inside one write transaction, exactly once.

The run row is locked first (PostgreSQL ``FOR UPDATE``; on SQLite the transaction
already holds the database's write lock), its ``ingested_seq`` decides whether the
batch is new, and everything the batch changes commits together with the new seq.
Events are applied in order, then the metric points; summaries are written last, so
a ``define_metric`` anywhere in the batch applies to the batch's own points too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection, Row

from heron.errors import InvalidInput, NotFound, RunDeleted
from heron.keys import check_key, check_metric_pattern, check_tag
from heron.nested import deep_merge
from heron.states import TERMINAL_STATES
from heron.store import artifacts_sql, create, media_sql, series
from heron.store import schema as s
from heron.store.base import Batch, IngestResult
from heron.store.checks import check_run_id
from heron.store.console import ConsoleWriter
from heron.store.engine import upsert
from heron.store.events import (
    AlertEvent,
    ArtifactEvent,
    ConfigEvent,
    ConsoleEvent,
    CreateEvent,
    DefineMetricEvent,
    Event,
    FileEvent,
    MediaEvent,
    NotesEvent,
    StateEvent,
    SummaryEvent,
    SystemEvent,
    TagsEvent,
    UseArtifactEvent,
    check_event,
)
from heron.store.summary import RunSummaries
from heron.store.values import dumps, flatten_config, loads_dict

_r = s.runs.c
_EVENT_STATES = TERMINAL_STATES | {"running"}


def ingest(conn: Connection, batch: Batch, now: float) -> IngestResult:
    check_run_id(batch.run_id)
    run = _lock_run(conn, batch.run_id)
    if run is None:
        refuse_deleted(conn, batch.run_id)
        spec_event = next((e for e in batch.events if e.get("type") == "create"), None)
        if spec_event is None:
            raise NotFound(f"run {batch.run_id!r} does not exist and the batch does not create it")
        create.create_run(conn, create.spec_from_event(batch.run_id, spec_event), now)
        run = _lock_run(conn, batch.run_id)
        assert run is not None
    done = int(run.ingested_seq) if not batch.stream else stream_seq(run.system, batch.stream)
    if batch.seq <= done:
        return IngestResult(seq=done, applied=False)
    writer = _RunWriter(conn, run, now)
    for event in batch.events:
        writer.apply(event)
    writer.add_metrics(batch)
    if batch.stream:  # another spool of the run: its seq is its own (store.base)
        patch = {"distributed": {"streams": {str(batch.stream): batch.seq}}}
        writer.apply({"type": "system", "patch": patch})
    orphaned = writer.finish(int(run.ingested_seq) if batch.stream else batch.seq)
    return IngestResult(seq=batch.seq, applied=True, orphaned=frozenset(orphaned))


def stream_seq(system_json: str, stream: int) -> int:
    """The last seq applied from ``stream`` (a rank's spool), -1 for none yet."""
    found: Any = loads_dict(system_json)
    for name in ("distributed", "streams", str(stream)):
        found = found.get(name) if isinstance(found, dict) else None
    return found if isinstance(found, int) and not isinstance(found, bool) else -1


def refuse_deleted(conn: Connection, run_id: str) -> None:
    """A deleted run stays deleted: its writer's later batches (and a dead spool's
    replay, ``create`` record included) are refused."""
    t = s.deleted_runs.c
    if conn.execute(select(t.deleted_at).where(t.run_id == run_id)).first() is not None:
        raise RunDeleted(
            f"run {run_id!r} was deleted; its records are refused (the writer stops "
            "shipping, and a spool of it can be removed)"
        )


def _lock_run(conn: Connection, run_id: str) -> Row[Any] | None:
    postgres = conn.dialect.name == "postgresql"
    query = _statements.get(("lock", postgres))
    if query is None:
        columns = (_r.id, _r.project_id, _r.config, _r.system, _r.last_step, _r.ingested_seq)
        query = select(*columns).where(_r.id == bindparam("run_id"))
        if postgres:
            query = query.with_for_update()
        _statements["lock", postgres] = query
    return conn.execute(query, {"run_id": run_id}).first()


# Statements built once (a shipper's batch built each of them again, and building
# one costs about as much as running it).
_statements: dict[tuple[Any, ...], Any] = {}


def _update_run(conn: Connection, run_id: str, values: dict[str, Any]) -> None:
    names = tuple(sorted(values))
    stmt = _statements.get(("update", names))
    if stmt is None:
        stmt = _statements["update", names] = (
            update(s.runs)
            .where(_r.id == bindparam("b_id"))
            .values({name: bindparam(f"b_{name}") for name in names})
        )
    conn.execute(stmt, {"b_id": run_id, **{f"b_{name}": v for name, v in values.items()}})


class _RunWriter:
    """The changes one batch makes to one run, gathered and then written."""

    def __init__(self, conn: Connection, run: Row[Any], now: float) -> None:
        self.conn = conn
        self.run_id: str = run.id
        self.project_id = int(run.project_id)
        self.now = now
        self.last_step: int | None = run.last_step
        self._config_json: str = run.config
        self._system_json: str = run.system
        self.changes: dict[str, Any] = {}  # runs columns to update
        self.summaries = RunSummaries(conn, self.run_id)
        self.orphan_candidates: set[str] = set()  # digests this batch stopped referencing
        self.console: ConsoleWriter | None = None  # made by the batch's first console event

    # --- events -------------------------------------------------------------

    def apply(self, event: Event) -> None:
        kind = check_event(event)["type"]  # a batch off the wire is not trusted
        handler = getattr(self, f"_on_{kind}")
        try:
            handler(event)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, InvalidInput):
                raise
            raise InvalidInput(f"malformed {kind!r} event {dict(event)!r}: {exc!r}") from None

    def _on_create(self, event: CreateEvent) -> None:
        pass  # handled before the run was locked; on an existing run it is a no-op

    def _on_config(self, event: ConfigEvent) -> None:
        merged = deep_merge(loads_dict(self._config_json), event["patch"])
        self._config_json = self.changes["config"] = dumps(merged)

    def _on_system(self, event: SystemEvent) -> None:
        merged = deep_merge(loads_dict(self._system_json), event["patch"])
        self._system_json = self.changes["system"] = dumps(merged)

    def _on_tags(self, event: TagsEvent) -> None:
        add = sorted({check_tag(t) for t in event.get("add") or ()})
        remove = sorted({str(t) for t in event.get("remove") or ()})
        if remove:
            self.conn.execute(
                delete(s.run_tags).where(
                    s.run_tags.c.run_id == self.run_id, s.run_tags.c.tag.in_(remove)
                )
            )
        upsert(
            self.conn,
            s.run_tags,
            [{"run_id": self.run_id, "tag": t} for t in add],
            ["run_id", "tag"],
        )

    def _on_notes(self, event: NotesEvent) -> None:
        self.changes["notes"] = str(event.get("text") or "")

    def _on_summary(self, event: SummaryEvent) -> None:
        for key, value in (event.get("set") or {}).items():
            self.summaries.set_override(check_key(key), value)
        for key in event.get("unset") or ():
            self.summaries.unset_override(str(key))

    def _on_define_metric(self, event: DefineMetricEvent) -> None:
        x_axis = event.get("x_axis")
        self.summaries.define(
            check_metric_pattern(event["pattern"]),
            event.get("goal"),
            None if x_axis is None else str(x_axis),
        )

    def _on_state(self, event: StateEvent) -> None:
        state = event["state"]
        if state not in _EVENT_STATES:
            raise InvalidInput(f"run state must be one of {sorted(_EVENT_STATES)}, got {state!r}")
        self.changes["state"] = state
        self.changes["error"] = event.get("error")
        self.changes["traceback"] = event.get("traceback")
        if state == "running":  # a resume
            self.changes["ended_at"] = None
        else:
            self.changes["ended_at"] = float(event.get("time") or self.now)

    def _on_file(self, event: FileEvent) -> None:
        entry = artifacts_sql.file_entry(event["file"])
        old = self.conn.execute(
            select(s.run_files.c.digest).where(
                s.run_files.c.run_id == self.run_id, s.run_files.c.path == entry.path
            )
        ).scalar()
        if old is not None and old != entry.digest:
            self.orphan_candidates.add(old)  # replaced: maybe nobody else needs the blob
        upsert(
            self.conn,
            s.run_files,
            {
                "run_id": self.run_id,
                "path": entry.path,
                "digest": entry.digest,
                "size": entry.size,
                "created_at": float(event.get("time") or self.now),
            },
            ["run_id", "path"],
            ["digest", "size", "created_at"],
        )

    def _on_artifact(self, event: ArtifactEvent) -> None:
        self.orphan_candidates |= artifacts_sql.log_artifact(
            self.conn, self.project_id, self.run_id, event, self.now
        )

    def _on_use_artifact(self, event: UseArtifactEvent) -> None:
        artifacts_sql.use_artifact(self.conn, self.run_id, event, self.now)

    def _on_console(self, event: ConsoleEvent) -> None:
        if self.console is None:
            self.console = ConsoleWriter(self.conn, self.run_id)
        self.console.apply(event)

    def _on_media(self, event: MediaEvent) -> None:
        self.orphan_candidates |= media_sql.apply(self.conn, self.run_id, event, self.now)

    def _on_alert(self, event: AlertEvent) -> None:
        pass  # the service records and delivers it (heron.alerts), once the batch applied

    # --- metrics ------------------------------------------------------------

    def add_metrics(self, batch: Batch) -> None:
        ready = {}
        for key, raw in batch.metrics.items():
            points = series.normalise(check_key(key), raw)
            if len(points):
                ready[key] = points
                self.summaries.add_points(key, points.steps, points.times, points.values)
                top = int(points.steps.max())
                self.last_step = top if self.last_step is None else max(self.last_step, top)
        series.append(self.conn, self.run_id, ready)
        if ready:
            self.changes["last_step"] = self.last_step

    # --- write --------------------------------------------------------------

    def finish(self, seq: int) -> set[str]:
        self.summaries.flush()
        if self.console is not None:
            self.console.write()
        if "config" in self.changes:
            self.conn.execute(delete(s.run_config).where(s.run_config.c.run_id == self.run_id))
            rows = [
                {"run_id": self.run_id, "key": k, "vtype": vt, "num": num, "text": text}
                for k, vt, num, text in flatten_config(loads_dict(self._config_json))
            ]
            if rows:
                self.conn.execute(insert(s.run_config), rows)
        _update_run(
            self.conn, self.run_id, {"ingested_seq": seq, "updated_at": self.now, **self.changes}
        )
        # Checked last: a later event of the batch may reference a blob again.
        return artifacts_sql.unreferenced(self.conn, self.orphan_candidates)
