"""The RunStore contract (heron.store.base), part 1: runs, projects, search and tables.

Every test runs against every implementation (``run_store``: SqlStore on SQLite and
PostgreSQL, RemoteStore over an in-process server). Ingest, artifacts and console
lines are parts 2-4 (``test_store_contract_*.py``).
"""

from __future__ import annotations

import math
import re

import pytest

from heron.errors import FilterSyntaxError, InvalidInput, InvalidKey, InvalidValue, NotFound
from heron.store.base import RunSpec, RunStore
from tests.store.helpers import KNOWN_WIRE_NAN, T0, batch, digest, new_run

# --- creating and reading runs ------------------------------------------------


def test_is_a_run_store(run_store: RunStore) -> None:
    assert isinstance(run_store, RunStore)
    assert run_store.url


def test_create_run_returns_the_run(run_store: RunStore) -> None:
    spec = RunSpec(
        id="abcdefghij",
        project="vision",
        name="resnet",
        group="sweep-1",
        tags=("b", "a", "a"),
        notes="first try",
        config={"lr": 0.001},
        system={"host": "box"},
        resume_key="train.py",
        created_at=T0,
    )
    run = run_store.create_run(spec)
    assert (run.id, run.project, run.name, run.group) == (
        "abcdefghij",
        "vision",
        "resnet",
        "sweep-1",
    )
    assert run.state == "running"
    assert run.tags == ("a", "b")
    assert run.notes == "first try"
    assert run.config == {"lr": 0.001}
    assert run.system == {"host": "box"}
    assert run.created_at == T0
    assert run.ended_at is None and run.heartbeat_at is None and run.last_step is None
    assert run.ingested_seq == -1
    assert run.metrics == {} and run.summary == {}
    assert run_store.get_run("abcdefghij") == run


def test_create_run_is_idempotent_on_id(run_store: RunStore) -> None:
    first = new_run(run_store, id="run0000001", name="one")
    again = run_store.create_run(RunSpec(id="run0000001", project="other", name="two"))
    assert again == first
    assert [p.name for p in run_store.list_projects()] == ["proj"]


def test_default_names_are_unique_and_descriptive(run_store: RunStore) -> None:
    names = [new_run(run_store).name for _ in range(12)]
    assert len(set(names)) == 12
    for i, name in enumerate(names, start=1):
        assert re.fullmatch(rf"[a-z]+-[a-z]+-{i}", name), name


def test_user_names_may_repeat(run_store: RunStore) -> None:
    assert new_run(run_store, name="same").name == new_run(run_store, name="same").name == "same"


def test_invalid_input_is_rejected(run_store: RunStore) -> None:
    with pytest.raises(InvalidInput):
        new_run(run_store, project="bad project!")
    with pytest.raises(InvalidInput):
        new_run(run_store, id="no spaces allowed")
    with pytest.raises(InvalidInput):
        new_run(run_store, tags=("",))
    assert run_store.list_projects() == []


def test_a_config_value_that_is_not_json_is_refused_before_anything_is_stored(
    run_store: RunStore,
) -> None:
    # Locally the store refuses it; a remote client cannot even send it.
    with pytest.raises(InvalidValue):
        new_run(run_store, config={"x": object()})
    assert run_store.list_projects() == []


