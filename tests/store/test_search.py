"""search_runs / count_runs with the filter language (``heron.query``), both backends."""

from __future__ import annotations

import math

import pytest

from heron.errors import FilterSyntaxError
from heron.store.sql import SqlStore
from tests.store.helpers import T0, batch, new_run


@pytest.fixture
def runs(store: SqlStore) -> dict[str, str]:
    """Four runs with config, tags and metrics: name -> id."""
    specs = [
        ("a", {"lr": 0.1, "opt": "sgd"}, ("base",), [0.5, 0.6]),
        ("b", {"lr": 0.01, "opt": "adam"}, ("base", "x"), [0.7, 0.9]),
        ("c", {"lr": 0.001, "opt": "adam"}, (), [0.8, math.nan]),
        ("d", {"opt": "adam"}, ("x",), []),
    ]
    ids = {}
    for i, (name, config, tags, acc) in enumerate(specs):
        run = new_run(store, name=name, config=config, tags=tags, created_at=T0 + i)
        if acc:
            store.ingest(batch(run.id, 1, acc=acc))
        ids[name] = run.id
    store.ingest(batch(ids["c"], 2, [{"type": "define_metric", "pattern": "acc", "goal": "max"}]))
    return ids


def names(found: list[object]) -> list[str]:
    return [r.name for r in found]  # type: ignore[attr-defined]


def test_filter(store: SqlStore, runs: dict[str, str]) -> None:
    assert names(store.search_runs("proj", "config.lr < 0.05")) == ["c", "b"]
    assert names(store.search_runs("proj", "config.opt = 'adam' and tags has 'x'")) == ["d", "b"]
    assert names(store.search_runs(filter="metrics.acc > 0.75")) == ["c", "b"]
    assert store.count_runs("proj", "config.opt = 'adam'") == 3
    assert store.count_runs("proj", "  ") == 4
    assert store.count_runs("other", "config.opt = 'adam'") == 0


def test_order(store: SqlStore, runs: dict[str, str]) -> None:
    assert names(store.search_runs(order_by=["config.lr"])) == ["c", "b", "a", "d"]
    assert names(store.search_runs(order_by=["-config.lr"])) == ["a", "b", "c", "d"]
    assert names(store.search_runs(order_by=["-metrics.acc"])) == ["b", "c", "a", "d"]
    assert names(store.search_runs(order_by=["-metrics.acc"], limit=2, offset=1)) == ["c", "a"]


def test_bad_filter(store: SqlStore, runs: dict[str, str]) -> None:
    with pytest.raises(FilterSyntaxError):
        store.search_runs(filter="config.lr <")
    with pytest.raises(FilterSyntaxError):
        store.count_runs(filter="and or")
