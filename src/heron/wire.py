"""How store objects travel over HTTP: JSON for control calls, a binary batch for ingest.

Server and client both use these functions, so a field is named and converted in
one place: each JSON object is declared once below as a ``TypedDict`` (the server's
OpenAPI document is made from these declarations, the web UI's TypeScript types from
that document), and one ``*_to_json`` / ``*_from_json`` pair per object encodes and
decodes it, typed against the declaration. Two rules:

- JSON cannot hold NaN or ±inf, and Heron keeps them, so every float that may be
  non-finite is written as the string ``"NaN"``, ``"Infinity"`` or ``"-Infinity"``
  (what JavaScript's ``Number()`` parses back). Metric values are read back as
  floats; a config value that was NaN comes back as that string.
- Anything decoded from a request is untrusted: malformed input raises
  :class:`~heron.errors.InvalidInput` saying what was wrong, never a KeyError.

The batch format (docs/rest-api.md)::

    b"HRNB1\\n"  uint32-le header length  header JSON  column bytes
    header = {"run_id", "seq", "events": [...], "metrics": [{"key", "n"}, ...]}
    (and "stream", the spool of the run it comes from, when not 0: store.base)
    per metric, in header order: steps int64-le[n], times float64-le[n], values float64-le[n]
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast

import numpy as np
from typing_extensions import TypeAliasType, TypedDict

from heron.artifacts.base import BlobInfo
from heron.errors import InvalidInput
from heron.keys import key_problem
from heron.states import RunState
from heron.store.base import (
    ArtifactVersion,
    Batch,
    ConsoleLine,
    ConsolePage,
    FileEntry,
    Float64Array,
    IngestResult,
    MediaItem,
    MediaKey,
    MetricSummary,
    ProjectInfo,
    ProjectKeys,
    RunInfo,
    RunSpec,
    RunTable,
    Series,
    SummaryGoal,
)
from heron.store.events import Event, check_event

BATCH_CONTENT_TYPE = "application/x-heron-batch"
BATCH_MAGIC = b"HRNB1\n"
MAX_HEADER_BYTES = 16 << 20
_HEADER_LEN = struct.Struct("<I")
_BYTES_PER_POINT = 8 * 3
_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}

__all__ = [
    "BATCH_CONTENT_TYPE",
    "Artifact",
    "Blob",
    "FileRef",
    "Ingested",
    "LogLine",
    "LogPage",
    "MediaItemRef",
    "MediaKeyRef",
    "Project",
    "ProjectKeyLists",
    "Run",
    "RunCount",
    "RunMetric",
    "RunPage",
    "RunsDeleted",
    "RunsTable",
    "SeriesPoints",
    "TableCell",
    "WireFloat",
    "artifact_from_json",
    "artifact_to_json",
    "blob_from_json",
    "blob_to_json",
    "console_from_json",
    "console_to_json",
    "count_from_json",
    "count_to_json",
    "decode_batch",
    "deleted_from_json",
    "deleted_to_json",
    "encode_batch",
    "file_from_json",
    "file_to_json",
    "float_from_json",
    "float_to_json",
    "floats_from_json",
    "floats_to_json",
    "history_from_json",
    "history_to_json",
    "ingested_from_json",
    "ingested_to_json",
    "jsonable",
    "keys_from_json",
    "keys_to_json",
    "media_item_from_json",
    "media_item_to_json",
    "media_key_from_json",
    "media_key_to_json",
    "project_from_json",
    "project_to_json",
    "run_from_json",
    "run_page_from_json",
    "run_page_to_json",
    "run_to_json",
    "series_from_json",
    "series_to_json",
    "spec_from_json",
    "spec_to_json",
    "table_from_json",
    "table_to_json",
]


# --- shapes: every JSON object of the REST API that the client reads --------------
# Declared once, here. ``TypedDict``s cost nothing at run time: the codecs below are
# typed against them (so mypy holds each encoder to its declaration), and pydantic
# reads them for the server's OpenAPI document. Names are the schema names.

WireFloat = TypeAliasType("WireFloat", float | Literal["NaN", "Infinity", "-Infinity"])
"""A float that may be non-finite: a JSON number, or the string ``"NaN"``,
``"Infinity"`` or ``"-Infinity"`` (JSON has no such numbers)."""

TableCell = TypeAliasType("TableCell", WireFloat | str | bool | list[Any] | dict[str, Any] | None)
"""A runs table cell: a config leaf, a metric value or a summary override; null when
the run lacks it."""


class RunMetric(TypedDict):
    """One metric key of a run: ``count`` points; the ``last`` value (at ``last_step``,
    ``last_time``); ``min`` and ``max`` (NaN ignored unless every value is NaN); the
    declared ``goal`` and ``x_axis`` (null: step, ``"_time"``: wall time, else another
    metric key); ``value``, what the runs table shows (last, min or max per goal)."""

    count: int
    last: WireFloat
    last_step: int
    last_time: float
    min: WireFloat
    max: WireFloat
    first_time: float
    goal: SummaryGoal
    x_axis: str | None
    value: WireFloat


class Run(TypedDict):
    """A run. ``config``, ``system``, ``summary`` (each metric's shown value, then the
    overrides on top) and ``summary_overrides`` hold JSON values, non-finite numbers
    spelled as strings. List answers leave ``system`` empty unless asked for it.
    ``duration``: seconds from creation to the end, or to the last heartbeat while
    running; ``ingested_seq``: the spool position of the last batch applied;
    ``created_by``: the server account that created it (None on a local store)."""

    id: str
    project: str
    name: str
    group: str | None
    state: RunState
    tags: list[str]
    notes: str
    config: dict[str, Any]
    system: dict[str, Any]
    metrics: dict[str, RunMetric]
    summary: dict[str, Any]
    summary_overrides: dict[str, Any]
    created_at: float
    ended_at: float | None
    heartbeat_at: float | None
    duration: float | None
    error: str | None
    traceback: str | None
    last_step: int | None
    ingested_seq: int
    created_by: str | None


class RunPage(TypedDict):
    """Runs in the order asked, and ``total``: how many match (limit and offset aside)."""

    runs: list[Run]
    total: int


class RunCount(TypedDict):
    count: int


class RunsDeleted(TypedDict):
    deleted: int


class Ingested(TypedDict):
    """A batch's receipt: ``seq``, the run's position after it; ``applied`` is false
    when the batch had been applied before (a retry: nothing changed)."""

    seq: int
    applied: bool


class RunsTable(TypedDict):
    """Runs as columns, one entry per run in sort order. ``total``: the runs matching
    the filter (limit and offset aside); ``columns``: each column asked for."""

    total: int
    ids: list[str]
    names: list[str]
    states: list[str]
    groups: list[str | None]
    tags: list[list[str]]
    created_at: list[float]
    durations: list[float | None]
    columns: dict[str, list[TableCell]]


class Project(TypedDict):
    name: str
    run_count: int
    created_at: float
    last_activity: float | None


class ProjectKeyLists(TypedDict):
    """What a project's runs hold, each list sorted: dotted ``config`` paths to leaves,
    ``metrics`` keys with at least one point, ``summary`` override keys, ``tags``."""

    config: list[str]
    metrics: list[str]
    summary: list[str]
    tags: list[str]


class FileRef(TypedDict):
    """A file of a run or an artifact version: its relative ``path`` ('/'-separated),
    the ``digest`` of its blob (``sha256:<hex>``) and its ``size`` in bytes."""

    path: str
    digest: str
    size: int


class Artifact(TypedDict):
    """A version of a named artifact (``ref``: ``name:vN``). ``digest`` identifies its
    content; ``created_by``/``used_by``: the runs that logged and used it;
    ``single_file``: logged from one file, which a download gives as such."""

    id: int
    project: str
    name: str
    version: int
    ref: str
    type: str
    digest: str
    size: int
    files: list[FileRef]
    aliases: list[str]
    metadata: dict[str, Any]
    created_by: str | None
    created_at: float
    used_by: list[str]
    single_file: bool


class Blob(TypedDict):
    digest: str
    size: int
    modified: float


class SeriesPoints(TypedDict):
    """One metric series at full fidelity, in log order: three columns of one length."""

    steps: list[int]
    times: list[float]
    values: list[WireFloat]


class LogLine(TypedDict):
    """A line a run printed: numbered 1, 2, 3... per run. ``partial``: not finished
    yet (its text may change); ``truncated``: cut at 64 KiB."""

    line: int
    stream: str  # "stdout" or "stderr"
    time: float
    text: str
    truncated: bool
    partial: bool


class LogPage(TypedDict):
    """Lines of a run's console in order; ``total`` is the number of the last line."""

    total: int
    lines: list[LogLine]


