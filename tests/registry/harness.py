"""One registry three ways, for the contract suite: ``SqlRegistry`` on SQLite,
``SqlRegistry`` on PostgreSQL, and ``RemoteRegistry`` over an in-process transport to
``create_app(...)``. Every one is opened the way users open it, with
``heron.connect.connect``; tests set things up through the same connection (runs
through ``conn.store``, blobs through ``conn.blobs``), so the remote harness goes over
HTTP for those too.

Who acts: a local registry takes the actor as an argument; a server decides it from
the request. Until authentication lands the server's only answer is the anonymous
admin, so the remote harness puts its own answer in the auth seam
(``request_actor``): a header each client connection sends, one connection per actor.
:meth:`Harness.registry` hides the difference: ``h.registry(USER)`` is a registry on
which USER acts (tests still pass USER as the actor argument).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import Header

from heron.artifacts.digest import manifest_digest
from heron.connect import Connection, connect
from heron.registry.base import Actor, Delivery, ModelVersion, Registry
from heron.registry.requests import NewVersion
from heron.settings import Settings
from heron.store.base import ArtifactVersion, Batch, FileEntry, RunInfo
from tests.inprocess import serve
from tests.registry.receiver import Receiver
from tests.store.helpers import new_run

ADMIN = Actor("alice", is_admin=True)
USER = Actor("bob", is_admin=False)
IMPLEMENTATIONS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "remote"]
LOCAL_AND_REMOTE = ["sqlite", "remote"]
SERVER_URL = "http://localhost"
ACTOR_HEADER = "X-Test-Actor"

_seq = itertools.count(1)


def actor_from_header(
    x_test_actor: Annotated[str | None, Header()] = None,
) -> Actor:
    """The test server's stand-in for the token -> actor mapping: ``name:admin`` or
    ``name:user`` (no header: the server's default, the anonymous admin)."""
    if x_test_actor is None:
        return Actor("anonymous", is_admin=True)
    name, _, role = x_test_actor.partition(":")
    return Actor(name, is_admin=role == "admin")


@dataclass
class Harness:
    kind: str
    conn: Connection  # the admin's connection: store, blobs and registry
    tmp: Path
    _as: Callable[[Actor], Connection]
    _opened: dict[Actor, Connection] = field(default_factory=dict)

    @property
    def remote(self) -> bool:
        return self.kind == "remote"

    def connection(self, actor: Actor = ADMIN) -> Connection:
        """A connection on which ``actor`` acts (locally: the one connection)."""
        if actor == ADMIN or not self.remote:
            return self.conn
        if actor not in self._opened:
            self._opened[actor] = self._as(actor)
        return self._opened[actor]

    def registry(self, actor: Actor = ADMIN) -> Registry:
        return self.connection(actor).registry

    # --- setting things up through the same connection -------------------------
    def run(self, project: str = "proj", **spec: Any) -> RunInfo:
        return new_run(self.conn.store, project, **spec)

    def files(self, content: bytes | None = None, path: str = "model.bin") -> tuple[FileEntry]:
        """One file put into the blob store the registry checks against."""
        data = content if content is not None else f"weights {next(_seq)}".encode()
        source = self.tmp / f"blob-{next(_seq)}"
        source.write_bytes(data)
        blob = self.conn.blobs.put_file(source)
        return (FileEntry(path, blob.digest, blob.size),)

    def version(
        self,
        name: str = "clf",
        *,
        run: RunInfo | None = None,
        actor: Actor = ADMIN,
        content: bytes | None = None,
        **fields: Any,
    ) -> ModelVersion:
        """A new version of ``name`` from a file of a (new) run."""
        run_id = (run or self.run()).id
        request = NewVersion(run_id=run_id, files=self.files(content), **fields)
        return self.registry(actor).create_version(name, request, actor)

    def log_artifact(
        self, run_id: str, name: str, files: tuple[FileEntry, ...], **event: Any
    ) -> ArtifactVersion:
        """Log an artifact version through the store's ingest (as a run's spool does)."""
        self.ingest(
            run_id,
            {
                "type": "artifact",
                "name": name,
                "artifact_type": "model",
                "files": [f.__dict__ for f in files],
                "aliases": [],
                "metadata": {},
                "time": time.time(),
                **event,
            },
        )
        digest = manifest_digest(files)
        return [a for a in self.conn.store.artifacts(name=name) if a.digest == digest][-1]

    def ingest(self, run_id: str, *events: dict[str, Any]) -> None:
        self.conn.store.ingest(Batch(run_id, next(_seq) * 1000, events=list(events)))

    def deliveries(self, hook_id: int, count: int, timeout: float = 30.0) -> list[Delivery]:
        """The webhook's delivery log once it holds ``count`` attempts (deliveries run
        on the dispatcher's threads, here or in the server)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.registry().deliveries(hook_id)
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.02)


def _local(kind: str, request: pytest.FixtureRequest, tmp: Path, allow: str) -> Connection:
    if kind == "sqlite":
        settings = Settings(dir=tmp / "store", webhook_allow=allow)
        return connect(tmp / "store", settings=settings, create=True)
    url = str(request.getfixturevalue("postgres_store_url"))
    settings = Settings(dir=tmp / "client", artifacts=str(tmp / "blobs"), webhook_allow=allow)
    return connect(url, settings=settings)


def _role(actor: Actor) -> dict[str, str]:
    return {ACTOR_HEADER: f"{actor.name}:{'admin' if actor.is_admin else 'user'}"}


def open_harness(
    kind: str, request: pytest.FixtureRequest, tmp: Path, receiver: Receiver
) -> Iterator[Harness]:
    """A harness of ``kind``; everything it opened is closed when the generator ends."""
    from heron.server import create_app
    from heron.server.routes.models import request_actor

    allow = f"127.0.0.1:{receiver.port}"
    with ExitStack() as stack:
        if kind != "remote":
            conn = stack.enter_context(_local(kind, request, tmp, allow))
            yield Harness(kind, conn, tmp, lambda actor: conn)
            return
        server = stack.enter_context(
            connect(tmp / "server", settings=Settings(dir=tmp / "server"), create=True)
        )
        app = create_app(
            server.store,
            server.blobs,
            Settings(dir=tmp / "server", webhook_allow=allow),
            static_dir=tmp / "no-ui",
            poll_seconds=0.2,
        )
        app.dependency_overrides[request_actor] = actor_from_header
        transport = stack.enter_context(serve(app))
        client = Settings(dir=tmp / "client")

        def as_actor(actor: Actor) -> Connection:
            opened = connect(SERVER_URL, settings=client, transport=transport(_role(actor)))
            return stack.enter_context(opened)

        yield Harness(kind, as_actor(ADMIN), tmp, as_actor)