def test_unknown_runs_are_not_found_everywhere(run_store: RunStore) -> None:
    calls = [
        lambda: run_store.get_run("nosuchrun0"),
        lambda: run_store.history("nosuchrun0"),
        lambda: run_store.run_files("nosuchrun0"),
        lambda: run_store.heartbeat("nosuchrun0", T0),
        lambda: run_store.mark_crashed("nosuchrun0", T0, "lost"),
        lambda: run_store.update_run("nosuchrun0", name="x"),
        lambda: run_store.console("nosuchrun0"),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()


CONFIG = {
    "lr": 0.001,
    "epochs": 10,
    "big": 2**80,
    "nan": math.nan,
    "inf": -math.inf,
    "amp": True,
    "off": False,
    "name": "adam",
    "none": None,
    "layers": [64, 32],
    "optim": {"betas": [0.9, 0.999], "kind": {"name": "adamw", "decay": 0.01}},
    "empty": {},
}


def test_config_keeps_json_types(
    run_store: RunStore, run_store_kind: str, request: pytest.FixtureRequest
) -> None:
    if run_store_kind == "remote":  # strict: passes once the wire is fixed, and says so
        request.applymarker(pytest.mark.xfail(reason=KNOWN_WIRE_NAN, strict=True))
    run = new_run(run_store, config=CONFIG)
    for got in (run.config, run_store.get_run(run.id).config):
        got = dict(got)
        assert math.isnan(got.pop("nan"))
        assert got == {k: v for k, v in CONFIG.items() if k != "nan"}
        assert isinstance(got["amp"], bool) and isinstance(got["epochs"], int)
        assert isinstance(got["big"], int)


def test_config_event_deep_merges(run_store: RunStore) -> None:
    run = new_run(run_store, config={"optim": {"lr": 0.1, "name": "sgd"}, "seed": 1})
    patch = {"type": "config", "patch": {"optim": {"lr": 0.2}, "bs": 8}}
    run_store.ingest(batch(run.id, 1, [patch]))
    assert run_store.get_run(run.id).config == {
        "optim": {"lr": 0.2, "name": "sgd"},
        "seed": 1,
        "bs": 8,
    }
    run_store.ingest(batch(run.id, 2, [{"type": "config", "patch": {"optim": "adam"}}]))
    assert run_store.get_run(run.id).config == {"optim": "adam", "seed": 1, "bs": 8}
    assert run_store.count_runs(filter="config.optim = 'adam'") == 1
    assert run_store.count_runs(filter="config.optim.lr = 0.2") == 0


def test_tags_notes_system_events(run_store: RunStore) -> None:
    run = new_run(run_store, tags=("a", "b"), system={"os": {"name": "linux"}})
    events = [
        {"type": "tags", "add": ["c", "a"], "remove": ["b", "missing"]},
        {"type": "notes", "text": "hello"},
        {"type": "system", "patch": {"os": {"release": "6.1"}, "gpus": 2}},
    ]
    run_store.ingest(batch(run.id, 1, events))
    got = run_store.get_run(run.id)
    assert got.tags == ("a", "c")
    assert got.notes == "hello"
    assert got.system == {"os": {"name": "linux", "release": "6.1"}, "gpus": 2}


def test_state_events(run_store: RunStore) -> None:
    run = new_run(run_store, created_at=T0)
    failed = {
        "type": "state",
        "state": "failed",
        "time": T0 + 5,
        "error": "ValueError: x",
        "traceback": "Traceback...",
    }
    run_store.ingest(batch(run.id, 1, [failed]))
    got = run_store.get_run(run.id)
    assert (got.state, got.ended_at, got.error, got.traceback) == (
        "failed",
        T0 + 5,
        "ValueError: x",
        "Traceback...",
    )
    # Points and other events arriving late leave the ended run alone.
    run_store.ingest(batch(run.id, 2, [{"type": "notes", "text": "late"}], loss=[1.0]))
    assert run_store.get_run(run.id).state == "failed"
    run_store.heartbeat(run.id, T0 + 100)
    assert run_store.get_run(run.id).state == "failed"
    # Resume: an explicit state=running clears the end.
    run_store.ingest(batch(run.id, 3, [{"type": "state", "state": "running", "time": T0 + 200}]))
    got = run_store.get_run(run.id)
    assert (got.state, got.ended_at, got.error) == ("running", None, None)
    run_store.ingest(batch(run.id, 4, [{"type": "state", "state": "finished", "time": T0 + 300}]))
    got = run_store.get_run(run.id)
    assert (got.state, got.ended_at) == ("finished", T0 + 300)
    assert got.duration == 300
    with pytest.raises(InvalidInput):
        run_store.ingest(batch(run.id, 5, [{"type": "state", "state": "paused"}]))


def test_heartbeat_and_mark_crashed(run_store: RunStore) -> None:
    run = new_run(run_store, created_at=T0)
    done = new_run(run_store, created_at=T0)
    run_store.ingest(batch(done.id, 1, [{"type": "state", "state": "finished", "time": T0 + 1}]))
    run_store.heartbeat(run.id, T0 + 90)
    got = run_store.get_run(run.id)
    assert (got.heartbeat_at, got.state, got.duration) == (T0 + 90, "running", 90)
    run_store.mark_crashed(run.id, T0 + 120, "no heartbeat for 30 s")
    got = run_store.get_run(run.id)
    assert (got.state, got.ended_at, got.error) == ("crashed", T0 + 120, "no heartbeat for 30 s")
    run_store.mark_crashed(run.id, T0 + 999, "again")  # ended already: nothing changes
    assert run_store.get_run(run.id).ended_at == T0 + 120
    run_store.mark_crashed(done.id, T0 + 60, "too late")
    assert run_store.get_run(done.id).state == "finished"


def test_find_resumable(run_store: RunStore) -> None:
    assert run_store.find_resumable("proj", "train.py") is None
    first = new_run(run_store, resume_key="train.py", created_at=T0)
    new_run(run_store, resume_key="other.py", created_at=T0 + 5)
    new_run(run_store, project="elsewhere", resume_key="train.py", created_at=T0 + 5)
    found = run_store.find_resumable("proj", "train.py")
    assert found is not None and found.id == first.id
    run_store.ingest(batch(first.id, 1, [{"type": "state", "state": "crashed", "time": T0 + 1}]))
    found = run_store.find_resumable("proj", "train.py")
    assert found is not None and found.id == first.id
    run_store.ingest(batch(first.id, 2, [{"type": "state", "state": "finished", "time": T0 + 2}]))
    assert run_store.find_resumable("proj", "train.py") is None
    second = new_run(run_store, resume_key="train.py", created_at=T0 + 10)
    found = run_store.find_resumable("proj", "train.py")
    assert found is not None and found.id == second.id


def test_list_projects(run_store: RunStore) -> None:
    new_run(run_store, project="b", created_at=T0)
    run = new_run(run_store, project="b", created_at=T0 + 10)
    new_run(run_store, project="a", created_at=T0 + 1)
    run_store.heartbeat(run.id, T0 + 50)
    projects = run_store.list_projects()
    assert [(p.name, p.run_count, p.last_activity) for p in projects] == [
        ("a", 1, T0 + 1),
        ("b", 2, T0 + 50),
    ]
    run_store.ingest(batch(run.id, 1, [{"type": "state", "state": "finished", "time": T0 + 70}]))
    assert run_store.list_projects()[1].last_activity == T0 + 70


# --- editing and deleting ---------------------------------------------------------


def test_update_run_renames_annotates_and_tags(run_store: RunStore) -> None:
    run = new_run(run_store, tags=("old", "keep"))
    info = run_store.update_run(
        run.id, name="renamed", notes="why", add_tags=["new"], remove_tags=["old"]
    )
    assert info.name == "renamed" and info.notes == "why"
    assert info.tags == ("keep", "new")
    assert run_store.get_run(run.id) == info


def test_update_run_leaves_unnamed_fields_alone(run_store: RunStore) -> None:
    run = new_run(run_store, name="first", notes="n")
    info = run_store.update_run(run.id, add_tags=["t"])
    assert (info.name, info.notes, info.tags) == ("first", "n", ("t",))


def test_update_run_tag_added_and_removed_stays(run_store: RunStore) -> None:
    run = new_run(run_store)
    assert run_store.update_run(run.id, add_tags=["x"], remove_tags=["x"]).tags == ("x",)


@pytest.mark.parametrize(
    "change",
    [{"name": ""}, {"name": "a\nb"}, {"name": "x" * 257}, {"add_tags": ["bad\x00"]}],
)
def test_update_run_refuses_bad_input_and_changes_nothing(
    run_store: RunStore, change: dict[str, object]
) -> None:
    run = new_run(run_store, name="kept")
    with pytest.raises(InvalidKey):
        run_store.update_run(run.id, notes="lost", **change)  # type: ignore[arg-type]
    got = run_store.get_run(run.id)
    assert (got.notes, got.name, got.tags) == ("", "kept", ())


def test_delete_runs(run_store: RunStore) -> None:
    keep = new_run(run_store)
    gone = new_run(run_store, tags=("t",), config={"a": 1})
    events = [
        {"type": "file", "file": {"path": "out.txt", "digest": digest("aa"), "size": 1}},
        {
            "type": "artifact",
            "name": "model",
            "files": [{"path": "m.pt", "digest": digest("bb"), "size": 2}],
        },
    ]
    run_store.ingest(batch(gone.id, 1, events, loss=[1.0]))
    with pytest.raises(NotFound, match="nosuchrun0"):  # all or nothing
        run_store.delete_runs([gone.id, "nosuchrun0"])
    assert run_store.get_run(gone.id).id == gone.id
    assert run_store.delete_runs([gone.id, gone.id]) == 1
    assert run_store.delete_runs([]) == 0
    with pytest.raises(NotFound):
        run_store.delete_runs([gone.id])
    with pytest.raises(NotFound):
        run_store.get_run(gone.id)
    with pytest.raises(NotFound):
        run_store.history(gone.id)
    assert [r.id for r in run_store.search_runs()] == [keep.id]
    assert run_store.count_runs(filter="tags has 't'") == 0
    # Artifact versions outlive the run that made them; its run files do not.
    assert run_store.artifact("proj", "model").created_by == gone.id
    assert [v.name for v in run_store.artifacts(created_by=gone.id)] == ["model"]


def test_a_running_run_is_deleted_too(run_store: RunStore) -> None:
    run = new_run(run_store)
    assert run_store.get_run(run.id).state == "running"
    assert run_store.delete_runs([run.id]) == 1


# --- search -------------------------------------------------------------------


def test_search_runs_without_filter(run_store: RunStore) -> None:
    ids = [new_run(run_store, created_at=T0 + i).id for i in range(5)]
    other = new_run(run_store, project="other", created_at=T0 + 10)
    assert [r.id for r in run_store.search_runs("proj")] == ids[::-1]
    assert [r.id for r in run_store.search_runs()] == [other.id, *ids[::-1]]
    assert [r.id for r in run_store.search_runs("proj", limit=2, offset=1)] == ids[::-1][1:3]
    assert run_store.search_runs("proj", limit=0) == []
    assert run_store.search_runs("nosuchproject") == []
    assert run_store.count_runs() == 6
    assert run_store.count_runs("proj") == 5
    assert run_store.count_runs("nosuchproject") == 0
    with pytest.raises(InvalidInput):
        run_store.search_runs(limit=-1)
    with pytest.raises(InvalidInput):
        run_store.search_runs(offset=-1)


def test_search_returns_whole_runs(run_store: RunStore) -> None:
    a = new_run(run_store, tags=("x",), created_at=T0, system={"host": "a"})
    b = new_run(run_store, tags=("y", "z"), created_at=T0 + 1)
    run_store.ingest(batch(a.id, 1, loss=[3.0, 2.0]))
    run_store.ingest(batch(b.id, 1, [{"type": "summary", "set": {"note": "ok"}}], acc=[0.5]))
    found = {r.id: r for r in run_store.search_runs()}
    assert found[a.id].tags == ("x",) and found[b.id].tags == ("y", "z")
    assert found[a.id].summary == {"loss": 2.0}
    assert found[b.id].summary == {"acc": 0.5, "note": "ok"}
    assert found[a.id] == run_store.get_run(a.id)
    assert found[a.id].system == {"host": "a"}


@pytest.fixture
def runs(run_store: RunStore) -> dict[str, str]:
    """Four runs with config, tags and metrics: name -> id."""
    specs = [
        ("a", {"lr": 0.1, "opt": "sgd"}, ("base",), [0.5, 0.6]),
        ("b", {"lr": 0.01, "opt": "adam"}, ("base", "x"), [0.7, 0.9]),
        ("c", {"lr": 0.001, "opt": "adam"}, (), [0.8, math.nan]),
        ("d", {"opt": "adam"}, ("x",), []),
    ]
    ids = {}
    for i, (name, config, tags, acc) in enumerate(specs):
        run = new_run(run_store, name=name, config=config, tags=tags, created_at=T0 + i)
        if acc:
            run_store.ingest(batch(run.id, 1, acc=acc))
        ids[name] = run.id
    goal = {"type": "define_metric", "pattern": "acc", "goal": "max"}
    run_store.ingest(batch(ids["c"], 2, [goal]))
    return ids


def names(found: list[object]) -> list[str]:
    return [r.name for r in found]  # type: ignore[attr-defined]


def test_filter(run_store: RunStore, runs: dict[str, str]) -> None:
    assert names(run_store.search_runs("proj", "config.lr < 0.05")) == ["c", "b"]
    assert names(run_store.search_runs("proj", "config.opt = 'adam' and tags has 'x'")) == [
        "d",
        "b",
    ]
    assert names(run_store.search_runs(filter="metrics.acc > 0.75")) == ["c", "b"]
    assert run_store.count_runs("proj", "config.opt = 'adam'") == 3
    assert run_store.count_runs("proj", "  ") == 4
    assert run_store.count_runs("other", "config.opt = 'adam'") == 0


def test_order_puts_runs_lacking_the_field_last(run_store: RunStore, runs: dict[str, str]) -> None:
    assert names(run_store.search_runs(order_by=["config.lr"])) == ["c", "b", "a", "d"]
    assert names(run_store.search_runs(order_by=["-config.lr"])) == ["a", "b", "c", "d"]
    assert names(run_store.search_runs(order_by=["-metrics.acc"])) == ["b", "c", "a", "d"]
    assert names(run_store.search_runs(order_by=["-metrics.acc"], limit=2, offset=1)) == [
        "c",
        "a",
    ]


def test_bad_filter_or_sort_term(run_store: RunStore, runs: dict[str, str]) -> None:
    for call in (
        lambda: run_store.search_runs(filter="config.lr <"),
        lambda: run_store.count_runs(filter="and or"),
        lambda: run_store.search_runs(order_by=["-"]),
        lambda: run_store.runs_table(filter="config.lr <"),
    ):
        with pytest.raises(FilterSyntaxError):
            call()


# --- project keys and the runs table -----------------------------------------------


def test_project_keys(run_store: RunStore) -> None:
    config = {"lr": 0.1, "opt": {"name": "adam", "beta": 0.9}}
    a = new_run(run_store, config=config, tags=["b", "a"])
    b = new_run(run_store, config={"lr": 0.2, "layers": [1, 2]}, tags=["b"])
    new_run(run_store, project="other", config={"secret": 1}, tags=["hidden"])
    run_store.ingest(batch(a.id, 1, loss=[1.0], acc=[0.5]))
    summary = {"type": "summary", "set": {"best": 3, "note": "x"}}
    run_store.ingest(batch(b.id, 1, [summary], loss=[2.0]))
    keys = run_store.project_keys("proj")
    assert keys.config == ("layers", "lr", "opt.beta", "opt.name")
    assert keys.metrics == ("acc", "loss")
    assert keys.summary == ("best", "note")
    assert keys.tags == ("a", "b")
    with pytest.raises(NotFound):
        run_store.project_keys("nope")


def test_runs_table_columns_in_sort_order(run_store: RunStore) -> None:
    runs = []
    for i, lr in enumerate([0.3, 0.1, 0.2]):
        config = {"lr": lr, "name": f"n{i}", "big": 2**70}
        run = new_run(run_store, config=config, tags=(f"t{i}",), group="g" if i else None)
        run_store.ingest(batch(run.id, 1, acc=[0.1, lr, 0.0]))
        runs.append(run)
    run_store.ingest(batch(runs[0].id, 2, [{"type": "summary", "set": {"acc": "best!"}}]))
    columns = [
        "config.lr",
        "config.name",
        "config.big",
        "config.missing",
        "metrics.acc",
        "summary.acc",
        "max(metrics.acc)",
        "count(metrics.acc)",
    ]
    table = run_store.runs_table("proj", order_by=["config.lr"], columns=columns)
    assert table.total == 3
    assert table.ids == [runs[1].id, runs[2].id, runs[0].id]
    assert table.names == [runs[1].name, runs[2].name, runs[0].name]
    assert table.groups == ["g", "g", None]
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


def test_runs_table_page_filter_and_total(run_store: RunStore) -> None:
    for i in range(5):
        new_run(run_store, config={"i": i})
    table = run_store.runs_table(
        "proj",
        filter="config.i >= 1",
        order_by=["-config.i"],
        columns=["config.i"],
        limit=2,
        offset=1,
    )
    assert table.total == 4
    assert table.columns["config.i"] == [3, 2]
    empty = run_store.runs_table("proj", filter="config.i > 100", columns=["config.i"])
    assert empty.total == 0 and empty.ids == [] and empty.columns == {"config.i": []}


def test_runs_table_nan_and_inf(run_store: RunStore) -> None:
    run = new_run(run_store, config={"x": math.nan})
    run_store.ingest(batch(run.id, 1, a=[math.nan], b=[1.0, math.inf], c=[-math.inf]))
    table = run_store.runs_table(
        columns=["config.x", "metrics.a", "metrics.b", "min(metrics.b)", "metrics.c"]
    )
    assert math.isnan(table.columns["config.x"][0]) and math.isnan(table.columns["metrics.a"][0])
    assert table.columns["metrics.b"] == [math.inf] and table.columns["min(metrics.b)"] == [1.0]
    assert table.columns["metrics.c"] == [-math.inf]


def test_runs_table_duration(run_store: RunStore) -> None:
    run = new_run(run_store, created_at=1000.0)
    run_store.heartbeat(run.id, 1010.0)
    assert run_store.runs_table().durations == [10.0]
    assert run_store.runs_table().created_at == [1000.0]


@pytest.mark.parametrize("column", ["lr", "metrics.", "avg(metrics.x)", "metrics.a//b", "tags"])
def test_runs_table_refuses_unknown_columns(run_store: RunStore, column: str) -> None:
    with pytest.raises(InvalidInput):
        run_store.runs_table(columns=[column])


def test_close_twice_is_harmless(run_store: RunStore) -> None:
    new_run(run_store)
    run_store.close()
    run_store.close()
