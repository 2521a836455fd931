"""What every importer shares: one imported run written through the service, exactly
once, and the report of what an import did.

An imported run has a deterministic id (the source's own id when Heron accepts it,
else a digest of where it came from), and its records go in as spool batches through
``Tracking.ingest`` (the public write path, local or a server): batch 1 creates the
run, the next ones carry its points and files, and the last one is stamped
:data:`DONE_SEQ`. Ingest applies a batch once by its seq, so

- a second import of the same source adds nothing: a run whose seq is ``DONE_SEQ`` is
  skipped before its source is even read;
- an interrupted import resumes: the batches already applied are skipped, the rest
  applied, in the same order (the source is read the same way each time).

A source that grew since it was imported (a log still being written) is not topped up.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from heron.errors import InvalidInput, NotFound
from heron.keys import check_label, check_name
from heron.service import Tracking
from heron.store.base import Batch, Event, FileEntry, RunInfo, RunSpec, Series
from heron.store.checks import RUN_ID

DONE_SEQ = 1 << 62  # the last batch of a complete import
POINTS_PER_BATCH = 100_000


@dataclass
class ImportReport:
    """What one import did. ``skipped`` lists what the source held that was not
    imported, and why (one line each)."""

    runs_imported: int = 0
    runs_skipped: int = 0  # imported before (complete): nothing added
    points: int = 0
    files: int = 0
    media: int = 0  # images, histograms... (heron.media)
    models: int = 0
    versions: int = 0
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class Progress:
    """What an importer tells its caller as it goes (the CLI draws bars from it)."""

    def start(self, total_runs: int) -> None:
        pass

    def run_started(self, name: str) -> None:
        pass

    def points(self, count: int) -> None:
        pass

    def run_done(self) -> None:
        pass


SILENT = Progress()


def stable_id(prefix: str, *parts: str) -> str:
    """A run id from where a run came from: the same source, the same id."""
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()
    return f"{prefix}{digest[: 32 - len(prefix)]}"


def source_id(prefix: str, found: str | None, *parts: str) -> str:
    """``found`` when Heron accepts it as a run id, else :func:`stable_id`."""
    if found and RUN_ID.match(found):
        return found
    return stable_id(prefix, *parts)


def project_name(name: str, fallback: str) -> str:
    """A source's project/experiment name as a Heron project name (letters, digits,
    ``_ - .``): other characters become ``_``."""
    cleaned = "".join(c if c.isalnum() or c in "_-." else "_" for c in name).strip("_.-")
    cleaned = cleaned[:128] or fallback
    try:
        return check_name(cleaned, "project")
    except InvalidInput:
        return fallback


def is_label(text: str) -> bool:
    try:
        check_label(text, "tag")
    except InvalidInput:
        return False
    return True


class RunWriter:
    """One imported run: its batches, in order, each applied once (module doc)."""

    def __init__(self, tracking: Tracking, spec: RunSpec, report: ImportReport) -> None:
        self.tracking = tracking
        self.spec = spec
        self.report = report
        self.seq = 0
        self.applied_seq = -1
        self.points = 0
        self.files = 0
        self.media = 0

    def done_before(self) -> bool:
        """True when the run was imported completely before; else create it (idempotent)
        and remember how far an earlier, interrupted import got."""
        try:
            info: RunInfo = self.tracking.get_run(self.spec.id)
        except NotFound:
            info = self.tracking.create_run(self.spec)
        self.applied_seq = info.ingested_seq
        return info.ingested_seq >= DONE_SEQ

    def send(
        self, events: Sequence[Event] = (), metrics: Mapping[str, Series] | None = None
    ) -> None:
        self.seq += 1
        if self.seq <= self.applied_seq:
            return  # applied by an earlier, interrupted import
        self.tracking.ingest(Batch(self.spec.id, self.seq, dict(metrics or {}), list(events)))

    def send_points(
        self, key: str, steps: Any, times: Any, values: Any, on_points: Callable[[int], None]
    ) -> None:
        """A whole series, in batches of at most ``POINTS_PER_BATCH`` points."""
        steps = np.asarray(steps, np.int64)
        times = np.asarray(times, np.float64)
        values = np.asarray(values, np.float64)
        for start in range(0, len(steps), POINTS_PER_BATCH):
            end = start + POINTS_PER_BATCH
            series = Series(steps[start:end], times[start:end], values[start:end])
            self.send(metrics={key: series})
            self.points += len(series)
            on_points(len(series))

    def send_series(
        self, series: Mapping[str, tuple[Any, Any, Any]], on_points: Callable[[int], None]
    ) -> None:
        """Several series ((steps, times, values) by key, sent in this order) in batches
        of at most ``POINTS_PER_BATCH`` points, a batch holding several keys when they
        are short: a few large ingests rather than one per key or per point."""
        batch: dict[str, Series] = {}
        size = 0
        for key, (steps, times, values) in series.items():
            steps = np.asarray(steps, np.int64)
            times = np.asarray(times, np.float64)
            values = np.asarray(values, np.float64)
            start = 0
            while start < len(steps):
                end = start + POINTS_PER_BATCH - size
                batch[key] = Series(steps[start:end], times[start:end], values[start:end])
                size += len(batch[key])
                start = end
                if size == POINTS_PER_BATCH:
                    self._send_points(batch, size, on_points)
                    batch, size = {}, 0
        if batch:
            self._send_points(batch, size, on_points)

    def _send_points(
        self, batch: dict[str, Series], size: int, on_points: Callable[[int], None]
    ) -> None:
        self.send(metrics=batch)
        self.points += size
        on_points(size)

    def file_event(self, path: Path, name: str) -> Event:
        blob = self.tracking.blobs.put_file(path)
        self.files += 1
        entry = FileEntry(name, blob.digest, blob.size)
        return {
            "type": "file",
            "file": {"path": entry.path, "digest": entry.digest, "size": entry.size},
        }

    def put_bytes(self, data: bytes) -> str:
        """Store ``data`` as a blob; its digest."""
        with tempfile.NamedTemporaryFile(prefix="heron-import-", delete=False) as out:
            out.write(data)
        try:
            return self.tracking.blobs.put_file(Path(out.name)).digest
        finally:
            os.unlink(out.name)

    def media_event(self, key: str, step: int, when: float, media: Any) -> Event:
        """A ``heron.media`` item as its event, its blobs stored first."""
        encoded = media.encode()
        digest = None if encoded.blob is None else self.put_bytes(encoded.blob)
        self.media += 1
        return {
            "type": "media",
            "key": key,
            "step": step,
            "kind": encoded.kind,
            "digest": digest,
            "size": 0 if encoded.blob is None else len(encoded.blob),
            "refs": [self.put_bytes(ref) for ref in encoded.refs],
            "meta": encoded.meta,
            "time": when,
        }

    def finish(self, events: Sequence[Event] = ()) -> None:
        """The last batch: the run's end (and what goes with it), stamped DONE_SEQ."""
        self.tracking.ingest(Batch(self.spec.id, DONE_SEQ, {}, list(events)))
        self.report.runs_imported += 1
        self.report.points += self.points
        self.report.files += self.files
        self.report.media += self.media
