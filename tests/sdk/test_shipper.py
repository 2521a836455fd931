"""The shipper against a real embedded store while a writer keeps logging."""

from __future__ import annotations

from pathlib import Path

from heron.ids import new_run_id
from heron.local_dir import LocalDir
from heron.sdk.backend import LocalBackend
from heron.sdk.shipper import Shipper
from heron.sdk.spool import SpoolWriter
from heron.store.base import Batch, IngestResult, RunSpec


class LoggingMeanwhile(LocalBackend):
    """Stores batches for real; during each one the training loop logs a few more
    points, as it does while a batch is being stored."""

    def __init__(self, folder: LocalDir, writer: SpoolWriter, key: int) -> None:
        super().__init__(folder)
        self.writer, self.key = writer, key
        self.sizes: list[int] = []
        self.step = 1000

    def ingest(self, batch: Batch) -> IngestResult:
        self.sizes.append(batch.point_count)
        if len(self.sizes) < 50:  # bounded, so the old behaviour ends too
            for _ in range(3):
                self.writer.write_scalar(self.key, self.step, 0.0, 1.0)
                self.step += 1
        return super().ingest(batch)


def test_a_wake_ships_what_was_there_and_does_not_chase_the_writer(tmp_path: Path) -> None:
    folder = LocalDir.at(tmp_path / "runs").create()
    run_id = new_run_id()
    writer = SpoolWriter(folder.spool / run_id)
    key = writer.declare_key("loss")
    for step in range(1000):
        writer.write_scalar(key, step, 0.0, float(step))
    backend = LoggingMeanwhile(folder, writer, key)
    backend.create_run(RunSpec(id=run_id, project="p", name="r"))
    shipper = Shipper(run_id, folder.spool / run_id, backend, interval=3600)
    shipper.start()
    try:
        assert shipper.flush(writer.pos, timeout=30)
        # One batch for what was logged before the wake; what came in while it was
        # stored waits for the next wake instead of a stream of 3-point batches that
        # would keep this thread (and the training loop's GIL) busy.
        assert backend.sizes == [1000]
        assert shipper.flush(writer.pos, timeout=30)
        assert backend.sizes == [1000, 3]
    finally:
        shipper.stop(timeout=30)
        writer.close()
    assert backend.sizes == [1000, 3, 3]  # stop ships what was there once more
    assert backend.store.history(run_id, ["loss"])["loss"].steps.tolist() == list(range(1006))
    backend.close()
