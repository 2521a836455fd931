"""heron.Api on the real embedded store (SQLite in tmp_path), data written through the
Store contract directly, so that steps, times and values are exactly what we say."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import heron
from heron import api as api_module
from heron.api import Api, join_series, value_at_step
from heron.artifacts import LocalArtifactStore
from heron.errors import Conflict, FilterSyntaxError, InvalidInput, NotFound
from heron.ids import new_run_id
from heron.local_dir import LocalDir
from heron.settings import Settings
from heron.store import open_store
from heron.store.base import Batch, FileEntry, RunSpec, Series

T0 = 1_700_000_000.0


class Builder:
    """Writes runs straight into a store folder through the Store contract."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = LocalDir.at(root).create()
        self.store = open_store(self.folder.db_url)
        self.blobs = LocalArtifactStore(self.folder.blobs)
        self._seq: dict[str, int] = {}

    def run(
        self,
        project: str = "proj",
        *,
        state: str = "finished",
        created_at: float = T0,
        ended_at: float | None = None,
        error: str | None = None,
        **spec: Any,
    ) -> str:
        run_id = new_run_id()
        self.store.create_run(RunSpec(id=run_id, project=project, created_at=created_at, **spec))
        if state != "running":
            self.finish(run_id, state, ended_at or created_at + 60, error)
        return run_id

    def batch(
        self,
        run_id: str,
        metrics: dict[str, Series] | None = None,
        events: list[dict[str, Any]] | None = None,
    ) -> None:
        self._seq[run_id] = self._seq.get(run_id, 0) + 1
        self.store.ingest(Batch(run_id, self._seq[run_id], metrics or {}, events or []))

    def log(self, run_id: str, **series: list[tuple[int, float, float]]) -> None:
        """``key=[(step, time, value), ...]`` in log order."""
        metrics = {
            key.replace("__", "/"): Series(
                np.array([p[0] for p in points], np.int64),
                np.array([p[1] for p in points], np.float64),
                np.array([p[2] for p in points], np.float64),
            )
            for key, points in series.items()
        }
        self.batch(run_id, metrics)

    def finish(self, run_id: str, state: str, at: float, error: str | None = None) -> None:
        tb = "Traceback...\nValueError: boom" if error else None
        self.batch(
            run_id,
            events=[{"type": "state", "state": state, "time": at, "error": error, "traceback": tb}],
        )

    def put(self, tmp: Path, data: bytes) -> tuple[str, int]:
        path = tmp / f"blob-{len(data)}-{hash(data)}"
        path.write_bytes(data)
        info = self.blobs.put_file(path)
        return info.digest, info.size

    def close(self) -> None:
        self.store.close()


@pytest.fixture
def build(tmp_path: Path) -> Iterator[Builder]:
    builder = Builder(tmp_path / "store")
    yield builder
    builder.close()


def open_api(build: Builder, **settings: Any) -> Api:
    return Api(build.root, settings=Settings(dir=build.root, **settings))


# --- opening -------------------------------------------------------------------
def test_api_defaults_to_heron_dir(build: Builder, monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = build.run(name="r1")
    monkeypatch.setenv("HERON_DIR", str(build.root))
    with Api() as api:
        assert [r.id for r in api.runs()] == [run_id]
        assert api.root == build.root.resolve()


def test_api_defaults_to_heron_runs_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HERON_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    Builder(tmp_path / "heron-runs").close()
    with Api() as api:
        assert api.root == (tmp_path / "heron-runs").resolve()


def test_a_url_that_is_not_http_is_refused() -> None:
    with pytest.raises(InvalidInput, match="http"):
        Api("ftp://localhost:8080")


def test_a_folder_without_a_store_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(NotFound) as caught:
        Api(tmp_path / "nothing")
    message = str(caught.value)
    assert str(tmp_path / "nothing") in message
    assert "heron.db" in message and "HERON_DIR" in message and "--dir" in message


def test_open_ships_dead_spools_and_marks_their_runs_crashed(tmp_path: Path) -> None:
    root = tmp_path / "store"
    body = f"""
        import os, heron
        run = heron.init(project="p", dir={str(root)!r}, mode="offline",
                         system_metrics=False, capture=False)
        for step in range(10):
            run.log({{"loss": 1.0 / (step + 1)}})
        print(run.id, flush=True)
        os._exit(0)  # dies without finishing: the spool holds everything
    """
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(body))
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True
    )
    run_id = done.stdout.split()[0]
    with Api(root) as api:
        assert [r.run_id for r in api.recovered.shipped] == [run_id]
        assert api.recovered.crashed == (run_id,) and api.recovered.points == 10
        run = api.run(run_id)
        assert run.state == "crashed"
        assert run.history()["loss"].tolist() == [1.0 / (s + 1) for s in range(10)]
    with Api(root) as again:  # nothing left to do
        assert again.recovered.shipped == () and again.run(run_id).state == "crashed"


