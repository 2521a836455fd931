"""The spool reader reads segment files with pread, never through a mapping: what a
real SpoolWriter wrote (through its mapping, or with pwrite where the filesystem is
a network one) reads back exactly, a tail that grows between reads included, and a
file that shrank or cannot be opened is an error, never a SIGBUS."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

import heron.sdk.spool as spool_module
from heron.errors import SpoolError
from heron.ids import new_run_id
from heron.local_dir import LocalDir
from heron.sdk.shipper import Shipper
from heron.sdk.spool import SLOT, SpoolIOError, SpoolReader, SpoolWriter, segment_path
from heron.store.base import RunSpec
from heron.store.events import NotesEvent

from .conftest import local_backend

SMALL = 64 * SLOT  # a few records a segment: reads cross many segments
PATIENCE = 60.0
NEVER = 3600.0

Points = dict[str, list[tuple[int, float, float]]]


@pytest.fixture(params=["mapped", "direct"])
def writer_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The writer as on a local disk (it maps its segments), or as on NFS (the rule's
    input says so: it writes with pwrite)."""
    if request.param == "direct":
        monkeypatch.setattr(spool_module, "_unmappable", lambda folder: "a nfs4 filesystem")
    return str(request.param)


def _drain(reader: SpoolReader, points: Points, events: list[object], max_records: int) -> None:
    while True:
        chunk = reader.read(max_records=max_records)
        if chunk.end == chunk.start:
            return
        for key, (steps, times, values) in chunk.points.items():
            assert steps.flags.c_contiguous and values.flags.c_contiguous
            points.setdefault(key, []).extend(
                zip(steps.tolist(), times.tolist(), values.tolist(), strict=True)
            )
        events.extend(chunk.events)


@pytest.mark.parametrize("max_records", [7, 1 << 16])
@pytest.mark.parametrize("segment_bytes", [SMALL, 1 << 20])
def test_a_growing_spool_reads_back_exactly_between_writes(
    tmp_path: Path, writer_kind: str, max_records: int, segment_bytes: int
) -> None:
    writer = SpoolWriter(tmp_path / "r", segment_bytes=segment_bytes)
    assert (writer._fd is not None) == (writer_kind == "direct")
    reader = SpoolReader(tmp_path / "r")
    expected: Points = {}
    expected_events: list[object] = []
    points: Points = {}
    events: list[object] = []
    keys: dict[str, int] = {}
    step = 0
    for round_ in range(12):  # write some, read what is there, write more...
        for _ in range(round_ * 37):
            names = ["loss", "acc", "lr"] if step % 50 else ["loss", "acc", "lr", f"k{step}"]
            for name in names:  # the same keys in order, now and then a new one
                if name not in keys:
                    keys[name] = writer.declare_key(name)
                value = -0.0 if step == 3 else step / 7 + len(name)
                writer.write_scalar(keys[name], step, 1e9 + step * 1e-3, value)
                expected.setdefault(name, []).append((step, 1e9 + step * 1e-3, value))
            if step % 29 == 0:
                event: NotesEvent = {"type": "notes", "text": "é" * (step % 300)}
                writer.write_event(event)
                expected_events.append(event)
            step += 1
        assert writer.retry()  # a direct writer pushes its last stretch
        _drain(reader, points, events, max_records)
        assert points == expected and events == expected_events
    assert reader.pos == writer.pos
    reader.close()
    writer.close()


def test_only_records_whose_kind_byte_landed_are_read(tmp_path: Path) -> None:
    """Records being written while the reader reads are seen whole or not at all."""
    writer = SpoolWriter(tmp_path / "r")
    key = writer.declare_key("x")
    writer.write_scalar(key, 0, 1.0, 1.0)
    # A record whose kind byte is still 0 (being written), its value already there.
    spool_module.SCALAR.pack_into(writer.mm, writer.off, 2.0, 1, 1.0, key, 0)
    reader = SpoolReader(tmp_path / "r")
    chunk = reader.read()
    assert chunk.points["x"][0].tolist() == [0]
    writer.mm[writer.off + SLOT - 1] = spool_module.KIND_SCALAR  # its kind byte lands
    writer.off += SLOT
    assert reader.read().points["x"][2].tolist() == [2.0]
    reader.close()
    writer.close()


def test_a_segment_truncated_while_it_is_read_is_a_clean_error(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path / "r", segment_bytes=1 << 20)
    key = writer.declare_key("x")
    for step in range(100):
        writer.write_scalar(key, step, 1.0, float(step))
    reader = SpoolReader(tmp_path / "r")
    assert len(reader.read().points["x"][0]) == 100
    os.truncate(segment_path(tmp_path / "r", 0), 4096)  # through a mapping: SIGBUS
    with pytest.raises(SpoolError, match="truncated to 4,096 bytes") as info:
        reader.read()
    assert "seg-00000000.bin" in info.value.message
    with pytest.raises(SpoolError):  # kept: the position is never skipped silently
        reader.read()
    reader.close()
    writer.close()


