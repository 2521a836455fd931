"""The MaintenanceStore contract (heron.store.base): stale runs, changed runs,
referenced blobs, and the orphans ingest reports, against every implementation of it
(``store``: SqlStore on SQLite and PostgreSQL; a server's client has none of it:
tests/remote/test_remote_store.py checks that RemoteStore does not pretend to).
"""

from __future__ import annotations

import time

from heron.store.base import MaintenanceStore, Store
from heron.store.sql import SqlStore
from tests.store.helpers import T0, Logger, artifact, batch, digest, files, new_run


def test_sql_store_has_every_capability(store: SqlStore) -> None:
    assert isinstance(store, MaintenanceStore)
    assert isinstance(store, Store)


def test_stale_runs_are_running_runs_without_a_recent_heartbeat(store: SqlStore) -> None:
    old = new_run(store, created_at=T0)
    older = new_run(store, created_at=T0 - 10)
    beating = new_run(store, created_at=T0 + 1)
    fresh = new_run(store, created_at=T0 + 100)
    done = new_run(store, created_at=T0 - 20)
    store.ingest(batch(done.id, 1, [{"type": "state", "state": "finished", "time": T0 + 1}]))
    store.heartbeat(beating.id, T0 + 90)
    assert store.stale_runs(older_than=T0 + 50) == [older.id, old.id]  # oldest first
    assert store.stale_runs(older_than=T0 + 95) == [older.id, old.id, beating.id]
    store.mark_crashed(old.id, T0 + 60, "no heartbeat for 60 s")
    assert store.stale_runs(older_than=T0 + 95) == [older.id, beating.id]
    assert fresh.id not in store.stale_runs(older_than=T0 + 99)
    assert store.stale_runs(older_than=T0 - 100) == []


def test_changed_runs_reports_creates_ingests_edits_and_crashes(store: SqlStore) -> None:
    before = time.time() - 1
    run = new_run(store)
    changes = store.changed_runs(before)
    assert [(c.id, c.project, c.state, c.ingested_seq) for c in changes] == [
        (run.id, "proj", "running", -1)
    ]
    first = changes[0].updated_at
    store.heartbeat(run.id, time.time())  # a heartbeat alone is not a change
    assert store.changed_runs(first + 1e-6) == []
    store.ingest(batch(run.id, 5, loss=[1.0, 2.0]))
    (change,) = store.changed_runs(first)
    assert change.ingested_seq == 5 and change.last_step == 1 and change.updated_at >= first
    edited_at = time.time()
    store.update_run(run.id, notes="n")
    assert [c.id for c in store.changed_runs(edited_at - 1e-3)] == [run.id]
    store.mark_crashed(run.id, time.time(), "gone")
    (change,) = store.changed_runs(first)
    assert change.state == "crashed"
    assert store.changed_runs(time.time() + 60) == []


def test_referenced_digests_are_run_files_and_artifact_files(store: SqlStore) -> None:
    assert store.referenced_digests() == set()
    log = Logger(store)
    log({"type": "file", "file": {"path": "out.txt", "digest": digest("run"), "size": 3}})
    log(artifact("model", files(w="art", shared="both")))
    other = Logger(store)
    other({"type": "file", "file": {"path": "x", "digest": digest("both"), "size": 4}})
    assert store.referenced_digests() == {digest("run"), digest("art"), digest("both")}
    store.delete_runs([log.run.id])  # its run file goes, the artifact version stays
    assert store.referenced_digests() == {digest("art"), digest("both")}


def test_ingest_reports_run_files_nothing_references_any_more(store: SqlStore) -> None:
    run, other = new_run(store), new_run(store)
    f1 = {"path": "logs/out.txt", "digest": digest("01"), "size": 10}
    f2 = {"path": "a.json", "digest": digest("02"), "size": 3}
    store.ingest(batch(run.id, 1, [{"type": "file", "file": f1}, {"type": "file", "file": f2}]))
    store.ingest(batch(other.id, 1, [{"type": "file", "file": {**f2, "path": "copy.json"}}]))
    replaced = store.ingest(
        batch(run.id, 2, [{"type": "file", "file": {**f1, "digest": digest("03")}}])
    )
    assert replaced.orphaned == {digest("01")}
    shared = store.ingest(
        batch(run.id, 3, [{"type": "file", "file": {**f2, "digest": digest("04")}}])
    )
    assert shared.orphaned == frozenset()  # the other run still has 02
    assert store.referenced_digests() == {digest("02"), digest("03"), digest("04")}


def test_retention_reports_the_blobs_it_orphaned(store: SqlStore) -> None:
    log = Logger(store)
    retention = {"keep_last": 2, "keep_best": 2, "metric": "acc", "mode": "max"}
    orphaned: set[str] = set()
    for step, acc in enumerate([0.5, 0.9, 0.3, 0.8, None, 0.1, 0.2]):
        metadata = {"metrics": {"acc": acc}, "step": step} if acc is not None else {}
        event = artifact(
            "ckpt",
            files(weights=f"w{step}", shared="common"),
            metadata=metadata,
            retention=retention,
        )
        orphaned |= log(event).orphaned
    assert orphaned == {digest("w0"), digest("w2"), digest("w4")}
    assert digest("common") in store.referenced_digests()
    assert store.referenced_digests().isdisjoint(orphaned)


def test_orphans_respect_other_references(store: SqlStore) -> None:
    log = Logger(store)
    log({"type": "file", "file": {"path": "w.bin", "digest": digest("run"), "size": 1}})
    log(artifact("other", files(w="art")))
    retention = {"keep_last": 1}
    log(artifact("ck", files(w="run"), retention=retention))
    log(artifact("ck", files(w="art"), retention=retention))
    result = log(artifact("ck", files(w="mine"), retention=retention))
    assert [v.version for v in store.artifacts(name="ck")] == [2]
    assert result.orphaned == frozenset()  # still a run file / another artifact's file
    assert log(artifact("ck", files(w="new"), retention=retention)).orphaned == {digest("mine")}
    assert log(artifact("ck", files(w="new"), retention=retention)).orphaned == frozenset()
