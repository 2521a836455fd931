"""Request bodies: pydantic models, the single source of validation and of the OpenAPI
schema. Wire formats of store objects (runs, artifacts) stay in ``heron.wire``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from heron.service import MAX_BULK_RUNS

MAX_BUCKETS = 20_000
MAX_SERIES_RUNS = 1_000


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Heartbeat(_Body):
    at: float


class CrashReport(_Body):
    at: float
    reason: Annotated[str, Field(max_length=10_000)]


class RunPatch(_Body):
    name: str | None = None
    notes: str | None = None
    add_tags: list[str] = []
    remove_tags: list[str] = []


class DeleteRuns(_Body):
    ids: Annotated[list[str], Field(max_length=100_000)]
    force: bool = False


class BulkRuns(_Body):
    """One action on many runs of a project: those in ``ids``, or those matching
    ``filter`` ("" for every run), less ``exclude``."""

    action: Literal["add_tags", "remove_tags", "delete"]
    ids: Annotated[list[str], Field(max_length=MAX_BULK_RUNS)] | None = None
    filter: Annotated[str, Field(max_length=100_000)] | None = None
    exclude: Annotated[list[str], Field(max_length=MAX_BULK_RUNS)] = []
    tags: Annotated[list[str], Field(max_length=100)] = []
    force: bool = False  # delete running runs too
    dry_run: bool = False  # only count what the call would change


class TableQuery(_Body):
    project: str | None = None
    filter: str | None = None
    order_by: list[str] = []
    columns: Annotated[list[str], Field(max_length=1_000)] = []
    limit: Annotated[int, Field(ge=0)] | None = None
    offset: Annotated[int, Field(ge=0)] = 0


class SeriesQuery(_Body):
    runs: Annotated[list[str], Field(min_length=1, max_length=MAX_SERIES_RUNS)]
    keys: Annotated[list[str], Field(min_length=1, max_length=1_000)]
    x_axis: str = "step"
    buckets: Annotated[int, Field(ge=1, le=MAX_BUCKETS)] = 1000
    x_min: float | None = None
    x_max: float | None = None


XAxis = Literal["step", "time", "relative_time"]
