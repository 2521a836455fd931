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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from heron.errors import InvalidInput
from heron.store.base import Float64Array, Int64Array

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
    if buckets < 1:
        raise InvalidInput(f"buckets must be at least 1, got {buckets}")
    if x_min is not None and x_max is not None and x_min > x_max:
        raise InvalidInput(f"x_min ({x_min}) is greater than x_max ({x_max})")
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
    bx, by, bmin, bmax = _reduce(index, fx, fy, buckets)
    kx, ky = _first_per_bucket(nx, ny, lo, hi, buckets)
    return Downsampled(total, True, bx, by, bmin, bmax, kx, ky)


def _bucket_index(x: Float64Array, lo: float, hi: float, buckets: int) -> Int64Array:
    if not hi > lo:  # a single x value: one bucket
        return np.zeros(x.shape[0], np.int64)
    with np.errstate(over="ignore", invalid="ignore"):  # hi - lo may overflow to inf
        scaled = (x - lo) / (hi - lo) * buckets
    index = np.nan_to_num(scaled, nan=0.0, posinf=buckets - 1).astype(np.int64)
    np.clip(index, 0, buckets - 1, out=index)
    return index


def _reduce(
    index: Int64Array, x: Float64Array, y: Float64Array, buckets: int
) -> tuple[Float64Array, Float64Array, Float64Array, Float64Array]:
    """Mean x, mean y, min y and max y of every non-empty bucket, in bucket order."""
    if index.shape[0] > 1 and bool((index[1:] < index[:-1]).any()):
        order = np.argsort(index, kind="stable")
        index, x, y = index[order], x[order], y[order]
    counts = np.bincount(index, minlength=buckets)
    present = counts > 0
    mean_x = _means(index, x, counts, buckets)[present]
    mean_y = _means(index, y, counts, buckets)[present]
    starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
    low: Float64Array = np.minimum.reduceat(y, starts)
    high: Float64Array = np.maximum.reduceat(y, starts)
    # Rounding may put a mean a hair outside its bucket's min and max.
    return mean_x, np.clip(mean_y, low, high), low, high


def _means(index: Int64Array, v: Float64Array, counts: Int64Array, buckets: int) -> Float64Array:
    """Per-bucket means; sums of value/count where a plain sum overflows to inf."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        sums = np.bincount(index, weights=v, minlength=buckets).astype(np.float64)
        means: Float64Array = sums / counts
    if not np.isfinite(means[counts > 0]).all():
        share = 1.0 / counts[index]
        means = np.bincount(index, weights=v * share, minlength=buckets).astype(np.float64)
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
