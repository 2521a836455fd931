"""Chart reads: block summaries (``store.lod``) of many series, and points of chosen blocks.

Both read many runs and keys in a few queries (``IN`` lists in batches) and never
decode a chunk unless asked for its points, or unless its summary is missing (a chunk
written by a pre-0004 process still running during the upgrade: summarised here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement, FromClause

from heron.errors import NotFound
from heron.store import lod, series
from heron.store import schema as s
from heron.store.base import BlockRef, BlockSummaries, ChartAxis, Series
from heron.store.engine import fetch_bytes

_c = s.metric_chunks.c
_r = s.runs.c
_IN_BATCH = 500  # ids per IN (...) list
_MAX_PARAMS = 900  # bound parameters per query: below SQLite's oldest limit (999)
# Slack, in seconds, when SQL picks chunks by relative time: its arithmetic may round
# differently from numpy's by a few ulps of a timestamp (~1e-7 s); extra chunks are
# harmless, numpy filters the blocks exactly.
_RELATIVE_SLACK = 1e-3

Record = bytes  # one chunk's summary records (``lod.body``)
SeriesId = tuple[str, str]


def summaries(
    conn: Connection,
    run_ids: Sequence[str],
    keys: Sequence[str],
    axis: ChartAxis,
    x_min: float | None,
    x_max: float | None,
) -> dict[SeriesId, BlockSummaries]:
    runs = list(dict.fromkeys(run_ids))
    wanted = list(dict.fromkeys(keys))
    starts = _run_starts(conn, runs)
    if not wanted:
        return {}
    ranged = x_min is not None or x_max is not None
    records: dict[SeriesId, list[tuple[int, Record | None]]] = {}
    totals: dict[SeriesId, int] = {}
    source: FromClause = s.metric_chunks
    if axis == "relative_time" and ranged:
        source = source.join(s.runs, _r.id == _c.run_id)
    for i in range(0, len(runs), _IN_BATCH):
        part = runs[i : i + _IN_BATCH]
        query = (
            select(_c.run_id, _c.key, _c.chunk, _c.count, _c.lod)
            .select_from(source)
            .where(_c.run_id.in_(part), _c.key.in_(wanted), *_in_range(axis, x_min, x_max))
            .order_by(_c.run_id, _c.key, _c.chunk)
        )
        for run_id, key, chunk, count, summary in fetch_bytes(conn, query):
            found = None if summary is None else _lod_body(run_id, key, chunk, summary)
            records.setdefault((run_id, key), []).append((chunk, found))
            if not ranged:
                totals[(run_id, key)] = totals.get((run_id, key), 0) + int(count)
        if ranged:
            totals.update(_totals(conn, part, wanted))
    complete = _summarise_missing(conn, records)
    out = {}
    for sid, total in totals.items():  # a series with points, in range or not
        offset = starts[sid[0]] if axis == "relative_time" else 0.0
        out[sid] = build(complete.get(sid, []), total, axis, offset)
    return out


def points(
    conn: Connection, wanted: Mapping[SeriesId, Sequence[BlockRef]]
) -> dict[SeriesId, Series]:
    decoded = _decode(conn, wanted)
    out = {}
    for sid, refs in wanted.items():
        pieces = []
        for chunk, start, count in refs:
            found = decoded.get((*sid, chunk))
            if found is not None:
                pieces.append(series.cut(found, start, start + count))
        out[sid] = series.concat(*pieces) if pieces else Series.empty()
    return out


def _run_starts(conn: Connection, runs: list[str]) -> dict[str, float]:
    starts: dict[str, float] = {}
    for i in range(0, len(runs), _IN_BATCH):
        part = runs[i : i + _IN_BATCH]
        rows = conn.execute(select(_r.id, _r.created_at).where(_r.id.in_(part)))
        starts.update((run_id, float(created)) for run_id, created in rows)
    for run_id in runs:
        if run_id not in starts:
            raise NotFound(f"run {run_id!r} not found")
    return starts


def _in_range(
    axis: ChartAxis, x_min: float | None, x_max: float | None
) -> list[ColumnElement[bool]]:
    """Conditions keeping the chunks that may hold x in the range (the chunk columns
    ignore NaN times, whose points cannot be placed anyway)."""
    lo: Any
    hi: Any
    if axis == "step":
        lo_col, hi_col, shift, slack = _c.step_min, _c.step_max, None, 0.0
    else:
        lo_col, hi_col = _c.time_min, _c.time_max
        shift, slack = (_r.created_at, _RELATIVE_SLACK) if axis == "relative_time" else (None, 0.0)
    where: list[ColumnElement[bool]] = []
    if x_min is not None:
        lo = x_min - slack if shift is None else shift + (x_min - slack)
        where.append(hi_col >= lo)
    if x_max is not None:
        hi = x_max + slack if shift is None else shift + (x_max + slack)
        where.append(lo_col <= hi)
    return where


def _totals(conn: Connection, runs: list[str], keys: list[str]) -> dict[SeriesId, int]:
    query = (
        select(_c.run_id, _c.key, func.sum(_c.count))
        .where(_c.run_id.in_(runs), _c.key.in_(keys))
        .group_by(_c.run_id, _c.key)
    )
    return {(run_id, key): int(total) for run_id, key, total in conn.execute(query)}


def _summarise_missing(
    conn: Connection, records: dict[SeriesId, list[tuple[int, Record | None]]]
) -> dict[SeriesId, list[tuple[int, Record]]]:
    """``records`` with every missing summary computed from its chunk's points."""
    wanted = {
        sid: [(chunk, 0, 0) for chunk, found in parts if found is None]
        for sid, parts in records.items()
    }
    decoded = _decode(conn, {sid: refs for sid, refs in wanted.items() if refs})
    out: dict[SeriesId, list[tuple[int, Record]]] = {}
    for sid, parts in records.items():
        done = []
        for chunk, found in parts:
            if found is None:
                points = decoded.get((*sid, chunk))
                if points is None:  # deleted meanwhile (not in this transaction's view)
                    continue
                found = lod.body(lod.summarize(points))
            done.append((chunk, found))
        out[sid] = done
    return out


