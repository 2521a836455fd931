"""Metric series in ``metric_chunks``: appending points and reading histories.

A series is a run of chunks numbered 0, 1, 2, ... in log order. Every chunk but the
last holds exactly ``CHUNK_SIZE`` points; appending rewrites the last ("tail") chunk
until it is full, then starts new ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from sqlalchemy import and_, bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from heron.errors import InvalidInput, StoreError
from heron.store import chunks, lod
from heron.store import schema as s
from heron.store.base import Float64Array, Series
from heron.store.engine import fetch_bytes

_c = s.metric_chunks.c
# Beyond ~285 years after the epoch a float64 time has no microseconds left to round.
_MAX_ROUNDED = 2.0**53 / 1e6
_CHUNK_COLUMNS = ("count", "step_min", "step_max", "time_min", "time_max", "data", "lod")


def normalise(key: str, series: Series) -> Series:
    """Typed, equal-length columns; wall times rounded to the microseconds the store keeps."""
    steps = np.asarray(series.steps, dtype=np.int64).reshape(-1)
    times = np.asarray(series.times, dtype=np.float64).reshape(-1)
    values = np.asarray(series.values, dtype=np.float64).reshape(-1)
    if not steps.shape == times.shape == values.shape:
        raise InvalidInput(
            f"metric {key!r}: steps, times and values differ in length "
            f"({steps.shape[0]}, {times.shape[0]}, {values.shape[0]})"
        )
    with np.errstate(over="ignore", invalid="ignore"):  # huge/NaN times: kept as they are
        rounded = np.round(times * 1e6) / 1e6
    return Series(steps, np.where(np.abs(times) < _MAX_ROUNDED, rounded, times), values)


def append(conn: Connection, run_id: str, batch: Mapping[str, Series]) -> None:
    """Append every series of ``batch`` (key -> non-empty normalised series)."""
    if not batch:
        return
    tails = _tails(conn, run_id, list(batch))
    new_rows: list[dict[str, object]] = []
    rewrites: list[dict[str, object]] = []
    for key, series in batch.items():
        tail = tails.get(key)
        next_chunk = 0
        pending = series
        if tail is not None:
            number, count, data = tail
            next_chunk = number + 1
            if count < chunks.CHUNK_SIZE:
                pending = concat(decode(run_id, key, number, data), series)
                head = cut(pending, 0, chunks.CHUNK_SIZE)
                row = {f"b_{name}": v for name, v in _chunk_row(head).items()}
                rewrites.append({"b_run_id": run_id, "b_key": key, "b_chunk": number, **row})
                pending = cut(pending, chunks.CHUNK_SIZE, len(pending))
        for start in range(0, len(pending), chunks.CHUNK_SIZE):
            part = cut(pending, start, start + chunks.CHUNK_SIZE)
            new_rows.append({"run_id": run_id, "key": key, "chunk": next_chunk, **_chunk_row(part)})
            next_chunk += 1
    if rewrites:
        conn.execute(_rewrite_statement(), rewrites)
    if new_rows:
        conn.execute(insert(s.metric_chunks), new_rows)


def read(conn: Connection, run_id: str, keys: Iterable[str] | None) -> dict[str, Series]:
    """Whole series in log order; a requested key without points gets an empty series.

    Each series' arrays are allocated once, at their full length (the chunks' counts,
    asked first), and every chunk is decoded straight into its slice as its row
    arrives: reading 10M points holds the 240 MB of the result and one chunk more,
    never a list of pieces and their concatenation."""
    where = [_c.run_id == run_id]
    wanted = None if keys is None else list(dict.fromkeys(keys))
    if wanted is not None:
        if not wanted:
            return {}
        where.append(_c.key.in_(wanted))
    sizes = select(_c.key, func.sum(_c.count)).where(*where).group_by(_c.key)
    out = {key: _empty(int(total)) for key, total in conn.execute(sizes)}
    query = select(_c.key, _c.chunk, _c.count, _c.data).where(*where).order_by(_c.key, _c.chunk)
    filled = dict.fromkeys(out, 0)
    rows = conn.execute(query) if conn.dialect.name == "sqlite" else fetch_bytes(conn, query)
    for key, number, count, data in rows:  # SQLite: one row at a time off the cursor
        start = filled.get(key, 0)
        if start + count > len(out.get(key, ())):  # appended to since the sizes were
            # asked (PostgreSQL reads committed rows per statement): grow, rarely
            out[key] = concat(cut(out.get(key, _empty(0)), 0, start), _empty(count))
        try:
            chunks.decode_into(bytes(data), cut(out[key], start, start + count))
        except chunks.ChunkFormatError as exc:
            raise corrupt_chunk(run_id, key, number, exc) from None
        filled[key] = start + count
    for key, series in list(out.items()):  # chunks deleted meanwhile: what was read
        if filled.get(key, 0) < len(series):
            out[key] = cut(series, 0, filled.get(key, 0))
    if wanted is None:
        return out
    return {key: out.get(key, Series.empty()) for key in wanted}


def _empty(n: int) -> Series:
    return Series(np.empty(n, np.int64), np.empty(n, np.float64), np.empty(n, np.float64))


def decode(run_id: str, key: str, chunk: int, data: bytes) -> Series:
    """A stored chunk's points; StoreError naming the series when it is unreadable."""
    try:
        return chunks.decode(bytes(data))
    except chunks.ChunkFormatError as exc:
        raise corrupt_chunk(run_id, key, chunk, exc) from None


