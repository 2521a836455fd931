"""The spool on real files: round trips, segments, torn records, concurrent reading."""

from __future__ import annotations

import math
import os
import struct
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import heron.sdk.spool as spool_module
from heron.errors import SpoolError
from heron.local_dir import try_lock
from heron.sdk.spool import (
    KIND_SCALAR,
    SCALAR,
    SLOT,
    SpoolReader,
    SpoolWriter,
    delete_segments_before,
    make_pos,
    segment_numbers,
)

SMALL = 64 * SLOT  # tiny segments so tests cross many boundaries


def read_all(
    folder: Path, start: int = 0
) -> tuple[dict[str, list[tuple[int, float, float]]], list[dict[str, object]], int]:
    reader = SpoolReader(folder, start)
    points: dict[str, list[tuple[int, float, float]]] = {}
    events: list[dict[str, object]] = []
    while True:
        chunk = reader.read(max_records=50)
        if chunk.end == chunk.start:
            break
        for key, (steps, times, values) in chunk.points.items():
            points.setdefault(key, []).extend(
                zip(steps.tolist(), times.tolist(), values.tolist(), strict=False)
            )
        events.extend(chunk.events)
    reader.close()
    return points, events, reader.pos


def test_scalars_keys_and_events_round_trip(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path / "r", segment_bytes=SMALL)
    loss = writer.declare_key("train/loss")
    acc = writer.declare_key("val/accuracy (top-1)")
    for step in range(500):
        writer.write_scalar(loss, step, 1000.0 + step, 1.0 / (step + 1))
        if step % 50 == 0:
            writer.write_scalar(acc, step, 1000.0 + step, step / 500)
            writer.write_event({"type": "notes", "text": "é" * (step % 97)})
    points, events, _ = read_all(tmp_path / "r")
    assert [p[0] for p in points["train/loss"]] == list(range(500))
    assert points["train/loss"][3][2] == 0.25
    assert len(points["val/accuracy (top-1)"]) == 10
    assert [len(str(e["text"])) for e in events] == [s % 97 for s in range(0, 500, 50)]
    assert len(segment_numbers(tmp_path / "r")) > 5
    writer.close()


def test_nan_inf_negative_zero_and_int64_steps_are_exact(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path / "r")
    key = writer.declare_key("x")
    values = [math.nan, math.inf, -math.inf, -0.0, 5e-324, 1.7976931348623157e308]
    steps = [-(2**63), 2**63 - 1, 0, -1, 7, 7]
    for step, value in zip(steps, values, strict=False):
        writer.write_scalar(key, step, 1.5, value)
    points, _, _ = read_all(tmp_path / "r")
    got = points["x"]
    assert [p[0] for p in got] == steps
    assert [struct.pack("<d", p[2]) for p in got] == [struct.pack("<d", v) for v in values]
    writer.close()


def test_torn_record_is_not_read_and_nothing_after_it(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path / "r")
    key = writer.declare_key("x")
    writer.write_scalar(key, 0, 1.0, 1.0)
    # A record whose kind byte never landed (the process died inside pack_into).
    SCALAR.pack_into(writer.mm, writer.off, 2.0, 1, 1.0, key, 0)
    points, _, end = read_all(tmp_path / "r")
    assert points == {"x": [(0, 1.0, 1.0)]}
    assert end == writer.pos
    writer.close()


def test_reader_follows_a_live_writer(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path / "r", segment_bytes=SMALL)
    key = writer.declare_key("x")
    total = 5000
    seen: list[int] = []

    def consume() -> None:
        reader = SpoolReader(tmp_path / "r")
        while len(seen) < total:
            chunk = reader.read(max_records=97)
            if "x" in chunk.points:
                seen.extend(chunk.points["x"][0].tolist())
        reader.close()

    thread = threading.Thread(target=consume)
    thread.start()
    for step in range(total):
        writer.write_scalar(key, step, 0.0, float(step))
    thread.join(30)
    assert seen == list(range(total))
    writer.close()


