"""Direct spool segments: written with pwrite where a shared mapping could fault
(SIGBUS) because the filesystem cannot guarantee the segment's blocks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import heron
import heron.sdk.spool as spool_module
from heron.sdk.spool import SLOT, SpoolReader, SpoolWriter, segment_numbers, segment_path

from .conftest import start_run
from .test_spool import read_all

SMALL = 64 * SLOT


@pytest.fixture
def unmappable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every folder is on a filesystem a mapping cannot rely on (as NFS would be)."""
    monkeypatch.setattr(spool_module, "_unmappable", lambda folder: "a nfs4 filesystem")


def test_the_filesystem_of_a_folder_is_read_from_the_mount_table(tmp_path: Path) -> None:
    assert spool_module._filesystem_type(Path("/proc/self")) == "proc"
    assert spool_module._filesystem_type(tmp_path) not in (None, "proc")
    assert spool_module._unmappable(tmp_path) is None  # a local disk: mapped


def test_unreserved_blocks_are_told_from_reserved_ones(tmp_path: Path) -> None:
    with open(tmp_path / "sparse", "wb") as sparse, open(tmp_path / "whole", "wb") as whole:
        os.ftruncate(sparse.fileno(), 1 << 20)  # what a filesystem that ignores fallocate leaves
        os.posix_fallocate(whole.fileno(), 0, 1 << 20)
        assert spool_module._unreserved(sparse.fileno(), 1 << 20) is not None
        assert spool_module._unreserved(whole.fileno(), 1 << 20) is None


def test_a_direct_spool_round_trips_through_its_files(tmp_path: Path, unmappable: None) -> None:
    writer = SpoolWriter(tmp_path / "r", segment_bytes=SMALL)
    assert writer._fd is not None  # not a mapping of the file
    loss = writer.declare_key("loss")
    for step in range(500):
        writer.write_scalar(loss, step, 1000.0 + step, 1.0 / (step + 1))
        if step % 50 == 0:
            writer.write_event({"type": "notes", "text": "é" * (step % 97)})
    # The points go into the file in stretches, the events at once: what the reader
    # sees is everything up to the last stretch, in order.
    points, events, _ = read_all(tmp_path / "r")
    seen = [p[0] for p in points["loss"]]
    assert seen == list(range(len(seen))) and 451 <= len(seen) < 500  # to the last event
    assert [len(str(e["text"])) for e in events] == [s % 97 for s in range(0, 500, 50)]
    assert writer.retry()  # flush: the last point too
    points, _, _ = read_all(tmp_path / "r")
    assert [p[0] for p in points["loss"]] == list(range(500))
    assert points["loss"][3][2] == 0.25
    assert len(segment_numbers(tmp_path / "r")) > 5
    writer.close()


def test_a_reader_never_sees_a_record_of_a_direct_segment_before_its_bytes(
    tmp_path: Path, unmappable: None
) -> None:
    writer = SpoolWriter(tmp_path / "r", segment_bytes=SMALL)
    key = writer.declare_key("x")
    for step in range(20):
        writer.write_scalar(key, step, 1.0, step / 2)
    # The file holds what was pushed; the slot after it is still empty (kind 0), so
    # a reader stops there, though later bytes may be in the file already.
    data = segment_path(tmp_path / "r", 0).read_bytes()
    pushed = writer._pushed
    assert pushed < writer.off and data[pushed + SLOT - 1] == 0
    reader = SpoolReader(tmp_path / "r")
    steps = reader.read().points["x"][0].tolist()
    assert steps == list(range(len(steps))) and len(steps) == (pushed // SLOT) - 2
    reader.close()
    writer.close()  # pushes the rest
    points, _, _ = read_all(tmp_path / "r")
    assert points["x"] == [(step, 1.0, step / 2) for step in range(20)]


def test_run_log_on_an_unmappable_filesystem_stores_everything(
    tmp_path: Path, unmappable: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spool_module, "SEGMENT_BYTES", 64 * 1024)  # many segments
    store_dir = tmp_path / "runs"
    run = start_run(store_dir)
    for step in range(20_000):
        run.log({"loss": float(step), "acc": step / 20_000}, step=step)
    run.config["lr"] = 0.1
    assert run.flush(timeout=60)
    run.log({"loss": -1.0}, step=20_000)
    run.finish()
    with heron.Api(store_dir) as api:
        stored = api.run(run.id)
        steps = stored.history(["loss"], as_numpy=True)["step"].tolist()
        assert stored.config["lr"] == 0.1
        assert stored.state == "finished"
    assert steps == list(range(20_001))
