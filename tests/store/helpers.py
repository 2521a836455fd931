"""Builders for store tests: series, batches and runs in one line."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from heron.ids import new_run_id
from heron.store.base import Batch, Event, RunInfo, RunSpec, Series, Store

T0 = 1_700_000_000.0


def series(
    values: Sequence[float],
    steps: Sequence[int] | None = None,
    times: Sequence[float] | None = None,
) -> Series:
    n = len(values)
    return Series(
        np.asarray(range(n) if steps is None else steps, dtype=np.int64),
        np.asarray([T0 + i for i in range(n)] if times is None else times, dtype=np.float64),
        np.asarray(values, dtype=np.float64),
    )


def batch(
    run_id: str, seq: int, events: Sequence[Event] = (), **metrics: Series | Sequence[float]
) -> Batch:
    """``batch(id, 3, loss=[1.0, 0.5])``; keys with '/' go through ``metrics=`` of Batch."""
    built = {k: v if isinstance(v, Series) else series(v) for k, v in metrics.items()}
    return Batch(run_id, seq, metrics=built, events=list(events))


def new_run(store: Store, project: str = "proj", **spec: Any) -> RunInfo:
    return store.create_run(RunSpec(id=spec.pop("id", new_run_id()), project=project, **spec))


def bits(array: Any) -> list[int]:
    """Bit patterns of float64s: compares NaN, -0.0 and payloads exactly."""
    return np.asarray(array, dtype=np.float64).view(np.int64).tolist()  # type: ignore[no-any-return]