def corrupt_chunk(run_id: str, key: str, chunk: int, exc: StoreError) -> StoreError:
    """The error for a stored chunk (or its summary) that cannot be read."""
    return StoreError(
        f"metric {key!r} of run {run_id!r}: stored chunk {chunk} is unreadable "
        f"({exc.message}). The database was changed outside Heron or is damaged: restore "
        f"it from a backup, or delete the run (heron runs rm {run_id})"
    )


def _tails(conn: Connection, run_id: str, keys: list[str]) -> dict[str, tuple[int, int, bytes]]:
    """key -> (chunk number, count, data) of the last chunk, for keys that have one."""
    rows = conn.execute(_tails_query(), {"run_id": run_id, "keys": keys})
    return {key: (int(chunk), int(count), bytes(data)) for key, chunk, count, data in rows}


_statements: dict[str, Any] = {}  # built once: building one per batch cost more than running it


def _tails_query() -> Any:
    found = _statements.get("tails")
    if found is None:
        run_id: Any = bindparam("run_id")
        last = (
            select(_c.key, func.max(_c.chunk).label("chunk"))
            .where(_c.run_id == run_id, _c.key.in_(bindparam("keys", expanding=True)))
            .group_by(_c.key)
            .subquery()
        )
        query = select(_c.key, _c.chunk, _c.count, _c.data).join(
            last, and_(_c.key == last.c.key, _c.chunk == last.c.chunk)
        )
        found = _statements["tails"] = query.where(_c.run_id == run_id)
    return found


def _rewrite_statement() -> Any:
    found = _statements.get("rewrite")
    if found is None:
        found = _statements["rewrite"] = (
            update(s.metric_chunks)
            .where(
                _c.run_id == bindparam("b_run_id"),
                _c.key == bindparam("b_key"),
                _c.chunk == bindparam("b_chunk"),
            )
            .values({name: bindparam(f"b_{name}") for name in _CHUNK_COLUMNS})
        )
    return found


def _chunk_row(part: Series) -> dict[str, object]:
    return {
        "count": len(part),
        "step_min": int(part.steps.min()),
        "step_max": int(part.steps.max()),
        "time_min": _finite_or_zero(part.times, np.fmin),
        "time_max": _finite_or_zero(part.times, np.fmax),
        "data": chunks.encode_series(part),
        "lod": lod.summarize(part),
    }


def _finite_or_zero(times: Float64Array, pick: np.ufunc) -> float:
    """min/max ignoring NaN; 0.0 when all are NaN (the column is NOT NULL, SQLite has no NaN)."""
    found = float(pick.reduce(times))
    return 0.0 if np.isnan(found) else found


def cut(series: Series, start: int, stop: int) -> Series:
    """Points ``[start, stop)`` of ``series`` (views, no copy)."""
    return Series(series.steps[start:stop], series.times[start:stop], series.values[start:stop])


def concat(*parts: Series) -> Series:
    """One series of ``parts`` (at least one), in order."""
    if len(parts) == 1:
        return parts[0]
    return Series(
        np.concatenate([p.steps for p in parts]),
        np.concatenate([p.times for p in parts]),
        np.concatenate([p.values for p in parts]),
    )
