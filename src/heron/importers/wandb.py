"""``heron import wandb DIR``: W&B offline runs (``wandb/offline-run-*`` folders) into
Heron.

A run folder holds ``run-<id>.wandb`` (every record the run made, as ``wandb``'s own
protocol buffers, ``wandb.proto.wandb_internal_pb2.Record``) and ``files/``. The
records are decoded with the ``wandb`` package's message classes; the framing around
them is LevelDB's log format with W&B's 7-byte file header (``:W&B``, magic, version),
which :func:`records` reads (wandb 0.19+ no longer ships a Python reader: its Go core
writes these files). A corrupt block stops the read with InvalidInput naming the file.

What lands where: the run's W&B id (``wandb-<id>``), name, tags, notes, group and
project (unless ``--project``); its config (``value_json`` of each item, W&B's own
``_wandb`` key left out); history rows as metric points at their ``_step`` with their
``_timestamp`` (numbers only; other values are listed as skipped); the summary's
values that are not a metric's last value as summary overrides; every file under
``files/`` as the run's files; exit code 0 finished, else failed.
Idempotent and resumable: see :mod:`heron.importers.base`.
"""

from __future__ import annotations

import json
import math
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from heron.errors import HeronError, InvalidInput, NotFound
from heron.importers.base import (
    DONE_SEQ,
    SILENT,
    ImportReport,
    Progress,
    RunWriter,
    is_label,
    project_name,
    source_id,
)
from heron.keys import key_problem
from heron.service import Tracking
from heron.store.base import Event, RunSpec

_HEADER = struct.Struct("<4sHB")  # ":W&B", magic, version
_RECORD = struct.Struct("<IHB")  # crc32, length, type
_BLOCK = 32768
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


def records(path: Path) -> Iterator[bytes]:
    """The payloads of a ``.wandb`` file, in order."""
    data = path.read_bytes()
    if len(data) < _HEADER.size or _HEADER.unpack_from(data)[0] != b":W&B":
        raise InvalidInput(f"{path} is not a W&B run file (no :W&B header)")
    pos = _HEADER.size
    pending = b""
    while pos + _RECORD.size <= len(data):
        left_in_block = _BLOCK - pos % _BLOCK
        if left_in_block < _RECORD.size:  # the block's tail is padding
            pos += left_in_block
            continue
        crc, length, kind = _RECORD.unpack_from(data, pos)
        if kind == 0 and length == 0:  # zero fill: the file ends (or is preallocated)
            pos += left_in_block
            continue
        body = data[pos + _RECORD.size : pos + _RECORD.size + length]
        if len(body) < length or zlib.crc32(body, zlib.crc32(bytes([kind]))) & 0xFFFFFFFF != crc:
            raise InvalidInput(
                f"{path}: a damaged record at byte {pos}; the records before it are readable"
            )
        pos += _RECORD.size + length
        if kind == _FULL:
            yield body
        elif kind == _FIRST:
            pending = body
        elif kind == _MIDDLE:
            pending += body
        elif kind == _LAST:
            yield pending + body
            pending = b""
        else:
            raise InvalidInput(f"{path}: unknown record type {kind} at byte {pos}")


def run_folders(folder: Path) -> list[Path]:
    """``folder`` itself when it is a run folder, else the run folders under it."""
    if list(folder.glob("run-*.wandb")):
        return [folder]
    return sorted(p.parent for p in folder.rglob("run-*.wandb"))


