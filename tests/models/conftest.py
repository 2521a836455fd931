"""Models over real stores (SQLite and PostgreSQL) with a real blob folder, and
``harness``: a store opened with ``heron.connect`` locally and over HTTP in-process
(tests.registry.harness)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from heron.artifacts import LocalArtifactStore
from heron.models import Models
from heron.registry.base import Actor
from heron.registry.sql import SqlRegistry
from heron.store.sql import SqlStore
from tests.registry.harness import LOCAL_AND_REMOTE, Harness, open_harness
from tests.registry.receiver import Receiver, receiver  # noqa: F401 (a fixture)


@pytest.fixture
def models(store: SqlStore, tmp_path: Path) -> Iterator[Models]:
    blobs = LocalArtifactStore(tmp_path / "blobs", durable=False)
    opened = Models(
        SqlRegistry(store, blobs=blobs), store, blobs, tmp_path / "cache", actor=Actor("ci", True)
    )
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(params=LOCAL_AND_REMOTE)
def harness(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    receiver: Receiver,  # noqa: F811
) -> Iterator[Harness]:
    """A store and its registry through ``connect``: a local folder, and a server."""
    yield from open_harness(request.param, request, tmp_path, receiver)


@pytest.fixture(autouse=True)
def _close_shared() -> Iterator[None]:
    """heron.models' module functions share one Models per store: close them per test."""
    yield
    from heron.models import close_all

    close_all()
