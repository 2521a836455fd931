"""Resume keeps history (issue 18, item 6): each end and resume is in the run's
record, duration counts active time, a finished run is reopened only on purpose, and
a second process resuming a live run is told which run and which process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import heron
from heron.errors import Conflict, SpoolError

from .conftest import start_run


def _child(store_dir: Path, body: str) -> subprocess.Popen[str]:
    code = textwrap.dedent(
        f"""
        import os, sys, heron
        run = heron.init(project="test", dir={str(store_dir)!r}, capture=False,
                         system_metrics=False, capture_console=False)
        for step in range(5):
            run.log({{"x": float(step)}})
        run.flush()
        print(run.id, flush=True)
        """
    ) + textwrap.dedent(body)
    return subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_a_crash_and_its_resume_are_in_the_record_and_out_of_the_duration(
    store_dir: Path,
) -> None:
    child = _child(store_dir, "os.kill(os.getpid(), 9)\n")
    out, _ = child.communicate(timeout=60)
    run_id = out.split()[0]
    assert child.returncode == -9
    with start_run(store_dir, resume=run_id) as run:
        run.log({"x": 5.0})
    with heron.Api(store_dir) as api:
        stored = api.run(run_id)
        heron_record = stored.system["heron"]
        assert stored.state == "finished"
        ended, created, duration = stored.ended_at, stored.created_at, stored.duration
    crashed, resumed = heron_record["history"]
    assert crashed["event"] == "crashed" and crashed["step"] == 4
    assert "died" in crashed["error"]
    assert resumed["event"] == "resumed" and resumed["step"] == 5
    assert resumed["pid"] == os.getpid() and resumed["at"] >= crashed["at"]
    inactive = heron_record["inactive_seconds"]
    assert inactive == pytest.approx(resumed["at"] - crashed["at"])
    assert ended is not None and duration == pytest.approx(ended - created - inactive)


def test_a_finished_run_is_reopened_only_on_purpose(store_dir: Path) -> None:
    with start_run(store_dir) as run:
        run.log({"x": 1.0})
    with pytest.raises(Conflict, match="reopen=True"):
        start_run(store_dir, resume=run.id)
    with start_run(store_dir, resume=run.id, reopen=True) as again:
        again.log({"x": 2.0})
    with heron.Api(store_dir) as api:
        history = api.run(run.id).system["heron"]["history"]
    assert [h["event"] for h in history] == ["finished", "resumed"]


def test_resuming_a_run_another_process_logs_names_the_run_and_the_process(
    store_dir: Path,
) -> None:
    child = _child(store_dir, "sys.stdin.readline()\nrun.finish()\n")
    assert child.stdout is not None and child.stdin is not None
    run_id = child.stdout.readline().split()[0]  # it logs, and holds the run, until told
    try:
        with pytest.raises(SpoolError) as raised:
            start_run(store_dir, resume=run_id)
        assert f"run {run_id} is being logged by process {child.pid} on" in raised.value.message
    finally:
        child.communicate(input="\n", timeout=60)  # closes the pipes
    assert child.returncode == 0
