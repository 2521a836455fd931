"""Downsampling metric series for charts: min/max + mean buckets, pure numpy.

A chart is a few thousand pixels wide, a series may hold millions of points. The x
range is cut into ``buckets`` equal-width buckets; each non-empty bucket reports the
mean y at its mean x plus the bucket's min and max, so spikes stay visible instead of
being sampled away. When the range holds at most ``buckets`` points, every point
comes back as it is (``sampled`` False, min = max = y).

Non-finite values are never averaged: points whose y is NaN or ±inf come back
separately (``nonfinite_*``) at their x; when sampled, at most one per bucket and
kind (NaN, +inf, -inf), the first. Points whose x is not finite (an x-axis metric
missing at that step, a NaN time) cannot be placed and are left out.

Long series are bucketed from the store's block summaries (``heron.store.lod``)
instead of their points: :func:`plan` picks the blocks that can stand for their
points, :func:`downsample_blocks` buckets those whole, by their mean x, with the
points of every other block. A summarised block has only finite values, lies inside
the range and spans at most one bucket width, so each bucket's min and max are exact
for the points assigned to it; bucket edges follow block edges (up to ``BLOCK``
points). Blocks with NaN/inf values, cut by the range, or whose x jumps (steps going
back, a NaN time) are read as points. Fewer than ``BLOCK`` finite points per bucket
on average: every point is read, as :func:`downsample` would see them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from heron.errors import InvalidInput
from heron.store.base import BlockRef, BlockSummaries, Float64Array, Int64Array, Series
from heron.store.lod import BLOCK

_EMPTY = np.empty(0, np.float64)


@dataclass(frozen=True)
class Downsampled:
    total: int  # points in the series, before the range was applied
    sampled: bool
    x: Float64Array
    y: Float64Array
    min: Float64Array
    max: Float64Array
    nonfinite_x: Float64Array
    nonfinite_y: Float64Array


def downsample(
    x: Float64Array,
    y: Float64Array,
    buckets: int,
    x_min: float | None = None,
    x_max: float | None = None,
) -> Downsampled:
    """At most ``buckets`` buckets of (x, y) over ``[x_min, x_max]`` (None: the data's
    own range), in x order. See the module doc."""
    check_request(buckets, x_min, x_max)
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    if x.shape != y.shape:
        raise InvalidInput(f"x and y differ in length ({x.shape[0]} and {y.shape[0]})")
    total = int(y.shape[0])
    keep = np.isfinite(x)
    if x_min is not None:
        keep &= x >= x_min
    if x_max is not None:
        keep &= x <= x_max
    if not keep.all():
        x, y = x[keep], y[keep]
    finite = np.isfinite(y)
    if finite.all():
        fx, fy, nx, ny = x, y, _EMPTY, _EMPTY
    else:
        fx, fy, nx, ny = x[finite], y[finite], x[~finite], y[~finite]
    if fx.shape[0] <= buckets:
        order = np.argsort(fx, kind="stable")
        fx, fy = fx[order], fy[order]
        n_order = np.argsort(nx, kind="stable")
        return Downsampled(total, False, fx, fy, fy, fy, nx[n_order], ny[n_order])
    lo = float(fx.min()) if x_min is None else x_min
    hi = float(fx.max()) if x_max is None else x_max
    index = _bucket_index(fx, lo, hi, buckets)
    ones = np.ones(fx.shape[0], np.int64)
    bx, by, bmin, bmax = _reduce(index, ones, fx, fy, fy, fy, buckets)
    kx, ky = _first_per_bucket(nx, ny, lo, hi, buckets)
    return Downsampled(total, True, bx, by, bmin, bmax, kx, ky)


def check_request(buckets: int, x_min: float | None, x_max: float | None) -> None:
    if buckets < 1:
        raise InvalidInput(f"buckets must be at least 1, got {buckets}")
    if x_min is not None and x_max is not None and x_min > x_max:
        raise InvalidInput(f"x_min ({x_min}) is greater than x_max ({x_max})")


@dataclass(frozen=True)
class BlockPlan:
    """Which blocks of a series stand as summaries; the others are read as points."""

    summarised: npt.NDArray[np.bool_]  # per block
    read: list[BlockRef]  # runs of blocks to read, in log order


def plan(
    blocks: BlockSummaries, buckets: int, x_min: float | None, x_max: float | None
) -> BlockPlan:
    """The blocks :func:`downsample_blocks` may use whole (see the module doc)."""
    check_request(buckets, x_min, x_max)
    lo_x, hi_x = blocks.x_min, blocks.x_max
    lo = -np.inf if x_min is None else x_min
    hi = np.inf if x_max is None else x_max
    with np.errstate(invalid="ignore"):  # NaN extents: neither outside nor inside
        overlap = ~((hi_x < lo) | (lo_x > hi))
        inside = (lo_x >= lo) & (hi_x <= hi) & np.isfinite(lo_x) & np.isfinite(hi_x)
    if int(blocks.finite[overlap].sum()) < buckets * BLOCK:
        return BlockPlan(np.zeros(len(blocks), np.bool_), _runs_of(blocks, overlap))
    placed = inside & (blocks.finite > 0)
    span_lo = lo if x_min is not None else float(lo_x[placed].min(initial=np.inf))
    span_hi = hi if x_max is not None else float(hi_x[placed].max(initial=-np.inf))
    with np.errstate(over="ignore", invalid="ignore"):
        width = (span_hi - span_lo) / buckets  # an estimate: the exact range comes later
        usable = (
            inside
            & (blocks.finite == blocks.count)
            & (hi_x - lo_x <= width)
            & np.isfinite(blocks.x_sum)
            & np.isfinite(blocks.y_sum)
        )
    return BlockPlan(usable, _runs_of(blocks, overlap & ~usable))


def read_all(blocks: BlockSummaries, x_min: float | None, x_max: float | None) -> BlockPlan:
    """A plan reading every block that may hold points in the range."""
    lo = -np.inf if x_min is None else x_min
    hi = np.inf if x_max is None else x_max
    with np.errstate(invalid="ignore"):
        overlap = ~((blocks.x_max < lo) | (blocks.x_min > hi))
    return BlockPlan(np.zeros(len(blocks), np.bool_), _runs_of(blocks, overlap))


def downsample_blocks(
    blocks: BlockSummaries,
    chosen: BlockPlan,
    points: Series,
    x: Float64Array,
    buckets: int,
    x_min: float | None = None,
    x_max: float | None = None,
) -> Downsampled | None:
    """What :func:`downsample` gives for the whole series, from the summarised blocks
    of ``chosen`` and the ``points`` (x: ``x``) of its other blocks. None when the
    range turns out to hold at most ``buckets`` finite points: read them all then."""
    sel = chosen.summarised
    if not sel.any():
        return replace(downsample(x, points.values, buckets, x_min, x_max), total=blocks.total)
    keep = np.isfinite(x)
    if x_min is not None:
        keep &= x >= x_min
    if x_max is not None:
        keep &= x <= x_max
    x, y = x[keep], points.values[keep]
    finite = np.isfinite(y)
    fx, fy, nx, ny = x[finite], y[finite], x[~finite], y[~finite]
    count = blocks.finite[sel]
    if int(count.sum()) + fx.shape[0] <= buckets:
        return None
    lo_x, hi_x = blocks.x_min[sel], blocks.x_max[sel]
    lo = float(min(lo_x.min(), fx.min(initial=np.inf))) if x_min is None else x_min
    hi = float(max(hi_x.max(), fx.max(initial=-np.inf))) if x_max is None else x_max
    centre = np.clip(blocks.x_sum[sel] / count, lo_x, hi_x)
    join = np.concatenate  # (np.r_ costs ~15 µs a call: this runs for every series)
    index = join((_bucket_index(centre, lo, hi, buckets), _bucket_index(fx, lo, hi, buckets)))
    weights = join((count, np.ones(fx.shape[0], np.int64)))
    bx, by, bmin, bmax = _reduce(
        index,
        weights,
        join((blocks.x_sum[sel], fx)),
        join((blocks.y_sum[sel], fy)),
        join((blocks.y_min[sel], fy)),
        join((blocks.y_max[sel], fy)),
        buckets,
    )
    kx, ky = _first_per_bucket(nx, ny, lo, hi, buckets)
    return Downsampled(blocks.total, True, bx, by, bmin, bmax, kx, ky)


def _runs_of(blocks: BlockSummaries, mask: npt.NDArray[np.bool_]) -> list[BlockRef]:
    """The masked blocks as (chunk, start, count) runs of neighbouring blocks."""
    chunk, start, count = blocks.chunk[mask], blocks.start[mask], blocks.count[mask]
    if chunk.shape[0] == 0:
        return []
    joined = (chunk[1:] == chunk[:-1]) & (start[1:] == start[:-1] + count[:-1])
    firsts = np.flatnonzero(np.concatenate(([True], ~joined)))
    sizes = np.add.reduceat(count, firsts)
    return list(zip(chunk[firsts].tolist(), start[firsts].tolist(), sizes.tolist(), strict=True))


def _bucket_index(x: Float64Array, lo: float, hi: float, buckets: int) -> Int64Array:
    if not hi > lo:  # a single x value: one bucket
        return np.zeros(x.shape[0], np.int64)
    with np.errstate(over="ignore", invalid="ignore"):  # hi - lo may overflow to inf
        scaled = (x - lo) / (hi - lo) * buckets
    # Clipped as floats: a value past int64's range (a tiny hi - lo) must not be cast.
    scaled = np.nan_to_num(scaled, nan=0.0, posinf=buckets - 1, neginf=0.0)
    np.clip(scaled, 0, buckets - 1, out=scaled)
    return scaled.astype(np.int64)


def _reduce(
    index: Int64Array,
    count: Int64Array,
    x_sum: Float64Array,
    y_sum: Float64Array,
    y_min: Float64Array,
    y_max: Float64Array,
    buckets: int,
) -> tuple[Float64Array, Float64Array, Float64Array, Float64Array]:
    """Mean x, mean y, min y and max y of every non-empty bucket, in bucket order, of
    items (a point: count 1; a block: its count and sums) with bucket ``index``."""
    if index.shape[0] > 1 and bool((index[1:] < index[:-1]).any()):
        order = np.argsort(index, kind="stable")
        index, count, x_sum, y_sum = index[order], count[order], x_sum[order], y_sum[order]
        y_min, y_max = y_min[order], y_max[order]
    counts = np.bincount(index, weights=count, minlength=buckets).astype(np.float64)
    present = counts > 0
    mean_x = _means(index, x_sum, counts, buckets)[present]
    mean_y = _means(index, y_sum, counts, buckets)[present]
    starts = np.flatnonzero(np.concatenate(([True], index[1:] != index[:-1])))
    low: Float64Array = np.minimum.reduceat(y_min, starts)
    high: Float64Array = np.maximum.reduceat(y_max, starts)
    # Rounding may put a mean a hair outside its bucket's min and max.
    return mean_x, np.clip(mean_y, low, high), low, high


def _means(
    index: Int64Array, sums: Float64Array, counts: Float64Array, buckets: int
) -> Float64Array:
    """Per-bucket means of items' sums; summed as sum/count where a plain sum
    overflows to inf."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        total = np.bincount(index, weights=sums, minlength=buckets).astype(np.float64)
        means: Float64Array = total / counts
    if not np.isfinite(means[counts > 0]).all():
        share = 1.0 / counts[index]
        means = np.bincount(index, weights=sums * share, minlength=buckets).astype(np.float64)
    return means


