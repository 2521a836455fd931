"""Fixtures of the store contract suites.

``run_store``: every :class:`~heron.store.base.RunStore` implementation, so one test
checks them all alike: ``SqlStore`` on SQLite and on PostgreSQL, and ``RemoteStore``
talking to ``create_app`` over a SQLite ``SqlStore`` in this process (``remote``).
``store`` (tests/conftest.py) is the ``SqlStore`` on both databases: the
implementations of ``MaintenanceStore`` and ``BlockReads``, and the place for tests
that look at SQL itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from heron.artifacts.local import LocalArtifactStore
from heron.store import open_store
from heron.store.base import RunStore
from tests.remote.inprocess import remote_stores

RUN_STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "remote"]


@pytest.fixture
def run_store_kind(request: pytest.FixtureRequest) -> str:
    """Which implementation ``run_store`` is in this test: sqlite, postgres or remote."""
    return str(request.node.callspec.params["run_store"])


@pytest.fixture(params=RUN_STORES)
def run_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunStore]:
    if request.param != "remote":
        name = "sqlite_url" if request.param == "sqlite" else "postgres_store_url"
        url = request.getfixturevalue(name)
        with open_store(str(url)) as sql:
            yield sql
        return
    with open_store(f"sqlite:///{tmp_path / 'server' / 'heron.db'}") as sql:
        blobs = LocalArtifactStore(tmp_path / "server" / "blobs", durable=False)
        with remote_stores(sql, blobs, tmp_path / "server") as remote:
            yield remote.store
