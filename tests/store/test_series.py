"""``store.series`` on both databases: a series whose chunks an older Heron wrote
(chunk format 2) reads back whole, and appending to it rewrites its tail chunk in the
current format while the full chunks before it stay as they were written."""

from __future__ import annotations

import numpy as np
from sqlalchemy import insert, select

from heron.store import chunks, lod
from heron.store import schema as s
from heron.store.base import Series
from heron.store.sql import SqlStore
from tests.store.helpers import T0, batch, bits, new_run


def _curve(start: int, n: int, seed: int) -> Series:
    """A float32 loss curve logged ~10 ms apart (times in whole microseconds)."""
    rng = np.random.default_rng(seed)
    steps = np.arange(start, start + n, dtype=np.int64)
    times = np.round((T0 + steps * 0.01 + rng.uniform(0, 0.001, n)) * 1e6) / 1e6
    noise = np.float32(0.01) * rng.standard_normal(n).astype(np.float32)
    values = (np.exp(-steps.astype(np.float32) / np.float32(3000)) + noise).astype(np.float64)
    return Series(steps, times, values)


def _format2_row(run_id: str, number: int, part: Series) -> dict[str, object]:
    return {
        "run_id": run_id,
        "key": "loss",
        "chunk": number,
        "count": len(part),
        "step_min": int(part.steps.min()),
        "step_max": int(part.steps.max()),
        "time_min": float(part.times.min()),
        "time_max": float(part.times.max()),
        "data": chunks.encode(part.steps, part.times, part.values, version=2),
        "lod": lod.summarize(part),
    }


def _join(*parts: Series) -> Series:
    return Series(*(np.concatenate([getattr(p, c) for p in parts]) for c in Series.__annotations__))


def _same(got: Series, want: Series) -> None:
    assert got.steps.tolist() == want.steps.tolist()
    assert bits(got.times) == bits(want.times)
    assert bits(got.values) == bits(want.values)


def test_old_chunks_read_back_and_take_new_points(store: SqlStore) -> None:
    run = new_run(store)
    size = chunks.CHUNK_SIZE
    old = _curve(0, size + 100, seed=1)  # a full chunk and a tail, both format 2
    rows = [
        _format2_row(run.id, 0, Series(old.steps[:size], old.times[:size], old.values[:size])),
        _format2_row(run.id, 1, Series(old.steps[size:], old.times[size:], old.values[size:])),
    ]
    with store._engine.begin() as conn:
        conn.execute(insert(s.metric_chunks), rows)
    _same(store.history(run.id, ["loss"])["loss"], old)

    new = _curve(size + 100, size + 50, seed=2)
    store.ingest(batch(run.id, 1, loss=new))
    _same(store.history(run.id, ["loss"])["loss"], _join(old, new))
    _same(store.history(run.id, None)["loss"], _join(old, new))

    c = s.metric_chunks.c
    with store._engine.connect() as conn:
        stored = conn.execute(
            select(c.chunk, c.count, c.data).where(c.run_id == run.id).order_by(c.chunk)
        ).all()
    formats = [(int(n), int(count), bytes(data)[0]) for n, count, data in stored]
    assert formats == [(0, size, 2), (1, size, chunks.FORMAT_VERSION), (2, 150, 3)]
