"""A run: what a training script holds and logs to.

``Run.log`` is the hot path: no I/O, no allocation beyond the record, one uncontended
lock. Each scalar becomes one 32-byte record packed straight into the spool's memory
map; the shipper thread does everything else. Every other method writes an event
record into the same spool, so the order of what a run did is kept.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import struct
import sys
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, cast

from heron import compiled
from heron.artifacts.files import cache_folder
from heron.errors import HeronError, InvalidInput, InvalidKey, InvalidValue, StoreError
from heron.keys import (
    check_artifact_path,
    check_metric_pattern,
    check_name,
    check_tag,
    key_problem,
)
from heron.sdk.backend import Backend
from heron.sdk.config import Config, Summary, check_goal
from heron.sdk.shipper import Shipper
from heron.sdk.spool import KIND_SCALAR, SCALAR, SLOT, SpoolWriter, prefault
from heron.sdk.values import to_float, to_json_value, to_step
from heron.states import TERMINAL_STATES
from heron.store.base import ArtifactVersion, FileEntry, RunInfo
from heron.store.events import (
    AlertEvent,
    ArtifactEvent,
    Event,
    FileEvent,
    FileFields,
    Retention,
    StateEvent,
)

if TYPE_CHECKING:
    from heron.media.types import Media
    from heron.sdk.capture.console import ConsoleCapture
    from heron.sdk.media_writer import MediaWriter

_pack = SCALAR.pack_into
log = logging.getLogger("heron.run")
_now = time.time


# The compiled fast path (``_fastlog.c``: the pure-Python path writes the same bytes),
# or None; a run takes what is here when it starts (tests set it to None for a run on
# the pure-Python path).
_fast: Any = compiled.load("heron.sdk._fastlog")


def fast_path() -> Any:
    """The compiled fast path a run started now takes (``heron.sdk._fastlog``), or None:
    for code that builds on it (an integration's compiled ``log_metrics``)."""
    return _fast


DEFAULT_FINISH_TIMEOUT = 120.0
# How long a console line waits for the run's lock before it is kept for the next
# write: long enough for any other thread, short for this one (a signal handler that
# prints while the interrupted code holds the lock in ``log``).
CONSOLE_LOCK_WAIT = 0.1
# Calls of distinct (keys, value types) given a fast path, and the most keys in one.
MAX_SHAPES = 256
MAX_SHAPE_KEYS = 64
LOSS_LIKE = ("loss", "err", "mae", "mse", "rmse", "perplexity", "ppl")
Ended = Literal["finished", "failed", "killed"]


class Run:
    """One tracked run. Create it with ``heron.init(...)``; use it as a context manager."""

    def __init__(
        self,
        info: RunInfo,
        backend: Backend,
        writer: SpoolWriter,
        shipper: Shipper | None,
        *,
        start_step: int = 0,
        cache_dir: Path,
        resumed: bool = False,
    ) -> None:
        self.id = info.id
        self.project = info.project
        self.name = info.name
        self.group = info.group
        self.resumed = resumed
        self._backend = backend
        self._writer = writer
        self._shipper = shipper
        self._cache_dir = cache_dir
        # the keys of calls seen: the writer for their values' types, and its bytes
        self._shapes: dict[tuple[Any, ...], tuple[_ShapeWriter, int]] = {}
        self._step = start_step
        # The compiled path (``_fastlog.Logger``), or None: then it is this run's
        # ``log`` (the instance's attribute over the method below, which it calls for
        # what it declines), and the run's lock has it put its cursor back
        # (``_fastlog.ParkingLock``).
        self._fast = _fast
        lock = threading.Lock()
        self._lock: threading.Lock = lock
        self._fast_log: Any = None
        if _fast is not None:
            self._fast_log = _fast.Logger(self, lock, self._shapes, writer, type(self).log, _now)
            self._lock = _fast.ParkingLock(lock, self._fast_log)
            setattr(self, "log", self._fast_log)  # noqa: B010 - mypy refuses a method's assignment
        self._key_ids = writer.keys
        self._tags = list(info.tags)
        self._notes = info.notes
        self._closed = False
        self._forked = False  # a forked child's copy: logging is refused
        self.state = "running"
        self._on_finish: list[Callable[[], None]] = []
        self._before_end: list[Callable[[], None]] = []
        self._console: ConsoleCapture | None = None
        self._lost_files: list[str] = []  # artifacts whose bytes the disk refused
        self._media: MediaWriter | None = None  # started by the first media value
        self.config = Config(dict(info.config), self.record)
        self.summary = Summary(self.record, self._fetch_summary)

    @property
    def backend(self) -> Backend:
        """Where this run's records go (``heron.sdk.backend``): for integrations that
        store files or resolve artifacts beside the run (``heron.models``)."""
        return self._backend

    # -- the hot path -----------------------------------------------------
    def log(self, data: Mapping[str, Any], step: int | None = None) -> None:
        """Record metric values at ``step`` (the next step when left out).

        Values: int, float, bool, numpy scalars, 0-d tensors; NaN and ±inf are kept.
        Media (``heron.Image``, ``Histogram``, ``Table``, ``Text``, ``Audio``) are copied
        here and encoded on the run's media thread (docs/media.md).
        A bad key or value raises (InvalidKey / InvalidValue) after the rest of the
        call is logged.
        """
        # The fast path: a call with the keys of an earlier one (in the same order) is
        # packed by that shape's writer in one call when its values have that call's
        # types; anything else takes ``_log_slow``. Compiled, ``run.log`` is the C
        # Logger (the whole fast path in one call, see _fastlog.c), which calls this
        # for what it declines; here it is ``_shape_writer``'s one ``pack_into``.
        with self._lock:
            if self._closed:
                raise self._closed_error()
            if step is None:
                step = self._step
            elif type(step) is not int:
                step = to_step(step)
            now = _now()
            try:
                write, need = self._shapes[tuple(data)]
            except (KeyError, TypeError):
                pass
            else:
                writer = self._writer
                off = writer.off
                if off + need < writer.end:  # (whole slots: leaves the END slot free)
                    try:
                        written = write(writer.mm, off, step, now, data.values())
                    except (struct.error, ValueError, AttributeError):  # the slow path says
                        written = False
                    if written:
                        writer.off = off + need
                        self._step = step + 1
                        return
            media, problems = self._log_slow(data, step, now)
        if media:
            self._submit_media(media, step, now)
        if problems:
            _raise_combined(problems)

    def _log_slow(
        self, data: Mapping[str, Any], step: int, now: float
    ) -> tuple[list[tuple[str, Media]] | None, list[HeronError] | None]:
        """``log`` record by record (under the lock): new keys, values to convert, a
        segment to rotate, bad input. A call whose keys and value types can take the
        fast path next time gets a shape writer."""
        media: list[tuple[str, Media]] | None = None
        previous = self._step
        self._step = step + 1
        writer = self._writer
        ids = self._key_ids
        problems: list[HeronError] | None = None
        try:
            items = data.items()
        except AttributeError:
            self._step = previous
            raise InvalidValue(
                f"run.log takes a mapping of key to value, got {type(data).__name__}"
            ) from None
        for key, value in items:
            key_id = ids.get(key)
            if key_id is None:
                problem = key_problem(key)
                if problem:
                    problems = [*(problems or []), InvalidKey(problem)]
                    continue
                key_id = writer.declare_key(key)
                if key_id < 0:  # the disk is full and so is memory: counted
                    writer.dropped_points += 1
                    continue
            if type(value) is not float:
                try:
                    value = to_float(key, value)
                except InvalidValue as exc:
                    if _is_media(value):
                        media = [*(media or []), (key, value)]
                        continue
                    problems = [*(problems or []), exc]
                    continue
            off = writer.off
            if off >= writer.end - SLOT:
                if not writer.rotate():  # the disk is full and so is memory: counted
                    writer.dropped_points += 1
                    continue
                off = writer.off
            try:
                _pack(writer.mm, off, value, step, now, key_id, KIND_SCALAR)
            except struct.error:  # a plain int step past int64 (no check on the hot path)
                self._step = previous
                raise InvalidValue(f"step {step} is outside the int64 range") from None
            writer.off = off + SLOT
        if not media and not problems and len(self._shapes) < MAX_SHAPES:
            self._add_shape(data)
        return media, problems

    def _add_shape(self, data: Mapping[str, Any]) -> None:
        """Remember the fast path for calls like ``data`` (same keys in the same order,
        same value types) once all its keys are declared and its value types are ones
        ``struct`` reads exactly as :func:`to_float` does."""
        ids = self._key_ids
        keys = tuple(data)
        types = tuple(map(type, data.values()))
        if not 0 < len(keys) <= MAX_SHAPE_KEYS or not _fast_types().issuperset(types):
            return
        key_ids = [ids.get(k) for k in keys]
        if any(i is None or i < 0 for i in key_ids):
            return
        ids_ = tuple(cast(list[int], key_ids))
        fast = self._fast
        writer = _shape_writer(ids_, types) if fast is None else fast.Shape(ids_, types)
        self._shapes[keys] = (writer, SLOT * len(keys))

    def prefault(self) -> None:
        """Fault in the spool pages the next records go to (the shipper's thread, each
        pass): ``log`` then writes into pages that are there (``spool.prefault``)."""
        with self._lock:
            found = None if self._closed else self._writer.prefault_range()
        if found is not None:
            prefault(*found)

    def log_media(self, data: Mapping[str, Media], step: int) -> None:
        """Log media values at ``step`` without moving the run's step (``heron.watch``
        and integrations log at the step the script is on)."""
        items = []
        for key, value in data.items():
            if not _is_media(value):
                raise InvalidValue(f"log_media takes heron media values, {key!r} is not one")
            problem = key_problem(key)
            if problem:
                raise InvalidKey(problem)
            items.append((key, value))
        if self._closed:
            raise self._closed_error()
        self._submit_media(items, to_step(step), _now())

    def _submit_media(self, media: list[tuple[str, Media]], step: int, now: float) -> None:
        """Hand media values to the run's media thread (outside the lock: it records)."""
        if self._media is None:
            from heron.sdk.media_writer import MediaWriter

            with self._lock:
                if self._media is None:
                    folder = self._writer.folder / "media"
                    self._media = MediaWriter(self._backend, self.record, folder)
        for key, value in media:
            self._media.submit(key, step, now, value)

    # -- events -----------------------------------------------------------
    def record(self, event: Event) -> None:
        """Write one spool event (``heron.store.events``) after everything logged so
        far. For integrations: ``log``, ``config``, ``summary`` and the other methods
        are this run's usual ways to record."""
        with self._lock:
            if self._closed:
                raise self._closed_error()
            self._writer.write_event(event)

    def _closed_error(self) -> HeronError:
        if self._forked:
            return HeronError(
                f"run {self.id} belongs to the parent process; process {os.getpid()} was "
                "forked from it. Log from the parent, or call heron.init() in this process."
            )
        return HeronError(f"run {self.id} is finished; start a new one with heron.init()")

    def _console_event(self, event: Event) -> bool:
        """Console capture's write: False when the lock stayed busy (the capture keeps
        the event for its next write); an event after the run ended is dropped."""
        if not self._lock.acquire(timeout=CONSOLE_LOCK_WAIT):
            return False
        try:
            if not self._closed:
                self._writer.write_event(event)
            return True
        finally:
            self._lock.release()

    def capture_console(self, max_bytes: int = 0, *, prefix: str = "", fd: bool = False) -> None:
        """Tee stdout and stderr into this run until it finishes (``sdk/capture/console``);
        at most ``max_bytes`` of text (0: no cap). ``prefix`` starts every line (a rank's
        ``[rank 1] ``); ``fd``: also what is written to file descriptors 1 and 2 (C
        extensions, subprocesses), where that is safe."""
        from heron.sdk.capture.console import ConsoleCapture

        if self._console is not None:
            raise HeronError(f"run {self.id} already captures the console")
        self._console = ConsoleCapture(self._console_event, max_bytes, prefix=prefix, fd=fd)
        self._console.start()

    def log_system(self, values: Mapping[str, float]) -> None:
        """Record system metrics (``system/cpu.percent``...): their own keys, at wall
        time rather than the user's step; ignored once the run ended."""
        with self._lock:
            if self._closed:
                return
            now = _now()
            for key, value in values.items():
                key_id = self._key_ids.get(key)
                if key_id is None:
                    key_id = self._writer.declare_key(key)
                self._writer.write_scalar(key_id, 0, now, float(value))

    @property
    def step(self) -> int:
        """The step the next ``log`` without an explicit step will use."""
        held = None if self._fast_log is None else self._fast_log.step
        return self._step if held is None else held

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(self._tags)

    def add_tags(self, *tags: str) -> None:
        clean = [check_tag(t) for t in tags]
        self._tags.extend(t for t in clean if t not in self._tags)
        self.record({"type": "tags", "add": clean, "remove": []})

    def remove_tags(self, *tags: str) -> None:
        self._tags = [t for t in self._tags if t not in tags]
        self.record({"type": "tags", "add": [], "remove": list(tags)})

    @property
    def notes(self) -> str:
        return self._notes

    @notes.setter
    def notes(self, text: str) -> None:
        if not isinstance(text, str):
            raise InvalidValue(f"notes are markdown text, got {type(text).__name__}")
        self._notes = text
        self.record({"type": "notes", "text": text})

    def define_metric(
        self, pattern: str, *, goal: str | None = None, x_axis: str | None = None
    ) -> None:
        """Declare how a metric (or a glob such as ``val/*``) is summarised and plotted.

        ``goal``: which summary value matters, ``"min"``, ``"max"`` or ``"last"``.
        ``x_axis``: ``"step"`` (default), ``"time"`` or another metric key (``"epoch"``).
        """
        check_metric_pattern(pattern)
        axis = {"step": None, "time": "_time", "_time": "_time"}.get(
            x_axis if x_axis is not None else "step", x_axis
        )
        if axis not in (None, "_time") and key_problem(axis):
            raise InvalidKey(f"x_axis {x_axis!r} is not a metric key")
        self.record(
            {"type": "define_metric", "pattern": pattern, "goal": check_goal(goal), "x_axis": axis}
        )

    def _fetch_summary(self) -> dict[str, Any]:
        self.flush()
        return self._backend.get_run(self.id).summary

    def alert(self, title: str, text: str = "", level: str = "info") -> None:
        """Raise an alert: it shows in the UI's bell, and goes to the webhooks and
        e-mail of the project's ``alert`` rules (docs/alerts.md). ``level``: ``info``,
        ``warn`` or ``error``. Recorded in order with everything logged, never blocks;
        the same title again within the dedup window is counted, not raised."""
        from heron.alerts.base import check_alert_text, check_level, check_title

        event: AlertEvent = {
            "type": "alert",
            "title": check_title(title),
            "text": check_alert_text(text),
            "level": check_level(level),
            "time": time.time(),
        }
        self.record(event)

    # -- artifacts --------------------------------------------------------
    def _put_files(self, path: str | Path, prefix: str) -> list[FileEntry] | None:
        """The files' entries once their bytes are stored; None when the blob store
        refused them (a full or failing disk): noted in the run, training goes on."""
        from heron.artifacts.files import collect

        source = Path(path)
        if not source.exists():
            raise InvalidInput(f"no such file or folder: {source}")
        entries = []
        for rel, file in collect(source, prefix):
            try:
                blob = self._backend.put_blob(file)
            except (StoreError, OSError) as exc:
                self._not_stored(source, exc)
                return None
            entries.append(FileEntry(rel, blob.digest, blob.size))
        return entries

    def _not_stored(self, source: Path, exc: StoreError | OSError) -> None:
        """An artifact whose bytes could not be stored: warned (once per run), and
        listed in the run's ``system.heron.artifacts_not_stored``."""
        reason = exc.message if isinstance(exc, HeronError) else (exc.strerror or str(exc))
        self._lost_files.append(str(source))
        (log.warning if len(self._lost_files) == 1 else log.info)(
            "heron: %s was not stored in run %s (%s); training goes on and the run lists "
            "it in system.heron.artifacts_not_stored. Free some space and log it again.",
            source,
            self.id,
            reason,
        )
        self.record_system({"heron": {"artifacts_not_stored": list(self._lost_files)}})

    def save_file(self, path: str | Path, name: str | None = None) -> list[FileEntry]:
        """Store a file or folder among the run's own files (under ``name`` or its basename)."""
        source = Path(path)
        target = check_artifact_path(name or source.name)
        entries = self._put_files(source, target if source.is_dir() else "")
        if entries is None:  # not stored (a full disk): noted in the run
            return []
        if not source.is_dir():
            entries = [FileEntry(target, e.digest, e.size) for e in entries]
        for entry in entries:
            self.record_file(entry)
        return entries

    def record_file(self, entry: FileEntry) -> None:
        """Record a run file whose bytes are already stored (``backend.put_blob``)."""
        from heron.sdk.capture import reproducibility

        event: FileEvent = {"type": "file", "file": _file_fields(entry)}
        self.record(event)
        reproducibility.saw_file(self, entry.path)

    def log_artifact(
        self,
        path: str | Path,
        name: str | None = None,
        type: str | None = None,
        aliases: Sequence[str] = (),
        metadata: Mapping[str, Any] | None = None,
    ) -> str | list[FileEntry]:
        """Store a file or folder. With ``name``: a new version of that artifact
        (``name:v0``, ``v1``...; ``latest`` moves to it; identical content makes no new
        version) and its ref is returned. Without: it joins the run's own files."""
        if name is None:
            return self.save_file(path)
        return self._log_named(
            path,
            check_name(name, "artifact name"),
            type or "artifact",
            aliases,
            dict(metadata or {}),
            None,
        )

    def _log_named(
        self,
        path: str | Path,
        name: str,
        kind: str,
        aliases: Sequence[str],
        metadata: dict[str, Any],
        retention: Retention | None,
    ) -> str:
        source = Path(path)
        entries = self._put_files(source, "")
        if entries is None:  # not stored (a full disk): noted in the run, no new version
            return f"{name}:latest"
        event: ArtifactEvent = {
            "type": "artifact",
            "name": name,
            "artifact_type": kind,
            "files": [_file_fields(e) for e in entries],
            "aliases": [check_name(a, "alias") for a in aliases],
            "metadata": to_json_value("metadata", metadata),
            "time": _now(),
            "retention": retention,
            "single_file": source.is_file(),
        }
        self.record(event)
        return f"{name}:latest"

    def log_checkpoint(
        self,
        path: str | Path,
        step: int | None = None,
        metrics: Mapping[str, float] | None = None,
        *,
        keep_last: int = 3,
        keep_best: int = 1,
        metric: str | None = None,
        mode: str | None = None,
        name: str | None = None,
    ) -> str:
        """Store a checkpoint as a version of ``ckpt-<run id>`` (or ``name``) and apply
        the retention policy: the last ``keep_last`` versions and the best ``keep_best``
        by ``metric`` stay, the others are deleted and their bytes freed once nothing
        else references them. ``metric`` defaults to the first of ``metrics``; ``mode``
        to ``min`` for loss-like names (loss, err, mse...) and ``max`` otherwise."""
        values = {k: to_float(k, v) for k, v in (metrics or {}).items()}
        metric = metric or next(iter(values), None)
        if mode is None:
            mode = "min" if metric and any(w in metric.lower() for w in LOSS_LIKE) else "max"
        if mode != "min" and mode != "max":
            raise InvalidInput(f"mode must be 'min' or 'max', got {mode!r}")
        if keep_last < 0 or keep_best < 0 or keep_last + keep_best == 0:
            raise InvalidInput("keep_last and keep_best must be >= 0, and not both 0")
        ckpt_step = self.step - 1 if step is None else to_step(step)
        retention: Retention = {
            "keep_last": keep_last,
            "keep_best": keep_best if metric else 0,
            "metric": metric,
            "mode": "min" if mode == "min" else "max",
        }
        return self._log_named(
            path,
            check_name(name or f"ckpt-{self.id}", "artifact name"),
            "checkpoint",
            (),
            {"step": ckpt_step, "metrics": values},
            retention,
        )

    def use_artifact(self, ref: str) -> Path:
        """Record that this run uses ``ref`` (``name``, ``name:v3``, ``name:alias``) and
        return a local path to its content (the file, for a single-file artifact)."""
        version = self._backend.resolve_artifact(self.project, ref)
        self.record({"type": "use_artifact", "version_id": version.id, "time": _now()})
        return self.download(version)

    def download(self, version: ArtifactVersion) -> Path:
        """A local copy of ``version`` (cached): its file for a single-file artifact."""
        dest = cache_folder(self._cache_dir / "artifacts", version, f"artifact {version.ref}")
        return self._backend.download_artifact(version, dest)

    def use_dataset(self, path: str | Path, name: str | None = None) -> dict[str, Any]:
        """Record a dataset's content hash, file count and size (cached on mtime/size)."""
        from heron.sdk.capture import reproducibility
        from heron.sdk.capture.datasets import hash_dataset

        record = hash_dataset(Path(path), self._cache_dir / "datasets")
        data = record.to_dict()
        label = name or data.get("name") or Path(path).name
        data["name"] = label
        self.record({"type": "system", "patch": {"datasets": {label: data}}})
        reproducibility.saw_dataset(self, record.path)
        return data

    def record_system(self, patch: Mapping[str, Any]) -> None:
        """Merge facts into the run's system record (capture, seeds, datasets...)."""
        self.record({"type": "system", "patch": to_json_value("system", patch)})

    # -- lifecycle --------------------------------------------------------
    def flush(self, timeout: float | None = None) -> bool:
        """Block until everything logged so far is in the store. False on timeout."""
        if self._media is not None:  # media logged so far become spool records first
            self._media.drain()
        with self._lock:
            on_disk = self._writer.retry()  # False: the disk is full (records in memory)
            target = self._writer.pos
        if self._shipper is None or not on_disk:
            return False
        return self._shipper.flush(target, timeout)

    def finish(
        self,
        state: str = "finished",
        *,
        error: str | None = None,
        traceback: str | None = None,
        timeout: float | None = DEFAULT_FINISH_TIMEOUT,
    ) -> None:
        """End the run: record its state, ship everything, remove the spool."""
        if state not in TERMINAL_STATES or state == "crashed":
            raise InvalidInput(f"state must be finished, failed or killed, got {state!r}")
        before, self._before_end = self._before_end, []
        for callback in before:  # what is still being recorded (capture) goes first
            callback()
        console, self._console = self._console, None
        if console is not None:  # its last lines go before the state record
            console.stop()
        media, self._media = self._media, None
        if media is not None:  # so do the media still being encoded
            media.stop()
        ended: StateEvent = {
            "type": "state",
            "state": cast(Ended, state),
            "time": _now(),
            "error": error,
            "traceback": traceback,
        }
        with self._lock:
            if self._closed:
                return
            if traceback and self._backend.records:  # `heron runs logs` shows it too
                self._writer.write_event(
                    {
                        "type": "console",
                        "stream": "stderr",
                        "time": ended["time"],
                        "lines": traceback.rstrip("\n").split("\n"),
                    }
                )
            self._writer.write_event(ended)
            self._closed = True
            self.state = state
            if not self._writer.retry():
                warnings.warn(
                    f"heron: run {self.id}'s last records could not be written to its spool "
                    f"({self._writer.folder}: the disk is full) and are lost; the run will "
                    "be marked crashed. Free some space on that disk.",
                    RuntimeWarning,
                    stacklevel=2,
                )
        for callback in self._on_finish:
            callback()
        shipped = False
        if self._shipper is not None:
            self._shipper.stop(timeout)
            with self._lock:
                # A deleted run's records are refused: nothing to keep for heron sync.
                shipped = self._shipper.acked >= self._writer.pos or self._shipper.deleted
        folder = self._writer.folder
        if shipped:
            for segment in folder.glob("seg-*"):
                segment.unlink(missing_ok=True)
        self._writer.close()
        if shipped or self._shipper is None:  # else its thread may still be delivering
            self._backend.close()
        if shipped:
            shutil.rmtree(folder, ignore_errors=True)
        elif self._shipper is not None:
            warnings.warn(
                f"heron: run {self.id} could not be fully shipped; its records are kept in "
                f"{folder}. Run `heron sync` to ship them.",
                RuntimeWarning,
                stacklevel=2,
            )

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.finish()
        elif isinstance(exc, KeyboardInterrupt):
            self.finish("killed", error="KeyboardInterrupt")
        else:
            import traceback as tb_module

            self.finish(
                "failed",
                error=f"{type(exc).__name__}: {exc}",
                traceback="".join(tb_module.format_exception(exc_type, exc, tb)),
            )

    def before_end(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` first thing in ``finish``, before the run's state is
        recorded: work still recording into the run (init's capture thread) ends there."""
        self._before_end.append(callback)

    def on_finish(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` when the run ends, after its state is recorded and
        before the rest is shipped (callbacks run in the order they were added)."""
        self._on_finish.append(callback)

    def disown(self) -> None:
        """In a forked child (``os.register_at_fork``): this run belongs to the parent;
        logging here is refused with a clear error and nothing is shipped from here."""
        # No lock: another thread of the parent may have held it at the fork, and in
        # this process nobody will ever release it.
        self._forked = True
        self._closed = True
        if self._fast_log is not None:  # it never writes here again
            self._fast_log.disown()
        self._media = None  # its thread stayed in the parent
        console, self._console = self._console, None
        if console is not None:  # the child's prints are its own
            console.abandon()

    def __repr__(self) -> str:
        return f"<heron.Run {self.id} {self.name!r} project={self.project!r} {self.state}>"


def _is_media(value: Any) -> bool:
    """Whether ``value`` is a heron media value, without importing the media types
    (and numpy) when nobody has: then it cannot be one."""
    types = sys.modules.get("heron.media.types")
    return types is not None and isinstance(value, types.Media)


# (spool map, offset, step, time, the call's values) -> whether it wrote them
_ShapeWriter = Callable[[Any, int, int, float, Any], bool]


_PY_FAST_TYPES: frozenset[type] = frozenset({float, int, bool})


def _fast_types() -> frozenset[type]:
    """Value types that ``struct``'s ``d`` format reads as :func:`to_float` does
    (through ``__float__``): Python's numbers and numpy's real scalars (0-d always).
    Numpy is not imported for this: a value cannot be numpy's before it is loaded."""
    if "numpy" not in sys.modules:
        return _PY_FAST_TYPES
    return _numpy_fast_types()


@functools.cache
def _numpy_fast_types() -> frozenset[type]:
    import numpy as np

    return _PY_FAST_TYPES | frozenset(
        {np.bool_, np.float16, np.float32, np.float64, np.longdouble}
        | {np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64}
    )


@functools.lru_cache(maxsize=4096)
def _shape_writer(key_ids: tuple[int, ...], types: tuple[type, ...]) -> _ShapeWriter:
    """A function packing one call's values (in ``key_ids``' order) as SCALAR records
    in a single ``pack_into`` when they have ``types`` (else False, nothing written):
    the same bytes as one ``SCALAR.pack_into`` per value, each record's kind byte
    written after its fields (``heron.sdk.spool``)."""
    n = len(key_ids)
    names = [f"v{i}" for i in range(n)]
    fields = ", ".join(
        f"{v}, step, now, {key_id}, {KIND_SCALAR}" for v, key_id in zip(names, key_ids, strict=True)
    )
    checks = " or ".join(f"type({v}) is not t{i}" for i, v in enumerate(names))
    defaults = "".join(f", t{i}=t{i}" for i in range(n))
    source = (
        f"def write(mm, off, step, now, values, pack=pack{defaults}):\n"
        f"    {', '.join(names)}, = values\n"
        f"    if {checks}:\n"
        f"        return False\n"
        f"    pack(mm, off, {fields})\n"
        f"    return True\n"
    )
    namespace: dict[str, Any] = {"pack": struct.Struct("<" + SCALAR.format[1:] * n).pack_into}
    namespace.update({f"t{i}": t for i, t in enumerate(types)})
    exec(source, namespace)  # the source holds only names and ints made here
    return cast(_ShapeWriter, namespace["write"])


def _file_fields(entry: FileEntry) -> FileFields:
    return {"path": entry.path, "digest": entry.digest, "size": entry.size}


def _raise_combined(problems: list[HeronError]) -> None:
    message = "; ".join(p.message for p in problems)
    if len(problems) > 1:
        message = f"{len(problems)} values were not logged (the rest were): {message}"
    else:
        message = f"{message} (the other values of this call were logged)"
    if all(isinstance(p, InvalidValue) for p in problems):
        raise InvalidValue(message)
    raise InvalidKey(message)
