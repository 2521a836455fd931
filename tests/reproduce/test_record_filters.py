"""The reproducibility score and the reproduction link are filter fields, on SQLite and
PostgreSQL: ``system.reproducibility.score`` (a number), ``system.reproduction.of``."""

from __future__ import annotations

import time

import pytest

from heron.store.base import RunSpec
from heron.store.sql import SqlStore

SYSTEMS = {
    "orig000001": {"reproducibility": {"score": 100, "missing": []}},
    "again00001": {"reproducibility": {"score": 85}, "reproduction": {"of": "orig000001"}},
    "again00002": {"reproducibility": {"score": 40}, "reproduction": {"of": "orig000001"}},
    "nocapture1": {},
    "oddscore01": {"reproducibility": {"score": "high"}},  # not a number: never compared
}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("system.reproducibility.score >= 80", {"orig000001", "again00001"}),
        ("system.reproducibility.score < 50", {"again00002"}),
        ("system.reproducibility.score exists", {"orig000001", "again00001", "again00002"}),
        ('system.reproduction.of = "orig000001"', {"again00001", "again00002"}),
        ("system.reproduction.of not exists", {"orig000001", "nocapture1", "oddscore01"}),
    ],
)
def test_reproducibility_fields(store: SqlStore, query: str, expected: set[str]) -> None:
    for run_id, system in SYSTEMS.items():
        spec = RunSpec(id=run_id, project="p", system=system, created_at=time.time())
        store.create_run(spec)
    assert {r.id for r in store.search_runs("p", query)} == expected
