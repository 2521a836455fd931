"""``heron.store.lite`` reads what ``SqlStore`` reads, with the standard library: the
same RunInfo for the newest runs of a project (tags, metrics, overrides, NaN, nested
config), the same counts and stale runs; a store at another schema revision, or no
store, is not read."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from heron.store import open_store
from heron.store.base import RunSpec
from heron.store.lite import RUN_FIELDS, LiteReader
from heron.store.reads import _RUN_COLUMNS
from heron.store.sql import SqlStore
from tests.store.helpers import batch


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "heron.db"


@pytest.fixture
def filled(path: Path) -> Iterator[SqlStore]:
    store = open_store(f"sqlite:///{path}")
    config = {"lr": 0.1, "opt": {"name": "adam", "betas": [0.9, 0.99]}}
    for i in range(5):
        store.create_run(
            RunSpec(id=f"vis{i:07d}", project="vision", config=config, created_at=10.0 + i)
        )
    store.create_run(RunSpec(id="nlp0000001", project="nlp", created_at=1.0))
    store.create_run(RunSpec(id="tie0000002", project="nlp", created_at=1.0))
    store.ingest(batch("vis0000001", 1, acc=[0.5, math.nan], loss=[1.0, 0.5]))
    store.ingest(batch("vis0000002", 1, [{"type": "summary", "set": {"best": "x", "n": 3}}]))
    store.ingest(batch("vis0000003", 1, [{"type": "state", "state": "finished", "time": 20.0}]))
    store.update_run("vis0000004", add_tags=["b", "a"], name="named")
    with store:
        yield store


def _same(a: object, b: object) -> bool:
    """Equal, NaN equal to NaN (in metric summaries)."""
    return repr(a) == repr(b)


@pytest.mark.parametrize("project", ["vision", "nlp", None])
@pytest.mark.parametrize("limit", [None, 2, 0])
def test_newest_runs_are_what_the_sql_store_reads(
    filled: SqlStore, path: Path, project: str | None, limit: int | None
) -> None:
    expected = filled.search_runs(project, limit=limit)
    with LiteReader.open(path) as reader:  # type: ignore[union-attr]
        got = reader.newest_runs(project, limit)
        assert reader.count_runs(project) == filled.count_runs(project)
    assert [r.id for r in got] == [r.id for r in expected]
    assert _same(got, expected)
    if project == "vision" and limit is None:
        assert got[0].tags == ("a", "b") and got[2].summary_overrides == {"best": "x", "n": 3}
        assert math.isnan(got[3].metrics["acc"].last)


def test_the_columns_are_those_of_the_sql_store(filled: SqlStore) -> None:
    assert [f"{c.table.name}.{c.name}" for c in _RUN_COLUMNS] == list(RUN_FIELDS)


def test_projects_and_stale_runs(filled: SqlStore, path: Path) -> None:
    with LiteReader.open(path) as reader:  # type: ignore[union-attr]
        assert reader.project_names() == ["nlp", "vision"]
        assert reader.deleted_projects() == set()
        for cutoff in (5.0, 12.5, 1e12):
            assert reader.stale_runs(cutoff) == filled.stale_runs(cutoff)
        assert reader.stale_runs(1e12)  # the test can fail


def test_another_revision_or_no_store_is_not_read(filled: SqlStore, path: Path) -> None:
    filled.close()
    assert LiteReader.open(path.with_name("missing.db")) is None
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    assert LiteReader.open(path) is None


def test_first_search_of_a_process_reads_what_later_ones_do(
    filled: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process's first search skips SQLAlchemy's statement cache (heron.store.reads):
    the same runs, in the same order, as the cached searches after it."""
    from heron.store import reads

    monkeypatch.setattr(reads, "_searched", False)
    args = ("vision", "config.lr < 0.5 and metrics.loss <= 1", ["-metrics.loss"], 10)
    first = filled.search_runs(*args)
    assert reads._searched
    again = filled.search_runs(*args)
    assert [r.id for r in first] == [r.id for r in again] == ["vis0000001"]
    assert _same(first, again)


def test_listing_runs_does_not_build_the_whole_contract() -> None:
    """``heron runs ls`` imports heron.store.lite: it must not pull in heron.store.base
    (every class of the contract) nor SQLAlchemy."""
    import subprocess
    import sys

    code = (
        "import sys, heron.store.lite; "
        "print(sorted(m for m in ('heron.store.base', 'sqlalchemy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
