"""Spool events: everything a run records besides metric points, each declared once.

The SDK writes them (``heron.sdk``: into the spool, as JSON); the store applies them
(``heron.store.ingest``); the wire carries them inside a batch (``heron.wire``). They
are ``TypedDict``s, plain dicts at run time, so the JSON on disk and on the wire is
what it always was and spools written by any earlier version still ship.

Keys a reader can do without (older writers left some out) are optional here; the
SDK writes every key. :func:`check_event` is the one gate an untrusted dict (a spool
record read back, a batch from the network) passes before it is used as an
:data:`Event`: a known ``type`` and that type's required keys, else InvalidInput.
The values themselves are checked where they are applied (``store/ingest.py``).
"""

# No ``from __future__ import annotations``: the classes' annotations are read at
# import time (``EVENT_CLASSES`` below).

from typing import Any, Literal, TypedDict, cast, get_args

from heron.errors import InvalidInput

__all__ = [
    "EVENT_CLASSES",
    "EVENT_TYPES",
    "AlertEvent",
    "ArtifactEvent",
    "ConfigEvent",
    "ConsoleEvent",
    "CreateEvent",
    "DefineMetricEvent",
    "Event",
    "EventType",
    "FileEvent",
    "FileFields",
    "MediaEvent",
    "NotesEvent",
    "Retention",
    "RunSpecFields",
    "StateEvent",
    "SummaryEvent",
    "SystemEvent",
    "TagsEvent",
    "UseArtifactEvent",
    "check_event",
]

# --- shapes inside events ------------------------------------------------------------


class FileFields(TypedDict):
    """A file of a run or an artifact version: the fields of ``store.base.FileEntry``."""

    path: str  # relative, "/"-separated
    digest: str  # "sha256:<hex>"
    size: int


class _RunSpecRequired(TypedDict):
    project: str


class RunSpecFields(_RunSpecRequired, total=False):
    """The fields of ``store.base.RunSpec`` (``id`` left out: the batch's run)."""

    id: str
    name: str | None
    group: str | None
    tags: list[str]
    notes: str
    config: dict[str, Any]
    system: dict[str, Any]
    resume_key: str | None
    created_at: float
    created_by: str | None  # set by the service (the account that ships it), never a client


class Retention(TypedDict):
    """Checkpoint retention: keep the last ``keep_last`` versions and the best
    ``keep_best`` by ``metric`` (``mode`` min or max); free the others."""

    keep_last: int
    keep_best: int
    metric: str | None
    mode: Literal["min", "max"]


# --- the events ----------------------------------------------------------------------


class CreateEvent(TypedDict):
    """The run's first record: creates it in the store when shipped (idempotent)."""

    type: Literal["create"]
    spec: RunSpecFields


class ConfigEvent(TypedDict):
    """Deep-merged into the run's config."""

    type: Literal["config"]
    patch: dict[str, Any]


class _TagsRequired(TypedDict):
    type: Literal["tags"]


class TagsEvent(_TagsRequired, total=False):
    add: list[str]
    remove: list[str]


class _NotesRequired(TypedDict):
    type: Literal["notes"]


class NotesEvent(_NotesRequired, total=False):
    text: str  # markdown


class _SummaryRequired(TypedDict):
    type: Literal["summary"]


class SummaryEvent(_SummaryRequired, total=False):
    """The user's own summary entries: ``set`` overrides, ``unset`` drops overrides."""

    set: dict[str, Any]
    unset: list[str]


class _DefineMetricRequired(TypedDict):
    type: Literal["define_metric"]
    pattern: str  # a key or a glob: "val/*"


class DefineMetricEvent(_DefineMetricRequired, total=False):
    goal: Literal["last", "min", "max"] | None
    x_axis: str | None  # another key ("epoch"), "_time", or None: the step


class SystemEvent(TypedDict):
    """Deep-merged into the run's system record (capture, seeds, datasets)."""

    type: Literal["system"]
    patch: dict[str, Any]


class _StateRequired(TypedDict):
    type: Literal["state"]
    state: Literal["running", "finished", "failed", "killed", "pruned"]  # running: a resume


class StateEvent(_StateRequired, total=False):
    time: float
    error: str | None
    traceback: str | None


