"""``heron.service.Tracking``: the run rules every skin shares, on both SQL backends."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from heron.artifacts.local import LocalArtifactStore
from heron.errors import Conflict, Forbidden, InvalidInput, NotFound
from heron.service import (
    MAX_BULK_RUNS,
    ORPHAN_GRACE_SECONDS,
    BulkFailure,
    BulkRequest,
    Caller,
    Tracking,
)
from heron.service import runs as service_runs
from heron.store.sql import SqlStore
from tests.store.helpers import batch, new_run


@dataclass
class Heard:
    """A notifier that writes down what it hears."""

    events: list[tuple[Any, ...]] = field(default_factory=list)

    def run_changed(self, run: str, project: str, state: str) -> None:
        self.events.append(("run", run, project, state))

    def points(
        self, run: str, project: str, keys: list[str] | None, last_step: int | None, seq: int
    ) -> None:
        self.events.append(("points", run, project, keys, last_step, seq))

    def console(self, run: str, project: str, seq: int) -> None:
        self.events.append(("console", run, project, seq))

    def forget(self, run: str) -> None:
        self.events.append(("forget", run))

    def kinds(self) -> list[str]:
        return [e[0] for e in self.events]


@pytest.fixture
def blobs(tmp_path: Path) -> LocalArtifactStore:
    return LocalArtifactStore(tmp_path / "blobs")


@pytest.fixture
def heard() -> Heard:
    return Heard()


@pytest.fixture
def tracking(store: SqlStore, blobs: LocalArtifactStore, heard: Heard) -> Tracking:
    return Tracking(store, blobs, notifier=heard)


def finished(store: SqlStore, project: str = "proj") -> str:
    run = new_run(store, project)
    store.ingest(batch(run.id, 1, [{"type": "state", "state": "finished", "time": time.time()}]))
    return run.id


# --- delete --------------------------------------------------------------------------------


def test_a_running_run_is_not_deleted_without_force(tracking: Tracking, store: SqlStore) -> None:
    running, done = new_run(store).id, finished(store)
    with pytest.raises(Conflict, match=f"1 of the 2 runs are still running \\({running}\\)"):
        tracking.delete_runs([running, done])
    assert {r.id for r in store.search_runs("proj")} == {running, done}  # all or nothing
    assert tracking.delete_runs([running, done], force=True) == 2
    assert store.search_runs("proj") == []


def test_deleting_an_unknown_run_changes_nothing(tracking: Tracking, store: SqlStore) -> None:
    done = finished(store)
    with pytest.raises(NotFound):
        tracking.delete_runs([done, "nosuchrun0"])
    assert [r.id for r in store.search_runs("proj")] == [done]


def test_a_delete_is_announced_and_forgotten(
    tracking: Tracking, store: SqlStore, heard: Heard
) -> None:
    done = finished(store)
    tracking.delete_runs([done, done])  # a repeated id counts once
    assert heard.events == [("forget", done), ("run", done, "proj", "deleted")]


# --- edits -----------------------------------------------------------------------------------


def test_creating_and_editing_a_run_is_announced(
    tracking: Tracking, store: SqlStore, heard: Heard
) -> None:
    from heron.store.base import RunSpec

    info = tracking.create_run(RunSpec(id="r1", project="proj", name="first"))
    tracking.update_run("r1", name="second", add_tags=["a", "b"])
    changed = tracking.update_run("r1", remove_tags=["a"])
    assert (changed.name, changed.tags) == ("second", ("b",))
    assert heard.events == [("run", "r1", "proj", "running")] * 3
    assert info.id == "r1" and tracking.project_of("r1") == "proj"


# --- bulk ----------------------------------------------------------------------------------


def test_bulk_tags_by_filter_skip_the_excluded(tracking: Tracking, store: SqlStore) -> None:
    ids = [finished(store) for _ in range(4)]
    request = BulkRequest("add_tags", filter="", exclude=[ids[0]], tags=["sweep"])
    result = tracking.bulk("proj", request)
    assert (result.matched, result.done, result.failed) == (3, 3, [])
    tagged = {r.id for r in store.search_runs("proj", "tags has 'sweep'")}
    assert tagged == set(ids[1:])


def test_bulk_by_ids_reports_runs_of_another_project(tracking: Tracking, store: SqlStore) -> None:
    mine, theirs = finished(store), finished(store, "other")
    result = tracking.bulk("proj", BulkRequest("add_tags", ids=[mine, theirs], tags=["x"]))
    assert result.done == 1
    assert result.failed == [
        BulkFailure(theirs, 404, f"run {theirs} is in project 'other', not 'proj'")
    ]


def test_a_dry_run_counts_and_changes_nothing(tracking: Tracking, store: SqlStore) -> None:
    running, done = new_run(store).id, finished(store)
    result = tracking.bulk("proj", BulkRequest("delete", filter="", dry_run=True))
    assert (result.matched, result.running, result.done) == (2, 1, 0)
    assert {r.id for r in store.search_runs("proj")} == {running, done}
    assert result.limit == MAX_BULK_RUNS


def test_a_bulk_delete_keeps_the_running_run_policy(tracking: Tracking, store: SqlStore) -> None:
    new_run(store)
    finished(store)
    with pytest.raises(Conflict):
        tracking.bulk("proj", BulkRequest("delete", filter=""))
    assert tracking.bulk("proj", BulkRequest("delete", filter="", force=True)).done == 2


@pytest.mark.parametrize(
    ("request_", "words"),
    [
        (BulkRequest("add_tags", tags=["t"]), 'either "ids" or "filter"'),
        (BulkRequest("add_tags", ids=[], filter="", tags=["t"]), 'either "ids" or "filter"'),
        (BulkRequest("delete", filter="", tags=["t"]), '"tags" goes with add_tags'),
        (BulkRequest("remove_tags", filter=""), "needs at least one tag"),
        (BulkRequest("add_tags", filter="", tags=["t"], force=True), '"force" goes with delete'),
        (BulkRequest("add_tags", filter="", tags=[" "]), "leading or trailing whitespace"),
    ],
)
def test_a_malformed_bulk_request_is_refused_before_any_change(
    tracking: Tracking, store: SqlStore, request_: BulkRequest, words: str
) -> None:
    done = finished(store)
    with pytest.raises(InvalidInput, match=words):
        tracking.bulk("proj", request_)
    assert store.get_run(done).tags == ()


def test_more_runs_than_the_limit_are_refused(
    tracking: Tracking, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [finished(store) for _ in range(3)]
    monkeypatch.setattr(service_runs, "MAX_BULK_RUNS", 2)
    with pytest.raises(InvalidInput, match="at most 2"):
        tracking.bulk("proj", BulkRequest("add_tags", filter="", tags=["t"]))
    with pytest.raises(InvalidInput, match="at most 2"):
        tracking.bulk("proj", BulkRequest("add_tags", ids=ids, tags=["t"]))
    assert all(store.get_run(i).tags == () for i in ids)


# --- ingest --------------------------------------------------------------------------------


def test_ingest_announces_points_console_and_record_changes(
    tracking: Tracking, store: SqlStore, heard: Heard
) -> None:
    run = new_run(store)
    console = {"type": "console", "stream": "stdout", "lines": ["hi"], "time": time.time()}
    tracking.ingest(batch(run.id, 3, [console], loss=[1.0, 0.5]))
    assert heard.events == [
        ("console", run.id, "proj", 3),
        ("points", run.id, "proj", ["loss"], 1, 3),
    ]
    heard.events.clear()
    tags = {"type": "tags", "add": ["t"], "remove": []}
    tracking.ingest(batch(run.id, 4, [tags]))
    assert heard.events == [("run", run.id, "proj", "running")]


def test_a_batch_applied_twice_is_announced_once(
    tracking: Tracking, store: SqlStore, heard: Heard
) -> None:
    run = new_run(store)
    assert tracking.ingest(batch(run.id, 5, loss=[1.0])).applied
    assert not tracking.ingest(batch(run.id, 5, loss=[1.0])).applied
    assert heard.kinds() == ["points"]


def test_ingest_frees_the_old_blobs_retention_orphaned_and_spares_young_ones(
    tracking: Tracking, store: SqlStore, blobs: LocalArtifactStore, tmp_path: Path
) -> None:
    run = new_run(store)
    digests = []
    for i in range(3):
        source = tmp_path / f"ckpt{i}.bin"
        source.write_bytes(bytes([i]) * 10)
        digests.append(blobs.put_file(source).digest)
    old = time.time() - ORPHAN_GRACE_SECONDS - 10
    path = blobs.local_path(digests[0])
    assert path is not None
    os.utime(path, (old, old))  # the first checkpoint is old; the second is young

    def checkpoint(i: int) -> dict[str, Any]:
        return {
            "type": "artifact",
            "name": "ckpt",
            "kind": "checkpoint",
            "files": [{"path": "w.bin", "digest": digests[i], "size": 10}],
            "metadata": {},
            "aliases": [],
            "retention": {"keep_last": 1},
            "time": time.time(),
        }

    for seq, i in enumerate(range(3), 1):
        tracking.ingest(batch(run.id, seq, [checkpoint(i)]))
    assert blobs.stat(digests[0]) is None  # orphaned and old: freed
    assert blobs.stat(digests[1]) is not None  # orphaned but young: left for gc
    assert blobs.stat(digests[2]) is not None  # the one kept


# --- crashes -------------------------------------------------------------------------------


def test_stale_runs_are_marked_crashed_unless_alive(
    tracking: Tracking, store: SqlStore, heard: Heard
) -> None:
    quiet, dead = new_run(store).id, new_run(store).id
    for run_id in (quiet, dead):
        store.heartbeat(run_id, time.time() - 120)
    assert tracking.reap_stale(60, alive=lambda run_id: run_id == quiet) == [dead]
    assert store.get_run(dead).state == "crashed" and store.get_run(quiet).state == "running"
    assert ("run", dead, "proj", "crashed") in heard.events
    assert tracking.reap_stale(60) == [quiet]


# --- authorisation ---------------------------------------------------------------------------


def test_a_reader_may_read_but_not_write(tracking: Tracking, store: SqlStore) -> None:
    done = finished(store)
    viewer = tracking.with_caller(Caller("ann", default_role="viewer"))
    assert viewer.get_run(done).id == done
    assert viewer.reads("proj") is store and viewer.run_reads(done) is store
    for write in (
        lambda: viewer.delete_runs([done], force=True),
        lambda: viewer.update_run(done, name="x"),
        lambda: viewer.bulk("proj", BulkRequest("add_tags", filter="", tags=["t"])),
        lambda: viewer.ingest(batch(done, 9, loss=[1.0])),
        lambda: viewer.heartbeat(done, time.time()),
    ):
        with pytest.raises(Forbidden, match="ann may not write project 'proj'"):
            write()
    assert store.get_run(done).name != "x" and tracking.caller.name == "local"


def test_nobody_reads_without_the_read_role(tracking: Tracking, store: SqlStore) -> None:
    done = finished(store)

    class Nobody(Caller):
        def may(self, action: Any, project: str | None) -> bool:
            return False

    nobody = tracking.with_caller(Nobody("eve"))
    with pytest.raises(Forbidden, match="every project"):
        nobody.reads(None)
    with pytest.raises(Forbidden):
        nobody.get_run(done)


def test_many_runs_are_authorised_with_their_projects_looked_up_at_once(
    tracking: Tracking, store: SqlStore
) -> None:
    ids = [finished(store, f"p{i % 3}") for i in range(7)]
    fresh = Tracking(store, tracking.blobs)
    assert fresh.runs_reads([*ids, ids[0]]) is store
    assert {fresh.project_of(i) for i in ids} == {"p0", "p1", "p2"}
    with pytest.raises(NotFound):
        fresh.runs_reads([ids[0], "nosuchrun0"])
    with pytest.raises(NotFound):
        fresh.runs_reads(["it's'); drop"])  # never spliced into the lookup's filter

    class OnlyP1(Caller):
        def may(self, action: Any, project: str | None) -> bool:
            return project == "p1"

    with pytest.raises(Forbidden, match="'p0'"):
        fresh.with_caller(OnlyP1("ann")).runs_reads(ids)


def test_maintenance_needs_the_store_beside_its_database(tracking: Tracking) -> None:
    from heron.service import Maintenance

    assert Maintenance(tracking).orphaned_blobs() == []
    assert tracking.beside_the_database() == (tracking.store, tracking.blobs)
    reader = tracking.with_caller(Caller("ann", default_role="editor"))
    with pytest.raises(Forbidden):
        Maintenance(reader).orphaned_blobs()