MediaKind = Literal["image", "histogram", "table", "text", "audio"]


class MediaKeyRef(TypedDict):
    """A key a run logged media under (docs/media.md): its ``kind``, how many steps
    (``count``) and the first and last of them."""

    key: str
    kind: MediaKind
    count: int
    first_step: int
    last_step: int


class MediaItemRef(TypedDict):
    """One media item at (``key``, ``step``): its blob ``digest`` (null for a
    histogram, whose ``edges``/``counts`` are in ``meta``), ``size`` in bytes, small
    ``meta`` (caption, width/height, boxes, mask, columns...), ``refs`` (other blobs it
    names: a mask, a table's image cells) and the wall ``time`` it was logged."""

    key: str
    step: int
    kind: MediaKind
    digest: str | None
    size: int
    meta: dict[str, Any]
    refs: list[str]
    time: float


# --- floats -----------------------------------------------------------------
def float_to_json(x: float) -> WireFloat:
    if math.isfinite(x):
        return x
    if math.isnan(x):
        return "NaN"
    return "Infinity" if x > 0 else "-Infinity"


def float_from_json(x: object, what: str = "value") -> float:
    if isinstance(x, bool):
        raise InvalidInput(f"{what} must be a number, got a boolean")
    if isinstance(x, int | float):
        return float(x)
    if isinstance(x, str) and x in _NONFINITE:
        return _NONFINITE[x]
    raise InvalidInput(f'{what} must be a number or "NaN"/"Infinity"/"-Infinity", got {x!r}')


