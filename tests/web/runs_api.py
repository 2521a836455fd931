"""Runs made over the live server's REST API, for browser tests that need many runs
(the SDK would take minutes for 300), and the store opened beside the server to check
what the UI did."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from heron import wire
from heron.local_dir import LocalDir
from heron.store import open_store
from heron.store.base import Batch
from heron.store.sql import SqlStore

API = "/api/v1"


def new_id() -> str:
    return uuid.uuid4().hex[:16]


def create_runs(
    base_url: str, project: str, specs: list[dict[str, Any]], *, finished: bool = True
) -> list[str]:
    """Create a run per spec (``name``, ``config``, ``tags``...); finished unless told."""
    ids: list[str] = []
    now = time.time()
    with httpx.Client(base_url=base_url + API, timeout=30) as client:
        for i, spec in enumerate(specs):
            run_id = new_id()
            body = {"id": run_id, "project": project, "created_at": now - len(specs) + i, **spec}
            response = client.post("/runs", json=body)
            assert response.status_code == 200, response.text
            if finished:
                end = Batch(run_id, 1, events=[{"type": "state", "state": "finished", "time": now}])
                response = client.post(
                    f"/runs/{run_id}/batches",
                    content=wire.encode_batch(end),
                    headers={"content-type": wire.BATCH_CONTENT_TYPE},
                )
                assert response.status_code == 200, response.text
            ids.append(run_id)
    return ids


@contextmanager
def store_at(folder: Path) -> Iterator[SqlStore]:
    """The server's store, opened beside it (SQLite allows both)."""
    store = open_store(LocalDir.at(folder).db_url)
    try:
        yield store
    finally:
        store.close()
