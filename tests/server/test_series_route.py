"""``POST /series`` on long series: read from block summaries, same answer as points."""

from __future__ import annotations

import numpy as np
import pytest

from heron import wire
from heron.errors import InvalidInput
from heron.server import series_codec
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


BINARY = {"accept": "application/vnd.heron.series"}


def _bits(a: object) -> list[int]:
    return np.asarray(a, np.float64).view(np.int64).tolist()


def test_binary_answer_carries_the_json_answers_values_bit_for_bit(
    client: AppClient, store: SqlStore
) -> None:
    # Values no decimal rounding keeps: random doubles over the whole range, -0.0,
    # subnormals, the largest double; non-finite ones; one series sampled, one not.
    rng = np.random.default_rng(7)
    n = 5_000
    values = rng.standard_normal(n) * 10.0 ** rng.integers(-300, 300, n)
    values[:4] = [-0.0, 5e-324, np.finfo(np.float64).max, 0.1 + 0.2]
    values[[100, 2_000, 4_321]] = [np.nan, np.inf, -np.inf]
    steps = np.arange(n, dtype=np.int64)
    run = new_run(store, created_at=T0)
    short = rng.standard_normal(50) / 3.0
    short[7] = np.nan
    metrics = {
        "loss": Series(steps, T0 + steps * 0.37, values),
        "short": Series(np.arange(50, dtype=np.int64), T0 + np.arange(50.0), short),
    }
    store.ingest(Batch(run.id, 1, metrics=metrics))
    for extra in ({}, {"x_axis": "relative_time"}, {"x_min": 1_000, "x_max": 1_150}):
        body = {"runs": [run.id], "keys": ["loss", "short", "none"], "buckets": 300, **extra}
        as_json = client.post(f"{API}/series", json=body)
        as_binary = client.post(f"{API}/series", json=body, headers=BINARY)
        assert as_json.headers["content-type"] == "application/json"
        assert as_binary.headers["content-type"] == "application/vnd.heron.series"
        got = series_codec.decode(as_binary.content)
        want = as_json.json()["series"]
        assert [(s.run, s.key, s.total, s.sampled) for s in got] == [
            (w["run"], w["key"], w["total"], w["sampled"]) for w in want
        ]
        for s, w in zip(got, want, strict=True):
            for name in ("x", "y", "min", "max"):
                assert _bits(getattr(s, name)) == _bits(wire.floats_from_json(w[name])), name
            assert _bits(s.nonfinite_x) == _bits(wire.floats_from_json(w["nonfinite"]["x"]))
            assert _bits(s.nonfinite_y) == _bits(wire.floats_from_json(w["nonfinite"]["y"]))
    # and the values are the downsampler's own, unrounded
    body = {"runs": [run.id], "keys": ["loss", "short"], "buckets": 300}
    loss, small = series_codec.decode(
        client.post(f"{API}/series", json=body, headers=BINARY).content
    )
    direct = downsample(steps.astype(np.float64), values, 300)
    assert (
        loss.sampled and _bits(loss.y) == _bits(direct.y) and _bits(loss.max) == _bits(direct.max)
    )
    assert _bits(loss.nonfinite_y) == _bits([np.nan, np.inf, -np.inf])
    assert not small.sampled and _bits(small.y) == _bits(np.delete(short, 7))
    assert _bits(small.nonfinite_x) == _bits([7.0]) and np.isnan(small.nonfinite_y).all()


