"""The REST API's shapes that only the server knows, each declared once.

Request bodies are pydantic models: the single source of validation (unknown fields
are 422) and of their OpenAPI schemas. Answers the server alone writes (charts, bulk
results, probes) are ``TypedDict``s like those of ``heron.wire``, which declares every
answer a client reads back (runs, artifacts...). The schema names are the class names.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from heron.service import MAX_BULK_RUNS
from heron.wire import WireFloat

MAX_BUCKETS = 20_000
MAX_SERIES_RUNS = 1_000


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- request bodies -------------------------------------------------------------------
class RunSpec(_Body):
    """What the SDK knows about a run when it starts it (``heron.wire.spec_to_json``).
    Idempotent on ``id`` (10 characters of ``[a-z0-9]``): creating an existing run
    answers it unchanged. ``name`` null: the server picks a unique one; ``resume_key``
    names "this script" for ``resume="auto"``."""

    id: str
    project: str
    name: str | None = None
    group: str | None = None
    tags: list[str] = []
    notes: str = ""
    config: dict[str, Any] = {}
    system: dict[str, Any] = {}
    resume_key: str | None = None
    created_at: float = 0.0


class Heartbeat(_Body):
    """The run's process is alive ``at`` this time."""

    at: float


class CrashReport(_Body):
    """A dead process found by ``heron sync``: when, and why it is thought dead."""

    at: float
    reason: Annotated[str, Field(max_length=10_000)]


class RunPatch(_Body):
    """Fields left out stay as they are."""

    name: str | None = None
    notes: str | None = None
    add_tags: list[str] = []
    remove_tags: list[str] = []


class DeleteRuns(_Body):
    """``force``: delete running runs too (409 otherwise)."""

    ids: Annotated[list[str], Field(max_length=100_000)]
    force: bool = False


class BulkRuns(_Body):
    """One action on many runs of a project: those in ``ids``, or those matching
    ``filter`` ("" for every run), less ``exclude``. ``force``: delete running runs
    too; ``dry_run``: only count what the call would change."""

    action: Literal["add_tags", "remove_tags", "delete"]
    ids: Annotated[list[str], Field(max_length=MAX_BULK_RUNS)] | None = None
    filter: Annotated[str, Field(max_length=100_000)] | None = None
    exclude: Annotated[list[str], Field(max_length=MAX_BULK_RUNS)] = []
    tags: Annotated[list[str], Field(max_length=100)] = []
    force: bool = False
    dry_run: bool = False


class TableQuery(_Body):
    """Which runs (``project``, ``filter``), in which order, which ``columns``
    (``config.<path>``, ``metrics.<key>``, ``summary.<key>``,
    ``min|max|last|count(metrics.<key>)``) and which page (no ``limit``: every run)."""

    project: str | None = None
    filter: str | None = None
    order_by: list[str] = []
    columns: Annotated[list[str], Field(max_length=1_000)] = []
    limit: Annotated[int, Field(ge=0)] | None = None
    offset: Annotated[int, Field(ge=0)] = 0


class SeriesQuery(_Body):
    """Series of ``runs`` x ``keys`` against ``x_axis`` (``step``, ``time``,
    ``relative_time`` or another metric key), at most ``buckets`` buckets each over
    ``[x_min, x_max]`` (null: the whole range)."""

    runs: Annotated[list[str], Field(min_length=1, max_length=MAX_SERIES_RUNS)]
    keys: Annotated[list[str], Field(min_length=1, max_length=1_000)]
    x_axis: str = "step"
    buckets: Annotated[int, Field(ge=1, le=MAX_BUCKETS)] = 1000
    x_min: float | None = None
    x_max: float | None = None


# --- answers only the server writes -------------------------------------------------
class NonFinitePoints(TypedDict):
    """The NaN and ±inf points of a series, at their x (when sampled, at most one per
    bucket and kind)."""

    x: list[WireFloat]
    y: list[WireFloat]


class ChartSeries(TypedDict):
    """One run's series of one key, downsampled: ``total`` points in all; ``sampled``
    false when every point came back (then ``min`` = ``max`` = ``y``). Each bucket gives
    the mean ``y`` at its mean ``x`` and its ``min`` and ``max``."""

    run: str
    key: str
    total: int
    sampled: bool
    x: list[WireFloat]
    y: list[WireFloat]
    min: list[WireFloat]
    max: list[WireFloat]
    nonfinite: NonFinitePoints


class Chart(TypedDict):
    """One entry per run and key, runs in the order asked."""

    series: list[ChartSeries]


class BulkFailure(TypedDict):
    """A run a bulk action could not change, with the HTTP status it would have had."""

    id: str
    status: int
    detail: str


class BulkResult(TypedDict):
    """``matched``: the runs found; ``running``: how many of them are running;
    ``done``: how many changed; ``limit``: the most one call may change."""

    action: Literal["add_tags", "remove_tags", "delete"]
    matched: int
    running: int
    done: int
    failed: list[BulkFailure]
    limit: int


class Health(TypedDict):
    status: Literal["ok"]


class Ready(TypedDict):
    status: Literal["ready"]
