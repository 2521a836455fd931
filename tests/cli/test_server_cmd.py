"""``heron server``: every option also settable from its HERON_* variable, a flag wins."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from heron.cli.main import cli
from tests.server.conftest import free_port


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-c", "from heron.cli.main import main; main()", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
        )


def wait_ready(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"heron server exited early:\n{log.read_text()}")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"heron server did not get ready:\n{log.read_text()}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)


def test_the_server_takes_its_store_and_port_from_the_environment(tmp_path: Path) -> None:
    port = free_port()
    env = {"HERON_STORE": str(tmp_path / "served"), "HERON_SERVER_PORT": str(port)}
    env["HERON_DIR"] = str(tmp_path / "not-this-one")
    proc = start(["server", "--log-level", "warning"], env, tmp_path / "log")
    try:
        wait_ready(proc, f"http://127.0.0.1:{port}", tmp_path / "log")
        assert (tmp_path / "served" / "heron.db").exists()
        assert not (tmp_path / "not-this-one").exists()
    finally:
        stop(proc)
    assert "Heron server on http://127.0.0.1:" + str(port) in (tmp_path / "log").read_text()


def test_a_flag_wins_over_its_variable(tmp_path: Path) -> None:
    port = free_port()
    env = {"HERON_STORE": str(tmp_path / "env-store"), "HERON_SERVER_PORT": "1"}
    args = ["server", "--store", str(tmp_path / "flag-store"), "--port", str(port)]
    proc = start(args, env, tmp_path / "log")
    try:
        wait_ready(proc, f"http://127.0.0.1:{port}", tmp_path / "log")
        assert (tmp_path / "flag-store" / "heron.db").exists()
        assert not (tmp_path / "env-store").exists()
    finally:
        stop(proc)


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"HERON_SERVER_PORT": "70000"}, "HERON_SERVER_PORT='70000': expected a port"),
        ({"HERON_SERVER_WORKERS": "0"}, "HERON_SERVER_WORKERS='0': expected 1-64"),
        ({"HERON_SERVER_LOG_LEVEL": "loud"}, "HERON_SERVER_LOG_LEVEL='loud': expected one of"),
        ({"HERON_STORE": "http://127.0.0.1:1"}, "not another server"),
        ({"HERON_STORE": "postgresql://u@h/db"}, "HERON_ARTIFACTS"),
    ],
)
def test_a_bad_setting_is_a_clear_error(env: dict[str, str], words: str) -> None:
    result = CliRunner().invoke(cli, ["server"], env=env)
    assert result.exit_code != 0 and words in result.output, result.output
    assert "Traceback" not in result.output