class _FileRequired(TypedDict):
    type: Literal["file"]
    file: FileFields


class FileEvent(_FileRequired, total=False):
    """A run file (an unnamed artifact); its blob was stored before the record."""

    time: float


class _ArtifactRequired(TypedDict):
    type: Literal["artifact"]
    name: str


class ArtifactEvent(_ArtifactRequired, total=False):
    """A new version of artifact ``name`` (no new version for identical content).
    ``single_file``: logged from one file, so a download gives the file itself (an
    older SDK said so with a ``single_file`` key inside ``metadata``)."""

    artifact_type: str
    files: list[FileFields]
    aliases: list[str]
    metadata: dict[str, Any]
    time: float
    retention: Retention | None
    single_file: bool


class _UseArtifactRequired(TypedDict):
    type: Literal["use_artifact"]
    version_id: int


class UseArtifactEvent(_UseArtifactRequired, total=False):
    time: float


class _ConsoleRequired(TypedDict):
    type: Literal["console"]
    stream: Literal["stdout", "stderr"]
    time: float
    lines: list[str]  # printed lines, without their newlines


class ConsoleEvent(_ConsoleRequired, total=False):
    """Lines a run printed. ``open``: the last line is not finished (a snapshot: a
    later event's first line, marked ``cont``, replaces its text). ``truncated``:
    indexes of lines the SDK cut."""

    truncated: list[int]
    open: bool
    cont: bool


class _AlertRequired(TypedDict):
    type: Literal["alert"]
    title: str


class AlertEvent(_AlertRequired, total=False):
    """``run.alert(title, text, level)``: recorded and delivered by the service
    (``heron.alerts``), which checks the fields; the store keeps nothing of it."""

    text: str
    level: Literal["info", "warn", "error"]
    time: float


class _MediaRequired(TypedDict):
    type: Literal["media"]
    key: str  # a metric-style key (heron.keys)
    step: int
    kind: Literal["image", "histogram", "table", "text", "audio"]


class MediaEvent(_MediaRequired, total=False):
    """A media item logged at (key, step) (``heron.media``); a later one at the same
    (key, step) replaces it. ``digest``: its blob (None for a histogram, whose bins are
    in ``meta``); ``refs``: other blobs it names (a mask, a table's image cells). Its
    blobs were stored before the record."""

    digest: str | None
    size: int
    refs: list[str]
    meta: dict[str, Any]
    time: float


Event = (
    CreateEvent
    | ConfigEvent
    | TagsEvent
    | NotesEvent
    | SummaryEvent
    | DefineMetricEvent
    | SystemEvent
    | StateEvent
    | FileEvent
    | ArtifactEvent
    | UseArtifactEvent
    | ConsoleEvent
    | AlertEvent
    | MediaEvent
)

EventType = Literal[
    "create",
    "config",
    "tags",
    "notes",
    "summary",
    "define_metric",
    "system",
    "state",
    "file",
    "artifact",
    "use_artifact",
    "console",
    "alert",
    "media",
]


EVENT_CLASSES: dict[str, type] = {}
"""Each event's class by its ``type``."""
_REQUIRED: dict[str, frozenset[str]] = {}  # each type's required keys ("type" too)
for _cls in get_args(Event):
    _kind = get_args(_cls.__annotations__["type"])[0]
    EVENT_CLASSES[_kind], _REQUIRED[_kind] = _cls, frozenset(_cls.__required_keys__)

EVENT_TYPES: frozenset[str] = frozenset(EVENT_CLASSES)
assert frozenset(get_args(EventType)) == EVENT_TYPES


def check_event(raw: object) -> Event:
    """``raw`` as an :data:`Event`: a dict whose ``type`` is known and that has that
    type's required keys. InvalidInput says what is wrong otherwise."""
    if not isinstance(raw, dict):
        raise InvalidInput(f'an event must be an object with a "type", got {_short(raw)}')
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in EVENT_CLASSES:
        raise InvalidInput(
            f"unknown event type {_short(kind)}; expected one of {', '.join(sorted(EVENT_TYPES))}"
        )
    missing = sorted(_REQUIRED[kind] - raw.keys())
    if missing:
        raise InvalidInput(f"a {kind!r} event needs {', '.join(map(repr, missing))}")
    return cast(Event, raw)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
