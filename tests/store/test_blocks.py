"""Block summaries (``store.lod``) and chart reads: exact digests of the stored points."""

from __future__ import annotations

import itertools
import struct
import zlib

import numpy as np
import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from heron.errors import NotFound
from heron.store import lod
from heron.store.base import Series
from heron.store.chunks import CHUNK_SIZE
from heron.store.sql import SqlStore
from tests.store.helpers import T0, batch, new_run, series


def brute(points: Series, lo: int, hi: int) -> dict[str, float]:
    """What one block's summary must say, from its points."""
    y = points.values[lo:hi]
    ok = np.isfinite(y)
    return {
        "count": hi - lo,
        "finite": int(ok.sum()),
        "step_min": float(points.steps[lo:hi].min()),
        "step_max": float(points.steps[lo:hi].max()),
        "step_sum": float(points.steps[lo:hi][ok].astype(np.float64).sum()),
        "y_min": float(y[ok].min(initial=np.inf)),
        "y_max": float(y[ok].max(initial=-np.inf)),
        "y_sum": float(y[ok].sum()),
    }


def test_summarize_decode_round_trip_with_nonfinite() -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(size=200)
    values[[3, 70, 199]] = [np.nan, np.inf, -np.inf]
    steps = np.arange(200, dtype=np.int64)[::-1].copy()  # steps going back
    points = Series(steps, T0 + np.arange(200.0), values)
    rec = lod.decode(lod.summarize(points))
    assert rec.shape == (4,)  # 64 + 64 + 64 + 8
    for i, lo in enumerate(range(0, 200, lod.BLOCK)):
        want = brute(points, lo, min(lo + lod.BLOCK, 200))
        got = {name: float(rec[name][i]) for name in want}
        assert got == pytest.approx(want)
    assert rec["time_min"][0] == T0 and rec["time_max"][3] == T0 + 199
    with pytest.raises(lod.LodFormatError):
        lod.decode(lod.summarize(points)[:-1])
    with pytest.raises(lod.LodFormatError):
        lod.decode(b"\x09\x00\x00")


def test_summaries_of_the_first_format_are_still_read() -> None:
    """Format 1 stored the records uncompressed; stores written then keep them."""
    points = Series(np.arange(130, dtype=np.int64), T0 + np.arange(130.0), np.sin(np.arange(130.0)))
    now = lod.decode(lod.summarize(points))
    first_format = struct.pack("<BH", 1, now.shape[0]) + now.tobytes()
    assert lod.decode(first_format).tobytes() == now.tobytes()
    assert len(lod.summarize(points)) < len(first_format)  # compressed now
    with pytest.raises(lod.LodFormatError):
        lod.decode(first_format[:-1])


def test_summaries_of_the_second_format_are_still_read() -> None:
    """Format 2: the records byte-shuffled and zlib-compressed (no byte differences)."""
    points = Series(np.arange(300, dtype=np.int64), T0 + np.arange(300.0), np.cos(np.arange(300.0)))
    now = lod.decode(lod.summarize(points))
    shuffled = np.frombuffer(now.tobytes(), np.uint8).reshape(-1, lod.RECORD.itemsize).T
    second = struct.pack("<BH", 2, now.shape[0]) + zlib.compress(shuffled.tobytes(), 6)
    assert lod.decode(second).tobytes() == now.tobytes()
    assert lod.summarize(points)[0] == lod.FORMAT_VERSION == 3
    with pytest.raises(lod.LodFormatError):
        lod.decode(second[:-1])


@pytest.mark.parametrize(
    "data",
    [
        struct.pack("<BH", 3, 2) + b"not zstd",
        struct.pack("<BH", 3, 5) + zstandard.ZstdCompressor().compress(b"\x00" * 80),  # 1 block
        struct.pack("<BH", 3, 1) + zstandard.ZstdCompressor().compress(b"\x00" * 81),
    ],
)
def test_corrupt_summaries_raise(data: bytes) -> None:
    with pytest.raises(lod.LodFormatError):
        lod.decode(data)


def test_summaries_match_points_after_appends(store: SqlStore) -> None:
    run = new_run(store)
    rng = np.random.default_rng(2)
    values = rng.normal(size=CHUNK_SIZE + 300)
    values[100] = np.nan
    # Four batches: the tail chunk is rewritten, its summary must follow.
    cuts = [0, 50, CHUNK_SIZE - 10, CHUNK_SIZE + 200, len(values)]
    for seq, (a, b) in enumerate(itertools.pairwise(cuts), start=1):
        part = series(values[a:b].tolist(), steps=list(range(a, b)))
        store.ingest(batch(run.id, seq, loss=part))
    found = store.block_summaries([run.id], ["loss", "absent"])
    assert list(found) == [(run.id, "loss")]
    blocks = found[(run.id, "loss")]
    points = store.history(run.id, ["loss"])["loss"]
    assert blocks.total == len(points) == len(values)
    assert int(blocks.count.sum()) == len(values)
    for i in range(len(blocks)):
        lo = int(blocks.chunk[i]) * CHUNK_SIZE + int(blocks.start[i])
        want = brute(points, lo, lo + int(blocks.count[i]))
        assert float(blocks.x_min[i]) == want["step_min"]
        assert float(blocks.y_max[i]) == want["y_max"]
        assert int(blocks.finite[i]) == want["finite"]
    refs = [
        (int(c), int(s), int(n))
        for c, s, n in zip(blocks.chunk, blocks.start, blocks.count, strict=True)
    ]
    got = store.block_points({(run.id, "loss"): [refs[0], refs[-1]]})[(run.id, "loss")]
    last = int(blocks.count[-1])
    assert np.array_equal(got.values[: lod.BLOCK], points.values[: lod.BLOCK], equal_nan=True)
    assert np.array_equal(got.steps[lod.BLOCK :], points.steps[-last:])


