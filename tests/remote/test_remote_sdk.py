"""The SDK logging to a real ``heron server``: read back, artifacts, outages, offline sync."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import heron
from heron.api import Api
from heron.cli.main import cli as cli_main
from heron.errors import Unavailable
from tests.remote.conftest import LiveServer, ServerFactory, free_port


def _client_env(tmp_path: Path, url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "HERON_URL": url,
        "HERON_DIR": str(tmp_path / "client"),
        "HERON_SHIP_INTERVAL": "0.05",
        "HERON_SYSTEM_METRICS_INTERVAL": "0",
        "HERON_CAPTURE_PACKAGES": "false",
        **extra,
    }


def test_a_run_logged_to_a_server_reads_back_exactly(live: LiveServer, tmp_path: Path) -> None:
    (tmp_path / "model.txt").write_text("weights")
    with heron.init(
        "remote",
        url=live.url,
        dir=tmp_path / "client",
        config={"lr": 0.01, "opt": {"name": "adam"}},
        tags=["baseline"],
        system_metrics=False,
    ) as run:
        for step in range(1000):
            run.log({"train/loss": 1.0 / (step + 1), "acc": step / 1000}, step=step)
        run.log({"train/loss": math.nan, "acc": math.inf})
        run.summary["best"] = 0.75
        run.log_artifact(tmp_path / "model.txt", name="model", type="model")
        run_id = run.id
    with Api(live.url) as api:
        _check_read_back(api, run_id, tmp_path)
    # Staged blobs are removed from the client once the server has them.
    assert not [p for p in (tmp_path / "client" / "blobs").rglob("*") if p.is_file()]


def _check_read_back(api: Api, run_id: str, tmp_path: Path) -> None:
    got = api.run(run_id)
    assert got.state == "finished" and got.config["opt"]["name"] == "adam"
    assert got.tags == ("baseline",) and got.summary["best"] == 0.75
    series = got.series(["train/loss", "acc"])
    assert len(series["train/loss"]) == 1001
    np.testing.assert_array_equal(series["train/loss"].steps[:1000], np.arange(1000))
    assert math.isnan(series["train/loss"].values[-1]) and series["acc"].values[-1] == math.inf
    assert [r.id for r in api.runs("remote", filter='config.lr < 0.1 and tags has "baseline"')] == [
        run_id
    ]
    version = api.artifact("remote", "model:latest")
    path = api.download(version, tmp_path / "down")
    assert path.read_text() == "weights"


def test_a_server_down_from_the_start_gets_everything_later(
    server_process: ServerFactory, tmp_path: Path, sqlite_url: str
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    (tmp_path / "ckpt.bin").write_bytes(os.urandom(4096))
    run = heron.init("outage", url=url, dir=tmp_path / "client", system_metrics=False)
    for step in range(5000):  # training goes on at full speed: nothing waits on the network
        run.log({"loss": float(step)}, step=step)
    run.log_artifact(tmp_path / "ckpt.bin", name="ckpt")
    (tmp_path / "server").mkdir()
    live = LiveServer(sqlite_url, str(tmp_path / "server" / "blobs"), port, tmp_path / "s.log")
    try:
        live.start()
        run.finish(timeout=60)
        with Api(url) as api:
            got = api.run(run.id)
            values = got.series(["loss"])["loss"].values
            assert got.state == "finished"
            np.testing.assert_array_equal(values, np.arange(5000, dtype=np.float64))
            assert api.artifact("outage", "ckpt").files[0].size == 4096
    finally:
        live.kill9()


_LOGGER = textwrap.dedent(
    """
    import sys, heron
    n, tag = int(sys.argv[1]), sys.argv[2]
    with heron.init("chaos", name=tag, system_metrics=False, capture=False) as run:
        for step in range(n):
            run.log({"x": float(step)}, step=step)
            if step % 500 == 0:
                run.flush(timeout=120)
    print(run.id, flush=True)
    """
)


@pytest.mark.slow
def test_server_killed_and_restarted_while_eight_clients_log(
    server_process: ServerFactory, postgres_url: str, tmp_path: Path
) -> None:
    live = server_process(postgres_url, tmp_path / "blobs")
    n = 4000
    clients = [
        subprocess.Popen(
            [sys.executable, "-c", _LOGGER, str(n), f"client-{i}"],
            env=_client_env(tmp_path, live.url),
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(8)
    ]
    run_ids = []
    try:
        for _ in range(3):  # kill -9 and restart mid-stream, several times
            time.sleep(1.0)
            live.restart()
        for proc in clients:
            out, _ = proc.communicate(timeout=240)
            assert proc.returncode == 0
            run_ids.append(out.strip())
    finally:
        for proc in clients:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
    with Api(live.url) as api:
        for run_id in run_ids:
            got = api.run(run_id)
            x = got.series(["x"])["x"]
            assert got.state == "finished"
            np.testing.assert_array_equal(x.steps, np.arange(n))  # all there, exactly once
            np.testing.assert_array_equal(x.values, np.arange(n, dtype=np.float64))


def test_offline_run_then_sync_twice_never_duplicates(live: LiveServer, tmp_path: Path) -> None:
    with heron.init(
        "offline", url=live.url, mode="offline", dir=tmp_path / "client", system_metrics=False
    ) as run:
        for step in range(300):
            run.log({"x": float(step)}, step=step)
    with Api(live.url) as api, pytest.raises(heron.errors.NotFound):
        api.run(run.id)  # nothing reached the server yet
    runner = CliRunner()
    env = {"HERON_URL": live.url}
    for _ in range(2):
        result = runner.invoke(cli_main, ["sync", str(tmp_path / "client")], env=env)
        assert result.exit_code == 0, result.output
    with Api(live.url) as api:
        got = api.run(run.id)
        assert got.state == "finished"
        np.testing.assert_array_equal(got.series(["x"])["x"].steps, np.arange(300))


def test_a_killed_remote_training_process_is_shipped_and_marked_crashed(
    live: LiveServer, tmp_path: Path
) -> None:
    script = textwrap.dedent(
        """
        import os, signal, heron
        run = heron.init("dead", system_metrics=False, capture=False, mode="offline")
        for step in range(1000):
            run.log({"x": float(step)}, step=step)
        print(run.id, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        env=_client_env(tmp_path, live.url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -9
    run_id = proc.stdout.strip()
    result = CliRunner().invoke(cli_main, ["sync", str(tmp_path / "client")])
    assert result.exit_code == 0, result.output
    assert "marked crashed" in result.output
    with Api(live.url) as api:
        got = api.run(run_id)
        assert got.state == "crashed"
        assert len(got.series(["x"])["x"]) == 1000


def test_disabled_mode_records_nothing_but_checks_calls(tmp_path: Path) -> None:
    with heron.init("off", mode="disabled", dir=tmp_path / "store") as run:
        run.log({"x": 1.0})
        run.summary["y"] = 2
        with pytest.raises(heron.errors.InvalidKey):
            run.log({"": 1.0})
    assert not (tmp_path / "store").exists()


def test_resuming_needs_the_server_and_says_so(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(Unavailable, match="cannot reach the Heron server"):
        heron.init("x", url=url, dir=tmp_path / "c", resume="abcdefghij")
