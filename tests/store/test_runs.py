"""Store conformance: projects, runs, config, tags, lifecycle (both backends)."""

from __future__ import annotations

import math
import re

import pytest
from sqlalchemy import create_engine, select

from heron.errors import InvalidInput, InvalidValue, NotFound
from heron.store import schema
from heron.store.base import RunSpec, Store
from heron.store.sql import SqlStore
from tests.store.helpers import T0, batch, new_run


def test_store_implements_the_protocol(store: SqlStore) -> None:
    assert isinstance(store, Store)


def test_create_run_returns_the_run(store: SqlStore) -> None:
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
    run = store.create_run(spec)
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
    assert store.get_run("abcdefghij") == run


def test_create_run_is_idempotent_on_id(store: SqlStore) -> None:
    first = new_run(store, id="run0000001", name="one")
    again = store.create_run(RunSpec(id="run0000001", project="other", name="two"))
    assert again == first
    assert [p.name for p in store.list_projects()] == ["proj"]


def test_default_names_are_unique_and_descriptive(store: SqlStore) -> None:
    names = [new_run(store).name for _ in range(12)]
    assert len(set(names)) == 12
    for i, name in enumerate(names, start=1):
        assert re.fullmatch(rf"[a-z]+-[a-z]+-{i}", name), name


def test_user_names_may_repeat(store: SqlStore) -> None:
    assert new_run(store, name="same").name == new_run(store, name="same").name == "same"


def test_invalid_input_is_rejected(store: SqlStore) -> None:
    with pytest.raises(InvalidInput):
        new_run(store, project="bad project!")
    with pytest.raises(InvalidInput):
        new_run(store, id="no spaces allowed")
    with pytest.raises(InvalidInput):
        new_run(store, tags=("",))
    with pytest.raises(InvalidValue):
        new_run(store, config={"x": object()})
    assert store.list_projects() == []


def test_get_run_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound):
        store.get_run("nosuchrun0")
    with pytest.raises(NotFound):
        store.history("nosuchrun0")
    with pytest.raises(NotFound):
        store.run_files("nosuchrun0")
    with pytest.raises(NotFound):
        store.heartbeat("nosuchrun0", T0)
    with pytest.raises(NotFound):
        store.mark_crashed("nosuchrun0", T0, "lost")