def _decode(
    conn: Connection, wanted: Mapping[SeriesId, Sequence[BlockRef]]
) -> dict[tuple[str, str, int], Series]:
    """The decoded chunks that ``wanted`` names, keyed by (run, key, chunk)."""
    out: dict[tuple[str, str, int], Series] = {}
    clauses: list[ColumnElement[bool]] = []
    params = 0
    for (run_id, key), refs in wanted.items():
        numbers = sorted({chunk for chunk, _, _ in refs})
        for j in range(0, len(numbers), _MAX_PARAMS - 2):
            group = numbers[j : j + _MAX_PARAMS - 2]
            if params + len(group) + 2 > _MAX_PARAMS:
                _decode_some(conn, clauses, out)
                clauses, params = [], 0
            clauses.append(and_(_c.run_id == run_id, _c.key == key, _c.chunk.in_(group)))
            params += len(group) + 2
    if clauses:
        _decode_some(conn, clauses, out)
    return out


def _decode_some(
    conn: Connection, clauses: list[ColumnElement[bool]], out: dict[tuple[str, str, int], Series]
) -> None:
    query = select(_c.run_id, _c.key, _c.chunk, _c.data).where(or_(*clauses))
    for run_id, key, chunk, data in fetch_bytes(conn, query):
        out[(run_id, key, chunk)] = series.decode(run_id, key, chunk, data)


def _lod_body(run_id: str, key: str, chunk: int, summary: bytes) -> Record:
    try:
        return lod.body(bytes(summary))
    except lod.LodFormatError as exc:
        raise series.corrupt_chunk(run_id, key, chunk, exc) from None


def build(
    parts: list[tuple[int, Record]], total: int, axis: ChartAxis, offset: float
) -> BlockSummaries:
    rec = np.frombuffer(b"".join(r for _, r in parts), lod.RECORD)
    sizes = np.array([len(r) // lod.RECORD.itemsize for _, r in parts], np.int64)
    chunk = np.repeat(np.array([c for c, _ in parts], np.int64), sizes)
    first = np.repeat(np.cumsum(sizes) - sizes, sizes)  # each block's chunk's first block
    start = (np.arange(rec.shape[0]) - first) * lod.BLOCK
    finite = rec["finite"].astype(np.int64)
    if axis == "step":
        x_min = rec["step_min"].astype(np.float64)
        x_max = rec["step_max"].astype(np.float64)
        x_sum = rec["step_sum"].astype(np.float64)
    else:
        x_min = rec["time_min"] - offset
        x_max = rec["time_max"] - offset
        x_sum = rec["time_sum"] - finite * offset
    return BlockSummaries(
        total=total,
        x_offset=offset,
        chunk=chunk,
        start=start,
        count=rec["count"].astype(np.int64),
        finite=finite,
        x_min=x_min,
        x_max=x_max,
        x_sum=x_sum,
        y_min=rec["y_min"].astype(np.float64),
        y_max=rec["y_max"].astype(np.float64),
        y_sum=rec["y_sum"].astype(np.float64),
    )
