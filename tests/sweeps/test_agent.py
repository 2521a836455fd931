"""Sweeps end to end: real agent processes, real trial processes, a real SQLite store."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import heron
from heron.connect import locate
from heron.settings import Settings
from heron.store.base import RunInfo
from heron.sweeps.study import Sweeps

OBJECTIVE = Path(__file__).parent / "scripts" / "objective.py"
HERON = str(Path(sys.executable).parent / "heron")  # the console script
# Seconds a process or a polled condition may take before the test gives up: a safety
# net, never a measurement (a trial is a Python process importing heron: seconds each
# on a loaded machine).
DEADLINE = 600.0


def _env(store: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERON_")}
    env.update(HERON_DIR=str(store), HERON_SHIP_INTERVAL="0.05", HERON_CAPTURE_PACKAGES="false")
    return env


def _heron(store: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([HERON, *args], env=_env(store), stdout=subprocess.DEVNULL)


def _create(store: Path, tmp: Path, text: str) -> None:
    path = tmp / "sweep.yaml"
    path.write_text(text)
    process = _heron(store, "sweep", "create", str(path))
    assert process.wait() == 0


def _sweeps(store: Path, **kwargs: float) -> Sweeps:
    return Sweeps.at(locate(store, Settings()), **kwargs)


def _runs(store: Path) -> dict[str, RunInfo]:
    with heron.Api(store) as api:
        return {r.id: r.info for r in api.runs("sw")}


@contextlib.contextmanager
def _killed_at_exit(process: subprocess.Popen[bytes]) -> Iterator[None]:
    try:
        yield
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


SWEEP = """
name: quad
project: sw
method: bayes
seed: 7
metric: {name: loss, goal: minimize}
run_cap: 20
parameters:
  x: {min: 0.0, max: 10.0}
  y: {values: [-3.0, -1.0, 1.0]}
early_terminate: {type: median, min_iter: 1, startup_trials: 3}
"""


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_twenty_trials_on_three_agents_find_the_optimum_and_prune(tmp_path: Path) -> None:
    store = tmp_path / "store"
    _create(store, tmp_path, SWEEP)
    command = ["--", sys.executable, str(OBJECTIVE), "--x={x}"]
    agents = [_heron(store, "agent", "quad", "--poll", "0.1", *command) for _ in range(3)]
    for agent in agents:
        assert agent.wait(timeout=DEADLINE) == 0

    with _sweeps(store) as sweeps:
        info = sweeps.info("quad")
        trials = sweeps.trials("quad")
    assert len(trials) == 20 and info.status == "finished"
    assert sorted(t.number for t in trials) == list(range(20))
    run_ids = [t.run_id for t in trials]
    assert len(set(run_ids)) == 20  # no trial ran twice
    runs = _runs(store)
    assert set(runs) == set(run_ids)  # each trial is exactly one run...
    assert {r.group for r in runs.values()} == {"quad"}  # ...in the sweep's group
    for t in trials:
        run = runs[t.run_id]  # type: ignore[index]
        assert run.config["x"] == t.params["x"] and run.config["y"] == t.params["y"]
        expected = {"complete": "finished", "pruned": "pruned"}[t.status]
        assert run.state == expected, (t, run.state)
    assert any(t.status == "pruned" for t in trials)
    # the optimum is x=3, y=-1 (loss 0.2 at the last step): the sweep found its region
    assert info.best_value is not None and info.best_value < 1.2
    best = next(t for t in trials if t.number == info.best_trial)
    assert abs(best.params["x"] - 3) < 1 and best.params["y"] == -1.0


KILL = """
name: hold
project: sw
method: random
metric: loss
run_cap: 3
parameters:
  x: {min: 2.0, max: 4.0}
"""


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_a_killed_agent_s_trial_is_crashed_and_the_sweep_goes_on(tmp_path: Path) -> None:
    store = tmp_path / "store"
    _create(store, tmp_path, KILL)
    hold = tmp_path / "hold"
    hold.touch()
    doomed = _heron(
        store, "agent", "hold", "--", sys.executable, str(OBJECTIVE), "--x={x}", f"--hold={hold}"
    )
    # wait until its trial's run has logged (the trial process is mid-way), then kill -9
    deadline = time.monotonic() + DEADLINE
    with _sweeps(store) as sweeps, _killed_at_exit(doomed):
        while True:
            trials = sweeps.trials("hold")
            runs = _runs(store)
            if trials and trials[0].run_id in runs and runs[trials[0].run_id].last_step is not None:
                break
            assert time.monotonic() < deadline, "the first trial never logged"
            time.sleep(0.1)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait()
    first = trials[0]

    # another agent reaps the dead one's trial (once its heartbeat is stale) and runs the rest
    while True:
        survivor = _heron(
            store, "agent", "hold", "--grace", "1", "--", sys.executable, str(OBJECTIVE), "--x={x}"
        )
        assert survivor.wait(timeout=DEADLINE) == 0
        with _sweeps(store) as sweeps:
            trials = {t.number: t for t in sweeps.trials("hold")}
        if trials[first.number].status == "failed":
            break
        assert time.monotonic() < deadline, "the dead agent's trial was never reaped"
        time.sleep(0.5)
    assert [trials[n].status for n in sorted(trials)] == ["failed", "complete", "complete"]
    assert "agent stopped" in (trials[first.number].error or "")
    runs = _runs(store)
    assert runs[first.run_id].state == "crashed"  # type: ignore[index]
    assert len(runs) == 3


def test_a_failing_trial_fails_alone_and_stop_pause_resume(tmp_path: Path) -> None:
    store = tmp_path / "store"
    _create(store, tmp_path, KILL.replace("run_cap: 3", "run_cap: 4"))
    # a command that exits 3: every trial fails, the agent carries on and exits 0
    bad = _heron(store, "agent", "hold", "--count", "2", "--", sys.executable, "-c", "exit(3)")
    assert bad.wait(timeout=DEADLINE) == 0
    # `heron --dir STORE agent` with HERON_DIR pointing elsewhere: the trial logs to STORE
    env = {**_env(store), "HERON_DIR": str(tmp_path / "elsewhere")}
    check = f"import os, sys; sys.exit(0 if os.environ['HERON_DIR'] == {str(store)!r} else 5)"
    argv = [HERON, "--dir", str(store), "agent", "hold", "--count", "1", "--"]
    moved = subprocess.Popen([*argv, sys.executable, "-c", check], env=env)
    assert moved.wait(timeout=DEADLINE) == 0
    with _sweeps(store) as sweeps:
        trials = sweeps.trials("hold")
        assert [t.status for t in trials] == ["failed", "failed", "failed"]
        assert "status 3" in (trials[0].error or "")
        assert "never logged 'loss'" in (trials[2].error or "")  # exit 0: the right store
        sweeps.set_status("hold", "stopped")
        assert sweeps.ask("hold") is None  # a stopped sweep hands out nothing
        sweeps.set_status("hold", "running")
    listing = subprocess.run(
        [HERON, "sweep", "ls", "--json"],
        env=_env(store),
        capture_output=True,
        check=True,
    )
    (row,) = [json.loads(line) for line in listing.stdout.splitlines()]
    assert row["name"] == "hold" and row["counts"] == {"failed": 3} and row["status"] == "running"
