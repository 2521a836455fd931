"""Shipping what dead processes left behind, and marking their runs crashed.

A live writer holds its spool's file lock; a spool whose lock can be taken belongs
to a process that is gone (killed, crashed, or an offline run that ended). Its
records are shipped from where the store says it stopped (exactly-once by seq), the
run is marked crashed unless its own records ended it, and the spool is removed.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from heron.errors import NotFound
from heron.local_dir import try_lock
from heron.sdk.backend import Backend
from heron.sdk.shipper import chunk_to_batch
from heron.sdk.spool import SpoolReader, iter_spools
from heron.store.base import Store

log = logging.getLogger("heron.recovery")


@dataclass(frozen=True)
class Recovered:
    run_id: str
    points: int
    batches: int
    crashed: bool


Progress = Callable[[str, int], None]


def recover_spool(
    folder: Path, backend: Backend, store: Store, progress: Progress | None = None
) -> Recovered | None:
    """Ship one dead spool; None if its writer is alive (or another recoverer has it)."""
    fd = try_lock(folder)
    if fd is None:
        return None
    run_id = folder.name
    try:
        try:
            start = max(0, backend.get_run(run_id).ingested_seq)
        except NotFound:
            start = 0  # the spool's first record creates the run
        reader = SpoolReader(folder, start)
        points = batches = 0
        try:
            while True:
                chunk = reader.read()
                if chunk.end == chunk.start:
                    break
                batch = chunk_to_batch(run_id, chunk)
                backend.ingest(batch)
                points += batch.point_count
                batches += 1
                if progress:
                    progress(run_id, batch.point_count)
        finally:
            reader.close()
        crashed = False
        try:
            if backend.get_run(run_id).state == "running":
                store.mark_crashed(run_id, time.time(), "the process died (found by heron)")
                crashed = True
        except NotFound:
            log.warning("heron: spool %s held no run record; removing it", folder)
        shutil.rmtree(folder, ignore_errors=True)
        return Recovered(run_id, points, batches, crashed)
    finally:
        os.close(fd)


TARGET_FILE = "target"


def write_spool_target(folder: Path, url: str) -> None:
    """Record which server a spool's run belongs to (absent: the local store)."""
    (folder / TARGET_FILE).write_text(url + "\n", encoding="utf-8")


def spool_target(folder: Path) -> str | None:
    """The server URL a spool ships to, or None for the local store."""
    try:
        return (folder / TARGET_FILE).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def recover_all(
    spool_root: Path,
    backend: Backend,
    store: Store,
    progress: Progress | None = None,
    target: str | None = None,
) -> list[Recovered]:
    """Ship every dead spool that belongs to ``target`` (a server URL; None: local)."""
    done = []
    for folder in iter_spools(spool_root):
        if spool_target(folder) != target:
            continue
        result = recover_spool(folder, backend, store, progress)
        if result is not None:
            done.append(result)
    return done
