"""A registry over the real store (SQLite and PostgreSQL), runs with artifacts, and
``harness``: the registry behind every implementation, for the contract suite."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from heron.artifacts import LocalArtifactStore
from heron.artifacts.digest import manifest_digest
from heron.registry.base import Actor, ModelVersion
from heron.registry.requests import NewVersion
from heron.registry.sql import SqlRegistry
from heron.store.base import ArtifactVersion, Batch, FileEntry
from heron.store.sql import SqlStore
from tests.registry.harness import ADMIN, IMPLEMENTATIONS, USER, Harness, open_harness
from tests.registry.receiver import Receiver, receiver  # noqa: F401 (a fixture)
from tests.store.helpers import new_run

__all__ = ["ADMIN", "USER"]
_seq = itertools.count(1)


@pytest.fixture(params=IMPLEMENTATIONS)
def harness(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    receiver: Receiver,  # noqa: F811
) -> Iterator[Harness]:
    """SqlRegistry on SQLite and on PostgreSQL, RemoteRegistry over HTTP in-process."""
    yield from open_harness(request.param, request, tmp_path, receiver)


@pytest.fixture
def registry(store: SqlStore) -> SqlRegistry:
    return SqlRegistry(store)


@pytest.fixture
def blobs(tmp_path: Path) -> LocalArtifactStore:
    return LocalArtifactStore(tmp_path / "blobs", durable=False)


def put_files(blobs: LocalArtifactStore, tmp: Path, content: bytes) -> tuple[FileEntry, ...]:
    source = tmp / f"model-{next(_seq)}.bin"
    source.write_bytes(content)
    info = blobs.put_file(source)
    return (FileEntry("model.bin", info.digest, info.size),)


def log_artifact(
    store: SqlStore, run_id: str, name: str, files: tuple[FileEntry, ...], **event: object
) -> ArtifactVersion:
    """Log an artifact version through the store's real ingest path."""
    store.ingest(
        Batch(
            run_id,
            next(_seq) * 1000,
            events=[
                {
                    "type": "artifact",
                    "name": name,
                    "artifact_type": "model",
                    "files": [f.__dict__ for f in files],
                    "aliases": [],
                    "metadata": {},
                    "time": 1.0,
                    **event,
                }
            ],
        )
    )
    digest = manifest_digest(files)
    found = [a for a in store.artifacts(name=name) if a.digest == digest]
    return found[-1]


def register(
    registry: SqlRegistry,
    store: SqlStore,
    blobs: LocalArtifactStore,
    tmp: Path,
    name: str = "clf",
    content: bytes | None = None,
    actor: Actor = ADMIN,
) -> ModelVersion:
    run = new_run(store)
    files = put_files(blobs, tmp, content if content is not None else f"w{next(_seq)}".encode())
    return registry.create_version(name, NewVersion(run_id=run.id, files=files), actor)


@pytest.fixture
def versions(
    registry: SqlRegistry, store: SqlStore, blobs: LocalArtifactStore, tmp_path: Path
) -> Iterator[list[ModelVersion]]:
    """Three versions of model "clf", each from its own run."""
    yield [register(registry, store, blobs, tmp_path) for _ in range(3)]