def import_wandb(
    tracking: Tracking, folder: Path, *, project: str | None = None, progress: Progress = SILENT
) -> ImportReport:
    try:
        from wandb.proto import wandb_internal_pb2
    except ImportError:
        raise InvalidInput("reading W&B runs needs wandb: pip install 'heron[wandb]'") from None
    report = ImportReport()
    folders = run_folders(folder.resolve())
    progress.start(len(folders))
    for run_folder in folders:
        progress.run_started(run_folder.name)
        try:
            _import_run(tracking, run_folder, project, report, progress, wandb_internal_pb2)
        except HeronError as e:
            report.failed.append(f"{run_folder.name}: {e.message}")
        progress.run_done()
    return report


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _import_run(
    tracking: Tracking,
    folder: Path,
    project: str | None,
    report: ImportReport,
    progress: Progress,
    pb: Any,
) -> None:
    [path] = sorted(folder.glob("run-*.wandb"))[:1]
    wandb_id = path.stem.removeprefix("run-")
    run_id = source_id("wandb-", f"wandb-{wandb_id}", "wandb", wandb_id)
    try:
        if tracking.get_run(run_id).ingested_seq >= DONE_SEQ:
            report.runs_skipped += 1
            return
    except NotFound:
        pass
    run: Any = None
    config: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    summary: dict[str, Any] = {}
    exit_code: int | None = None
    for payload in records(path):
        record = pb.Record()
        record.ParseFromString(payload)
        kind = record.WhichOneof("record_type")
        if kind == "run":
            run = record.run
            for item in run.config.update:
                config[_key(item)] = _value(item.value_json)
        elif kind == "config":
            for item in record.config.update:
                config[_key(item)] = _value(item.value_json)
            for item in record.config.remove:
                config.pop(_key(item), None)
        elif kind == "history":
            rows.append({_key(item): _value(item.value_json) for item in record.history.item})
        elif kind == "summary":
            for item in record.summary.update:
                summary[_key(item)] = _value(item.value_json)
        elif kind == "exit":
            exit_code = record.exit.exit_code
    config.pop("_wandb", None)
    if run is None:
        raise InvalidInput(f"{path} holds no run record")
    labels = [t for t in run.tags if is_label(t)]
    spec = RunSpec(
        id=run_id,
        project=project or project_name(run.project or "wandb", "wandb"),
        name=(run.display_name or wandb_id)[:256],
        group=run.run_group or None,
        tags=tuple(labels),
        notes=run.notes,
        config=config,
        system={"wandb": {"id": wandb_id, "entity": run.entity, "host": run.host}},
        created_at=run.start_time.ToMicroseconds() / 1e6 if run.HasField("start_time") else 0.0,
    )
    writer = RunWriter(tracking, spec, report)
    writer.done_before()
    series: dict[str, tuple[list[int], list[float], list[float]]] = {}
    odd: set[str] = set()
    last_time = spec.created_at
    for i, row in enumerate(rows):
        step = row.get("_step", i)
        at = row.get("_timestamp", spec.created_at)
        last_time = max(last_time, float(at))
        for key, value in row.items():
            if key.startswith("_"):
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or key_problem(key):
                odd.add(key)
                continue
            steps, times, values = series.setdefault(key, ([], [], []))
            steps.append(int(step))
            times.append(float(at))
            values.append(float(value))
    for key in sorted(series):
        steps, times, values = series[key]
        writer.send_points(key, steps, times, values, progress.points)
    for key in sorted(odd):
        report.skipped.append(f"{folder.name}: history {key!r} (not a number, or not a valid key)")
    overrides = {
        k: v
        for k, v in summary.items()
        if not k.startswith("_")
        and not (k in series and isinstance(v, (int, float)) and _same(v, series[k][2][-1]))
        and (isinstance(v, (str, bool)) or (isinstance(v, (int, float)) and math.isfinite(v)))
    }
    events: list[Event] = []
    if overrides:
        events.append({"type": "summary", "set": overrides})
    files = folder / "files"
    if files.is_dir():
        for file in sorted(p for p in files.rglob("*") if p.is_file()):
            events.append(writer.file_event(file, file.relative_to(files).as_posix()))
    state = "finished" if exit_code in (0, None) else "failed"
    events.append({"type": "state", "state": state, "time": last_time})  # type: ignore[typeddict-item]
    writer.finish(events)


def _key(item: Any) -> str:
    """An item's key: ``key``, or its ``nested_key`` parts joined with "/"."""
    return str(item.key) if item.key else "/".join(item.nested_key)


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))