def test_reader_from_a_middle_position_learns_earlier_keys(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path / "r", segment_bytes=SMALL)
    key = writer.declare_key("x")
    for step in range(10):
        writer.write_scalar(key, step, 0.0, 0.0)
    middle = writer.pos
    for step in range(10, 200):
        writer.write_scalar(key, step, 0.0, 0.0)
    points, _, _ = read_all(tmp_path / "r", middle)
    assert [p[0] for p in points["x"]] == list(range(10, 200))
    # Shipped segments are deleted: a segment alone still names its keys.
    late = writer.pos
    writer.write_scalar(key, 200, 0.0, 0.0)
    delete_segments_before(tmp_path / "r", late)
    points, _, _ = read_all(tmp_path / "r", late)
    assert [p[0] for p in points["x"]] == [200]
    writer.close()


def test_a_large_event_gets_a_segment_of_its_own(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path / "r", segment_bytes=SMALL)
    writer.write_event({"type": "config", "patch": {"blob": "x" * 10_000}})
    writer.write_event({"type": "notes", "text": "after"})
    _, events, _ = read_all(tmp_path / "r")
    assert len(str(events[0]["patch"])) > 10_000
    assert events[1]["text"] == "after"
    writer.close()


def test_the_lock_tells_a_live_writer_from_a_dead_one(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path / "r")
    assert try_lock(tmp_path / "r") is None
    with pytest.raises(SpoolError, match=f"is being logged by process {os.getpid()} on"):
        SpoolWriter(tmp_path / "r")
    writer.close()
    fd = try_lock(tmp_path / "r")
    assert fd is not None
    os.close(fd)
    with pytest.raises(SpoolError, match="recover it first"):
        SpoolWriter(tmp_path / "r")


def test_positions_start_at_the_given_segment(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path / "r", first_segment=7)
    assert writer.pos == make_pos(7, 0)
    writer.write_scalar(writer.declare_key("x"), 0, 0.0, 0.0)
    points, _, end = read_all(tmp_path / "r", make_pos(7, 0))
    assert points["x"] and end == writer.pos
    writer.close()


records = st.lists(
    st.one_of(
        st.tuples(
            st.just("scalar"),
            st.integers(0, 4),
            st.integers(-(2**63), 2**63 - 1),
            st.floats(allow_nan=True, allow_infinity=True),
        ),
        st.tuples(st.just("event"), st.text(max_size=300)),
    ),
    max_size=300,
)


@settings(max_examples=60, deadline=None)
@given(
    records=records,
    keys=st.lists(st.text(min_size=1, max_size=40), min_size=5, max_size=5, unique=True),
)
def test_any_record_sequence_round_trips(
    tmp_path_factory: pytest.TempPathFactory, records: list[tuple[object, ...]], keys: list[str]
) -> None:
    folder = tmp_path_factory.mktemp("spool")
    writer = SpoolWriter(folder / "r", segment_bytes=SMALL)
    ids = [writer.declare_key(k) for k in keys]
    expected: dict[str, list[tuple[int, bytes]]] = {}
    texts = []
    for record in records:
        if record[0] == "scalar":
            _, which, step, value = record
            assert isinstance(which, int) and isinstance(step, int)
            assert isinstance(value, float)
            writer.write_scalar(ids[which], step, 0.0, value)
            expected.setdefault(keys[which], []).append((step, struct.pack("<d", value)))
        else:
            texts.append(record[1])
            writer.write_event({"type": "notes", "text": record[1]})
    points, events, _ = read_all(folder / "r")
    got = {k: [(s, struct.pack("<d", v)) for s, _, v in pts] for k, pts in points.items()}
    assert got == expected
    assert [e["text"] for e in events] == texts
    writer.close()