def test_open_marks_runs_with_a_stale_heartbeat_crashed(build: Builder) -> None:
    stale = build.run(state="running", created_at=time.time() - 3600)
    fresh = build.run(state="running", created_at=time.time())
    with open_api(build, crash_after=60) as api:
        assert api.recovered.reaped == (stale,)
        assert api.run(stale).state == "crashed" and api.run(fresh).state == "running"


def test_recover_false_leaves_the_spools_for_sync(build: Builder) -> None:
    stale = build.run(state="running", created_at=time.time() - 3600)
    with Api(build.root, recover=False) as api:
        assert api.run(stale).state == "running"
        seen: list[tuple[int, int, int]] = []
        report = api.sync(progress=lambda *a: seen.append(a))
        assert report.crashed == (stale,) and seen == []  # no spool: no progress to show


# --- runs ----------------------------------------------------------------------
def test_runs_filter_order_limit_and_projects(build: Builder) -> None:
    a = build.run("vision", name="a", config={"lr": 0.1}, created_at=T0)
    b = build.run("vision", name="b", config={"lr": 0.01}, created_at=T0 + 1)
    c = build.run("nlp", name="c", config={"lr": 0.5}, created_at=T0 + 2)
    with open_api(build) as api:
        assert sorted(p.name for p in api.projects()) == ["nlp", "vision"]
        assert [r.id for r in api.runs()] == [c, b, a]  # newest first
        assert [r.id for r in api.runs("vision")] == [b, a]
        assert [r.id for r in api.runs(order_by="config.lr")] == [b, a, c]
        assert [r.id for r in api.runs(order_by=["-config.lr"], limit=2)] == [c, a]
        assert [r.id for r in api.runs(filter="config.lr < 0.2")] == [b, a]
        assert api.count_runs(filter="config.lr < 0.2") == 2
        found = api.runs()
        assert isinstance(found[0:2], heron.api.Runs) and len(found[0:2]) == 2
        with pytest.raises(InvalidInput):
            api.runs(limit=-1)


def test_a_bad_filter_says_where(build: Builder) -> None:
    build.run()
    with open_api(build) as api, pytest.raises(FilterSyntaxError) as caught:
        api.runs(filter="config.lr >")
    assert "^" in str(caught.value)


def test_run_exposes_the_record(build: Builder) -> None:
    run_id = build.run(
        name="r",
        group="g",
        tags=("x", "y"),
        notes="hello",
        config={"opt": {"lr": 0.1, "name": "adam"}, "seed": 1},
        system={"git": {"commit": "abc"}},
        state="failed",
        ended_at=T0 + 90,
        error="ValueError: boom",
    )
    build.log(run_id, loss=[(0, T0 + 1, 2.0), (1, T0 + 2, 1.0)])
    with open_api(build) as api:
        run = api.run(run_id)
        assert (run.id, run.name, run.project, run.group) == (run_id, "r", "proj", "g")
        assert run.state == "failed" and run.tags == ("x", "y") and run.notes == "hello"
        assert run.config == {"opt": {"lr": 0.1, "name": "adam"}, "seed": 1}
        assert run.summary == {"loss": 1.0}
        assert run.metrics["loss"].min == 1.0 and run.metrics["loss"].count == 2
        assert run.system == {"git": {"commit": "abc"}}
        assert run.created_at == T0 and run.ended_at == T0 + 90 and run.duration == 90
        assert run.error == "ValueError: boom" and "boom" in (run.traceback or "")
        assert run.id in repr(run)


def test_an_unknown_run_is_not_found_with_a_hint(build: Builder) -> None:
    with open_api(build) as api, pytest.raises(NotFound, match="heron runs ls"):
        api.run("nosuchrun0")


