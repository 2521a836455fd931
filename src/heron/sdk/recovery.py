"""Shipping what dead processes left behind, and marking their runs crashed.

A live writer holds its spool's file lock; a spool whose lock can be taken belongs
to a process that is gone (killed, crashed, or an offline run that ended). Its
records are shipped from where the store says it stopped (exactly-once by seq), the
run is marked crashed unless its own records ended it, and the spool is removed.

A spool that cannot be shipped (a corrupt segment, a batch the store refuses) is
kept where it is and reported: the others still ship, and the next recovery tries
it again from where the store stopped.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from heron.errors import HeronError, NotFound, RunDeleted, SpoolError, Unavailable
from heron.local_dir import SPOOL_LOCK, try_lock
from heron.sdk.shipper import chunk_to_batch
from heron.sdk.spool import SpoolReader, iter_spools, segment_numbers

if TYPE_CHECKING:
    from heron.sdk.backend import Backend

log = logging.getLogger("heron.recovery")

ABANDONED_AFTER = 60.0  # seconds: a spool without a segment this old was never started


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


@dataclass(frozen=True)
class Recovered:
    run_id: str
    points: int
    batches: int
    crashed: bool


@dataclass(frozen=True)
class Failed:
    """A spool that could not be shipped: kept in ``folder``; ``reason`` says why and
    what to do (a HeronError's message)."""

    run_id: str
    folder: Path
    reason: str


@dataclass
class Recovery:
    """What one pass over a spool folder did."""

    shipped: list[Recovered] = field(default_factory=list)
    failed: list[Failed] = field(default_factory=list)


Progress = Callable[[str, int], None]  # (run id, points in the batch just shipped)


def recover_spool(
    folder: Path, backend: Backend, progress: Progress | None = None
) -> Recovered | None:
    """Ship one dead spool; None if its writer is alive (or another recoverer has it).

    Raises SpoolError when the spool cannot be read, and what the backend raises when
    it refuses a batch (InvalidInput...) or cannot be reached (Unavailable): the
    spool is kept then, less what was shipped before the failure.
    """
    try:
        fd = try_lock(folder)
    except OSError as exc:
        raise SpoolError(
            f"cannot lock the spool {folder}: {exc.strerror or exc}. It is kept; if it is "
            "not a run's spool, move it out of the spool folder"
        ) from None
    if fd is None:
        return None
    run_id = folder.name
    try:
        if not segment_numbers(folder):
            # A writer makes its first segment right after taking the lock: a spool
            # without one is a writer starting (its lock not taken yet) or one that
            # died starting, with nothing to ship. Only the latter, once old, goes.
            if _age(folder / SPOOL_LOCK) > ABANDONED_AFTER:
                shutil.rmtree(folder, ignore_errors=True)
            return None
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
                try:
                    backend.ingest(batch)
                except RunDeleted:
                    log.warning("heron: run %s was deleted; removing its spool %s", run_id, folder)
                    shutil.rmtree(folder, ignore_errors=True)
                    return Recovered(run_id, points, batches, False)
                points += batch.point_count
                batches += 1
                if progress:
                    progress(run_id, batch.point_count)
        finally:
            reader.close()
        crashed = False
        try:
            if backend.get_run(run_id).state == "running":
                backend.mark_crashed(run_id, time.time(), "the process died (found by heron)")
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
    path = folder / TARGET_FILE
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not text"
        raise SpoolError(
            f"cannot read {path}, which names the server of run {folder.name}: {reason}. "
            f"The spool is kept; write the server's URL into that file, or delete {folder} "
            "to drop the run's unshipped records"
        ) from None


def recover_all(spool_root: Path, backend: Backend, progress: Progress | None = None) -> Recovery:
    """Ship every dead spool under ``spool_root`` that belongs to ``backend`` (whose
    target is the backend's ``spool_target``). A spool that fails is kept and listed
    in ``failed``; Unavailable (the server is down) stops the pass and is raised."""
    done = Recovery()
    for folder in iter_spools(spool_root):
        try:
            if spool_target(folder) != backend.spool_target:
                continue
            result = recover_spool(folder, backend, progress)
        except Unavailable:
            raise
        except HeronError as exc:
            done.failed.append(Failed(folder.name, folder, failure_reason(folder, exc)))
            continue
        if result is not None:
            done.shipped.append(result)
    return done


def failure_reason(folder: Path, exc: HeronError) -> str:
    """What to tell a user about a spool that could not be shipped."""
    if isinstance(exc, SpoolError):
        return exc.message  # it names the file and says what to do
    return (
        f"run {folder.name} could not be shipped: {exc.message}. Its records are kept in "
        f"{folder}; heron sync tries again, or delete that folder to drop them"
    )
