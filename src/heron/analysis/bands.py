"""A group of runs' curves as one mean line with a band: std, min-max or 95 % CI.

The curves are aligned on their steps (a step some runs lack is averaged over the
runs that have it; ``count`` says how many). Non-finite points are left out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from heron.errors import InvalidInput

Array = np.ndarray[Any, Any]

__all__ = ["BAND_KINDS", "Band", "group_band"]

BandKind = Literal["std", "minmax", "ci95"]
BAND_KINDS: tuple[BandKind, ...] = ("std", "minmax", "ci95")


@dataclass(frozen=True)
class Band:
    steps: list[int]
    mean: list[float]
    low: list[float]
    high: list[float]
    count: list[int]


def group_band(
    curves: Sequence[tuple[Sequence[int] | Array, Sequence[float] | Array]],
    kind: BandKind = "std",
) -> Band:
    """One mean curve and its band from ``(steps, values)`` per run."""
    if kind not in BAND_KINDS:
        raise InvalidInput(f"band must be one of {', '.join(BAND_KINDS)}, got {kind!r}")
    steps_all: list[Array] = []
    values_all: list[Array] = []
    for steps, values in curves:
        s = np.asarray(steps, dtype=np.int64)
        v = np.asarray(values, dtype=np.float64)
        keep = np.isfinite(v)
        steps_all.append(s[keep])
        values_all.append(v[keep])
    if not steps_all or not any(s.size for s in steps_all):
        return Band([], [], [], [], [])
    steps = np.concatenate(steps_all)
    values = np.concatenate(values_all)
    order = np.argsort(steps, kind="stable")
    steps, values = steps[order], values[order]
    unique, start = np.unique(steps, return_index=True)
    count = np.diff(np.append(start, steps.size))
    total = np.add.reduceat(values, start)
    mean = total / count
    if kind == "minmax":
        low = np.minimum.reduceat(values, start)
        high = np.maximum.reduceat(values, start)
    else:
        squares = np.add.reduceat((values - np.repeat(mean, count)) ** 2, start)
        with np.errstate(invalid="ignore", divide="ignore"):
            std = np.sqrt(squares / (count - 1))
        std[count < 2] = 0.0
        half = std if kind == "std" else _t_quantiles(count) * std / np.sqrt(count)
        low, high = mean - half, mean + half
    return Band(
        unique.tolist(), mean.tolist(), low.tolist(), high.tolist(), count.astype(int).tolist()
    )


def _t_quantiles(count: Array) -> Array:
    from scipy import stats

    df = np.maximum(count - 1, 1)
    q = stats.t.ppf(0.975, df)
    q[count < 2] = 0.0
    return np.where(np.isfinite(q), q, math.inf)
