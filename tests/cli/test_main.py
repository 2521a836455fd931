"""The ``heron`` group itself: --dir / HERON_DIR, errors at the edge, the real script."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import heron

from .conftest import CliRunnerCall, Store


def test_version(run_cli: CliRunnerCall) -> None:
    result = run_cli(None, "version")
    assert result.exit_code == 0 and result.stdout.startswith(f"heron {heron.__version__} ")


def test_heron_dir_is_the_default_store(shared_store: Store, run_cli: CliRunnerCall) -> None:
    result = run_cli(None, "runs", "ls", "--json", env={"HERON_DIR": str(shared_store.root)})
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 3


def test_dir_wins_over_heron_dir(
    shared_store: Store, run_cli: CliRunnerCall, tmp_path: Path
) -> None:
    result = run_cli(shared_store, "runs", "ls", "--json", env={"HERON_DIR": str(tmp_path)})
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 3


def test_a_missing_store_says_how_to_point_elsewhere(
    run_cli: CliRunnerCall, tmp_path: Path
) -> None:
    result = run_cli(tmp_path / "nowhere", "runs", "ls")
    assert result.exit_code == 1
    assert "no Heron store at" in result.stderr and "HERON_DIR" in result.stderr
    assert "--dir" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "nowhere").exists()  # reading never creates a store


def test_a_bad_setting_is_reported_not_raised(run_cli: CliRunnerCall) -> None:
    result = run_cli(None, "runs", "ls", env={"HERON_CRASH_AFTER": "soon"})
    assert result.exit_code == 2 and "HERON_CRASH_AFTER" in result.stderr


def test_an_unreachable_server_is_a_clear_error(run_cli: CliRunnerCall) -> None:
    with socket.socket() as s:  # a port nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run_cli(None, "--dir", f"http://127.0.0.1:{port}", "runs", "ls")
    assert result.exit_code == 1
    assert "cannot reach the Heron server" in result.stderr and "heron server" in result.stderr


def test_a_non_http_url_is_refused(run_cli: CliRunnerCall) -> None:
    result = run_cli(None, "--dir", "ftp://example.com/x", "runs", "ls")
    assert result.exit_code == 2 and "http(s)://" in result.stderr


def test_help_lists_every_command(run_cli: CliRunnerCall) -> None:
    out = run_cli(None, "--help").stdout
    for command in ("runs", "export", "sync", "gc", "version"):
        assert command in out
    assert "ls" in run_cli(None, "runs", "-h").stdout


def test_the_console_script(shared_store: Store) -> None:
    script = Path(sys.executable).with_name("heron")
    env = {**os.environ, "HERON_DIR": str(shared_store.root)}
    done = subprocess.run(
        [str(script), "runs", "ls", "--json", "-p", "nlp"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["id"] == shared_store.broken
    failed = subprocess.run(
        [str(script), "runs", "show", "nosuchrun0"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert failed.returncode == 1 and failed.stdout == ""
    assert failed.stderr.startswith("Error: no run 'nosuchrun0'")
