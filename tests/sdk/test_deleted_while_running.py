"""Deletion is final (issue 18, item 3): a run force-deleted while its process logs
stays deleted; the writer is told once and stops shipping; nothing brings it back."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import heron
from heron.errors import RunDeleted
from heron.store.base import Batch

from .conftest import local_backend, start_run


def test_a_run_deleted_while_it_logs_stays_deleted(
    store_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    run = start_run(store_dir, capture_console=False)
    for step in range(10):
        run.log({"x": float(step)})
    assert run.flush(timeout=30)
    with heron.Api(store_dir) as api:
        api.delete_runs([run.id], force=True)
    with caplog.at_level(logging.WARNING, logger="heron.shipper"):
        for step in range(10, 20):
            run.log({"x": float(step)})  # never raises
        assert run.flush(timeout=30) is False  # refused: it cannot be in the store
        run.log({"x": 99.0})
        run.finish()  # no warning to run heron sync: there is nothing to keep
    told = [r.getMessage() for r in caplog.records if run.id in r.getMessage()]
    assert len(told) == 1 and "was deleted" in told[0]
    assert not (store_dir / "spool" / run.id).exists()
    with heron.Api(store_dir) as api:  # opening it recovers any spool: none comes back
        assert [r.id for r in api.runs()] == []


def test_a_dead_spool_of_a_deleted_run_is_removed_not_replayed(store_dir: Path) -> None:
    with local_backend(store_dir) as backend:
        writer = backend.open_spool("deadbeef01", 0)
        writer.write_event({"type": "create", "spec": {"project": "test", "name": "gone"}})
        writer.write_scalar(writer.declare_key("x"), 0, 0.0, 1.0)
        writer.close()
        backend.ingest(
            Batch(
                run_id="deadbeef01",
                seq=1,
                events=[{"type": "create", "spec": {"project": "test", "name": "gone"}}],
            )
        )
        backend.tracking.delete_runs(["deadbeef01"], force=True)
        with pytest.raises(RunDeleted, match="was deleted"):
            backend.ingest(
                Batch(
                    run_id="deadbeef01",
                    seq=2,
                    events=[{"type": "create", "spec": {"project": "test", "name": "gone"}}],
                )
            )
    with heron.Api(store_dir) as api:
        assert len(api.runs()) == 0
    assert not (store_dir / "spool" / "deadbeef01").exists()


def test_a_deleted_run_is_refused_as_deleted_by_a_process_that_never_saw_it(
    store_dir: Path,
) -> None:
    """A later batch names a deleted run that this process has no note of (a new
    process, or the run's project forgotten): RunDeleted, not a plain NotFound, so
    its writer stops shipping quietly instead of failing."""
    create = {"type": "create", "spec": {"project": "test", "name": "gone"}}
    with local_backend(store_dir) as backend:
        backend.ingest(Batch(run_id="deadbeef02", seq=1, events=[create]))
        backend.tracking.delete_runs(["deadbeef02"], force=True)
    with local_backend(store_dir) as backend, pytest.raises(RunDeleted, match="was deleted"):
        backend.ingest(Batch(run_id="deadbeef02", seq=2, events=[{"type": "heartbeat"}]))
