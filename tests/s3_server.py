"""A real S3-protocol server for tests: moto's standalone server in a subprocess.

Loaded for every test package by ``pytest_plugins`` in tests/conftest.py:

* ``s3_server`` (session): the running server, an :class:`S3Server`;
* ``s3_bucket``: a fresh, empty bucket on it for one test;
* ``s3_env``: also points this process's AWS/Heron environment at the server, so
  code that opens ``s3://`` URLs the normal way (``open_artifact_store``) reaches it.
  A ``heron server`` subprocess gets the same with ``env={**os.environ, **s3_server.env}``.

The server runs in its own process (not moto's in-process mock), so requests cross a
real socket and a real HTTP stack, and its CPU does not compete with the test's
interpreter lock. It exits when the fixture ends, or by itself when its parent dies
(it watches its stdin). Without moto the tests skip, and under ``CI=true`` they fail.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

# Started with ``python -c``: moto picks a free port itself (port 0, no race), prints
# it, then serves until its stdin closes.
_SERVE = """
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer("127.0.0.1", 0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()
server.stop()
"""


def s3_unavailable(reason: str) -> None:
    """Skip (fail under CI=true) a test that needs the S3 test server."""
    message = f"the moto S3 test server is not usable: {reason}"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: S3 tests must run)")
    pytest.skip(message)


@dataclass(frozen=True)
class S3Server:
    """Where the test S3 server listens and the (fake, but required) credentials."""

    endpoint_url: str
    access_key: str = "heron-test"
    secret_key: str = "heron-test-secret"
    region: str = "us-east-1"

    @property
    def env(self) -> dict[str, str]:
        """Environment variables that point boto3 and Heron at this server."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": self.region,
            "HERON_S3_ENDPOINT_URL": self.endpoint_url,
        }

    def client(self) -> Any:
        """A plain boto3 client, for checks behind the artifact store's back."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
        )

    def new_bucket(self) -> str:
        name = f"heron-test-{secrets.token_hex(6)}"
        self.client().create_bucket(Bucket=name)
        return name


@contextmanager
def running_s3_server(extra_env: dict[str, str] | None = None) -> Iterator[S3Server]:
    """Start moto's S3 server on a free loopback port; stop it on exit."""
    try:
        import moto.server  # noqa: F401
    except ImportError as exc:
        s3_unavailable(f"moto[server] is not installed ({exc}); pip install -e '.[dev]'")
    # stderr (a request log) goes to a file: a pipe nobody reads would fill and stall it.
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", _SERVE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            env={**os.environ, **(extra_env or {})},
            text=True,
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()  # blocks until the port is printed or it dies
            if not line.isdigit():
                proc.kill()
                proc.wait(timeout=10)
                log.seek(0)
                s3_unavailable(f"it did not start: {(line + log.read()).strip()[-500:]}")
            yield S3Server(endpoint_url=f"http://127.0.0.1:{line}")
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        assert proc.stdin is not None
        proc.stdin.close()  # the server's cue to stop
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for stream in (proc.stdin, proc.stdout):
        if stream is not None and not stream.closed:
            stream.close()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    with running_s3_server() as server:
        yield server


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> str:
    """The name of a new, empty bucket on the test server."""
    return s3_server.new_bucket()


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """The test server, with this process's environment pointing at it."""
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return s3_server