def floats_to_json(values: Float64Array) -> list[WireFloat]:
    """A float array as a JSON list; fast when every value is finite (the usual case)."""
    out: list[WireFloat] = values.tolist()
    if not np.isfinite(values).all():
        for i in np.flatnonzero(~np.isfinite(values)).tolist():
            out[i] = float_to_json(float(values[i]))
    return out


def floats_from_json(values: object, what: str = "values") -> Float64Array:
    if not isinstance(values, list):
        raise InvalidInput(f"{what} must be a list of numbers")
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return np.array([float_from_json(v, what) for v in values], dtype=np.float64)


def jsonable(value: Any) -> Any:
    """``value`` with every non-finite float (at any depth) spelled as a string."""
    if isinstance(value, float):
        return float_to_json(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


# --- batches ------------------------------------------------------------------
def encode_batch(batch: Batch) -> bytes:
    metrics = list(batch.metrics.items())
    header = {
        "run_id": batch.run_id,
        "seq": batch.seq,
        "events": batch.events,
        "metrics": [{"key": key, "n": len(series)} for key, series in metrics],
    }
    if batch.stream:
        header["stream"] = batch.stream
    head = json.dumps(header, separators=(",", ":")).encode()
    parts = [BATCH_MAGIC, _HEADER_LEN.pack(len(head)), head]
    for _, series in metrics:
        parts.append(np.ascontiguousarray(series.steps, "<i8").tobytes())
        parts.append(np.ascontiguousarray(series.times, "<f8").tobytes())
        parts.append(np.ascontiguousarray(series.values, "<f8").tobytes())
    return b"".join(parts)


def decode_batch(data: bytes) -> Batch:
    """The batch in ``data``; InvalidInput when it is not a well-formed batch."""
    view = memoryview(data)
    start = len(BATCH_MAGIC) + _HEADER_LEN.size
    if len(data) < start or bytes(view[: len(BATCH_MAGIC)]) != BATCH_MAGIC:
        raise InvalidInput(
            f"not a Heron batch: the body must start with {BATCH_MAGIC!r} "
            f"(Content-Type {BATCH_CONTENT_TYPE}, see heron.wire.encode_batch)"
        )
    (head_len,) = _HEADER_LEN.unpack_from(data, len(BATCH_MAGIC))
    if head_len > MAX_HEADER_BYTES or start + head_len > len(data):
        raise InvalidInput(f"batch header length {head_len} exceeds the body")
    try:
        header = json.loads(bytes(view[start : start + head_len]))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"batch header is not valid JSON: {exc}") from None
    if not isinstance(header, dict):
        raise InvalidInput("batch header must be a JSON object")
    run_id, seq = header.get("run_id"), header.get("seq")
    if not isinstance(run_id, str) or not run_id:
        raise InvalidInput('batch header needs "run_id", a non-empty string')
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise InvalidInput('batch header needs "seq", an integer >= 0')
    stream = header.get("stream", 0)
    if not isinstance(stream, int) or isinstance(stream, bool) or not 0 <= stream < 1 << 31:
        raise InvalidInput('batch header "stream" must be an integer 0 to 2**31-1')
    events = _events(header.get("events", []))
    columns = _metric_columns(header.get("metrics", []))
    offset = start + head_len
    expected = offset + sum(n for _, n in columns) * _BYTES_PER_POINT
    if expected != len(data):
        raise InvalidInput(
            f"batch body is {len(data)} bytes but its header describes {expected}: "
            "truncated or corrupt"
        )
    metrics: dict[str, Series] = {}
    for key, n in columns:
        steps = np.frombuffer(data, "<i8", n, offset).astype(np.int64)
        times = np.frombuffer(data, "<f8", n, offset + 8 * n).astype(np.float64)
        values = np.frombuffer(data, "<f8", n, offset + 16 * n).astype(np.float64)
        offset += n * _BYTES_PER_POINT
        metrics[key] = Series(steps, times, values)
    return Batch(run_id=run_id, seq=seq, metrics=metrics, events=events, stream=stream)


