"""Downsampled series for charts (``POST /series``), see ``heron.server.downsample``."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from fastapi import APIRouter, Request, Response

from heron import wire
from heron.keys import check_key
from heron.server import chart_cache, series_codec
from heron.server.downsample import (
    Downsampled,
    align_x,
    check_request,
    downsample,
    downsample_blocks,
    plan,
    read_all,
)
from heron.server.models import Chart, ChartSeries, SeriesQuery
from heron.server.problems import PROBLEMS
from heron.server.responses import json_response
from heron.server.state import ServerState, State
from heron.store.base import BlockReads, ChartAxis, Float64Array, RunStore, Series

router = APIRouter(tags=["series"], responses=PROBLEMS)
_BUILTIN_AXES: tuple[ChartAxis, ...] = ("step", "time", "relative_time")
_NONE = np.empty(0, np.float64)
_READERS = 4  # below the store's connection pool (5 + 10 overflow)
_CACHE = chart_cache.ChartCache()


@router.post(
    "/series",
    response_model=Chart,
    summary="Downsampled series for charts",
    responses={
        200: {
            "description": (
                "The series as JSON, or with `Accept: application/vnd.heron.series` as "
                "float64 arrays (same values, bit for bit; see heron.server.series_codec)"
            ),
            "content": {
                series_codec.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
def series(state: State, query: SeriesQuery, request: Request) -> Response:
    found = _answer(state, query)
    if series_codec.wants_binary(request.headers.get("accept")):
        return Response(series_codec.encode(found), media_type=series_codec.MEDIA_TYPE)
    # One pass from numpy to JSON bytes (json_response): a chart holds ~400k numbers.
    return json_response({"series": [_to_json(run, key, s) for run, key, s in found]})


def _answer(state: ServerState, query: SeriesQuery) -> list[tuple[str, str, Downsampled]]:
    keys = [check_key(k) for k in dict.fromkeys(query.keys)]
    axis = query.x_axis
    runs = list(dict.fromkeys(query.runs))
    if axis not in _BUILTIN_AXES:
        check_key(axis)
    wanted = keys if axis in keys or axis in _BUILTIN_AXES else [*keys, axis]
    store = _reads(state, runs)

    if axis in _BUILTIN_AXES and isinstance(store, BlockReads):
        found = _from_blocks(store, runs, keys, axis, query)
        empty = downsample(_NONE, _NONE, query.buckets)
        return [(run_id, key, found.get((run_id, key), empty)) for run_id in runs for key in keys]

    def one_run(run_id: str) -> list[tuple[str, str, Downsampled]]:
        found = store.history(run_id, wanted)
        start = store.get_run(run_id).created_at if axis == "relative_time" else 0.0
        out = []
        for key in keys:
            points = found[key]
            x = _x(points, axis, start) if axis in _BUILTIN_AXES else _aligned(points, found[axis])
            sampled = downsample(x, points.values, query.buckets, query.x_min, query.x_max)
            out.append((run_id, key, sampled))
        return out

    # Another metric as x, or a store without block reads: whole series. Decompressing
    # chunks (zlib) and numpy release the GIL: runs decode in parallel.
    with ThreadPoolExecutor(min(_READERS, len(runs))) as pool:
        return [s for part in pool.map(one_run, runs) for s in part]


def _reads(state: ServerState, runs: list[str]) -> RunStore:
    """The store to read ``runs`` from, once the caller may read each run's project
    (NotFound for an unknown run; a run's project is cached by the service)."""
    return state.tracking.runs_reads(runs)


def _from_blocks(
    store: BlockReads, runs: list[str], keys: list[str], axis: ChartAxis, query: SeriesQuery
) -> dict[tuple[str, str], Downsampled]:
    """Every series from block summaries plus the points of the blocks they cannot
    stand for: three or four queries whatever the number of runs."""
    buckets, x_min, x_max = query.buckets, query.x_min, query.x_max
    check_request(buckets, x_min, x_max)
    found = store.block_summaries(runs, keys, axis, x_min, x_max)
    # answers given before, while the summaries still describe the same points
    where = (id(store), axis, buckets, x_min, x_max)
    marks = {sid: chart_cache.fingerprint(blocks) for sid, blocks in found.items()}
    out: dict[tuple[str, str], Downsampled] = {}
    for sid, mark in marks.items():
        kept = _CACHE.get((*where, *sid), mark)
        if kept is not None:
            out[sid] = kept
    plans = {
        sid: plan(blocks, buckets, x_min, x_max) for sid, blocks in found.items() if sid not in out
    }
    fresh: list[tuple[str, str]] = list(plans)
    for _ in range(2 if plans else 0):  # a second pass reads every point of those that need them
        points = store.block_points({sid: p.read for sid, p in plans.items() if p.read})
        again = {}
        for sid, chosen in plans.items():
            blocks = found[sid]
            got = points.get(sid, Series.empty())
            x = _x(got, axis, blocks.x_offset)
            result = downsample_blocks(blocks, chosen, got, x, buckets, x_min, x_max)
            if result is None:
                again[sid] = read_all(blocks, x_min, x_max)
            else:
                out[sid] = result
        if not again:
            break
        plans = again
    for sid in fresh:
        _CACHE.put((*where, *sid), marks[sid], out[sid])
    return out


def _aligned(points: Series, x_series: Series) -> Float64Array:
    return align_x(points.steps, x_series.steps, x_series.values)


def _x(points: Series, axis: str, offset: float) -> Float64Array:
    if axis == "step":
        return points.steps.astype(np.float64)
    return points.times - offset if offset else points.times


def _to_json(run_id: str, key: str, s: Downsampled) -> ChartSeries:
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
