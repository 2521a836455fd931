"""Console capture at the file-descriptor level (``heron.sdk.capture.fd_tee``), for
real: a child script whose stdout and stderr are pipes writes with ``os.write``, C's
stdio and a subprocess; the run's logs and the child's real stdout both have it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import heron
from heron.sdk.capture.fd_tee import fd_capture_safe

from .conftest import run_python, script, start_run

CHILD = """
import ctypes, os, subprocess, sys
import heron

before = os.fstat(1).st_ino, os.fstat(2).st_ino
run = heron.init("fd", dir=sys.argv[1], system_metrics=False, capture=False)
print("python print")
os.write(1, b"os.write to fd 1\\n")
os.write(2, b"os.write to fd 2\\n")
libc = ctypes.CDLL(None)
libc.puts(b"from C stdio")
libc.fflush(None)
subprocess.run(["echo", "from a subprocess"], check=True)
print("python to stderr", file=sys.stderr)
if sys.argv[2] == "crash":
    raise SystemExit(run.finish("failed", error="boom") or 3)
if sys.argv[2] == "exception":
    raise ValueError("boom")
run.finish()
after = os.fstat(1).st_ino, os.fstat(2).st_ino
print("fds restored" if after == before else f"fds NOT restored {before} {after}")
os.write(1, b"after the run\\n")
"""

EXPECTED = [
    "python print",
    "os.write to fd 1",
    "os.write to fd 2",
    "from C stdio",
    "from a subprocess",
    "python to stderr",
]


def _logs(store: Path) -> tuple[str, list[str]]:
    with heron.Api(store) as api:
        (run,) = api.runs("fd")
        return run.state, [line.text for line in run.console_lines()]


def test_fd_writes_subprocesses_and_c_stdio_reach_the_logs_and_the_terminal(
    tmp_path: Path,
) -> None:
    child = script(tmp_path, CHILD)
    store = tmp_path / "store"
    done = run_python(child, str(store), "finish", check=True)
    state, lines = _logs(store)
    assert state == "finished"
    assert sorted(lines) == sorted(EXPECTED)  # each once: no Python write twice
    stdout = done.stdout.splitlines()
    in_order = [t for t in stdout if t in EXPECTED]  # the terminal: every line, in order
    assert in_order == ["python print", "os.write to fd 1", "from C stdio", "from a subprocess"]
    assert stdout[-2:] == ["fds restored", "after the run"]
    assert done.stderr.splitlines() == ["os.write to fd 2", "python to stderr"]


def test_fds_are_restored_and_everything_recorded_when_the_script_fails(
    tmp_path: Path,
) -> None:
    child = script(tmp_path, CHILD)
    store = tmp_path / "store"
    done = run_python(child, str(store), "exception")
    assert done.returncode == 1 and "ValueError: boom" in done.stderr
    state, lines = _logs(store)
    assert state == "failed"
    assert set(EXPECTED) <= set(lines) and lines[-1] == "ValueError: boom"


def test_the_terminal_loses_nothing_when_the_process_exits_abruptly(tmp_path: Path) -> None:
    child = script(
        tmp_path,
        """
        import os, sys
        import heron
        heron.init("fd", dir=sys.argv[1], system_metrics=False, capture=False)
        os.write(1, b"written just before os._exit\\n")
        os._exit(7)
        """,
    )
    done = run_python(child, str(tmp_path / "store"))
    assert done.returncode == 7
    assert done.stdout == "written just before os._exit\n"


def test_fd_capture_can_be_turned_off(tmp_path: Path) -> None:
    child = script(tmp_path, CHILD)
    store = tmp_path / "store"
    run_python(child, str(store), "finish", check=True, env={"HERON_CAPTURE_CONSOLE_FD": "0"})
    _, lines = _logs(store)
    assert sorted(lines) == ["python print", "python to stderr"]


def test_not_under_pytest_capture(store_dir: Path, capfd: pytest.CaptureFixture[str]) -> None:
    assert not fd_capture_safe()  # sys.stdout is pytest's, not the interpreter's own
    run = start_run(store_dir)
    assert run._console is not None and not run._console.fd_level
    os.write(1, b"to pytest's capture\n")
    print("python print")
    run.finish()
    assert "to pytest's capture" in capfd.readouterr().out
    with heron.Api(store_dir) as api:
        (only,) = api.runs("test")
        assert [line.text for line in only.console_lines()] == ["python print"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX only: never on Windows")
def test_a_socket_as_stdout_is_not_taken_over(tmp_path: Path) -> None:
    child = script(
        tmp_path,
        """
        import socket, os, sys
        from heron.sdk.capture.fd_tee import fd_capture_safe
        a, b = socket.socketpair()
        os.dup2(a.fileno(), 1)
        print(fd_capture_safe(), file=sys.stderr)
        """,
    )
    assert run_python(child, check=True).stderr.strip() == "False"
