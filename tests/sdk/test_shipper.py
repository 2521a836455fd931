"""The shipper against a real embedded store while a writer keeps logging.

Ordering is explicit: the backend signals each delivery and each heartbeat (which a
shipper sends once a pass is over), and the tests wait on those signals with generous
deadlines; no sleeps stand in for "the shipper is idle now", no wall times asserted.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from heron.errors import InvalidInput, ShippingError
from heron.ids import new_run_id
from heron.local_dir import LocalDir
from heron.sdk.backend import LocalBackend
from heron.sdk.shipper import BUSY_FACTOR, Shipper
from heron.sdk.spool import SpoolWriter
from heron.store.base import Batch, IngestResult, RunSpec

from .conftest import local_backend

PATIENCE = 60.0  # seconds: only a broken shipper waits this long
NEVER = 3600.0  # a timer that does not fire during a test


class Recorder:
    """A backend that stores for real and says what the shipper did: the size of each
    batch, and each heartbeat (the shipper sends one after each pass while running).
    During each of the first batches the training loop logs a few more points, as it
    does while a batch is being stored."""

    def __init__(self, inner: LocalBackend, writer: SpoolWriter, key: int) -> None:
        self.inner = inner
        self.writer, self.key = writer, key
        self.sizes: list[int] = []
        self.heartbeats = 0
        self.step = 1000
        self.changed = threading.Condition()

    def ingest(self, batch: Batch) -> IngestResult:
        if len(self.sizes) < 50:  # bounded, so a shipper that chases the writer ends too
            for _ in range(3):
                self.writer.write_scalar(self.key, self.step, 0.0, 1.0)
                self.step += 1
        result = self.inner.ingest(batch)
        with self.changed:
            self.sizes.append(batch.point_count)
            self.changed.notify_all()
        return result

    def heartbeat(self, run_id: str, at: float) -> None:
        with self.changed:
            self.heartbeats += 1
            self.changed.notify_all()

    def wait_heartbeats(self, count: int) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: self.heartbeats >= count, PATIENCE)


def test_a_wake_ships_what_was_there_and_does_not_chase_the_writer(tmp_path: Path) -> None:
    folder = LocalDir.at(tmp_path / "runs").create()
    run_id = new_run_id()
    writer = SpoolWriter(folder.spool / run_id)
    key = writer.declare_key("loss")
    for step in range(1000):
        writer.write_scalar(key, step, 0.0, float(step))
    with local_backend(folder.root) as inner:
        inner.start_run(RunSpec(id=run_id, project="p", name="r"))
        backend = Recorder(inner, writer, key)
        shipper = Shipper(
            run_id,
            folder.spool / run_id,
            backend,  # type: ignore[arg-type]
            interval=NEVER,
            heartbeat_interval=NEVER,
        )
        shipper.start()
        try:
            # The first pass (at start) ships what was logged before it, then sends the
            # first heartbeat and waits: the 3 points logged while the batch was being
            # stored wait for the next wake instead of a stream of 3-point batches
            # that would keep this thread (and the training loop's GIL) busy.
            backend.wait_heartbeats(1)
            assert backend.sizes == [1000]
            # A flush wakes it once: one pass, for what is there when it looks.
            assert shipper.flush(writer.pos, timeout=PATIENCE)
            assert backend.sizes == [1000, 3]
        finally:
            shipper.stop(timeout=PATIENCE)
            writer.close()
        assert backend.sizes == [1000, 3, 3]  # stop ships what was there, once
        history = inner.store.history(run_id, ["loss"])["loss"].steps.tolist()
        assert history == list(range(1006))


def test_a_refused_batch_stops_the_shipper_loudly_and_keeps_the_spool(tmp_path: Path) -> None:
    class Refusing:
        def ingest(self, batch: Batch) -> IngestResult:
            raise InvalidInput("the store refuses this batch")

        def heartbeat(self, run_id: str, at: float) -> None:
            pass

    folder = tmp_path / "spool" / "run"
    writer = SpoolWriter(folder)
    writer.write_scalar(writer.declare_key("x"), 0, 0.0, 1.0)
    shipper = Shipper("run", folder, Refusing(), interval=NEVER)  # type: ignore[arg-type]
    shipper.start()
    try:
        with pytest.raises(ShippingError, match="the store refuses this batch") as info:
            shipper.flush(writer.pos, timeout=PATIENCE)
        assert str(folder) in info.value.message and "heron sync" in info.value.message
    finally:
        shipper.stop(timeout=PATIENCE)
        writer.close()
    assert list(folder.glob("seg-*"))  # the records are kept for heron sync


def test_a_costly_pass_spaces_the_next_ones_out(tmp_path: Path) -> None:
    folder = LocalDir.at(tmp_path / "runs").create()
    run_id = new_run_id()
    writer = SpoolWriter(folder.spool / run_id)
    key = writer.declare_key("loss")
    with local_backend(folder.root) as backend:
        backend.start_run(RunSpec(id=run_id, project="p", name="r"))
        shipper = Shipper(run_id, folder.spool / run_id, backend, interval=0.001)
        try:
            for step in range(1000):
                writer.write_scalar(key, step, 0.0, float(step))
            shipper._ship_available()  # well over 0.2 % of a millisecond of CPU
            assert shipper.acked == writer.pos
            assert shipper._period == 0.001 * BUSY_FACTOR  # at most BUSY_FACTOR intervals
            shipper._ship_available()  # nothing new: back to the interval
            assert shipper._period == 0.001
        finally:
            shipper._reader.close()
            writer.close()
        steps = backend.store.history(run_id, ["loss"])["loss"].steps.tolist()
        assert steps == list(range(1000))


def test_a_cheap_pass_keeps_the_interval(tmp_path: Path) -> None:
    folder = LocalDir.at(tmp_path / "runs").create()
    run_id = new_run_id()
    writer = SpoolWriter(folder.spool / run_id)
    writer.write_scalar(writer.declare_key("loss"), 0, 0.0, 1.0)
    with local_backend(folder.root) as backend:
        backend.start_run(RunSpec(id=run_id, project="p", name="r"))
        shipper = Shipper(run_id, folder.spool / run_id, backend, interval=NEVER)
        try:
            shipper._ship_available()  # far under 0.2 % of an hour
            assert shipper.acked == writer.pos and shipper._period == NEVER
        finally:
            shipper._reader.close()
            writer.close()
