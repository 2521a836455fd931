"""Downsampling for charts: buckets keep spikes, non-finite points are never averaged."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heron.errors import InvalidInput
from heron.server.downsample import (
    Downsampled,
    align_x,
    downsample,
    downsample_blocks,
    plan,
    read_all,
)
from heron.store import lod
from heron.store.base import BlockSummaries, Series
from heron.store.blocks import build
from heron.store.chunks import CHUNK_SIZE
from heron.store.series import concat, cut
from tests.store.helpers import bits


def arr(values: list[float]) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def test_empty_series() -> None:
    out = downsample(arr([]), arr([]), 10)
    assert out.total == 0 and not out.sampled
    assert out.x.size == out.y.size == out.nonfinite_x.size == 0


def test_one_point() -> None:
    out = downsample(arr([5]), arr([2.5]), 1)
    assert not out.sampled
    assert out.x.tolist() == [5] and out.y.tolist() == out.min.tolist() == [2.5]


def test_few_points_come_back_whole_in_x_order() -> None:
    out = downsample(arr([3, 1, 2]), arr([30, 10, 20]), 3)
    assert not out.sampled
    assert out.x.tolist() == [1, 2, 3]
    assert out.y.tolist() == out.min.tolist() == out.max.tolist() == [10, 20, 30]


def test_buckets_report_mean_min_and_max() -> None:
    x = np.arange(100, dtype=np.float64)
    y = np.zeros(100)
    y[37] = 1000.0  # a spike
    out = downsample(x, y, 10)
    assert out.sampled and out.total == 100
    assert out.x.tolist() == pytest.approx([4.5 + 10 * i for i in range(10)])
    assert out.max.tolist()[3] == 1000.0 and out.y.tolist()[3] == pytest.approx(100.0)
    assert out.min.tolist() == [0.0] * 10
    assert max(out.max) == 1000.0  # the spike survives


def test_at_most_buckets_buckets_and_bounds_hold() -> None:
    rng = np.random.default_rng(1)
    x = np.sort(rng.uniform(0, 1e6, 100_000))
    y = rng.normal(size=100_000)
    out = downsample(x, y, 1000)
    assert out.sampled and 0 < out.x.size <= 1000
    assert (out.min <= out.y).all() and (out.y <= out.max).all()
    assert out.min.min() == y.min() and out.max.max() == y.max()
    assert (np.diff(out.x) > 0).all()


def test_unsorted_x_gives_the_same_buckets() -> None:
    rng = np.random.default_rng(2)
    x = rng.permutation(1000).astype(np.float64)
    y = x * 2
    a = downsample(x, y, 10)
    order = np.argsort(x)
    b = downsample(x[order], y[order], 10)
    assert a.x.tolist() == pytest.approx(b.x.tolist())
    assert a.min.tolist() == b.min.tolist() and a.max.tolist() == b.max.tolist()


def test_nonfinite_values_are_kept_apart_never_averaged() -> None:
    x = arr([0, 1, 2, 3, 4])
    y = arr([1, math.nan, math.inf, -math.inf, 2])
    out = downsample(x, y, 10)
    assert out.y.tolist() == [1.0, 2.0]
    assert out.nonfinite_x.tolist() == [1, 2, 3]
    assert np.isnan(out.nonfinite_y[0]) and out.nonfinite_y[1:].tolist() == [math.inf, -math.inf]


def test_sampled_nonfinite_points_are_one_per_bucket_and_kind() -> None:
    x = np.arange(1000, dtype=np.float64)
    y = np.ones(1000)
    y[500:600] = np.nan
    y[700] = np.inf
    out = downsample(x, y, 10)
    assert out.sampled and np.isfinite(out.y).all()
    assert out.nonfinite_x.tolist() == [500, 700]
    assert np.isnan(out.nonfinite_y[0]) and out.nonfinite_y[1] == math.inf


def test_all_nan_series() -> None:
    out = downsample(np.arange(5.0), np.full(5, np.nan), 2)
    assert out.y.size == 0 and out.nonfinite_x.tolist() == [0, 1, 2, 3, 4]


def test_range_selects_points_and_zooming_unsamples() -> None:
    x = np.arange(10_000, dtype=np.float64)
    y = x.copy()
    out = downsample(x, y, 100, x_min=100, x_max=149)
    assert not out.sampled and out.total == 10_000
    assert out.x.tolist() == list(range(100, 150))
    wide = downsample(x, y, 100, x_min=0, x_max=9999)
    assert wide.sampled and wide.x.size == 100


def test_points_with_nonfinite_x_are_left_out() -> None:
    out = downsample(arr([0, math.nan, 2, math.inf]), arr([1, 2, 3, 4]), 10)
    assert out.x.tolist() == [0, 2] and out.y.tolist() == [1, 3]


def test_huge_values_do_not_overflow_the_mean() -> None:
    y = np.full(100, 1e308)
    out = downsample(np.arange(100.0), y, 2)
    assert out.y.tolist() == pytest.approx([1e308, 1e308])


def test_one_distinct_x_is_one_bucket() -> None:
    out = downsample(np.zeros(50), np.arange(50.0), 5)
    assert out.sampled and out.x.tolist() == [0.0]
    assert out.min.tolist() == [0.0] and out.max.tolist() == [49.0]


@pytest.mark.parametrize(("buckets", "lo", "hi"), [(0, None, None), (5, 2.0, 1.0)])
def test_bad_arguments(buckets: int, lo: float | None, hi: float | None) -> None:
    with pytest.raises(InvalidInput):
        downsample(arr([1]), arr([1]), buckets, lo, hi)


def test_align_x_takes_the_last_value_at_each_step() -> None:
    steps = np.array([0, 1, 2, 5], np.int64)
    x_steps = np.array([0, 1, 1, 2], np.int64)
    x_values = arr([10, 11, 12, 13])
    got = align_x(steps, x_steps, x_values)
    assert got[:3].tolist() == [10, 12, 13] and math.isnan(got[3])
    assert np.isnan(align_x(steps, np.empty(0, np.int64), arr([]))).all()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-1e6, 1e6),
            st.floats(allow_nan=True, allow_infinity=True, width=64),
        ),
        max_size=300,
    ),
    st.integers(1, 50),
)
def test_properties(points: list[tuple[float, float]], buckets: int) -> None:
    x = arr([p[0] for p in points])
    y = arr([p[1] for p in points])
    out = downsample(x, y, buckets)
    finite = np.isfinite(y)
    assert out.x.size <= max(buckets, int(finite.sum()) if not out.sampled else buckets)
    assert out.nonfinite_x.size <= (~finite).sum()
    if finite.any():
        assert out.min.min() == y[finite].min() and out.max.max() == y[finite].max()
        assert (out.min <= out.y).all() and (out.y <= out.max).all()
    else:
        assert out.y.size == 0
    if not out.sampled:
        assert sorted(out.y.tolist()) == sorted(y[finite].tolist())


# --- from block summaries ------------------------------------------------------


def _blocks_of(points: Series) -> BlockSummaries:
    """Summaries of ``points`` as the store keeps them (chunks of CHUNK_SIZE)."""
    parts = [
        (c, lod.body(lod.summarize(cut(points, lo, lo + CHUNK_SIZE))))
        for c, lo in enumerate(range(0, len(points), CHUNK_SIZE))
    ]
    return build(parts, len(points), "step", 0.0)


def _via_blocks(
    points: Series, buckets: int, x_min: float | None = None, x_max: float | None = None
) -> Downsampled:
    """The route's two passes, with the store's reads done from ``points`` in memory."""
    blocks = _blocks_of(points)
    chosen = plan(blocks, buckets, x_min, x_max)
    for _ in range(2):
        pieces = [
            cut(points, c * CHUNK_SIZE + s, c * CHUNK_SIZE + s + n) for c, s, n in chosen.read
        ]
        got = concat(*pieces) if pieces else Series.empty()
        x = got.steps.astype(np.float64)
        out = downsample_blocks(blocks, chosen, got, x, buckets, x_min, x_max)
        if out is not None:
            return out
        chosen = read_all(blocks, x_min, x_max)
    raise AssertionError("the second pass reads every point: it must answer")


def test_blocks_keep_extremes_spikes_and_nonfinite() -> None:
    rng = np.random.default_rng(3)
    n = 100_000
    values = np.exp(-np.arange(n) / 2e4) + rng.normal(0, 0.01, n)
    values[54_321] = 50.0  # a spike
    values[[777, 90_000]] = [np.nan, -np.inf]
    steps = np.arange(n, dtype=np.int64)
    steps[60_000:] -= 5_000  # a resumed run: steps go back once
    points = Series(steps, np.arange(n, dtype=np.float64), values)
    got = _via_blocks(points, 1000)
    want = downsample(steps.astype(np.float64), values, 1000)
    assert got.sampled and got.total == n and len(got.x) <= 1000
    assert got.max.max() == 50.0 == want.max.max()
    assert got.min.min() == want.min.min()
    assert np.array_equal(got.nonfinite_x, want.nonfinite_x)
    assert bits(got.nonfinite_y) == bits(want.nonfinite_y)
    assert bool(np.all(np.diff(got.x) > 0)) and bool(
        np.all((got.min <= got.y) & (got.y <= got.max))
    )
    # Same buckets up to a block at each edge: the means agree, but beside the spike
    # (which one bucket edge moves across).
    close = np.abs(np.interp(want.x, got.x, got.y) - want.y) <= 0.05
    assert close.mean() > 0.99


def test_blocks_zoom_gives_raw_points_and_range_cuts_exactly() -> None:
    n = 50_000
    points = Series(np.arange(n, dtype=np.int64), np.zeros(n), np.sin(np.arange(n) / 100.0))
    zoom = _via_blocks(points, 1000, 1000.5, 1900.0)
    assert not zoom.sampled and zoom.total == n
    assert zoom.x.tolist() == [float(i) for i in range(1001, 1901)]
    wide = _via_blocks(points, 100, 130.0, 40_000.0)
    assert wide.sampled and wide.x.min() >= 130.0 and wide.x.max() <= 40_000.0
    inside = points.values[130:40_001]
    assert wide.max.max() == inside.max() and wide.min.min() == inside.min()
