"""Store methods the server needs: update_run, project_keys, runs_table, changed_runs."""

from __future__ import annotations

import math
import time

import pytest

from heron.errors import FilterSyntaxError, InvalidInput, InvalidKey, NotFound
from heron.store.sql import SqlStore
from tests.store.helpers import batch, new_run


def test_update_run_renames_annotates_and_tags(store: SqlStore) -> None:
    run = new_run(store, tags=("old", "keep"))
    info = store.update_run(
        run.id, name="renamed", notes="why", add_tags=["new"], remove_tags=["old"]
    )
    assert info.name == "renamed" and info.notes == "why"
    assert info.tags == ("keep", "new")
    assert store.get_run(run.id) == info


def test_update_run_leaves_unnamed_fields_alone(store: SqlStore) -> None:
    run = new_run(store, name="first", notes="n")
    info = store.update_run(run.id, add_tags=["t"])
    assert (info.name, info.notes, info.tags) == ("first", "n", ("t",))


def test_update_run_tag_added_and_removed_stays(store: SqlStore) -> None:
    run = new_run(store)
    assert store.update_run(run.id, add_tags=["x"], remove_tags=["x"]).tags == ("x",)


@pytest.mark.parametrize(
    "change",
    [{"name": ""}, {"name": "a\nb"}, {"name": "x" * 257}, {"add_tags": ["bad\x00"]}],
)
def test_update_run_refuses_bad_input_and_changes_nothing(
    store: SqlStore, change: dict[str, object]
) -> None:
    run = new_run(store, name="kept")
    with pytest.raises(InvalidKey):
        store.update_run(run.id, notes="lost", **change)  # type: ignore[arg-type]
    assert store.get_run(run.id).notes == "" and store.get_run(run.id).name == "kept"


def test_update_run_unknown(store: SqlStore) -> None:
    with pytest.raises(NotFound):
        store.update_run("nosuchrun0", name="x")


def test_project_keys(store: SqlStore) -> None:
    a = new_run(store, config={"lr": 0.1, "opt": {"name": "adam", "beta": 0.9}}, tags=["b", "a"])
    b = new_run(store, config={"lr": 0.2, "layers": [1, 2]}, tags=["b"])
    new_run(store, project="other", config={"secret": 1}, tags=["hidden"])
    store.ingest(batch(a.id, 1, loss=[1.0], acc=[0.5]))
    store.ingest(batch(b.id, 1, [{"type": "summary", "set": {"best": 3, "note": "x"}}], loss=[2.0]))
    keys = store.project_keys("proj")
    assert keys.config == ("layers", "lr", "opt.beta", "opt.name")
    assert keys.metrics == ("acc", "loss")
    assert keys.summary == ("best", "note")
    assert keys.tags == ("a", "b")
    with pytest.raises(NotFound):
        store.project_keys("nope")


def test_runs_table_columns_in_sort_order(store: SqlStore) -> None:
    runs = []
    for i, lr in enumerate([0.3, 0.1, 0.2]):
        run = new_run(store, config={"lr": lr, "name": f"n{i}", "big": 2**70}, tags=(f"t{i}",))
        store.ingest(batch(run.id, 1, acc=[0.1, lr, 0.0]))
        runs.append(run)
    store.ingest(batch(runs[0].id, 2, [{"type": "summary", "set": {"acc": "best!"}}]))
    table = store.runs_table(
        "proj",
        order_by=["config.lr"],
        columns=[
            "config.lr",
            "config.name",
            "config.big",
            "config.missing",
            "metrics.acc",
            "summary.acc",
            "max(metrics.acc)",
            "count(metrics.acc)",
        ],
    )
    assert table.total == 3
    assert table.ids == [runs[1].id, runs[2].id, runs[0].id]
    assert table.tags == [["t1"], ["t2"], ["t0"]]
    assert table.states == ["running"] * 3
    assert table.columns["config.lr"] == [0.1, 0.2, 0.3]
    assert table.columns["config.name"] == ["n1", "n2", "n0"]
    assert table.columns["config.big"] == [2**70] * 3
    assert table.columns["config.missing"] == [None, None, None]
    assert table.columns["metrics.acc"] == [0.0, 0.0, 0.0]  # last
    assert table.columns["summary.acc"] == [0.0, 0.0, "best!"]  # the override wins
    assert table.columns["max(metrics.acc)"] == [0.1, 0.2, 0.3]
    assert table.columns["count(metrics.acc)"] == [3, 3, 3]


