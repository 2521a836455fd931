"""A hostile server cannot make the client write outside its cache.

The server here is a real ``create_app`` whose answers a small ASGI middleware
tampers with, as a malicious or compromised server would: the artifact digest that
``Models.download`` names its cache folder after, a file's path or blob digest in
the artifact's manifest. The client must refuse with :class:`heron.errors.UnsafePath`
before anything touches the disk."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from heron.artifacts import LocalArtifactStore
from heron.connect import connect
from heron.errors import UnsafePath
from heron.models import Models
from heron.settings import Settings
from heron.store import open_store
from heron.store.base import RunInfo
from tests.inprocess import serve
from tests.store.helpers import new_run

SERVER_URL = "http://heron.test"
Rewrite = Callable[[Any], Any]


class Tamper:
    """Rewrites every JSON answer through ``self.rewrite`` (None: passes it on)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.rewrite: Rewrite | None = None
        TAMPERS.append(self)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rewrite = self.rewrite
        if scope["type"] != "http" or rewrite is None:
            await self.app(scope, receive, send)
            return
        # no compressed answers: the body is rewritten as text
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]
        scope = {**scope, "headers": headers}
        start: Message = {}
        body = bytearray()

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            body.extend(message.get("body", b""))
            if message.get("more_body"):
                return
            data = bytes(body)
            kept = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            if (dict(start["headers"]).get(b"content-type") or b"").startswith(b"application"):
                with contextlib.suppress(ValueError):  # not JSON: passed on as it is
                    data = json.dumps(rewrite(json.loads(data))).encode()
            kept.append((b"content-length", str(len(data)).encode()))
            await send({**start, "headers": kept})
            await send({"type": "http.response.body", "body": data})

        await self.app(scope, receive, capture)


TAMPERS: list[Tamper] = []


def replace(old: str, new: str) -> Rewrite:
    """Every string equal to ``old``, anywhere in the answer, becomes ``new``."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return new if value == old else value

    return walk


def files_under(root: Path) -> set[Path]:
    return {Path(d) / f for d, _, names in os.walk(root) for f in names}


@pytest.fixture
def hostile(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[Models, Tamper, RunInfo]]:
    from heron.server import create_app

    TAMPERS.clear()
    served = Settings(dir=tmp_path / "server", allowed_hosts="heron.test")
    with ExitStack() as stack:
        store = open_store(sqlite_url)
        stack.callback(store.close)
        blobs = LocalArtifactStore(tmp_path / "server" / "blobs", durable=False)
        app = create_app(store, blobs, served, static_dir=tmp_path / "no-ui")
        app.add_middleware(Tamper)
        transport = stack.enter_context(serve(app))
        client = Settings(dir=tmp_path / "deep" / "er" / "client")
        conn = stack.enter_context(connect(SERVER_URL, settings=client, transport=transport()))
        models = Models.of(conn)
        run = new_run(conn.store, "proj")
        assert len(TAMPERS) == 1  # the middleware stack is built on the first request
        yield models, TAMPERS[0], run


@pytest.mark.parametrize(
    "evil",
    [
        "sha256:/../../../../../../../planted",  # seven levels above HERON_DIR/cache
        "sha256:../../../../../../../planted",
        "sha256:" + "A" * 64,  # upper case: not a digest this client writes
        "{tmp}/planted",  # absolute: pathlib would drop the cache folder
    ],
)
def test_a_malicious_artifact_digest_is_refused(
    hostile: tuple[Models, Tamper, RunInfo], tmp_path: Path, evil: str
) -> None:
    models, tamper, run = hostile
    evil = evil.format(tmp=tmp_path)
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"weights")
    version = models.register(run.id, weights, name="m")
    before = files_under(tmp_path)
    # the version and its artifact agree on the forged digest, as a liar's would
    tamper.rewrite = replace(version.artifact_digest, evil)
    assert models.resolve("models:/m/1").artifact_digest == evil
    with pytest.raises(UnsafePath, match="not 'sha256:' and 64 lowercase hex") as refused:
        models.download("models:/m/1")
    assert repr(evil) in str(refused.value) and "model m v1" in str(refused.value)
    with pytest.raises(UnsafePath):
        models.load("models:/m/1")
    assert files_under(tmp_path) == before  # nothing written anywhere
    assert not any(p.name == "planted" for p in tmp_path.rglob("*"))


@pytest.mark.parametrize(
    ("field", "evil"),
    [
        ("path", "../../../../planted.bin"),
        ("path", "/planted.bin"),
        ("digest", "sha256:../../planted"),
    ],
)
def test_a_malicious_file_entry_is_refused(
    hostile: tuple[Models, Tamper, RunInfo], tmp_path: Path, field: str, evil: str
) -> None:
    models, tamper, run = hostile
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"weights")
    models.register(run.id, weights, name="m")
    blob = next(iter(models.store.artifact_by_id(models.resolve("models:/m/1").artifact_id).files))
    before = files_under(tmp_path)
    tamper.rewrite = replace(getattr(blob, field), evil)
    with pytest.raises(UnsafePath, match="the store answered"):
        models.download("models:/m/1")
    assert files_under(tmp_path) == before
    assert not (tmp_path / "deep" / "er" / "client" / "cache" / "models").exists()
