"""Sweeps end to end: real agent processes, real trial processes, a real ``heron server``
(with accounts: the agents send a token) over a real SQLite store."""

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

import httpx
import pytest
from click.testing import CliRunner

from heron.cli.main import cli
from heron.store import open_store
from heron.store.base import RunInfo
from heron.sweeps.base import TrialInfo
from heron.sweeps.study import Sweeps, sweeps_url_of
from tests.server.conftest import LiveServer, free_port

OBJECTIVE = Path(__file__).parent / "scripts" / "objective.py"
HERON = str(Path(sys.executable).parent / "heron")  # the console script
# Seconds a process or a polled condition may take before the test gives up: a safety
# net, never a measurement (a trial is a Python process importing heron: seconds each
# on a loaded machine).
DEADLINE = 600.0
PASSWORD = "correct horse battery"


def _env(**heron: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERON_")}
    env.update(HERON_SHIP_INTERVAL="0.05", HERON_CAPTURE_PACKAGES="false", **heron)
    return env


@contextlib.contextmanager
def _killed_at_exit(*processes: subprocess.Popen[bytes]) -> Iterator[None]:
    try:
        yield
    finally:
        for process in processes:
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
def test_twenty_trials_on_three_agents_through_a_server_one_agent_killed(
    tmp_path: Path,
) -> None:
    """The issue's test: 20 trials on 3 agents find the optimum region; pruned trials are
    marked; no trial runs twice; an agent killed mid-trial leaves its trial failed and
    its run crashed, and the sweep goes on. Every agent reaches the sweep through a
    ``heron server`` with accounts, as on a cluster without the database's address."""
    db_url = f"sqlite:///{tmp_path / 'heron.db'}"
    server = LiveServer(
        db_url,
        str(tmp_path / "blobs"),
        free_port(),
        tmp_path / "server.log",
        ("--auth",),
        {"HERON_ADMIN_USER": "root", "HERON_ADMIN_PASSWORD": PASSWORD},
    ).start()
    try:
        login = {"name": "root", "password": PASSWORD, "token_name": "agents"}
        token = httpx.post(f"{server.url}/api/v1/auth/token", json=login).json()["secret"]
        env = _env(HERON_URL=server.url, HERON_TOKEN=token)
        (tmp_path / "sweep.yaml").write_text(SWEEP)
        created = subprocess.run(
            [HERON, "sweep", "create", str(tmp_path / "sweep.yaml")], env=env, check=False
        )
        assert created.returncode == 0
        trials, runs = _run_with_a_killed_agent(tmp_path, env, db_url)
        listing = subprocess.run(
            [HERON, "sweep", "ls", "--json"], env=env, capture_output=True, check=True
        )
    finally:
        server.kill9()

    (row,) = [json.loads(line) for line in listing.stdout.splitlines()]
    assert row["name"] == "quad" and row["status"] == "finished"
    assert sorted(t.number for t in trials) == list(range(20))
    run_ids = [t.run_id for t in trials]
    assert len(set(run_ids)) == 20  # no trial ran twice
    assert set(runs) == set(run_ids)  # each trial is exactly one run...
    assert {r.group for r in runs.values()} == {"quad"}  # ...in the sweep's group
    dead, *rest = trials
    assert dead.status == "failed" and "agent stopped" in (dead.error or "")
    assert runs[dead.run_id].state == "crashed"  # type: ignore[index]
    for t in rest:
        run = runs[t.run_id]  # type: ignore[index]
        assert run.config["x"] == t.params["x"] and run.config["y"] == t.params["y"]
        expected = {"complete": "finished", "pruned": "pruned"}[t.status]
        assert run.state == expected, (t, run.state)
    assert any(t.status == "pruned" for t in rest)
    # the optimum is x=3, y=-1 (loss 0.2 at the last step): the sweep found its region
    done = [t for t in rest if t.status == "complete" and t.value is not None]
    best = min(done, key=lambda t: t.value or 0.0)
    assert best.value is not None and best.value < 1.2, best
    assert abs(best.params["x"] - 3) < 1 and best.params["y"] == -1.0


def _run_with_a_killed_agent(
    tmp: Path, env: dict[str, str], db_url: str
) -> tuple[list[TrialInfo], dict[str, RunInfo]]:
    """Trial 0's agent is killed (-9) once its trial logged; three agents run the rest."""
    hold = tmp / "hold"
    hold.touch()
    objective = [sys.executable, str(OBJECTIVE), "--x={x}"]
    doomed = subprocess.Popen([HERON, "agent", "quad", "--", *objective, f"--hold={hold}"], env=env)
    store = open_store(db_url)
    sweeps = Sweeps(sweeps_url_of(db_url))
    try:
        with _killed_at_exit(doomed):
            deadline = time.monotonic() + DEADLINE
            while not _logged(sweeps, store):
                assert doomed.poll() is None, "the first agent ended early"
                assert time.monotonic() < deadline, "the first trial never logged"
                time.sleep(0.1)
            doomed.send_signal(signal.SIGKILL)
            doomed.wait()
        # --grace 3: the dead agent's trial is failed by a claim 3+ s after its last beat
        argv = [HERON, "agent", "quad", "--poll", "0.1", "--grace", "3", "--", *objective]
        while True:
            agents = [subprocess.Popen(argv, env=env) for _ in range(3)]
            with _killed_at_exit(*agents):
                for agent in agents:
                    assert agent.wait(timeout=DEADLINE) == 0
            trials = sweeps.trials("quad")
            if trials[0].status != "running":  # reaped (else: the cap came first; again)
                break
            assert time.monotonic() < deadline, "the dead agent's trial was never reaped"
            time.sleep(1)
        return trials, {r.id: r for r in store.search_runs("sw")}
    finally:
        sweeps.close()
        store.close()


def _logged(sweeps: Sweeps, store: object) -> bool:
    trials = sweeps.trials("quad")
    if not trials or trials[0].run_id is None:
        return False
    try:
        return store.get_run(trials[0].run_id).last_step is not None  # type: ignore[attr-defined]
    except Exception:
        return False


KILL = """
name: hold
project: sw
method: random
metric: loss
run_cap: 4
parameters:
  x: {min: 2.0, max: 4.0}
"""


def _heron(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner(env=env).invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


def test_a_failing_trial_fails_alone_and_stop_pause_resume(tmp_path: Path) -> None:
    """In-process agents over a store folder (the local transport); the trials are real
    (cheap) processes."""
    store = str(tmp_path / "store")
    (tmp_path / "s.yaml").write_text(KILL)
    assert _heron("--dir", store, "sweep", "create", str(tmp_path / "s.yaml"))[0] == 0
    # a command that exits 3: every trial fails, the agent carries on and exits 0
    fail = [sys.executable, "-c", "exit(3)"]
    assert _heron("--dir", store, "agent", "hold", "--count", "2", "--", *fail)[0] == 0
    # `heron --dir STORE agent` with HERON_DIR pointing elsewhere: the trial logs to STORE
    check = f"import os, sys; sys.exit(0 if os.environ['HERON_DIR'] == {store!r} else 5)"
    moved = ["--dir", store, "agent", "hold", "--count", "1", "--", sys.executable, "-c", check]
    assert _heron(*moved, env={"HERON_DIR": str(tmp_path / "elsewhere")})[0] == 0
    with Sweeps(sweeps_url_of(f"sqlite:///{tmp_path / 'store' / 'heron.db'}")) as sweeps:
        trials = sweeps.trials("hold")
        assert [t.status for t in trials] == ["failed", "failed", "failed"]
        assert "status 3" in (trials[0].error or "")
        assert "never logged 'loss'" in (trials[2].error or "")  # exit 0: the right store
    for command, status in (("pause", "paused"), ("stop", "stopped")):
        assert _heron("--dir", store, "sweep", command, "hold")[0] == 0
        code, out = _heron("--dir", store, "sweep", "show", "hold", "--json")
        assert json.loads(out)["sweep"]["status"] == status
    # a stopped sweep hands out nothing: the agent exits at once
    assert _heron("--dir", store, "agent", "hold", "--", *fail)[0] == 0
    assert _heron("--dir", store, "sweep", "resume", "hold")[0] == 0
    code, out = _heron("--dir", store, "sweep", "ls", "--json")
    assert code == 0
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["name"] == "hold" and row["counts"] == {"failed": 3} and row["status"] == "running"
