"""Property-based requests over the whole OpenAPI document (schemathesis), from an
anonymous caller and from a signed-in site admin, on a server with accounts on:
whatever the request, the answer is never a 5xx.

The app is built once per module over a fresh SQLite store; the event stream is left
out (it streams until the client leaves)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.transport.asgi import ASGI_TRANSPORT
from schemathesis.transport.requests import binary_serializer

from heron.artifacts.local import LocalArtifactStore
from heron.server.app import create_app
from heron.settings import Settings
from heron.store.sql import SqlStore
from heron.wire import BATCH_CONTENT_TYPE

_ROOT = Path(tempfile.mkdtemp(prefix="heron-schemathesis-"))
_STORE = SqlStore(f"sqlite:///{_ROOT}/heron.db")
_APP = create_app(
    _STORE,
    LocalArtifactStore(_ROOT / "blobs", durable=False),
    Settings(
        admin_user="root",
        admin_password="correct horse battery",
        allowed_hosts="testserver",  # schemathesis' in-process client's Host
        max_request_bytes=1 << 20,
    ),
    static_dir=_ROOT / "no-ui",
    auth=True,
)
# The binary batch body is fuzzed as bytes, like any octet stream (the server decodes
# and refuses malformed batches with 400).
ASGI_TRANSPORT.serializer(BATCH_CONTENT_TYPE)(binary_serializer)
_TOKEN = _APP.state.heron.accounts.accounts.issue_token("root", "schemathesis").secret
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", _APP).exclude(
    path_regex="^/api/v1/events$"
)
FUZZ = settings(
    max_examples=4,
    deadline=None,
    derandomize=True,  # the same requests every run: a failure reproduces
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module", autouse=True)
def _cleanup() -> Iterator[None]:
    yield
    _STORE.close()
    shutil.rmtree(_ROOT, ignore_errors=True)


def _check(case: Any, headers: dict[str, str]) -> None:
    response = case.call(headers=headers)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:500]}"
    )


@schema.parametrize()
@FUZZ
def test_no_5xx_anonymous(case: Any) -> None:
    _check(case, {})


@schema.parametrize()
@FUZZ
def test_no_5xx_signed_in(case: Any) -> None:
    _check(case, {"Authorization": f"Bearer {_TOKEN}"})