def test_runs_to_pandas_flattens_config_and_summary(build: Builder) -> None:
    a = build.run(name="a", config={"opt": {"lr": 0.1}, "layers": [1, 2]}, tags=("t",))
    b = build.run(name="b", config={"opt": {"lr": 0.2, "wd": 0.5}}, created_at=T0 + 1)
    build.log(a, val__acc=[(0, T0, 0.5)])
    with open_api(build) as api:
        frame = api.runs(order_by="name").to_pandas()
    assert list(frame.columns) == [
        "id",
        "name",
        "project",
        "state",
        "group",
        "tags",
        "created",
        "duration",
        "config.layers",
        "config.opt.lr",
        "config.opt.wd",
        "summary.val/acc",
    ]
    assert frame["id"].tolist() == [a, b]
    assert frame["config.opt.lr"].tolist() == [0.1, 0.2]
    assert frame["config.layers"][0] == [1, 2] and frame["tags"][0] == ["t"]
    assert math.isnan(frame["config.opt.wd"][0]) and math.isnan(frame["summary.val/acc"][1])
    assert frame["created"][0] == pd.Timestamp(T0, unit="s", tz="UTC")
    assert frame["duration"].tolist() == [60.0, 60.0]


def test_an_empty_runs_table_still_has_its_columns(build: Builder) -> None:
    with open_api(build) as api:
        frame = api.runs().to_pandas()
    assert frame.empty and list(frame.columns)[:3] == ["id", "name", "project"]


def test_to_pandas_without_pandas_says_how_to_install(
    build: Builder, monkeypatch: pytest.MonkeyPatch
) -> None:
    build.run()
    monkeypatch.setattr(api_module, "_pandas", lambda: None)
    with open_api(build) as api:
        runs = api.runs()
        assert runs.to_records()[0]["project"] == "proj"
        with pytest.raises(ImportError, match="heron\\[pandas\\]"):
            runs.to_pandas()


def test_delete_runs_is_all_or_nothing(build: Builder) -> None:
    keep, doomed = build.run(), build.run()
    with open_api(build) as api:
        with pytest.raises(NotFound):
            api.delete_runs([doomed, "nosuchrun0"])
        assert len(api.runs()) == 2
        assert api.delete_runs([doomed]) == 1
        assert [r.id for r in api.runs()] == [keep]


def test_deleting_a_running_run_needs_force(build: Builder) -> None:
    live = build.run(state="running", created_at=time.time())
    with open_api(build, crash_after=3600) as api:
        with pytest.raises(Conflict, match="force"):
            api.delete_runs([live])
        assert api.delete_runs([live], force=True) == 1


# --- history -----------------------------------------------------------------------
def test_keys_logged_at_one_step_share_a_row(build: Builder) -> None:
    run_id = build.run()
    build.log(
        run_id,
        loss=[(0, T0, 3.0), (1, T0 + 1, 2.0), (2, T0 + 2, 1.0)],
        acc=[(0, T0, 0.1), (2, T0 + 2, 0.3)],
    )
    with open_api(build) as api:
        h = api.run(run_id).history()
    assert list(h.columns) == ["step", "time", "acc", "loss"]
    assert h["step"].tolist() == [0, 1, 2] and h["time"].tolist() == [T0, T0 + 1, T0 + 2]
    assert h["loss"].tolist() == [3.0, 2.0, 1.0]
    assert h["acc"].tolist()[0] == 0.1 and math.isnan(h["acc"][1]) and h["acc"][2] == 0.3


def test_repeated_and_out_of_order_steps_keep_every_point_in_log_order(build: Builder) -> None:
    run_id = build.run()
    # A resumed run logs steps 5, 6 again after having gone to 7; one point goes back to 2.
    points = [
        (5, T0, 1.0),
        (6, T0 + 1, 2.0),
        (7, T0 + 2, 3.0),
        (5, T0 + 3, 4.0),
        (6, T0 + 4, 5.0),
        (2, T0 + 5, 6.0),
    ]
    build.log(run_id, loss=points)
    with open_api(build) as api:
        h = api.run(run_id).history(["loss"])
    assert h["step"].tolist() == [5, 6, 7, 5, 6, 2]
    assert h["loss"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]


def test_nan_and_inf_come_back(build: Builder) -> None:
    run_id = build.run()
    build.log(run_id, x=[(0, T0, math.nan), (1, T0, math.inf), (2, T0, -math.inf), (3, T0, -0.0)])
    with open_api(build) as api:
        values = api.run(run_id).history(as_numpy=True)["x"]
    assert math.isnan(values[0]) and values[1] == math.inf and values[2] == -math.inf
    assert values[3] == 0.0 and math.copysign(1, values[3]) == -1


def test_time_axis_adds_seconds_since_the_run_started(build: Builder) -> None:
    run_id = build.run(created_at=T0)
    build.log(run_id, loss=[(0, T0 + 10, 1.0), (1, T0 + 12.5, 0.5)])
    with open_api(build) as api:
        h = api.run(run_id).history(x_axis="time")
    assert h["relative_time"].tolist() == [10.0, 12.5]


