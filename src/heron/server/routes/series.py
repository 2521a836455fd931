"""Downsampled series for charts (``POST /series``), see ``heron.server.downsample``."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends

from heron import wire
from heron.errors import InvalidInput
from heron.keys import check_key
from heron.server.downsample import Downsampled, align_x, downsample
from heron.server.models import SeriesQuery
from heron.server.state import ServerState, server_state
from heron.store.base import Float64Array, Series

router = APIRouter(tags=["series"])
State = Annotated[ServerState, Depends(server_state)]
_BUILTIN_AXES = ("step", "time", "relative_time")
_READERS = 4  # below the store's connection pool (5 + 10 overflow)


@router.post("/series", summary="Downsampled series for charts")
def series(state: State, query: SeriesQuery) -> dict[str, Any]:
    keys = [check_key(k) for k in dict.fromkeys(query.keys)]
    axis = query.x_axis
    if axis not in _BUILTIN_AXES:
        check_key(axis)
    runs = list(dict.fromkeys(query.runs))
    wanted = keys if axis in _BUILTIN_AXES or axis in keys else [*keys, axis]

    def one_run(run_id: str) -> list[dict[str, Any]]:
        found = state.store.history(run_id, wanted)
        start = state.store.get_run(run_id).created_at if axis == "relative_time" else 0.0
        out = []
        for key in keys:
            points = found[key]
            x = _x(points, axis, found.get(axis), start)
            sampled = downsample(x, points.values, query.buckets, query.x_min, query.x_max)
            out.append(_to_json(run_id, key, sampled))
        return out

    # Decompressing chunks (zlib) and numpy release the GIL: runs decode in parallel.
    with ThreadPoolExecutor(min(_READERS, len(runs))) as pool:
        return {"series": [s for part in pool.map(one_run, runs) for s in part]}


def _x(points: Series, axis: str, x_series: Series | None, start: float) -> Float64Array:
    if axis == "step":
        return points.steps.astype(np.float64)
    if axis == "time":
        return points.times
    if axis == "relative_time":
        return points.times - start
    if x_series is None:
        raise InvalidInput(f"x_axis {axis!r} is not a metric key")
    return align_x(points.steps, x_series.steps, x_series.values)


def _to_json(run_id: str, key: str, s: Downsampled) -> dict[str, Any]:
    return {
        "run": run_id,
        "key": key,
        "total": s.total,
        "sampled": s.sampled,
        "x": wire.floats_to_json(s.x),
        "y": wire.floats_to_json(s.y),
        "min": wire.floats_to_json(s.min),
        "max": wire.floats_to_json(s.max),
        "nonfinite": {
            "x": wire.floats_to_json(s.nonfinite_x),
            "y": wire.floats_to_json(s.nonfinite_y),
        },
    }
