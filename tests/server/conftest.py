"""Server fixtures: the app in-process over both SQL backends, and a real ``heron server``.

``client`` is a synchronous in-process client (``tests.server.asgi``) over
``create_app`` on the ``store`` fixture (SQLite and PostgreSQL) with a local artifact
store; its lifespan (poller, reaper, PostgreSQL
bridge) runs. ``server_process`` starts real ``heron server`` subprocesses on free
loopback ports; anyone may use it::

    def test_x(server_process, sqlite_url, tmp_path):
        live = server_process(sqlite_url, tmp_path / "blobs")
        httpx.get(live.url + "/readyz")
        live.kill9(); live.restart()       # same port, same store
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from heron.artifacts.local import LocalArtifactStore
from heron.server import create_app
from heron.settings import Settings
from heron.store.sql import SqlStore
from tests.server.asgi import AppClient, app_client

START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def artifacts(tmp_path: Path) -> LocalArtifactStore:
    return LocalArtifactStore(tmp_path / "blobs", durable=False)


@pytest.fixture
def app(store: SqlStore, artifacts: LocalArtifactStore, tmp_path: Path) -> FastAPI:
    settings = Settings(dir=tmp_path / "unused", max_request_bytes=1 << 20)
    return create_app(store, artifacts, settings, static_dir=tmp_path / "no-ui", poll_seconds=0.2)


@pytest.fixture
def client(app: FastAPI) -> Iterator[AppClient]:
    with app_client(app) as test_client:
        yield test_client


@dataclass
class LiveServer:
    """A ``heron server`` subprocess on a fixed loopback port."""

    store_url: str
    artifacts: str
    port: int
    log: Path
    extra_args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        args = [
            sys.executable,
            "-c",
            "from heron.cli.main import main; main()",
            "server",
            "--store",
            self.store_url,
            "--artifacts",
            self.artifacts,
            "--port",
            str(self.port),
            "--log-level",
            "warning",
            *self.extra_args,
        ]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **self.env}
            )
        self.wait_ready()
        return self

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"heron server exited early:\n{self.log.read_text()}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"heron server did not get ready:\n{self.log.read_text()}")

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)

    def restart(self) -> LiveServer:
        self.kill9()
        return self.start()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Stop with ``sig``; the exit status (killed with -9 after ``timeout``)."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
                raise AssertionError(f"heron server ignored signal {sig}") from None
        return int(self.proc.returncode)


ServerFactory = Callable[..., LiveServer]


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[ServerFactory]:
    """``server_process(store_url, artifacts_dir, *extra_args, env={})`` -> a started
    LiveServer; every one is stopped (SIGKILL if it must) when the test ends."""
    started: list[LiveServer] = []

    def start(
        store_url: str, artifacts: str | Path, *extra_args: str, env: dict[str, str] | None = None
    ) -> LiveServer:
        log = tmp_path / f"server-{len(started)}.log"
        live = LiveServer(
            store_url, str(artifacts), free_port(), log, tuple(extra_args), dict(env or {})
        )
        started.append(live)
        return live.start()

    yield start
    for live in started:
        live.kill9()
