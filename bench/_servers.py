"""Real tracking servers for the server benchmarks: start, wait, measure, stop.

A server runs as its own subprocess (``heron server`` or ``mlflow server``) on a free
loopback port, with its output in a log file inside the benchmark's temp folder, and
is stopped (its whole process group) when the ``with`` block ends. PostgreSQL is the
server on 127.0.0.1:5432 (user ``postgres``, admin database ``test``, as the test suite
uses); each measurement gets a fresh database, dropped afterwards.

Imported by the scripts as ``_servers`` (``bench/`` is ``sys.path[0]``).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import _common as c

PG_HOST, PG_PORT, PG_USER, PG_ADMIN_DB = "127.0.0.1", 5432, "postgres", "test"
HERON = str(Path(sys.executable).with_name("heron"))
MLFLOW = str(Path(sys.executable).with_name("mlflow"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def rss(self) -> int:
        """Resident memory of the server and every process it started (workers)."""
        import psutil

        try:
            root = psutil.Process(self.proc.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            return 0
        total = 0
        for p in procs:
            with contextlib.suppress(psutil.Error):
                total += int(p.memory_info().rss)
        return total

    def log_tail(self, lines: int = 8) -> str:
        try:
            return " | ".join(self.log.read_text(errors="replace").strip().splitlines()[-lines:])
        except OSError:
            return ""


@contextlib.contextmanager
def running(
    cmd: Sequence[str],
    url: str,
    ready_path: str,
    log: Path,
    env: dict[str, str] | None = None,
    timeout: float = 120.0,
) -> Iterator[Server]:
    """Start ``cmd`` (in its own process group), wait until ``url + ready_path``
    answers 200, yield the server; stop it on exit."""
    import httpx

    full_env = c.worker_env(log.parent.parent) | {"PYTHONUNBUFFERED": "1"} | (env or {})
    with log.open("wb") as out:
        proc = subprocess.Popen(
            list(cmd), stdout=out, stderr=subprocess.STDOUT, env=full_env, start_new_session=True
        )
    server = Server(url, proc, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}: {server.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + ready_path, timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready after {timeout:.0f} s: {server.log_tail()}")
            time.sleep(0.2)
        took = timeout - (deadline - time.monotonic())
        print(f"    {Path(cmd[0]).name} server ready after {took:.1f} s", file=sys.stderr)
        yield server
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left after 15 s."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # workers left behind, if any
    proc.wait()


def heron_server(
    store: str, workdir: Path, workers: int = 1, env: dict[str, str] | None = None
) -> contextlib.AbstractContextManager[Server]:
    """``heron server`` on ``store`` (blobs in the workdir); ``env`` is added to the
    server's environment only (not the clients')."""
    port = free_port()
    cmd = [
        HERON, "server", "--store", store, "--artifacts", str(workdir / "data" / "blobs"),
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning",
    ]  # fmt: skip
    return running(cmd, f"http://127.0.0.1:{port}", "/readyz", workdir / "env" / "server.log", env)


def mlflow_server(workdir: Path, workers: int = 4) -> contextlib.AbstractContextManager[Server]:
    """``mlflow server`` on a SQLite backend store, as MLflow's docs set one up."""
    port = free_port()
    data = workdir / "data"
    cmd = [
        MLFLOW, "server", "--backend-store-uri", f"sqlite:///{data / 'mlflow.db'}",
        "--default-artifact-root", (data / "artifacts").as_uri(),
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
    ]  # fmt: skip
    return running(cmd, f"http://127.0.0.1:{port}", "/health", workdir / "env" / "server.log")


def postgres_unavailable() -> str:
    """Empty when the benchmark PostgreSQL server can be used, else why not."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        psycopg.connect(
            host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=PG_ADMIN_DB, connect_timeout=3
        ).close()
    except psycopg.Error as exc:
        return f"PostgreSQL at {PG_HOST}:{PG_PORT}: {str(exc).strip()[:200]}"
    return ""


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, empty database; yields its SQLAlchemy URL and drops it afterwards."""
    import psycopg

    name = f"heron_bench_{secrets.token_hex(5)}"
    admin = {"host": PG_HOST, "port": PG_PORT, "user": PG_USER, "dbname": PG_ADMIN_DB}
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