def test_a_segment_removed_while_it_is_read_still_reads(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path / "r", segment_bytes=1 << 20)
    key = writer.declare_key("x")
    writer.write_scalar(key, 0, 1.0, 0.0)
    reader = SpoolReader(tmp_path / "r")
    assert reader.read().points["x"][0].tolist() == [0]
    segment_path(tmp_path / "r", 0).unlink()  # the open file lives on
    writer.write_scalar(key, 1, 1.0, 1.0)
    assert reader.read().points["x"][0].tolist() == [1]
    reader.close()
    writer.close()


def _unopenable(path: Path) -> Path:
    """Put a symlink loop where ``path`` was (opening it fails with ELOOP, a real
    OSError); return where the file went."""
    aside = path.with_name(path.name + ".aside")
    path.rename(aside)
    path.symlink_to(path.name)
    return aside


def test_a_segment_that_cannot_be_opened_now_is_read_once_it_can(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path / "r", segment_bytes=SMALL)
    key = writer.declare_key("x")
    for step in range(100):  # two segments and more
        writer.write_scalar(key, step, 1.0, float(step))
    second = segment_path(tmp_path / "r", 1)
    aside = _unopenable(second)
    reader = SpoolReader(tmp_path / "r")
    seen = reader.read().points["x"][0].tolist()  # the first segment
    assert seen == list(range(len(seen))) and 0 < len(seen) < 100
    for _ in range(2):  # not kept: tried again at each read
        with pytest.raises(SpoolIOError, match=r"seg-00000001\.bin now: Too many levels"):
            reader.read()
    second.unlink()
    aside.rename(second)
    points: Points = {}
    _drain(reader, points, [], 1 << 16)
    assert seen + [p[0] for p in points["x"]] == list(range(100))
    reader.close()
    writer.close()


def test_the_shipper_waits_for_an_unreadable_spool_and_says_so_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = LocalDir.at(tmp_path / "runs").create()
    run_id = new_run_id()
    spool = folder.spool / run_id
    writer = SpoolWriter(spool, segment_bytes=SMALL)
    key = writer.declare_key("loss")
    for step in range(100):
        writer.write_scalar(key, step, 0.0, float(step))
    second = segment_path(spool, 1)
    aside = _unopenable(second)
    with local_backend(folder.root) as backend:
        backend.start_run(RunSpec(id=run_id, project="p", name="r"))
        shipper = Shipper(run_id, spool, backend, interval=NEVER, heartbeat_interval=NEVER)
        shipper.start()
        try:
            with caplog.at_level(logging.WARNING, "heron.shipper"):
                for _ in range(3):  # each flush tries again; the shipper goes on
                    assert not shipper.flush(writer.pos, timeout=0.5)
                    assert shipper.error is None
            said = [r.getMessage() for r in caplog.records if "seg-00000001.bin" in r.getMessage()]
            assert len(said) == 1 and "Nothing is lost" in said[0]
            assert 0 < shipper.acked < writer.pos  # the first segment shipped
            second.unlink()
            aside.rename(second)
            assert shipper.flush(writer.pos, timeout=PATIENCE)
        finally:
            shipper.stop(timeout=PATIENCE)
            writer.close()
        steps = backend.store.history(run_id, ["loss"])["loss"].steps.tolist()
        assert steps == list(range(100))


def _mapped_kib(path: Path) -> int:
    """Resident KiB of this process's mappings of ``path`` (/proc/self/smaps)."""
    total, inside = 0, False
    with open("/proc/self/smaps", encoding="utf-8") as smaps:
        for line in smaps:
            fields = line.split()
            if "-" in fields[0] and len(fields) >= 5:  # a mapping's header line
                inside = fields[-1] == str(path)
            elif inside and fields[0] == "Rss:":
                total += int(fields[1])
    return total


def test_the_writer_lets_go_of_the_pages_it_wrote_and_they_still_read(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path / "r", segment_bytes=8 << 20)
    assert writer._fd is None  # a mapped segment (a local disk)
    key = writer.declare_key("x")
    count = (3 << 20) // SLOT  # 3 MiB of records
    for step in range(count):
        writer.write_scalar(key, step, 1.0, float(step))
    path = segment_path(tmp_path / "r", 0).resolve()
    before = _mapped_kib(path)
    assert before >= 3 << 10  # the written pages count in this process's RSS
    found = writer.prefault_range()
    assert found is not None
    after = _mapped_kib(path)
    assert after <= before - (2 << 10)  # all but the last page or so let go
    assert writer.prefault_range() is None  # nothing more, nothing again
    writer.write_scalar(key, count, 1.0, -1.0)  # the hot path goes on beside them
    reader = SpoolReader(tmp_path / "r")
    points: Points = {}
    _drain(reader, points, [], 1 << 16)
    assert [p[0] for p in points["x"]] == list(range(count + 1))
    assert [p[2] for p in points["x"][:3]] == [0.0, 1.0, 2.0] and points["x"][-1][2] == -1.0
    assert spool_module.SCALAR.unpack_from(writer.mm, 2 * SLOT)[0] == 0.0  # refaulted
    reader.close()
    writer.close()
