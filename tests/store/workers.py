"""Code that concurrency tests run in other processes (spawned: keep imports light)."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from heron.store import open_store
from heron.store.base import Batch, Series

PROJECT = "conc"
SHARED_RUN = "sharedrun0"


def points(run_id: str, seq: int) -> Series:
    """The points batch ``seq`` of ``run_id`` carries: deterministic, so checkable."""
    base = (sum(map(ord, run_id)) % 97) * 1000 + seq * 10
    steps = np.arange(base, base + 3, dtype=np.int64)
    values = (steps % 13).astype(np.float64) / 7.0
    return Series(steps, 1.7e9 + steps.astype(np.float64), values)


def own_run_id(process: int, thread: int) -> str:
    return f"own{process:03d}{thread:04d}"


def _create(run_id: str) -> dict[str, Any]:
    return {"type": "create", "spec": {"id": run_id, "project": PROJECT, "config": {"n": 1}}}


def ingest_worker(url: str, process: int, threads: int, batches: int) -> dict[int, list[int]]:
    """Each thread ships its own run and the shared run; returns thread -> applied shared seqs."""
    store = open_store(url)
    applied: dict[int, list[int]] = {}
    errors: list[BaseException] = []

    def work(thread: int) -> None:
        mine = own_run_id(process, thread)
        got: list[int] = []
        try:
            for seq in range(1, batches + 1):
                own_events = [_create(mine)] if seq == 1 else []
                if seq % 10 == 0:
                    own_events.append({"type": "tags", "add": [f"t{seq}"]})
                store.ingest(Batch(mine, seq, {"loss": points(mine, seq)}, own_events))
                shared = Batch(
                    SHARED_RUN, seq, {"loss": points(SHARED_RUN, seq)}, [_create(SHARED_RUN)]
                )
                if store.ingest(shared).applied:
                    got.append(seq)
        except BaseException as exc:  # reported to the parent, which fails the test
            errors.append(exc)
        applied[thread] = got

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    store.close()
    if errors:
        raise errors[0]
    return applied