def test_scalar_records_are_slot_sized() -> None:
    assert SCALAR.size == SLOT
    buf = bytearray(SLOT)
    SCALAR.pack_into(buf, 0, 1.0, 2, 3.0, 4, KIND_SCALAR)
    assert buf[-1] == KIND_SCALAR  # the commit byte is the last one written
    assert np.frombuffer(bytes(buf), dtype=np.uint8)[SLOT - 1] == KIND_SCALAR


def test_reader_never_skips_a_segment_created_while_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: the reader found its next segment missing, then (before it listed
    the folder) the writer created it and one more; the reader took it for shipped and
    deleted, jumped to the later one, and lost a whole segment of points."""
    writer = SpoolWriter(tmp_path / "r", segment_bytes=SMALL)
    key = writer.declare_key("x")
    step = 0

    def fill_segment() -> None:  # ends with the first record of the next segment
        nonlocal step
        segment = writer.segment
        while writer.segment == segment:
            writer.write_scalar(key, step, 0.0, 0.0)
            step += 1

    # Where a shipper stands after reading segment 0's END, before segment 1 exists.
    reader = SpoolReader(tmp_path / "r", start=make_pos(1, 0))
    real_listing = spool_module.segment_numbers
    first_after_segment_0 = -1

    def listing_after_the_writer_moved_on(folder: Path) -> list[int]:
        nonlocal first_after_segment_0
        if first_after_segment_0 < 0:
            fill_segment()
            first_after_segment_0 = step - 1
            fill_segment()
        return real_listing(folder)

    monkeypatch.setattr(spool_module, "segment_numbers", listing_after_the_writer_moved_on)
    seen: list[int] = []
    while True:
        chunk = reader.read()
        if chunk.end == chunk.start:
            break
        if "x" in chunk.points:
            seen += chunk.points["x"][0].tolist()
    assert first_after_segment_0 > 0
    assert seen == list(range(first_after_segment_0, step))
    reader.close()
    writer.close()


def test_prefault_covers_the_pages_ahead_of_the_writer_once_and_keeps_the_data(
    tmp_path: Path,
) -> None:
    size = 4 * spool_module.PREFAULT_AHEAD
    writer = SpoolWriter(tmp_path / "s", segment_bytes=size)
    key = writer.declare_key("x")
    for step in range(100):
        writer.write_scalar(key, step, 0.0, float(step))
    found = writer.prefault_range()
    assert found is not None
    address, length = found
    # From the page holding the next record to PREFAULT_AHEAD past it
    assert address % mmap_page() == 0 and length == spool_module.PREFAULT_AHEAD + mmap_page()
    assert spool_module.prefault(address, length) is True  # Linux >= 5.14 here
    assert writer.prefault_range() is None  # done already: nothing new to fault
    for step in range(100, 300):
        writer.write_scalar(key, step, 0.0, float(step))
    again = writer.prefault_range()  # the next pages only: as far as the writer moved
    assert again is not None and again[0] == address + length
    assert again[1] % mmap_page() == 0 and 0 < again[1] <= 200 * SLOT + mmap_page()
    writer.close()
    points, _, _ = read_all(tmp_path / "s")
    assert [p[0] for p in points["x"]] == list(range(300))
    assert [p[2] for p in points["x"]] == [float(s) for s in range(300)]


def test_prefault_starts_over_in_each_segment(tmp_path: Path) -> None:
    writer = SpoolWriter(tmp_path / "s", segment_bytes=SMALL)
    key = writer.declare_key("x")
    assert writer.prefault_range() is not None
    assert writer.prefault_range() is None
    for step in range(200):  # several segments of 64 slots
        writer.write_scalar(key, step, 0.0, 1.0)
    found = writer.prefault_range()
    assert found is not None and found[1] <= SMALL  # within the new, small segment
    writer.close()
    points, _, _ = read_all(tmp_path / "s")
    assert [p[0] for p in points["x"]] == list(range(200))


def mmap_page() -> int:
    import mmap

    return mmap.PAGESIZE