def test_binary_only_when_asked(client: AppClient, store: SqlStore) -> None:
    run = new_run(store, created_at=T0)
    store.ingest(
        Batch(run.id, 1, metrics={"a": Series(np.arange(3), T0 + np.arange(3.0), np.ones(3))})
    )
    body = {"runs": [run.id], "keys": ["a"], "buckets": 10}
    for accept in ("application/json", "*/*", "application/vnd.heron.series;q=0", ""):
        answer = client.post(f"{API}/series", json=body, headers={"accept": accept})
        assert answer.json()["series"][0]["y"] == [1.0, 1.0, 1.0], accept
    mixed = {"accept": "application/json;q=0.5, application/vnd.heron.series"}
    (a,) = series_codec.decode(client.post(f"{API}/series", json=body, headers=mixed).content)
    assert a.y.tolist() == [1.0, 1.0, 1.0] and a.min is a.y
    # errors stay problem JSON
    bad = client.post(f"{API}/series", json={**body, "buckets": 0}, headers=BINARY)
    assert bad.status_code in (400, 422) and bad.headers["content-type"].startswith("application/")
    assert "json" in bad.headers["content-type"]


def test_binary_codec_rejects_what_it_did_not_write() -> None:
    s = downsample(np.arange(5.0), np.array([1.0, np.nan, 3.0, 4.0, 5.0]), 2)
    data = series_codec.encode([("r", "k", s)])
    assert (len(data) - 8) % 8 == 0  # the arrays start 8-byte aligned
    (back,) = series_codec.decode(data)
    assert _bits(back.max) == _bits(s.max) and back.nonfinite_x.tolist() == [1.0]
    assert series_codec.decode(series_codec.encode([])) == []
    for broken in (data[:-8], data + bytes(8), b"HSR2" + data[4:], b""):
        with pytest.raises(InvalidInput):
            series_codec.decode(broken)


def test_answers_are_kept_only_while_the_store_holds_the_same_points(
    client: AppClient, store: SqlStore
) -> None:
    from heron.server.routes import series as route

    run = new_run(store, created_at=T0)
    n = 6_000
    steps = np.arange(n, dtype=np.int64)
    values = np.sin(steps / 300.0)
    store.ingest(Batch(run.id, 1, metrics={"loss": Series(steps, T0 + steps, values)}))
    body = {"runs": [run.id], "keys": ["loss"], "buckets": 200}

    def ask() -> series_codec.DecodedSeries:
        (s,) = series_codec.decode(client.post(f"{API}/series", json=body, headers=BINARY).content)
        return s

    first = ask()
    hits = route._CACHE.hits
    again = ask()
    assert route._CACHE.hits == hits + 1  # the same points: the answer kept
    assert _bits(again.y) == _bits(first.y) and _bits(again.max) == _bits(first.max)
    # the run logs on (its tail chunk rewritten): read afresh, never the stale answer
    more = np.arange(n, n + 700, dtype=np.int64)
    store.ingest(Batch(run.id, 2, metrics={"loss": Series(more, T0 + more, np.full(700, 5.0))}))
    grown = ask()
    assert grown.total == n + 700 and max(grown.max) == 5.0
    whole = downsample(np.arange(n + 700, dtype=np.float64), np.r_[values, np.full(700, 5.0)], 200)
    assert _bits(grown.y) == _bits(whole.y)
    # a zoom, another axis or bucket count is its own answer
    assert not ask_zoomed(client, body).sampled


def ask_zoomed(client: AppClient, body: dict[str, object]) -> series_codec.DecodedSeries:
    zoom = {**body, "x_min": 100, "x_max": 150}
    (s,) = series_codec.decode(client.post(f"{API}/series", json=zoom, headers=BINARY).content)
    return s


def test_chart_cache_forgets_the_least_recently_used_past_its_bytes() -> None:
    from heron.server.chart_cache import ChartCache

    one = downsample(np.arange(1_000.0), np.ones(1_000), 100)  # 100 buckets: ~3.4 KB
    cache = ChartCache(max_bytes=10_000)
    cache.put("a", b"1", one)
    cache.put("b", b"1", one)
    assert cache.get("a", b"1") is one  # a used last: b goes first
    assert cache.get("a", b"2") is None  # another fingerprint: not this answer
    cache.put("c", b"1", one)
    assert len(cache) == 2 and cache.get("b", b"1") is None and cache.get("c", b"1") is one
