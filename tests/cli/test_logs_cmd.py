"""``heron runs logs``: a run's console from a store the real SDK wrote, a tail, and
``--follow`` in a real subprocess while the run is still printing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import heron

from .conftest import CliRunnerCall

MAIN = "from heron.cli.main import main; main()"


def _printing_run(root: Path, count: int, *, finish: bool = True) -> heron.Run:
    run = heron.init(project="logs", dir=root, system_metrics=False, capture=False)
    for i in range(count):
        print(f"out {i}")
        if i % 3 == 0:
            print(f"err {i}", file=sys.stderr)
    if finish:
        run.finish()
    return run


def test_logs_prints_stdout_and_stderr_apart(tmp_path: Path, run_cli: CliRunnerCall) -> None:
    run = _printing_run(tmp_path / "heron-runs", 5)
    result = run_cli(None, "--dir", str(tmp_path / "heron-runs"), "runs", "logs", run.id)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"out {i}" for i in range(5)]
    assert result.stderr.splitlines() == ["err 0", "err 3"]
    tail = run_cli(
        None, "--dir", str(tmp_path / "heron-runs"), "runs", "logs", run.id, "--tail", "2"
    )
    assert (tail.stdout, tail.stderr) == ("out 4\n", "err 3\n")


def test_logs_of_an_unknown_run_says_what_to_do(tmp_path: Path, run_cli: CliRunnerCall) -> None:
    _printing_run(tmp_path / "heron-runs", 1)
    result = run_cli(None, "--dir", str(tmp_path / "heron-runs"), "runs", "logs", "nosuchrun0")
    assert result.exit_code == 1 and "heron runs ls" in result.stderr
    bad = run_cli(
        None, "--dir", str(tmp_path / "heron-runs"), "runs", "logs", "nosuchrun0", "--tail", "-1"
    )
    assert bad.exit_code == 2


def test_follow_prints_until_the_run_ends(tmp_path: Path) -> None:
    root = tmp_path / "heron-runs"
    run = _printing_run(root, 3, finish=False)
    run.flush()
    follower = subprocess.Popen(
        [sys.executable, "-c", MAIN, "--dir", str(root), "runs", "logs", run.id, "-f"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert follower.stdout is not None and follower.stderr is not None
        # Read through the same buffered pipe throughout (communicate() would skip what
        # readline() buffered ahead).
        printed = [follower.stdout.readline() for _ in range(3)]
        assert printed == ["out 0\n", "out 1\n", "out 2\n"]  # following the live run
        print("out 3")
        run.finish()  # the follower stops once the run has ended
        rest, err = follower.stdout.read(), follower.stderr.read()
        follower.wait(timeout=60)
    finally:
        follower.kill()
        follower.stdout.close()
        follower.stderr.close()
    assert follower.returncode == 0, err
    assert rest == "out 3\n"
    assert err.splitlines() == ["err 0"]