def test_runs_table_page_filter_and_total(store: SqlStore) -> None:
    for i in range(5):
        new_run(store, config={"i": i})
    table = store.runs_table(
        "proj",
        filter="config.i >= 1",
        order_by=["-config.i"],
        columns=["config.i"],
        limit=2,
        offset=1,
    )
    assert table.total == 4
    assert table.columns["config.i"] == [3, 2]
    empty = store.runs_table("proj", filter="config.i > 100", columns=["config.i"])
    assert empty.total == 0 and empty.ids == [] and empty.columns == {"config.i": []}


def test_runs_table_nan_and_inf(store: SqlStore) -> None:
    run = new_run(store, config={"x": math.nan})
    store.ingest(batch(run.id, 1, a=[math.nan], b=[1.0, math.inf]))
    table = store.runs_table(columns=["config.x", "metrics.a", "metrics.b", "min(metrics.b)"])
    assert math.isnan(table.columns["config.x"][0]) and math.isnan(table.columns["metrics.a"][0])
    assert table.columns["metrics.b"] == [math.inf] and table.columns["min(metrics.b)"] == [1.0]


def test_runs_table_duration(store: SqlStore) -> None:
    run = new_run(store, created_at=1000.0)
    store.heartbeat(run.id, 1010.0)
    assert store.runs_table().durations == [10.0]


@pytest.mark.parametrize("column", ["lr", "metrics.", "avg(metrics.x)", "metrics.a//b", "tags"])
def test_runs_table_refuses_unknown_columns(store: SqlStore, column: str) -> None:
    with pytest.raises(InvalidInput):
        store.runs_table(columns=[column])


def test_runs_table_bad_filter(store: SqlStore) -> None:
    with pytest.raises(FilterSyntaxError):
        store.runs_table(filter="config.lr <")


def test_runs_table_many_runs_uses_a_constant_number_of_queries(store: SqlStore) -> None:
    from sqlalchemy import event

    for i in range(1200):  # more than one page by id: the subquery path
        new_run(store, config={"i": i})
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(store._engine, "before_cursor_execute", count)
    try:
        table = store.runs_table("proj", columns=["config.i", "metrics.x"], limit=1100)
    finally:
        event.remove(store._engine, "before_cursor_execute", count)
    assert len(table.ids) == 1100 and table.total == 1200
    assert sorted(table.columns["config.i"], reverse=True) == table.columns["config.i"]
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 5  # page, count, tags, one per column


def test_changed_runs_reports_creates_ingests_edits_and_crashes(store: SqlStore) -> None:
    before = time.time() - 1
    run = new_run(store)
    changes = store.changed_runs(before)
    assert [(c.id, c.project, c.state, c.ingested_seq) for c in changes] == [
        (run.id, "proj", "running", -1)
    ]
    first = changes[0].updated_at
    store.heartbeat(run.id, time.time())  # a heartbeat alone is not a change
    assert store.changed_runs(first + 1e-6) == []
    store.ingest(batch(run.id, 5, loss=[1.0, 2.0]))
    (change,) = store.changed_runs(first)
    assert change.ingested_seq == 5 and change.last_step == 1 and change.updated_at >= first
    store.update_run(run.id, notes="n")
    store.mark_crashed(run.id, time.time(), "gone")
    (change,) = store.changed_runs(first)
    assert change.state == "crashed"
    assert store.changed_runs(time.time() + 60) == []
