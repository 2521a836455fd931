"""Store conformance: ingest exactly once, series, summaries and goals (both backends)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heron.errors import InvalidInput, NotFound
from heron.store import chunks
from heron.store.base import Batch, Series
from heron.store.sql import SqlStore
from tests.store.helpers import T0, batch, bits, new_run, series

NAN, INF = math.nan, math.inf


def test_exactly_once(store: SqlStore) -> None:
    run = new_run(store)
    first = store.ingest(batch(run.id, 10, loss=[1.0, 2.0]))
    assert (first.seq, first.applied) == (10, True)
    retry = store.ingest(batch(run.id, 10, loss=[1.0, 2.0]))
    assert (retry.seq, retry.applied) == (10, False)
    older = store.ingest(batch(run.id, 5, loss=[9.0], events=[{"type": "notes", "text": "x"}]))
    assert (older.seq, older.applied) == (10, False)
    assert store.ingest(batch(run.id, 11, loss=[3.0])).applied
    got = store.get_run(run.id)
    assert got.ingested_seq == 11
    assert got.notes == ""
    assert store.history(run.id)["loss"].values.tolist() == [1.0, 2.0, 3.0]
    assert got.metrics["loss"].count == 3


def test_batch_is_atomic(store: SqlStore) -> None:
    run = new_run(store)
    bad = batch(run.id, 1, [{"type": "notes", "text": "x"}, {"type": "nonsense"}], loss=[1.0])
    with pytest.raises(InvalidInput):
        store.ingest(bad)
    got = store.get_run(run.id)
    assert (got.ingested_seq, got.notes, got.metrics) == (-1, "", {})
    assert store.history(run.id) == {}


def test_ingest_unknown_run(store: SqlStore) -> None:
    with pytest.raises(NotFound):
        store.ingest(batch("nosuchrun0", 1, loss=[1.0]))


def test_create_event_creates_the_run(store: SqlStore) -> None:
    spec = {"id": "newrun0001", "project": "p", "name": "n", "tags": ["t"], "config": {"a": 1}}
    result = store.ingest(batch("newrun0001", 3, [{"type": "create", "spec": spec}], loss=[1.0]))
    assert result.applied
    got = store.get_run("newrun0001")
    assert (got.project, got.name, got.tags, got.config) == ("p", "n", ("t",), {"a": 1})
    assert got.ingested_seq == 3
    # A later create event (a resumed run) leaves the run as it is.
    spec2 = {**spec, "name": "other"}
    store.ingest(batch("newrun0001", 4, [{"type": "create", "spec": spec2}]))
    assert store.get_run("newrun0001").name == "n"
    with pytest.raises(InvalidInput):
        store.ingest(batch("newrun0002", 1, [{"type": "create", "spec": {**spec}}]))


def test_special_values_round_trip(store: SqlStore) -> None:
    run = new_run(store)
    values = [NAN, INF, -INF, -0.0, 0.0, 1e-310, 1.5, np.finfo(np.float64).max, 0.1]
    steps = [2**63 - 1, -(2**63), 5, 5, 3, 0, -1, 7, 2]  # back, repeated, extremes
    store.ingest(batch(run.id, 1, x=series(values, steps=steps)))
    got = store.history(run.id)["x"]
    assert bits(got.values) == bits(values)
    assert got.steps.tolist() == steps
    summary = store.get_run(run.id).metrics["x"]
    assert summary.count == len(values)
    assert summary.last == 0.1 and summary.last_step == 2
    assert summary.min == -INF and summary.max == INF


def test_all_nan_series(store: SqlStore) -> None:
    run = new_run(store)
    store.ingest(batch(run.id, 1, x=[NAN, NAN]))
    m = store.get_run(run.id).metrics["x"]
    assert m.count == 2
    assert math.isnan(m.last) and math.isnan(m.min) and math.isnan(m.max)
    assert math.isnan(store.get_run(run.id).summary["x"])
    # NaN is ignored by min/max once a real value arrives; last follows the log.
    store.ingest(batch(run.id, 2, x=[3.0, NAN]))
    m = store.get_run(run.id).metrics["x"]
    assert (m.min, m.max, m.count) == (3.0, 3.0, 4)
    assert math.isnan(m.last)


def test_inf_extremes(store: SqlStore) -> None:
    run = new_run(store)
    store.ingest(batch(run.id, 1, x=[INF, INF]))
    m = store.get_run(run.id).metrics["x"]
    assert (m.min, m.max, m.last) == (INF, INF, INF)


def test_history_spans_chunks_in_log_order(store: SqlStore) -> None:
    run = new_run(store)
    rng = np.random.default_rng(1)
    sizes = [1, chunks.CHUNK_SIZE - 2, 3, 2 * chunks.CHUNK_SIZE + 5, 7]
    total = sum(sizes)
    steps = rng.integers(-1000, 1000, total)
    values = rng.standard_normal(total)
    times = T0 + np.arange(total) * 0.001
    start = 0
    for seq, size in enumerate(sizes, start=1):
        part = slice(start, start + size)
        store.ingest(
            Batch(run.id, seq, metrics={"a/b": Series(steps[part], times[part], values[part])})
        )
        start += size
    got = store.history(run.id, ["a/b"])["a/b"]
    assert got.steps.tolist() == steps.tolist()
    assert bits(got.values) == bits(values)
    np.testing.assert_allclose(got.times, times, rtol=0, atol=1e-6)
    m = store.get_run(run.id).metrics["a/b"]
    assert m.count == total
    assert (m.min, m.max) == (values.min(), values.max())
    assert m.last_step == steps[-1]
    assert store.get_run(run.id).last_step == steps.max()


def test_times_are_kept_to_the_microsecond(store: SqlStore) -> None:
    run = new_run(store)
    times = [T0 + 0.1234564, T0 + 0.1234566, NAN, INF, -1e300, 1e-9]
    store.ingest(batch(run.id, 1, x=series([1, 2, 3, 4, 5, 6], times=times)))
    got = store.history(run.id)["x"].times
    assert got[:2].tolist() == [T0 + 0.123456, T0 + 0.123457]
    assert math.isnan(got[2]) and got[3:].tolist() == [INF, -1e300, 0.0]
    m = store.get_run(run.id).metrics["x"]
    assert (m.first_time, m.last_time) == (T0 + 0.123456, 0.0)


def test_history_keys(store: SqlStore) -> None:
    run = new_run(store)
    store.ingest(batch(run.id, 1, a=[1.0], b=[2.0, 3.0]))
    assert set(store.history(run.id)) == {"a", "b"}
    got = store.history(run.id, ["b", "missing"])
    assert list(got) == ["b", "missing"]
    assert got["b"].values.tolist() == [2.0, 3.0] and len(got["missing"]) == 0
    assert store.history(run.id, []) == {}


def test_unicode_and_long_keys(store: SqlStore) -> None:
    run = new_run(store)
    keys = ["train/loss", "val/acc (top-1)", "épsilon/λ", "k" * 256]
    store.ingest(Batch(run.id, 1, metrics={k: series([1.0]) for k in keys}))
    assert set(store.history(run.id)) == set(keys)
    with pytest.raises(InvalidInput):
        store.ingest(Batch(run.id, 2, metrics={"bad//key": series([1.0])}))


def test_mismatched_columns_rejected(store: SqlStore) -> None:
    run = new_run(store)
    broken = Series(np.arange(3), np.zeros(2), np.zeros(3))
    with pytest.raises(InvalidInput):
        store.ingest(Batch(run.id, 1, metrics={"x": broken}))


def test_empty_series_are_ignored(store: SqlStore) -> None:
    run = new_run(store)
    store.ingest(Batch(run.id, 1, metrics={"x": Series.empty()}))
    assert store.get_run(run.id).metrics == {}
    assert store.get_run(run.id).last_step is None


def test_summary_goals_and_define_metric(store: SqlStore) -> None:
    run = new_run(store)
    store.ingest(batch(run.id, 1, **{"loss": [3.0, 1.0, 2.0]}))
    store.ingest(
        Batch(run.id, 2, metrics={"val/acc": series([0.5, 0.9, 0.7]), "val/loss": series([2, 1])})
    )
    assert store.get_run(run.id).summary == {"loss": 2.0, "val/acc": 0.7, "val/loss": 1.0}
    # define_metric updates existing summaries, globs included; exact beats glob.
    store.ingest(
        batch(
            run.id,
            3,
            [
                {"type": "define_metric", "pattern": "val/*", "goal": "max", "x_axis": "epoch"},
                {"type": "define_metric", "pattern": "val/loss", "goal": "min"},
                {"type": "define_metric", "pattern": "loss", "goal": "min", "x_axis": "_time"},
            ],
        )
    )
    got = store.get_run(run.id)
    assert got.summary == {"loss": 1.0, "val/acc": 0.9, "val/loss": 1.0}
    assert got.metrics["val/acc"].goal == "max" and got.metrics["val/acc"].x_axis == "epoch"
    assert got.metrics["val/loss"].goal == "min" and got.metrics["val/loss"].x_axis == "epoch"
    assert got.metrics["loss"].x_axis == "_time"
    # New keys pick definitions up, including a define_metric in their own batch.
    store.ingest(Batch(run.id, 4, metrics={"val/f1": series([0.2, 0.8, 0.1])}))
    store.ingest(
        Batch(
            run.id,
            5,
            metrics={"grad": series([5.0, 1.0])},
            events=[{"type": "define_metric", "pattern": "grad", "goal": "max"}],
        )
    )
    got = store.get_run(run.id)
    assert got.summary["val/f1"] == 0.8 and got.summary["grad"] == 5.0
    assert got.metrics["val/f1"].value == 0.8


def test_summary_overrides(store: SqlStore) -> None:
    run = new_run(store)
    store.ingest(batch(run.id, 1, loss=[3.0, 1.0]))
    store.ingest(
        batch(
            run.id,
            2,
            [
                {
                    "type": "summary",
                    "set": {
                        "loss": 0.5,
                        "best_epoch": 3,
                        "verdict": "good",
                        "weird": NAN,
                        "big": INF,
                        "nested": {"a": [1, None]},
                    },
                }
            ],
        )
    )
    got = store.get_run(run.id)
    assert got.metrics["loss"].last == 1.0  # the metric summary itself stays
    assert got.summary_overrides["loss"] == 0.5
    assert got.summary["loss"] == 0.5 and got.summary["best_epoch"] == 3
    assert got.summary["verdict"] == "good" and got.summary["big"] == INF
    assert math.isnan(got.summary["weird"])
    assert got.summary["nested"] == {"a": [1, None]}
    assert isinstance(got.summary["best_epoch"], int)
    store.ingest(batch(run.id, 3, [{"type": "summary", "unset": ["loss", "verdict", "nope"]}]))
    got = store.get_run(run.id)
    assert got.summary["loss"] == 1.0 and "verdict" not in got.summary
    assert "loss" not in got.summary_overrides


def test_run_files(store: SqlStore) -> None:
    run = new_run(store)
    other = new_run(store)
    f1 = {"path": "logs/out.txt", "digest": "sha256:01", "size": 10}
    f2 = {"path": "a.json", "digest": "sha256:02", "size": 3}
    store.ingest(batch(run.id, 1, [{"type": "file", "file": f1}, {"type": "file", "file": f2}]))
    store.ingest(batch(other.id, 1, [{"type": "file", "file": {**f2, "path": "copy.json"}}]))
    assert [(f.path, f.digest, f.size) for f in store.run_files(run.id)] == [
        ("a.json", "sha256:02", 3),
        ("logs/out.txt", "sha256:01", 10),
    ]
    # Replacing a file's content reports its old blob when nothing else needs it.
    replaced = store.ingest(
        batch(run.id, 2, [{"type": "file", "file": {**f1, "digest": "sha256:03"}}])
    )
    assert replaced.orphaned == {"sha256:01"}
    shared = store.ingest(
        batch(run.id, 3, [{"type": "file", "file": {**f2, "digest": "sha256:04"}}])
    )
    assert shared.orphaned == frozenset()  # the other run still has sha256:02
    assert store.referenced_digests() == {"sha256:02", "sha256:03", "sha256:04"}
    with pytest.raises(InvalidInput):
        store.ingest(batch(run.id, 4, [{"type": "file", "file": {**f1, "path": "../escape"}}]))
    with pytest.raises(InvalidInput):
        store.ingest(batch(run.id, 4, [{"type": "file", "file": {"path": "x"}}]))


VALUE = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(width=32).map(float),
    st.sampled_from([NAN, -0.0, 0.0]),
)
POINTS = st.lists(st.tuples(st.integers(-(2**63), 2**63 - 1), VALUE), min_size=1, max_size=40)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # a new run per example
)
@given(batches=st.lists(POINTS, min_size=1, max_size=4), chunk_size=st.sampled_from([3, 7, 64]))
def test_random_batches_round_trip(
    store: SqlStore, batches: list[list[tuple[int, float]]], chunk_size: int
) -> None:
    run = new_run(store)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(chunks, "CHUNK_SIZE", chunk_size)  # many chunk boundaries, small data
        for seq, points in enumerate(batches, start=1):
            steps, values = zip(*points, strict=True)
            store.ingest(batch(run.id, seq, x=series(values, steps=steps)))
    steps = [s for points in batches for s, _ in points]
    values = np.array([v for points in batches for _, v in points])
    got = store.history(run.id)["x"]
    assert got.steps.tolist() == steps
    assert bits(got.values) == bits(values)
    m = store.get_run(run.id).metrics["x"]
    assert (m.count, m.last_step) == (len(values), steps[-1])
    # Summaries compare as numbers: SQLite stores a REAL -0.0 as the integer 0.
    assert m.last == values[-1] or (math.isnan(m.last) and math.isnan(values[-1]))
    real = values[~np.isnan(values)]
    if real.size:
        assert (m.min, m.max) == (real.min(), real.max())
    else:
        assert math.isnan(m.min) and math.isnan(m.max)
