"""One store's sweeps three ways, for the contract suite: ``LocalSweeps`` beside a SQLite
and a PostgreSQL database, and ``RemoteSweeps`` over an in-process transport to
``create_app(..., auth=True)``. Each is opened as users open it (``heron.connect`` +
``heron.sweeps.open_sweeps``); callers with a role in project ``sw`` (editor, viewer,
none) get their own service: locally a ``Tracking`` acting for that caller, remotely a
connection with that account's token.

Module-scoped (one server and database per implementation for the whole suite): each
test makes its own sweep (:meth:`Harness.sweep` names them apart).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from heron.accounts.base import Role
from heron.artifacts.local import LocalArtifactStore
from heron.connect import Connection, connect
from heron.remote.http import HttpClient
from heron.server.app import create_app
from heron.service import Tracking
from heron.service.access import LOCAL, Caller
from heron.settings import Settings
from heron.store import open_store
from heron.store.base import RunInfo, RunSpec
from heron.store.sql import SqlStore
from heron.sweeps import SweepService, open_sweeps, parse_spec
from heron.sweeps.base import SweepInfo
from heron.sweeps.service import LocalSweeps
from heron.sweeps.study import Sweeps, sweeps_url_of
from tests.inprocess import serve

PROJECT = "sw"
SERVER = "http://localhost"
ADMIN_PASSWORD = "correct horse battery"
_names = itertools.count()


@dataclass
class Harness:
    kind: str
    store: SqlStore  # the database behind it (runs are checked here)
    services: dict[Role | None, SweepService] = field(default_factory=dict)
    admin: SweepService | None = None
    http: HttpClient | None = None  # the server's site admin (remote only)

    @property
    def remote(self) -> bool:
        return self.kind == "remote"

    def sweeps(self, role: Role | None = "editor") -> SweepService:
        return self.services[role]

    def sweep(self, **changes: Any) -> SweepInfo:
        """A new sweep in project ``sw`` (random, 3 trials, x in [0, 1] unless changed)."""
        raw: dict[str, Any] = {
            "name": f"s{next(_names)}",
            "project": PROJECT,
            "method": "random",
            "metric": "loss",
            "run_cap": 3,
            "parameters": {"x": {"min": 0.0, "max": 1.0}},
            **changes,
        }
        return self.sweeps().create(parse_spec(raw))

    def run(self, run_id: str, group: str | None = None) -> RunInfo:
        """Create the trial's run, as its process's first batch would."""
        return self.store.create_run(RunSpec(id=run_id, project=PROJECT, group=group))


def local(kind: str, url: str, tmp: Path, stack: ExitStack) -> Harness:
    store = open_store(url)
    stack.callback(store.close)
    blobs = LocalArtifactStore(tmp / "blobs", durable=False)
    sweeps = Sweeps(sweeps_url_of(url))
    stack.callback(sweeps.close)
    harness = Harness(kind, store)
    for role in ("editor", "viewer", None):
        caller = Caller(f"{role}-user", roles={} if role is None else {PROJECT: role})
        harness.services[role] = LocalSweeps(sweeps, Tracking(store, blobs, caller=caller))
    harness.admin = LocalSweeps(sweeps, Tracking(store, blobs, caller=LOCAL))
    return harness


def remote(url: str, tmp: Path, stack: ExitStack) -> Harness:
    store = open_store(url)
    stack.callback(store.close)
    settings = Settings(admin_user="root", admin_password=ADMIN_PASSWORD)
    app = create_app(
        store,
        LocalArtifactStore(tmp / "blobs", durable=False),
        settings,
        static_dir=tmp / "no-ui",
        auth=True,
    )
    transport = stack.enter_context(serve(app))
    harness = Harness("remote", store)
    admin = _connect(tmp, transport, None, stack)
    login = {"name": "root", "password": ADMIN_PASSWORD, "token_name": "t"}
    token = admin.http.json("POST", "/auth/token", json=login)["secret"]  # type: ignore[union-attr]
    root = _connect(tmp, transport, token, stack)
    http = root.http
    assert http is not None
    for role in ("editor", "viewer", None):
        name = f"{role}-user"
        http.request("POST", "/users", json={"name": name, "service": True})
        if role is not None:
            http.request("PUT", f"/projects/{PROJECT}/members/{name}", json={"role": role})
        secret = http.json("POST", "/tokens", json={"name": "t", "user": name})["secret"]
        harness.services[role] = open_sweeps(_connect(tmp, transport, secret, stack))
    harness.admin = open_sweeps(root)
    harness.http = http
    return harness


def _connect(tmp: Path, transport: Any, token: str | None, stack: ExitStack) -> Connection:
    settings = Settings(dir=tmp / "unused", token=token)
    connection = connect(SERVER, settings=settings, transport=transport())
    stack.callback(connection.close)
    return connection


def open_harness(kind: str, url: str, tmp: Path) -> Iterator[Harness]:
    with ExitStack() as stack:
        yield remote(url, tmp, stack) if kind == "remote" else local(kind, url, tmp, stack)
