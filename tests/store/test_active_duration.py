"""A run's duration in the runs table, its sort and its filter is the active time that
``RunInfo.duration`` gives: the time between a crash and a resume is left out."""

from __future__ import annotations

from heron.store.sql import SqlStore
from tests.store.helpers import batch, new_run


def test_the_table_sort_and_filter_count_active_time(store: SqlStore) -> None:
    resumed = new_run(
        store,
        name="resumed",
        created_at=1000.0,
        # NaN elsewhere in the record: it must not stop the duration being read
        system={"heron": {"inactive_seconds": 300.0}, "x": float("nan")},
    )
    plain = new_run(store, name="plain", created_at=1000.0)
    for run in (resumed, plain):  # both ended 400 s after they were created
        store.ingest(batch(run.id, 1, [{"type": "state", "state": "finished", "time": 1400.0}]))
    assert store.get_run(resumed.id).duration == 100.0
    table = store.runs_table("proj", None, ["duration"], [], None, 0)
    assert dict(zip(table.names, table.durations, strict=True)) == {
        "resumed": 100.0,
        "plain": 400.0,
    }
    assert [r.name for r in store.search_runs("proj", "duration < 200")] == ["resumed"]
    assert [r.name for r in store.search_runs("proj", None, ["-duration"])] == ["plain", "resumed"]