def test_range_axes_and_totals(store: SqlStore) -> None:
    run = new_run(store, created_at=T0 - 100)
    n = 3 * CHUNK_SIZE
    store.ingest(batch(run.id, 1, loss=series([1.0] * n)))
    sid = (run.id, "loss")
    zoom = store.block_summaries([run.id], ["loss"], "step", 5000.0, 5100.0)[sid]
    assert zoom.total == n
    assert set(zoom.chunk.tolist()) == {1}  # only the chunk holding steps 5000..5100
    rel = store.block_summaries([run.id], ["loss"], "relative_time")[sid]
    assert rel.x_offset == T0 - 100 and rel.x_min[0] == 100.0
    assert rel.x_sum[0] == pytest.approx(sum(100.0 + i for i in range(lod.BLOCK)))
    late = store.block_summaries([run.id], ["loss"], "relative_time", 100.0 + n - 10, None)[sid]
    assert set(late.chunk.tolist()) == {2} and late.total == n
    outside = store.block_summaries([run.id], ["loss"], "time", 0.0, 1.0)[sid]
    assert len(outside) == 0 and outside.total == n
    with pytest.raises(NotFound, match="nosuchrun0"):
        store.block_summaries([run.id, "nosuchrun0"], ["loss"])


def test_missing_summaries_are_computed_and_deleted_runs_vanish(store: SqlStore) -> None:
    run = new_run(store)
    store.ingest(batch(run.id, 1, loss=series([float(i) for i in range(500)])))
    before = store.block_summaries([run.id], ["loss"])[(run.id, "loss")]
    engine = create_engine(store.url)
    with engine.begin() as conn:  # as a pre-0004 process still running would leave it
        conn.execute(text("UPDATE metric_chunks SET lod = NULL"))
    engine.dispose()
    after = store.block_summaries([run.id], ["loss"])[(run.id, "loss")]
    assert np.array_equal(before.y_sum, after.y_sum) and before.total == after.total == 500
    ref = {(run.id, "loss"): [(0, 0, 500)]}
    store.delete_runs([run.id])
    assert len(store.block_points(ref)[(run.id, "loss")]) == 0
    with pytest.raises(NotFound):
        store.block_summaries([run.id], ["loss"])


VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from([0.0, -0.0, 1e308, -1e308]),
)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(VALUES, min_size=0, max_size=3 * lod.BLOCK + 5),
    steps_back=st.booleans(),
    nan_time=st.booleans(),
)
def test_summaries_are_exact_digests_of_any_points(
    values: list[float], steps_back: bool, nan_time: bool
) -> None:
    n = len(values)
    steps = np.arange(n, dtype=np.int64)
    if steps_back:
        steps = steps[::-1].copy()
    times = T0 + np.arange(n, dtype=np.float64)
    if nan_time and n:
        times[n // 2] = np.nan
    points = Series(steps, times, np.asarray(values, dtype=np.float64))
    rec = lod.decode(lod.summarize(points))
    assert rec.shape == ((n + lod.BLOCK - 1) // lod.BLOCK,)
    for i, lo in enumerate(range(0, n, lod.BLOCK)):
        hi = min(lo + lod.BLOCK, n)
        with np.errstate(over="ignore", invalid="ignore"):  # sums may overflow to inf
            want = brute(points, lo, hi)
        for name in ("count", "finite", "step_min", "step_max", "y_min", "y_max"):
            assert float(rec[name][i]) == want[name], name
        # Any order of summation is fine: within rounding of the sum of magnitudes.
        y = points.values[lo:hi]
        with np.errstate(over="ignore", invalid="ignore"):
            scale = float(np.abs(y[np.isfinite(y)]).sum())
        if np.isfinite(scale):
            tolerance = 2 * (hi - lo) * np.finfo(np.float64).eps * scale  # both sides round
            assert abs(float(rec["y_sum"][i]) - want["y_sum"]) <= tolerance
        block_times = times[lo:hi]
        if np.isnan(block_times).any():  # a NaN time makes the extent unknown
            assert np.isnan(rec["time_min"][i]) and np.isnan(rec["time_max"][i])
        else:
            assert (rec["time_min"][i], rec["time_max"][i]) == (
                block_times.min(),
                block_times.max(),
            )