def _first_per_bucket(
    x: Float64Array, y: Float64Array, lo: float, hi: float, buckets: int
) -> tuple[Float64Array, Float64Array]:
    if x.shape[0] == 0:
        return _EMPTY, _EMPTY
    kind = np.where(np.isnan(y), 0, np.where(y > 0, 1, 2))
    key = _bucket_index(x, lo, hi, buckets) * 3 + kind
    _, first = np.unique(key, return_index=True)
    first.sort()  # log order within the survivors ...
    order = first[np.argsort(x[first], kind="stable")]  # ... then x order
    return x[order], y[order]


def align_x(steps: Int64Array, x_steps: Int64Array, x_values: Float64Array) -> Float64Array:
    """The x-axis metric's value at each of ``steps`` (NaN where it has none).

    When the x metric logged a step more than once, its last value at that step wins.
    """
    steps = np.asarray(steps, np.int64)
    if x_steps.shape[0] == 0:
        return np.full(steps.shape[0], np.nan)
    order = np.argsort(x_steps, kind="stable")
    sorted_steps = x_steps[order]
    # The last of equal steps: the position before the next larger step.
    last = np.r_[sorted_steps[1:] != sorted_steps[:-1], True]
    known_steps, known_values = sorted_steps[last], x_values[order][last]
    at = np.searchsorted(known_steps, steps)
    at_clipped = np.minimum(at, known_steps.shape[0] - 1)
    found = known_steps[at_clipped] == steps
    return np.where(found, known_values[at_clipped], np.nan)