def test_a_metric_x_axis_takes_its_latest_value_at_or_before_each_step(build: Builder) -> None:
    run_id = build.run()
    build.log(
        run_id,
        loss=[(s, T0 + s, float(s)) for s in range(6)],
        epoch=[(1, T0 + 1, 0.0), (3, T0 + 3, 1.0), (3, T0 + 3.5, 1.5), (5, T0 + 5, 2.0)],
    )
    with open_api(build) as api:
        run = api.run(run_id)
        h = run.history(x_axis="epoch")
        only_loss = run.history(["loss"], x_axis="epoch")
        with pytest.raises(NotFound, match="no metric 'nope'"):
            run.history(x_axis="nope")
    assert list(h.columns) == ["step", "time", "epoch", "loss"]
    assert h["step"].tolist() == [0, 1, 2, 3, 4, 5]  # epoch's own points add no rows
    assert h["epoch"].tolist()[1:] == [0.0, 0.0, 1.5, 1.5, 2.0] and math.isnan(h["epoch"][0])
    pd.testing.assert_frame_equal(h, only_loss)


def test_unlogged_keys_are_nan_columns_and_reserved_names_are_prefixed(build: Builder) -> None:
    run_id = build.run()
    build.log(run_id, step=[(0, T0, 9.0)], loss=[(0, T0, 1.0)])
    with open_api(build) as api:
        h = api.run(run_id).history(["loss", "step", "missing"])
    assert list(h.columns) == ["step", "time", "loss", "metrics.step", "missing"]
    assert h["metrics.step"].tolist() == [9.0] and math.isnan(h["missing"][0])


