"""Many writers at once: 2 processes x 4 threads ingesting into one store."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from heron.store import open_store
from heron.store.base import Series
from tests.store import workers

PROCESSES, THREADS, BATCHES = 2, 4, 30


def concat(parts: list[Series]) -> Series:
    return Series(
        np.concatenate([p.steps for p in parts]),
        np.concatenate([p.times for p in parts]),
        np.concatenate([p.values for p in parts]),
    )


@pytest.mark.slow
def test_processes_and_threads_ingest_together(store_url: str) -> None:
    open_store(store_url).close()  # migrate first: the upgrade race has a test of its own
    context = multiprocessing.get_context("spawn")  # never fork a process holding connections
    with ProcessPoolExecutor(PROCESSES, mp_context=context) as pool:
        futures = [
            pool.submit(workers.ingest_worker, store_url, p, THREADS, BATCHES)
            for p in range(PROCESSES)
        ]
        results = [f.result(timeout=240) for f in futures]

    with open_store(store_url) as store:
        for p in range(PROCESSES):
            for t in range(THREADS):
                run_id = workers.own_run_id(p, t)
                expected = concat([workers.points(run_id, s) for s in range(1, BATCHES + 1)])
                got = store.history(run_id)["loss"]
                assert got.steps.tolist() == expected.steps.tolist()
                assert got.values.tolist() == expected.values.tolist()
                info = store.get_run(run_id)
                m = info.metrics["loss"]
                assert (m.count, m.last, m.min, m.max) == (
                    len(expected),
                    expected.values[-1],
                    expected.values.min(),
                    expected.values.max(),
                )
                assert info.ingested_seq == BATCHES
                assert info.tags == tuple(sorted(f"t{s}" for s in range(10, BATCHES + 1, 10)))

        # Redundant shippers of one run: each batch applied at most once, the last one
        # certainly, and the series is exactly the applied batches in seq order.
        applied = sorted(s for r in results for seqs in r.values() for s in seqs)
        assert len(applied) == len(set(applied))
        assert applied[-1] == BATCHES
        expected = concat([workers.points(workers.SHARED_RUN, s) for s in applied])
        got = store.history(workers.SHARED_RUN)["loss"]
        assert got.steps.tolist() == expected.steps.tolist()
        assert store.get_run(workers.SHARED_RUN).metrics["loss"].count == len(expected)
        assert store.count_runs(workers.PROJECT) == PROCESSES * THREADS + 1
        assert [p.name for p in store.list_projects()] == [workers.PROJECT]


def test_threads_create_one_project_and_run(store_url: str) -> None:
    """Concurrent first use of a project and create_run of one id all succeed."""
    import threading

    from heron.store.base import RunSpec

    with open_store(store_url) as store:
        errors: list[BaseException] = []
        names: list[str] = []

        def create(i: int) -> None:
            try:
                store.create_run(RunSpec(id="samerun000", project="fresh"))
                names.append(store.create_run(RunSpec(id=f"run{i:07d}", project="fresh")).name)
            except BaseException as exc:
                errors.append(exc)

        pool = [threading.Thread(target=create, args=(i,)) for i in range(8)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        assert errors == []
        assert store.count_runs("fresh") == 9
        assert len(set(names)) == 8  # default names stay unique under concurrency