CONFIG = {
    "lr": 0.001,
    "epochs": 10,
    "big": 2**80,
    "huge": 10**400,
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


def config_rows(store: SqlStore, run_id: str) -> dict[str, tuple[str, float | None, str | None]]:
    engine = create_engine(store.url.replace("postgresql+psycopg", "postgresql+psycopg"))
    c = schema.run_config.c
    with engine.connect() as conn:
        rows = conn.execute(select(c.key, c.vtype, c.num, c.text).where(c.run_id == run_id))
        out = {k: (vt, num, text) for k, vt, num, text in rows}
    engine.dispose()
    return out


def test_config_keeps_json_types_and_flattens(store: SqlStore) -> None:
    run = new_run(store, config=CONFIG)
    got = run.config
    assert math.isnan(got.pop("nan"))
    assert got == {k: v for k, v in CONFIG.items() if k != "nan"}
    assert isinstance(got["amp"], bool) and isinstance(got["epochs"], int)
    assert config_rows(store, run.id) == {
        "lr": ("float", 0.001, None),
        "epochs": ("int", 10.0, None),
        "big": ("int", float(2**80), None),
        "huge": ("int", None, str(10**400)),
        "nan": ("float", None, None),
        "inf": ("float", -math.inf, None),
        "amp": ("bool", 1.0, None),
        "off": ("bool", 0.0, None),
        "name": ("str", None, "adam"),
        "none": ("null", None, None),
        "layers": ("list", None, "[64,32]"),
        "optim.betas": ("list", None, "[0.9,0.999]"),
        "optim.kind.name": ("str", None, "adamw"),
        "optim.kind.decay": ("float", 0.01, None),
    }


def test_config_event_deep_merges_and_reflattens(store: SqlStore) -> None:
    run = new_run(store, config={"optim": {"lr": 0.1, "name": "sgd"}, "seed": 1})
    store.ingest(batch(run.id, 1, [{"type": "config", "patch": {"optim": {"lr": 0.2}, "bs": 8}}]))
    assert store.get_run(run.id).config == {
        "optim": {"lr": 0.2, "name": "sgd"},
        "seed": 1,
        "bs": 8,
    }
    store.ingest(batch(run.id, 2, [{"type": "config", "patch": {"optim": "adam"}}]))
    assert store.get_run(run.id).config == {"optim": "adam", "seed": 1, "bs": 8}
    rows = config_rows(store, run.id)
    assert set(rows) == {"optim", "seed", "bs"}
    assert rows["optim"] == ("str", None, "adam")


def test_tags_notes_system_events(store: SqlStore) -> None:
    run = new_run(store, tags=("a", "b"), system={"os": {"name": "linux"}})
    store.ingest(
        batch(
            run.id,
            1,
            [
                {"type": "tags", "add": ["c", "a"], "remove": ["b", "missing"]},
                {"type": "notes", "text": "hello"},
                {"type": "system", "patch": {"os": {"release": "6.1"}, "gpus": 2}},
            ],
        )
    )
    got = store.get_run(run.id)
    assert got.tags == ("a", "c")
    assert got.notes == "hello"
    assert got.system == {"os": {"name": "linux", "release": "6.1"}, "gpus": 2}


def test_state_events(store: SqlStore) -> None:
    run = new_run(store, created_at=T0)
    store.ingest(
        batch(
            run.id,
            1,
            [
                {
                    "type": "state",
                    "state": "failed",
                    "time": T0 + 5,
                    "error": "ValueError: x",
                    "traceback": "Traceback...",
                }
            ],
        )
    )
    got = store.get_run(run.id)
    assert (got.state, got.ended_at, got.error, got.traceback) == (
        "failed",
        T0 + 5,
        "ValueError: x",
        "Traceback...",
    )
    # Points and other events arriving late leave the ended run alone.
    store.ingest(batch(run.id, 2, [{"type": "notes", "text": "late"}], loss=[1.0]))
    assert store.get_run(run.id).state == "failed"
    store.heartbeat(run.id, T0 + 100)
    assert store.get_run(run.id).state == "failed"
    # Resume: an explicit state=running clears the end.
    store.ingest(batch(run.id, 3, [{"type": "state", "state": "running", "time": T0 + 200}]))
    got = store.get_run(run.id)
    assert (got.state, got.ended_at, got.error) == ("running", None, None)
    store.ingest(batch(run.id, 4, [{"type": "state", "state": "finished", "time": T0 + 300}]))
    got = store.get_run(run.id)
    assert (got.state, got.ended_at) == ("finished", T0 + 300)
    assert got.duration == 300
    with pytest.raises(InvalidInput):
        store.ingest(batch(run.id, 5, [{"type": "state", "state": "paused"}]))


def test_heartbeat_stale_and_crashed(store: SqlStore) -> None:
    old = new_run(store, created_at=T0)
    beating = new_run(store, created_at=T0)
    fresh = new_run(store, created_at=T0 + 100)
    done = new_run(store, created_at=T0)
    store.ingest(batch(done.id, 1, [{"type": "state", "state": "finished", "time": T0 + 1}]))
    store.heartbeat(beating.id, T0 + 90)
    assert store.get_run(beating.id).heartbeat_at == T0 + 90
    assert store.stale_runs(older_than=T0 + 50) == [old.id]
    assert sorted(store.stale_runs(older_than=T0 + 95)) == sorted([old.id, beating.id])
    store.mark_crashed(old.id, T0 + 60, "no heartbeat for 60 s")
    got = store.get_run(old.id)
    assert (got.state, got.ended_at, got.error) == ("crashed", T0 + 60, "no heartbeat for 60 s")
    store.mark_crashed(done.id, T0 + 60, "too late")  # a no-op on an ended run
    assert store.get_run(done.id).state == "finished"
    assert store.stale_runs(older_than=T0 + 95) == [beating.id]
    assert fresh.id not in store.stale_runs(older_than=T0 + 99)


def test_find_resumable(store: SqlStore) -> None:
    assert store.find_resumable("proj", "train.py") is None
    first = new_run(store, resume_key="train.py", created_at=T0)
    new_run(store, resume_key="other.py", created_at=T0 + 5)
    new_run(store, project="elsewhere", resume_key="train.py", created_at=T0 + 5)
    found = store.find_resumable("proj", "train.py")
    assert found is not None and found.id == first.id
    store.ingest(batch(first.id, 1, [{"type": "state", "state": "crashed", "time": T0 + 1}]))
    found = store.find_resumable("proj", "train.py")
    assert found is not None and found.id == first.id
    store.ingest(batch(first.id, 2, [{"type": "state", "state": "finished", "time": T0 + 2}]))
    assert store.find_resumable("proj", "train.py") is None
    second = new_run(store, resume_key="train.py", created_at=T0 + 10)
    found = store.find_resumable("proj", "train.py")
    assert found is not None and found.id == second.id


def test_list_projects(store: SqlStore) -> None:
    new_run(store, project="b", created_at=T0)
    run = new_run(store, project="b", created_at=T0 + 10)
    new_run(store, project="a", created_at=T0 + 1)
    store.heartbeat(run.id, T0 + 50)
    projects = store.list_projects()
    assert [(p.name, p.run_count, p.last_activity) for p in projects] == [
        ("a", 1, T0 + 1),
        ("b", 2, T0 + 50),
    ]
    store.ingest(batch(run.id, 1, [{"type": "state", "state": "finished", "time": T0 + 70}]))
    assert store.list_projects()[1].last_activity == T0 + 70


def test_search_runs_without_filter(store: SqlStore) -> None:
    ids = [new_run(store, created_at=T0 + i).id for i in range(5)]
    other = new_run(store, project="other", created_at=T0 + 10)
    assert [r.id for r in store.search_runs("proj")] == ids[::-1]
    assert [r.id for r in store.search_runs()] == [other.id, *ids[::-1]]
    assert [r.id for r in store.search_runs("proj", limit=2, offset=1)] == ids[::-1][1:3]
    assert store.search_runs("nosuchproject") == []
    assert store.count_runs() == 6
    assert store.count_runs("proj") == 5
    with pytest.raises(InvalidInput):
        store.search_runs(limit=-1)


def test_search_loads_tags_and_summaries_per_run(store: SqlStore) -> None:
    a = new_run(store, tags=("x",), created_at=T0)
    b = new_run(store, tags=("y", "z"), created_at=T0 + 1)
    store.ingest(batch(a.id, 1, loss=[3.0, 2.0]))
    store.ingest(batch(b.id, 1, [{"type": "summary", "set": {"note": "ok"}}], acc=[0.5]))
    found = {r.id: r for r in store.search_runs()}
    assert found[a.id].tags == ("x",) and found[b.id].tags == ("y", "z")
    assert found[a.id].summary == {"loss": 2.0}
    assert found[b.id].summary == {"acc": 0.5, "note": "ok"}
    assert found[a.id] == store.get_run(a.id)


def test_delete_runs_cascades(store: SqlStore) -> None:
    keep = new_run(store)
    gone = new_run(store, tags=("t",), config={"a": 1})
    store.ingest(
        batch(
            gone.id,
            1,
            [
                {"type": "define_metric", "pattern": "loss", "goal": "min"},
                {"type": "file", "file": {"path": "out.txt", "digest": "sha256:aa", "size": 1}},
                {
                    "type": "artifact",
                    "name": "model",
                    "files": [{"path": "m.pt", "digest": "sha256:bb", "size": 2}],
                },
            ],
            loss=[1.0],
        )
    )
    assert store.delete_runs([gone.id, gone.id, "nosuchrun0"]) == 1
    assert store.delete_runs([]) == 0
    with pytest.raises(NotFound):
        store.get_run(gone.id)
    assert [r.id for r in store.search_runs()] == [keep.id]
    # Artifact versions outlive the run that made them; its run files do not.
    assert store.artifact("proj", "model").created_by == gone.id
    assert store.referenced_digests() == {"sha256:bb"}
    engine = create_engine(store.url)
    with engine.connect() as conn:
        for table in (
            schema.run_tags,
            schema.run_config,
            schema.run_summary,
            schema.metric_chunks,
            schema.metric_definitions,
            schema.run_files,
        ):
            assert conn.execute(select(table).where(table.c.run_id == gone.id)).first() is None
    engine.dispose()