def test_history_without_pandas_is_a_dict_of_numpy_arrays(
    build: Builder, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = build.run()
    build.log(run_id, loss=[(0, T0, 1.0)])
    monkeypatch.setattr(api_module, "_pandas", lambda: None)
    with open_api(build) as api:
        h = api.run(run_id).history("loss")
    assert isinstance(h, dict) and h["step"].dtype == np.int64 and h["loss"].tolist() == [1.0]


def test_history_of_a_run_without_metrics_is_empty(build: Builder) -> None:
    run_id = build.run()
    with open_api(build) as api:
        h = api.run(run_id).history(as_numpy=True)
    assert list(h) == ["step", "time"] and len(h["step"]) == 0


def test_series_gives_the_raw_points(build: Builder) -> None:
    run_id = build.run()
    build.log(run_id, loss=[(3, T0, 1.0), (1, T0 + 1, math.nan)])
    with open_api(build) as api:
        s = api.run(run_id).series("loss")["loss"]
    assert s.steps.tolist() == [3, 1] and math.isnan(s.values[1])


def _series(data: dict[str, list[tuple[int, float]]]) -> dict[str, Series]:
    out = {}
    clock = iter(range(10_000))  # each point logged one second after the previous one
    for key, pts in data.items():
        steps = np.array([p[0] for p in pts], np.int64)
        times = np.array([T0 + next(clock) for _ in pts], np.float64)
        out[key] = Series(steps, times, np.array([p[1] for p in pts], np.float64))
    return out


def _points_by_key(data: dict[str, list[tuple[int, float]]]) -> dict[str, list[Any]]:
    steps, _, columns = join_series(_series(data))
    return {
        key: list(zip(steps[~np.isnan(c)].tolist(), c[~np.isnan(c)].tolist(), strict=True))
        for key, c in columns.items()
    }


points = st.lists(st.tuples(st.integers(-5, 5), st.floats(-1e6, 1e6)), max_size=30)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b", "c"]), points, max_size=3))
def test_join_keeps_every_point_exactly_once(data: dict[str, list[tuple[int, float]]]) -> None:
    got = _points_by_key(data)
    for key, pts in data.items():
        assert sorted(got[key]) == sorted(pts)
    steps, _, columns = join_series(_series(data))
    filled = np.zeros(len(steps), np.int64)
    for column in columns.values():
        filled += ~np.isnan(column)
    assert np.all(filled >= 1)  # no empty rows


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b", "c"]), points, max_size=3))
def test_join_keeps_each_series_in_log_order_when_steps_never_go_back(
    data: dict[str, list[tuple[int, float]]],
) -> None:
    data = {k: sorted(pts, key=lambda p: p[0]) for k, pts in data.items()}
    assert _points_by_key(data) == data


@settings(max_examples=100, deadline=None)
@given(points)
def test_join_of_one_series_is_its_log_order(pts: list[tuple[int, float]]) -> None:
    assert _points_by_key({"a": pts}) == {"a": pts}


def test_a_key_that_logs_ahead_does_not_reorder_another_key() -> None:
    # a logs step 1 first; b then logs steps 0 and 1: b's order must hold.
    data = {"a": [(1, 10.0)], "b": [(0, 1.0), (1, 2.0)]}
    assert _points_by_key(data) == data
    # Opposite orders cannot both hold; every point is still there, once.
    both = _points_by_key({"a": [(1, 1.0), (0, 2.0)], "b": [(0, 3.0), (1, 4.0)]})
    assert sorted(both["a"]) == [(0, 2.0), (1, 1.0)] and sorted(both["b"]) == [(0, 3.0), (1, 4.0)]


def test_value_at_step_before_the_first_point_is_nan() -> None:
    x = Series(np.array([2, 4], np.int64), np.array([0.0, 0.0]), np.array([1.0, 2.0]))
    got = value_at_step(x, np.array([1, 2, 3, 4, 9], np.int64))
    assert math.isnan(got[0]) and got[1:].tolist() == [1.0, 1.0, 2.0, 2.0]
    assert math.isnan(value_at_step(Series.empty(), np.array([1], np.int64))[0])


# --- files and artifacts ---------------------------------------------------------------
def test_files_and_downloads(build: Builder, tmp_path: Path) -> None:
    run_id = build.run()
    entries = []
    for path, data in [("config.yaml", b"lr: 1"), ("code/a.py", b"A"), ("code/b.py", b"B")]:
        digest, size = build.put(tmp_path, data)
        entries.append(FileEntry(path, digest, size))
    build.batch(run_id, events=[{"type": "file", "file": e.__dict__} for e in entries])
    with open_api(build) as api:
        run = api.run(run_id)
        assert [f.path for f in run.files()] == ["code/a.py", "code/b.py", "config.yaml"]
        got = run.download("config.yaml", tmp_path / "out")
        assert got == tmp_path / "out" / "config.yaml" and got.read_bytes() == b"lr: 1"
        folder = run.download("code/", tmp_path / "out2")
        assert sorted(p.name for p in folder.iterdir()) == ["a.py", "b.py"]
        with pytest.raises(NotFound, match=r"config\.yaml"):
            run.download("nope.txt", tmp_path / "out3")


def test_artifacts_produced_and_used(build: Builder, tmp_path: Path) -> None:
    producer, consumer = build.run(name="p"), build.run(name="c")
    digest, size = build.put(tmp_path, b"weights")
    build.batch(
        producer,
        events=[
            {
                "type": "artifact",
                "name": "model",
                "artifact_type": "model",
                "files": [{"path": "model.bin", "digest": digest, "size": size}],
                "aliases": ["best"],
                "metadata": {"single_file": True},
                "time": T0,
                "retention": None,
            }
        ],
    )
    with open_api(build) as api:
        version = api.artifact("proj", "model:best")
        assert version.ref == "model:v0" and version.created_by == producer
        build.batch(
            consumer, events=[{"type": "use_artifact", "version_id": version.id, "time": T0}]
        )
        assert [a.ref for a in api.run(producer).artifacts()] == ["model:v0"]
        assert api.run(producer).artifacts(produced=False) == []
        assert [a.ref for a in api.run(consumer).artifacts(produced=False)] == ["model:v0"]
        path = api.run(consumer).download(version, tmp_path / "dl")
        assert path == tmp_path / "dl" / "model.bin" and path.read_bytes() == b"weights"
        with pytest.raises(NotFound):
            api.artifact("proj", "model:v9")


def test_orphaned_blobs_respect_the_grace_period(build: Builder, tmp_path: Path) -> None:
    run_id = build.run()
    used, used_size = build.put(tmp_path, b"used")
    build.batch(
        run_id, events=[{"type": "file", "file": {"path": "f", "digest": used, "size": used_size}}]
    )
    old, old_size = build.put(tmp_path, b"old orphan")
    young, _ = build.put(tmp_path, b"young orphan")
    old_path = build.blobs.local_path(old)
    os.utime(old_path, (time.time() - 7200, time.time() - 7200))
    with open_api(build) as api:
        assert [b.digest for b in api.orphaned_blobs(3600)] == [old]
        assert sorted(b.digest for b in api.orphaned_blobs(0)) == sorted([old, young])
        assert api.delete_blobs(api.orphaned_blobs(3600)) == (1, old_size)
        assert not build.blobs.has(old) and build.blobs.has(young) and build.blobs.has(used)