def _events(raw: object) -> list[Event]:
    if not isinstance(raw, list):
        raise InvalidInput('batch "events" must be a list')
    events = []
    for i, event in enumerate(raw):
        try:
            events.append(check_event(event))
        except InvalidInput as exc:
            raise InvalidInput(f"batch event {i}: {exc.message}") from None
    return events


def _metric_columns(raw: object) -> list[tuple[str, int]]:
    if not isinstance(raw, list):
        raise InvalidInput('batch "metrics" must be a list of {"key", "n"}')
    columns: list[tuple[str, int]] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        key = item.get("key") if isinstance(item, dict) else None
        n = item.get("n") if isinstance(item, dict) else None
        problem = key_problem(key)
        if problem:
            raise InvalidInput(f"batch metric {i}: {problem}")
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise InvalidInput(f'batch metric {i} ({key!r}) needs "n", an integer >= 0')
        assert isinstance(key, str)
        if key in seen:
            raise InvalidInput(f"batch metric {key!r} appears twice")
        seen.add(key)
        columns.append((key, n))
    return columns


# --- store objects ------------------------------------------------------------
def _require(data: object, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{what} must be a JSON object")
    return data


def spec_to_json(spec: RunSpec) -> dict[str, Any]:
    return {
        "id": spec.id,
        "project": spec.project,
        "name": spec.name,
        "group": spec.group,
        "tags": list(spec.tags),
        "notes": spec.notes,
        "config": jsonable(spec.config),
        "system": jsonable(spec.system),
        "resume_key": spec.resume_key,
        "created_at": spec.created_at,
    }


def spec_from_json(data: object) -> RunSpec:
    raw = _require(data, "a run spec")
    for name in ("id", "project"):
        if not isinstance(raw.get(name), str):
            raise InvalidInput(f'a run spec needs "{name}", a string')
    for name in ("name", "group", "resume_key"):
        if raw.get(name) is not None and not isinstance(raw.get(name), str):
            raise InvalidInput(f'run spec "{name}" must be a string or null')
    for name in ("config", "system"):
        if not isinstance(raw.get(name, {}), dict):
            raise InvalidInput(f'run spec "{name}" must be an object')
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InvalidInput('run spec "tags" must be a list of strings')
    notes = raw.get("notes", "")
    if not isinstance(notes, str):
        raise InvalidInput('run spec "notes" must be a string')
    created_at = float_from_json(raw.get("created_at", 0.0), "created_at")
    return RunSpec(
        id=raw["id"],
        project=raw["project"],
        name=raw.get("name"),
        group=raw.get("group"),
        tags=tuple(tags),
        notes=notes,
        config=dict(raw.get("config", {})),
        system=dict(raw.get("system", {})),
        resume_key=raw.get("resume_key"),
        created_at=created_at,
    )


def _metric_to_json(m: MetricSummary) -> RunMetric:
    return {
        "count": m.count,
        "last": float_to_json(m.last),
        "last_step": m.last_step,
        "last_time": m.last_time,
        "min": float_to_json(m.min),
        "max": float_to_json(m.max),
        "first_time": m.first_time,
        "goal": m.goal,
        "x_axis": m.x_axis,
        "value": float_to_json(m.value),
    }


def _metric_from_json(key: str, m: Mapping[str, Any]) -> MetricSummary:
    return MetricSummary(
        key=key,
        count=int(m["count"]),
        last=float_from_json(m["last"]),
        last_step=int(m["last_step"]),
        last_time=float(m["last_time"]),
        min=float_from_json(m["min"]),
        max=float_from_json(m["max"]),
        first_time=float(m["first_time"]),
        goal=m.get("goal", "last"),
        x_axis=m.get("x_axis"),
    )


def run_to_json(info: RunInfo, include_system: bool = True) -> Run:
    return {
        "id": info.id,
        "project": info.project,
        "name": info.name,
        "group": info.group,
        "state": info.state,
        "tags": list(info.tags),
        "notes": info.notes,
        "config": jsonable(info.config),
        "system": jsonable(info.system) if include_system else {},
        "metrics": {k: _metric_to_json(m) for k, m in info.metrics.items()},
        "summary": jsonable(info.summary),
        "summary_overrides": jsonable(info.summary_overrides),
        "created_at": info.created_at,
        "ended_at": info.ended_at,
        "heartbeat_at": info.heartbeat_at,
        "duration": info.duration,
        "error": info.error,
        "traceback": info.traceback,
        "last_step": info.last_step,
        "ingested_seq": info.ingested_seq,
        "created_by": info.created_by,
    }


def run_from_json(data: object) -> RunInfo:
    raw = cast(Run, _require(data, "a run"))
    try:
        return RunInfo(
            id=raw["id"],
            project=raw["project"],
            name=raw["name"],
            group=raw.get("group"),
            state=raw["state"],
            tags=tuple(raw.get("tags", ())),
            notes=raw.get("notes", ""),
            config=dict(raw.get("config", {})),
            system=dict(raw.get("system", {})),
            metrics={k: _metric_from_json(k, m) for k, m in raw.get("metrics", {}).items()},
            summary_overrides=dict(raw.get("summary_overrides", {})),
            created_at=float(raw["created_at"]),
            ended_at=raw.get("ended_at"),
            heartbeat_at=raw.get("heartbeat_at"),
            error=raw.get("error"),
            traceback=raw.get("traceback"),
            last_step=raw.get("last_step"),
            ingested_seq=int(raw.get("ingested_seq", 0)),
            created_by=raw.get("created_by"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"malformed run object: {exc!r}") from None


def project_to_json(p: ProjectInfo) -> Project:
    return {
        "name": p.name,
        "run_count": p.run_count,
        "created_at": p.created_at,
        "last_activity": p.last_activity,
    }


def project_from_json(data: object) -> ProjectInfo:
    raw = cast(Project, _require(data, "a project"))
    return ProjectInfo(
        name=raw["name"],
        run_count=int(raw["run_count"]),
        created_at=float(raw["created_at"]),
        last_activity=raw.get("last_activity"),
    )


def file_to_json(f: FileEntry) -> FileRef:
    return {"path": f.path, "digest": f.digest, "size": f.size}


def file_from_json(data: object) -> FileEntry:
    raw = _require(data, "a file entry")
    path, digest, size = raw.get("path"), raw.get("digest"), raw.get("size")
    if not isinstance(path, str) or not isinstance(digest, str) or not isinstance(size, int):
        raise InvalidInput('a file entry needs "path" and "digest" strings and an integer "size"')
    return FileEntry(path=path, digest=digest, size=size)


def artifact_to_json(a: ArtifactVersion) -> dict[str, Any]:
    return {
        "id": a.id,
        "project": a.project,
        "name": a.name,
        "version": a.version,
        "ref": a.ref,
        "type": a.type,
        "digest": a.digest,
        "size": a.size,
        "files": [file_to_json(f) for f in a.files],
        "aliases": list(a.aliases),
        "metadata": jsonable(a.metadata),
        "created_by": a.created_by,
        "created_at": a.created_at,
        "used_by": list(a.used_by),
        "single_file": a.single_file,
    }


def artifact_from_json(data: object) -> ArtifactVersion:
    raw = _require(data, "an artifact version")
    try:
        metadata = dict(raw.get("metadata", {}))
        # A server older than the field answers the flag inside the metadata.
        legacy = metadata.pop("single_file", False) if "single_file" not in raw else False
        single_file = raw.get("single_file", bool(legacy))
        if not isinstance(single_file, bool):
            raise TypeError(f"single_file must be true or false, got {single_file!r}")
        return ArtifactVersion(
            id=int(raw["id"]),
            project=raw["project"],
            name=raw["name"],
            version=int(raw["version"]),
            type=raw["type"],
            digest=raw["digest"],
            size=int(raw["size"]),
            files=tuple(file_from_json(f) for f in raw["files"]),
            aliases=tuple(raw.get("aliases", ())),
            metadata=metadata,
            created_by=raw.get("created_by"),
            created_at=float(raw["created_at"]),
            used_by=tuple(raw.get("used_by", ())),
            single_file=single_file,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"malformed artifact version: {exc!r}") from None


def blob_to_json(b: BlobInfo) -> Blob:
    return {"digest": b.digest, "size": b.size, "modified": b.modified}


def blob_from_json(data: object) -> BlobInfo:
    raw = cast(Blob, _require(data, "a blob"))
    return BlobInfo(digest=raw["digest"], size=int(raw["size"]), modified=float(raw["modified"]))


def series_to_json(series: Series) -> SeriesPoints:
    return {
        "steps": series.steps.tolist(),
        "times": series.times.tolist(),
        "values": floats_to_json(series.values),
    }


def series_from_json(data: object) -> Series:
    raw = _require(data, "a series")
    steps = np.asarray(raw.get("steps", []), dtype=np.int64)
    times = np.asarray(raw.get("times", []), dtype=np.float64)
    values = floats_from_json(raw.get("values", []))
    if not len(steps) == len(times) == len(values):
        raise InvalidInput("a series needs steps, times and values of equal length")
    return Series(steps, times, values)


def history_to_json(found: Mapping[str, Series]) -> dict[str, SeriesPoints]:
    """``GET /runs/{id}/history`` as JSON: key -> its series."""
    return {key: series_to_json(series) for key, series in found.items()}


def history_from_json(data: object) -> dict[str, Series]:
    return {key: series_from_json(s) for key, s in _require(data, "a history").items()}


def media_key_to_json(k: MediaKey) -> MediaKeyRef:
    return {
        "key": k.key,
        "kind": k.kind,
        "count": k.count,
        "first_step": k.first_step,
        "last_step": k.last_step,
    }


def media_key_from_json(data: object) -> MediaKey:
    raw = _require(data, "a media key")
    return MediaKey(
        key=str(raw["key"]),
        kind=_media_kind(raw["kind"]),
        count=int(raw["count"]),
        first_step=int(raw["first_step"]),
        last_step=int(raw["last_step"]),
    )


def media_item_to_json(m: MediaItem) -> MediaItemRef:
    return {
        "key": m.key,
        "step": m.step,
        "kind": m.kind,
        "digest": m.digest,
        "size": m.size,
        "meta": m.meta,
        "refs": list(m.refs),
        "time": m.time,
    }


def media_item_from_json(data: object) -> MediaItem:
    raw = _require(data, "a media item")
    digest, meta, refs = raw["digest"], raw["meta"], raw["refs"]
    if digest is not None and not isinstance(digest, str):
        raise InvalidInput("a media item's digest is a string or null")
    if not isinstance(meta, dict) or not isinstance(refs, list):
        raise InvalidInput('a media item needs a "meta" object and a "refs" list')
    return MediaItem(
        key=str(raw["key"]),
        step=int(raw["step"]),
        kind=_media_kind(raw["kind"]),
        digest=digest,
        size=int(raw["size"]),
        meta=meta,
        refs=tuple(str(r) for r in refs),
        time=float(raw["time"]),
    )


def _media_kind(value: object) -> MediaKind:
    if value not in ("image", "histogram", "table", "text", "audio"):
        raise InvalidInput(f"unknown media kind {value!r}")
    return value  # narrowed to MediaKind by the test above


def console_to_json(page: ConsolePage) -> LogPage:
    return {
        "total": page.total,
        "lines": [
            {
                "line": line.line,
                "stream": line.stream,
                "time": line.time,
                "text": line.text,
                "truncated": line.truncated,
                "partial": line.partial,
            }
            for line in page.lines
        ],
    }


def console_from_json(data: object) -> ConsolePage:
    raw = _require(data, "a console page")
    lines = raw.get("lines")
    if not isinstance(lines, list):
        raise InvalidInput('a console page needs a "lines" list')
    try:
        parsed = [
            ConsoleLine(
                line=int(item["line"]),
                stream=str(item["stream"]),
                time=float(item["time"]),
                text=str(item["text"]),
                truncated=bool(item.get("truncated", False)),
                partial=bool(item.get("partial", False)),
            )
            for item in lines
        ]
        return ConsolePage(parsed, int(raw["total"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"a malformed console page: {exc!r}") from None


# --- answers of single routes -------------------------------------------------------
def _integer(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput(f"{what} must be an integer, got {value!r}")
    return value


def run_page_to_json(runs: Sequence[RunInfo], total: int, include_system: bool) -> RunPage:
    return {"runs": [run_to_json(r, include_system) for r in runs], "total": total}


def run_page_from_json(data: object) -> tuple[list[RunInfo], int]:
    """The runs of a ``GET /runs`` answer and how many match in all."""
    raw = cast(RunPage, _require(data, "a page of runs"))
    runs = raw.get("runs")
    if not isinstance(runs, list):
        raise InvalidInput('a page of runs needs a "runs" list')
    return [run_from_json(r) for r in runs], _integer(raw.get("total"), "a page's total")


def count_to_json(count: int) -> RunCount:
    return {"count": count}


def count_from_json(data: object) -> int:
    return _integer(cast(RunCount, _require(data, "a run count")).get("count"), "count")


def deleted_to_json(deleted: int) -> RunsDeleted:
    return {"deleted": deleted}


def deleted_from_json(data: object) -> int:
    return _integer(cast(RunsDeleted, _require(data, "a deletion")).get("deleted"), "deleted")


def ingested_to_json(result: IngestResult) -> Ingested:
    return {"seq": result.seq, "applied": result.applied}


def ingested_from_json(data: object) -> IngestResult:
    raw = cast(Ingested, _require(data, "a batch receipt"))
    applied = raw.get("applied")
    if not isinstance(applied, bool):
        raise InvalidInput(f'a batch receipt needs "applied", true or false, got {applied!r}')
    return IngestResult(seq=_integer(raw.get("seq"), "a batch receipt's seq"), applied=applied)


def keys_to_json(keys: ProjectKeys) -> ProjectKeyLists:
    return {
        "config": list(keys.config),
        "metrics": list(keys.metrics),
        "summary": list(keys.summary),
        "tags": list(keys.tags),
    }


def keys_from_json(data: object) -> ProjectKeys:
    raw = cast(ProjectKeyLists, _require(data, "a project's keys"))
    try:
        return ProjectKeys(
            config=tuple(raw["config"]),
            metrics=tuple(raw["metrics"]),
            summary=tuple(raw["summary"]),
            tags=tuple(raw["tags"]),
        )
    except (KeyError, TypeError) as exc:
        raise InvalidInput(f"malformed project keys: {exc!r}") from None


def table_to_json(table: RunTable) -> RunsTable:
    return {
        "total": table.total,
        "ids": table.ids,
        "names": table.names,
        "states": table.states,
        "groups": table.groups,
        "tags": table.tags,
        "created_at": table.created_at,
        "durations": table.durations,
        "columns": {name: jsonable(values) for name, values in table.columns.items()},
    }


def table_from_json(data: object) -> RunTable:
    """A runs table; cells spelled ``"NaN"``/``"Infinity"``/``"-Infinity"`` come back
    as floats (a config string with that very text too: the wire cannot tell them apart)."""
    raw = cast(RunsTable, _require(data, "a runs table"))
    try:
        return RunTable(
            total=int(raw["total"]),
            ids=list(raw["ids"]),
            names=list(raw["names"]),
            states=list(raw["states"]),
            groups=list(raw["groups"]),
            tags=[list(t) for t in raw["tags"]],
            created_at=[float(t) for t in raw["created_at"]],
            durations=list(raw["durations"]),
            columns={name: [_cell(v) for v in cells] for name, cells in raw["columns"].items()},
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidInput(f"malformed runs table: {exc!r}") from None


def _cell(value: object) -> object:
    return _NONFINITE[value] if isinstance(value, str) and value in _NONFINITE else value
