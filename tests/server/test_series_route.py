"""``POST /series`` on long series: read from block summaries, same answer as points."""

from __future__ import annotations

import numpy as np

from heron.server.downsample import downsample
from heron.store.base import Batch, Series
from heron.store.sql import SqlStore
from tests.server.asgi import AppClient
from tests.store.helpers import T0, new_run

API = "/api/v1"


def test_long_series_from_blocks_matches_points(client: AppClient, store: SqlStore) -> None:
    run = new_run(store, created_at=T0 - 50)
    n = 30_000
    values = np.cos(np.arange(n) / 500.0)
    values[12_345] = 9.0
    values[20_000] = np.nan
    steps = np.arange(n, dtype=np.int64)
    steps[25_000:] -= 1_000  # resumed: steps go back
    store.ingest(Batch(run.id, 1, metrics={"loss": Series(steps, T0 + np.arange(n), values)}))
    body = {"runs": [run.id], "keys": ["loss", "none"], "buckets": 200}
    loss, none = client.post(f"{API}/series", json=body).json()["series"]
    assert none["total"] == 0 and none["x"] == []
    want = downsample(steps.astype(np.float64), values, 200)
    assert loss["sampled"] and loss["total"] == n and len(loss["x"]) <= 200
    assert max(loss["max"]) == 9.0 and min(loss["min"]) == want.min.min()
    assert loss["nonfinite"] == {"x": [20_000.0], "y": ["NaN"]}
    rel = client.post(f"{API}/series", json={**body, "x_axis": "relative_time"}).json()
    assert rel["series"][0]["x"][0] >= 50.0 and max(rel["series"][0]["max"]) == 9.0
    zoom = {**body, "x_min": 12_000, "x_max": 12_150}
    (raw, _) = client.post(f"{API}/series", json=zoom).json()["series"]
    assert not raw["sampled"] and raw["x"] == [float(i) for i in range(12_000, 12_151)]
