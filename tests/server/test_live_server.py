"""A real ``heron server`` (and ``heron ui``) subprocess on a loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from heron import wire
from tests.server.conftest import ServerFactory, free_port
from tests.store.helpers import batch


def raw_get(port: int, path: str) -> tuple[int, bytes]:
    """GET ``path`` byte for byte (httpx would normalise '..' segments away)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        request = f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        sock.sendall(request.encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1]


def test_smoke_ingest_read_back_and_clean_stop(
    server_process: ServerFactory, sqlite_url: str, tmp_path: Path
) -> None:
    live = server_process(sqlite_url, tmp_path / "blobs")
    assert httpx.get(live.url + "/readyz").json() == {"status": "ready"}
    spec = {"type": "create", "spec": {"id": "smoke00001", "project": "smoke"}}
    body = wire.encode_batch(batch("smoke00001", 1, [spec], loss=[3.0, 2.0, 1.0]))
    response = httpx.post(
        f"{live.url}/api/v1/runs/smoke00001/batches",
        content=body,
        headers={"content-type": wire.BATCH_CONTENT_TYPE},
    )
    assert response.json() == {"seq": 1, "applied": True}
    history = httpx.get(f"{live.url}/api/v1/runs/smoke00001/history").json()
    assert history["loss"]["values"] == [3.0, 2.0, 1.0]
    assert live.stop(signal.SIGTERM) == 0


def test_kill9_and_restart_on_the_same_port_loses_nothing(
    server_process: ServerFactory, sqlite_url: str, tmp_path: Path
) -> None:
    live = server_process(sqlite_url, tmp_path / "blobs")
    spec = {"type": "create", "spec": {"id": "restart001", "project": "p"}}
    body = wire.encode_batch(batch("restart001", 1, [spec], acc=[0.5]))
    headers = {"content-type": wire.BATCH_CONTENT_TYPE}
    url = f"{live.url}/api/v1/runs/restart001/batches"
    assert httpx.post(url, content=body, headers=headers).json()["applied"]
    port = live.port
    live.restart()
    assert live.port == port
    assert httpx.post(url, content=body, headers=headers).json() == {"seq": 1, "applied": False}
    assert httpx.get(f"{live.url}/api/v1/runs/restart001").json()["metrics"]["acc"]["count"] == 1
    assert live.stop(signal.SIGINT) == 0


def test_raw_dot_segments_are_refused(
    server_process: ServerFactory, sqlite_url: str, tmp_path: Path
) -> None:
    live = server_process(sqlite_url, tmp_path / "blobs")
    httpx.post(f"{live.url}/api/v1/runs", json={"id": "dots000001", "project": "p"})
    for path in (
        "/api/v1/runs/dots000001/files/../../../../etc/passwd",
        "/api/v1/runs/dots000001/files/./x",
        "/api/v1/artifacts/1/files/../../etc/passwd",
        "/api/v1/blobs/../../../etc/passwd",
    ):
        status, content = raw_get(live.port, path)
        assert status in (400, 404), (path, status)
        assert b"root:" not in content
    assert httpx.get(live.url + "/healthz").status_code == 200


def test_live_events_stream_ends_on_sigterm(
    server_process: ServerFactory, sqlite_url: str, tmp_path: Path
) -> None:
    live = server_process(sqlite_url, tmp_path / "blobs")
    client = httpx.Client(timeout=httpx.Timeout(5, read=30))
    with client, client.stream("GET", live.url + "/api/v1/events") as response:
        lines = response.iter_lines()
        assert next(lines).startswith("retry:")
        assert live.proc is not None
        live.proc.send_signal(signal.SIGTERM)
        rest = list(lines)  # the server ends the stream instead of hanging
    assert ": ping" not in rest
    assert live.stop() == 0


def test_workers_share_the_port(
    server_process: ServerFactory, sqlite_url: str, tmp_path: Path
) -> None:
    live = server_process(sqlite_url, tmp_path / "blobs", "--workers", "2")
    for i in range(6):
        response = httpx.post(
            f"{live.url}/api/v1/runs", json={"id": f"worker{i:04d}", "project": "w"}
        )
        assert response.status_code == 200
    assert httpx.get(f"{live.url}/api/v1/runs/count").json() == {"count": 6}
    assert live.stop(signal.SIGTERM) == 0


def test_server_needs_artifacts_with_a_database_url(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from heron.cli.main import main; main()",
            "server",
            "--store",
            f"sqlite:///{tmp_path / 'h.db'}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("HERON_")},
    )
    assert result.returncode == 2, result.stderr
    assert "needs an artifact store" in result.stderr and "--artifacts" in result.stderr


def test_heron_ui_serves_the_local_folder(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "ui.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from heron.cli.main import main; main()",
                "ui",
                "--dir",
                str(tmp_path / "runs"),
                "--port",
                str(port),
                "--no-browser",
                "--create",  # a new folder: an empty store
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "heron ui did not start"
            time.sleep(0.1)
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/projects").json() == []
        assert (tmp_path / "runs" / "heron.db").exists()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert f"http://127.0.0.1:{port}" in log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.postgres
def test_smoke_on_postgres(
    server_process: ServerFactory, postgres_url: str, tmp_path: Path
) -> None:
    live = server_process(postgres_url, tmp_path / "blobs")
    response = httpx.post(f"{live.url}/api/v1/runs", json={"id": "pgsmoke001", "project": "pg"})
    assert response.status_code == 200
    assert live.stop(signal.SIGTERM) == 0
