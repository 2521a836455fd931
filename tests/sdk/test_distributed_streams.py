"""The parts of distributed training that need no launcher: a run's streams in the
store (exactly once each, SQLite and PostgreSQL, and on the wire), which job a rank
belongs to, and a dead rank's spool shipped by the next ``init``."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import heron
from heron.errors import HeronError, InvalidInput
from heron.sdk import distributed as dist
from heron.sdk.backend import open_backend
from heron.sdk.init import _create
from heron.sdk.sync import sync
from heron.settings import Settings
from heron.store.base import Batch, RunSpec, Series
from heron.store.events import ConsoleEvent
from heron.wire import decode_batch, encode_batch
from tests.server.conftest import ServerFactory, server_process

__all__ = ["server_process"]  # the fixture


@pytest.fixture(autouse=True)
def _new_process() -> None:
    dist._inits.clear()  # each test is a fresh process of its job


def _series(*values: float) -> Series:
    n = len(values)
    return Series(np.arange(n, dtype=np.int64), np.full(n, time.time()), np.array(values))


def _console(text: str) -> ConsoleEvent:
    return {"type": "console", "stream": "stdout", "time": time.time(), "lines": [text]}


def test_each_stream_of_a_run_is_applied_exactly_once(store: Any) -> None:
    store.create_run(RunSpec(id="streams001", project="p"))
    main = Batch("streams001", seq=100, metrics={"loss": _series(1.0, 2.0)})
    rank1 = Batch("streams001", seq=10, events=[_console("[rank 1] a")], stream=1)
    rank2 = Batch("streams001", seq=10, events=[_console("[rank 2] b")], stream=2)
    assert store.ingest(main).applied
    assert store.ingest(rank1).applied  # seq 10 < the run's 100: another stream's own
    assert store.ingest(rank2).applied
    for again in (main, rank1, rank2):  # retries change nothing
        assert not store.ingest(again).applied
    later = Batch("streams001", seq=20, metrics={"system/rank1/x": _series(5.0)}, stream=1)
    assert store.ingest(later).applied and store.ingest(later).seq == 20
    run = store.get_run("streams001")
    assert run.ingested_seq == 100  # stream 0's
    assert run.system["distributed"]["streams"] == {"1": 20, "2": 10}
    lines = [line.text for line in store.console("streams001", 0, None).lines]
    assert lines == ["[rank 1] a", "[rank 2] b"]
    assert sorted(store.history("streams001", None)) == ["loss", "system/rank1/x"]


def test_a_stream_travels_on_the_wire() -> None:
    batch = Batch("streams001", seq=7, events=[_console("x")], stream=3)
    assert decode_batch(encode_batch(batch)).stream == 3
    assert decode_batch(encode_batch(Batch("streams001", seq=7))).stream == 0
    with pytest.raises(InvalidInput, match="stream"):
        decode_batch(encode_batch(Batch("streams001", seq=7, stream=True)))  # not a number


def _settings(**env: str) -> Settings:
    return Settings.from_env(env)


def test_a_job_is_detected_from_the_launchers_variables() -> None:
    assert dist.detect(_settings()) is None
    assert dist.detect(_settings(RANK="0", WORLD_SIZE="1")) is None  # a job of one
    assert dist.detect(_settings(RANK="1", WORLD_SIZE="2", HERON_DISTRIBUTED="off")) is None
    assert dist.detect(_settings(RANK="one", WORLD_SIZE="2")) is None  # not ours: ignored
    job = dist.detect(_settings(RANK="1", WORLD_SIZE="2", TORCHELASTIC_RUN_ID="abc"))
    assert job is not None and job.joins and job.source == "TORCHELASTIC_RUN_ID"
    lightning = dist.detect(_settings(LOCAL_RANK="1", WORLD_SIZE="2", SLURM_JOB_ID="42"))
    assert lightning is not None and lightning.rank == 1 and lightning.source == "SLURM_JOB_ID"
    with pytest.raises(InvalidInput, match="WORLD_SIZE"):
        dist.detect(_settings(RANK="2", WORLD_SIZE="2"))
    with pytest.raises(InvalidInput, match="HERON_DISTRIBUTED"):
        _settings(RANK="0", WORLD_SIZE="2", HERON_DISTRIBUTED="sometimes")
    with pytest.raises(InvalidInput, match="distributed must be"):
        dist.detect(_settings(RANK="0", WORLD_SIZE="2"), "sometimes")


def test_every_rank_derives_the_same_run_and_another_launch_another() -> None:
    env = {"WORLD_SIZE": "2", "TORCHELASTIC_RUN_ID": "launch-1", "MASTER_PORT": "29500"}
    keys = {dist.job_key(_settings(RANK=str(r), **env)) for r in (0, 1)}
    assert len(keys) == 1
    other = dist.job_key(_settings(RANK="0", **{**env, "TORCHELASTIC_RUN_ID": "launch-2"}))
    restarted = dist.job_key(_settings(RANK="0", TORCHELASTIC_RESTART_COUNT="1", **env))
    assert len(keys | {other, restarted}) == 3
    explicit = _settings(RANK="0", HERON_DISTRIBUTED_ID="job-9", **env)
    assert dist.job_key(explicit) == ("id:job-9", "HERON_DISTRIBUTED_ID")
    # the run that started this process hands its id to it; anyone else's is ignored
    mine = _settings(RANK="1", HERON_JOB_RUN=f"abcdefghij:{os.getppid()}", **env)
    assert dist.job_key(mine)[1] == "HERON_JOB_RUN"
    theirs = _settings(RANK="1", HERON_JOB_RUN="abcdefghij:1", **env)
    assert dist.job_key(theirs)[1] == "TORCHELASTIC_RUN_ID"
    run_id = dist.derived_run_id("x")
    assert len(run_id) == 10 and run_id.isalnum() and run_id == dist.derived_run_id("x")


def _rank_env(rank: int, store: Path, **extra: str) -> Settings:
    env = {"RANK": str(rank), "WORLD_SIZE": "2", "HERON_DISTRIBUTED_ID": "unit-job"}
    env.update(extra)
    return Settings.from_env(env, dir=store)


def test_ranks_share_a_run_in_process_and_rank_1_records_only_its_console(
    tmp_path: Path,
) -> None:
    store = tmp_path / "store"
    options: dict[str, Any] = {"system_metrics": False, "capture": False}
    zero = heron.init("p", config={"lr": 1}, settings=_rank_env(0, store), **options)
    dist._inits.clear()  # rank 1 is another process: it counts its inits from 0
    one = heron.init("p", config={"lr": 2}, settings=_rank_env(1, store), **options)
    assert zero.id == one.id and isinstance(one, dist.RankRun)
    one.log({"loss": 5.0})  # rank 0's job: nothing recorded
    one.config["lr"] = 3
    one.summary["best"] = 1
    one._console_event(_console("[rank 1] from one"))  # what its capture writes
    zero.log({"loss": 1.0})
    one.finish()  # a rank's end is not the run's
    with heron.Api(store) as api:
        run = api.run(zero.id)
        assert run.state == "running" and run.config == {"lr": 1}
        assert [line.text for line in run.console_lines()] == ["[rank 1] from one"]
    zero.finish()
    with heron.Api(store) as api:
        run = api.run(zero.id)
        assert run.state == "finished"
        assert list(run.history("loss", as_numpy=True)["loss"]) == [1.0]
        assert "best" not in run.summary


def test_a_second_launch_with_the_same_id_is_refused_once_the_run_ended(
    tmp_path: Path,
) -> None:
    store = tmp_path / "store"
    options: dict[str, Any] = {"system_metrics": False, "capture": False}
    first = heron.init("p", settings=_rank_env(0, store), **options)
    first.finish()
    dist._inits.clear()  # a new process of a new launch counts from 0 again
    with pytest.raises(HeronError, match="HERON_DISTRIBUTED_ID"):
        heron.init("p", settings=_rank_env(0, store), **options)


@pytest.mark.parametrize("by", ["init", "sync"])
def test_a_dead_ranks_spool_is_shipped_into_the_run(tmp_path: Path, by: str) -> None:
    """By the next ``heron.init`` on that store folder, or by ``heron sync``."""
    store = tmp_path / "store"
    settings = Settings.from_env({}, dir=store)
    backend = dist.RankBackend(open_backend(settings), 1)
    try:
        spec = RunSpec(id="deadrank01", project="p", created_at=time.time())
        info = backend.start_run(spec)
        writer = backend.open_spool(spec.id)  # the rank dies after writing, before shipping
        writer.write_event(_create(spec, info))  # a rank's first record, as init writes it
        writer.write_event(_console("[rank 1] last words"))
        writer.write_event(
            {"type": "state", "state": "finished", "time": time.time(), "error": None,
             "traceback": None}
        )  # fmt: skip
        writer.close()
    finally:
        backend.close()
    if by == "init":
        heron.init("other", dir=store, system_metrics=False, capture=False).finish()
    else:
        _, report = sync(store, settings=settings)
        assert [r.run_id for r in report.shipped] == ["deadrank01"] and not report.crashed
    with heron.Api(store) as api:
        run = api.run("deadrank01")
        assert [line.text for line in run.console_lines()] == ["[rank 1] last words"]
        assert run.state == "running"  # a rank's state record is not the run's
    assert not (store / "spool" / "ranks" / "1" / "deadrank01").exists()


def test_ranks_started_by_a_run_join_it(tmp_path: Path) -> None:
    """Lightning's launcher: rank 0 started its run before the job existed, then starts
    ranks 1..N with its environment (here, this process plays both)."""
    store = tmp_path / "store"
    options: dict[str, Any] = {"system_metrics": False, "capture": False}
    zero = heron.init("p", settings=Settings.from_env({}, dir=store), **options)
    assert os.environ[dist.HANDOFF_ENV] == f"{zero.id}:{os.getpid()}"
    as_child = {"LOCAL_RANK": "1", "WORLD_SIZE": "2"}
    as_child[dist.HANDOFF_ENV] = f"{zero.id}:{os.getppid()}"  # our parent: we are its child
    one = heron.init("p", settings=Settings.from_env(as_child, dir=store), **options)
    assert one.id == zero.id and isinstance(one, dist.RankRun)
    one.finish()
    zero.finish()
    assert dist.HANDOFF_ENV not in os.environ  # taken back with the run


def test_ranks_share_a_run_on_a_server_whoever_ships_first(
    server_process: ServerFactory, tmp_path: Path
) -> None:
    """Remote: rank 1 starts (and ships its ``create``) before rank 0; rank 0's config
    still wins, and each stream lands once."""
    (tmp_path / "server").mkdir()
    live = server_process(f"sqlite:///{tmp_path / 'server' / 'heron.db'}", tmp_path / "blobs")
    options: dict[str, Any] = {"system_metrics": False, "capture": False}
    client = tmp_path / "client"
    env = {"HERON_URL": live.url, "HERON_SHIP_INTERVAL": "0.05"}
    one = heron.init("p", config={"lr": 2}, settings=_rank_env(1, client, **env), **options)
    one._console_event(_console("[rank 1] first"))
    assert one.flush(timeout=30)  # the run exists on the server now, made by rank 1
    dist._inits.clear()  # rank 0 is another process
    zero = heron.init("p", config={"lr": 1}, settings=_rank_env(0, client, **env), **options)
    assert zero.id == one.id
    zero.log({"loss": 0.5}, step=3)
    one.finish()
    zero.finish()
    with heron.Api(live.url) as api:
        run = api.run(zero.id)
        assert run.state == "finished" and run.config == {"lr": 1}
        assert [line.text for line in run.console_lines()] == ["[rank 1] first"]
        assert run.metrics["loss"].count == 1
        assert run.system["distributed"]["streams"]["1"] > 0
