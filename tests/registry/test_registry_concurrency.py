"""Concurrent changes to one model, each thread with its own store (its own engine and
connections, like separate processes): exactly one production holder, versions
numbered without gaps or duplicates, a history that replays to the final state."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from heron.artifacts import LocalArtifactStore
from heron.registry.requests import NewVersion, Transition
from heron.registry.sql import SqlRegistry
from heron.store import open_store
from heron.store.sql import SqlStore
from tests.registry.conftest import ADMIN, put_files
from tests.store.helpers import new_run

THREADS = 4


def in_threads(url: str, work: Callable[[SqlRegistry, int], None], count: int = THREADS) -> None:
    """Run ``work(registry, i)`` in ``count`` threads released together."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def body(i: int) -> None:
        with open_store(url) as own:
            registry = SqlRegistry(own)
            try:
                barrier.wait(timeout=30)
                work(registry, i)
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []


@pytest.mark.slow
def test_concurrent_promotions_leave_exactly_one_in_production(
    store: SqlStore, store_url: str, blobs: LocalArtifactStore, tmp_path: Path
) -> None:
    registry = SqlRegistry(store)
    for i in range(THREADS):
        run = new_run(store)
        files = put_files(blobs, tmp_path, f"v{i}".encode())
        registry.create_version("clf", NewVersion(run_id=run.id, files=files), ADMIN)
    for round_ in range(3):
        in_threads(
            store_url,
            lambda reg, i: reg.transition("clf", Transition(i + 1, "production", f"t{i}"), ADMIN),
        )
        final = {v.version: v.stage for v in registry.versions("clf")}
        holders = [v for v, stage in final.items() if stage == "production"]
        assert len(holders) == 1, (round_, final)
        # Replaying the history gives the final state, and the last promotion won.
        replay: dict[int, str] = {v: "none" for v in final}
        history = registry.history("clf")
        for entry in history:
            assert entry.version is not None
            assert replay[entry.version] == entry.from_value, entry
            replay[entry.version] = str(entry.to_value)
        assert replay == final
        promotions = [h for h in history if h.to_value == "production"]
        assert promotions[-1].version == holders[0]
        # Put everyone back in staging for the next round.
        for v in final:
            registry.transition("clf", Transition(v, "staging"), ADMIN)


@pytest.mark.slow
def test_concurrent_registrations_number_versions_without_gaps(
    store: SqlStore, store_url: str, blobs: LocalArtifactStore, tmp_path: Path
) -> None:
    runs = [new_run(store).id for _ in range(THREADS)]
    files = [put_files(blobs, tmp_path, f"m{i}".encode()) for i in range(THREADS)]
    made: list[int] = []
    lock = threading.Lock()

    def register(reg: SqlRegistry, i: int) -> None:
        for _ in range(3):
            v = reg.create_version("fresh", NewVersion(run_id=runs[i], files=files[i]), ADMIN)
            with lock:
                made.append(v.version)

    in_threads(store_url, register)
    assert sorted(made) == list(range(1, 3 * THREADS + 1))
    registry = SqlRegistry(store)
    assert [v.version for v in registry.versions("fresh")] == list(range(3 * THREADS, 0, -1))
