"""The Store contract: what every storage backend of Heron promises.

Identity
    A *project* is identified by its name (1-128 characters, see ``heron.keys``).
    A *run* by its id: 10 characters of ``[a-z0-9]`` chosen by the client
    (``heron.ids.new_run_id``), unique across the store. Run names are labels: the
    store makes default names unique within a project, user names may repeat.
    A *metric series* is identified by (run id, key). Keys follow ``heron.keys``.

Steps and order
    Points of a series are kept in the order they were logged. Steps may repeat or
    go back; nothing is dropped or reordered. ``history`` returns them in log order.

Chart reads (level of detail)
    Besides points, the store keeps a summary of every block of consecutive points
    of a series (``heron.store.lod.BLOCK`` of them, in log order): count, x extent,
    and sum, min and max of the finite values. ``block_summaries`` returns them for
    many series in a few queries; ``block_points`` returns the exact points of chosen
    blocks (non-finite values, blocks cut by a range). A chart of a million points
    reads ~16k summaries instead of decoding a million points; what it may do with
    them is ``heron.server.downsample``'s business.

Values
    Metric values are float64. NaN, +inf and -inf are kept exactly and come back as
    such (in SQL columns that cannot hold NaN, the implementation encodes it; callers
    never see the encoding). Config and summary values keep their JSON types: a
    number filters and sorts as a number.

Ingest is exactly-once
    The SDK writes everything it logs into an append-only spool; a shipper cuts the
    spool into :class:`Batch` es, each stamped with ``seq``, the spool position just
    past its last record. Positions grow strictly. :meth:`Store.ingest` applies a
    batch atomically and records ``seq`` for the run in the same transaction; a batch
    whose ``seq`` is not beyond what the run already has is acknowledged and skipped.
    A retry therefore never duplicates, whatever the transport. A run may take batches
    from more than one spool (the ranks of a distributed job, ``heron.sdk.distributed``):
    ``Batch.stream`` names the spool, 0 the run's own, and each stream has its own
    seq (stream k's in the run's system record, ``distributed.streams.<k>``).

Summary
    For every metric key the store keeps count, last value/step/time, min and max
    (NaN ignored unless every value is NaN), and the *value* that the runs table
    shows: ``last`` unless the key's declared goal is ``min`` or ``max``. A summary
    override (``run.summary[k] = v``) wins over the computed value and may name a key
    that is not a metric.

Console
    What a run printed (``heron.sdk.capture.console``) is kept as numbered lines: 1,
    2, 3... per run, contiguous, assigned at ingest in spool order (so exactly once and
    the same on every retry), never renumbered. Each line has its stream (``stdout`` or
    ``stderr``), the wall time it was printed and its text (at most
    :data:`CONSOLE_MAX_LINE_BYTES` of UTF-8; longer lines are cut and marked
    ``truncated``). A *partial* line is one the script has not finished (a progress
    bar being redrawn, or one cut off by a crash): the store may rewrite its text later
    (``"cont"`` events), so a follower asks again from before its first partial line.

Concurrency
    Any number of processes and threads may ingest into one store at once, for
    different runs or (via different shippers) the same run, without a "database
    is locked" failure: writers wait for each other.

Capabilities
    :class:`RunStore` is what every client needs (create, ingest, read, edit, delete)
    and is implemented in full by ``SqlStore`` and by ``RemoteStore`` (over the REST
    API). :class:`MaintenanceStore` (stale and changed runs, referenced blobs) and
    :class:`BlockReads` (chart reads over block summaries) are for processes beside
    the database only: ``SqlStore`` has them, a server's client does not need them.
    :class:`Store` is all three, the whole SQL capability the server is given.
    One contract suite per protocol runs against every implementation
    (``tests/store/test_store_contract*.py``, ``tests/store/test_maintenance_contract.py``).

Errors
    Every failure is a ``heron.errors.HeronError`` whose message says what to do:
    ``NotFound`` for a missing run, project or artifact; ``InvalidInput`` for a
    malformed argument (including a filter, see ``heron.query``); ``StoreError``
    when the store cannot be opened, migrated or read (a damaged database file, a
    corrupt metric chunk); ``Unavailable`` when a server cannot be reached.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from typing_extensions import TypedDict, Unpack

from heron.states import RunState
from heron.store.events import Event as Event  # re-exported (heron.store)
from heron.store.records import MetricSummary as MetricSummary  # re-exported
from heron.store.records import RunInfo as RunInfo  # re-exported
from heron.store.records import SummaryGoal as SummaryGoal  # re-exported

if TYPE_CHECKING:  # numpy is imported where arrays are made: `heron.init` needs none
    import numpy as np
    import numpy.typing as npt

    Int64Array = npt.NDArray[np.int64]
    Float64Array = npt.NDArray[np.float64]


def __getattr__(name: str) -> Any:
    if name in ("Int64Array", "Float64Array"):
        import numpy as np
        import numpy.typing as npt

        return npt.NDArray[np.int64] if name == "Int64Array" else npt.NDArray[np.float64]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class Series:
    """One metric series (or a slice of it), columnar, in log order."""

    steps: Int64Array
    times: Float64Array  # wall time, seconds since the epoch (microsecond precision)
    values: Float64Array

    def __len__(self) -> int:
        return int(self.steps.shape[0])

    @staticmethod
    def empty() -> Series:
        import numpy as np

        return Series(np.empty(0, np.int64), np.empty(0, np.float64), np.empty(0, np.float64))


@dataclass(frozen=True)
class RunSpec:
    """What the SDK knows about a run when it starts it. ``create_run`` is idempotent on ``id``."""

    id: str
    project: str
    name: str | None = None  # None: the store picks a unique descriptive name
    group: str | None = None
    tags: tuple[str, ...] = ()
    notes: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    system: dict[str, Any] = field(default_factory=dict)
    resume_key: str | None = None  # identifies "this script" for resume="auto"
    created_at: float = 0.0
    # the server account that created it; set by the service, never taken from a client
    created_by: str | None = None


@dataclass(frozen=True)
class ProjectInfo:
    name: str
    run_count: int
    created_at: float
    last_activity: float | None


@dataclass(frozen=True)
class FileEntry:
    """One file inside an artifact version or a run's files: a path and its blob."""

    path: str  # relative, '/'-separated, validated by heron.keys.check_artifact_path
    digest: str  # "sha256:<hex>"
    size: int


@dataclass(frozen=True)
class ProjectKeys:
    """What a project's runs hold, for column pickers: sorted and distinct."""

    config: tuple[str, ...]  # dotted config paths to leaves ("optimizer.lr")
    metrics: tuple[str, ...]  # metric keys with at least one point
    summary: tuple[str, ...]  # keys of summary overrides (run.summary[k] = v)
    tags: tuple[str, ...] = ()  # every tag of the project's runs (quick filters)


@dataclass(frozen=True)
class RunTable:
    """Runs as columns (one list per field, one entry per run, in sort order).

    ``columns`` maps each requested column (``config.lr``, ``metrics.val/acc``,
    ``summary.best``, ``min(metrics.loss)``...) to its values; None where a run lacks
    it. Metric values may be NaN or infinite.
    """

    total: int  # runs matching the filter, ignoring limit and offset
    ids: list[str]
    names: list[str]
    states: list[str]
    groups: list[str | None]
    tags: list[list[str]]
    created_at: list[float]
    durations: list[float | None]
    columns: dict[str, list[Any]]


@dataclass(frozen=True)
class ConsoleLine:
    """One line of a run's console output (see the module doc)."""

    line: int  # 1, 2, 3... within the run
    stream: str  # "stdout" or "stderr"
    time: float  # wall time it was printed (its last rewrite, for a redrawn line)
    text: str  # without the newline
    truncated: bool = False  # cut at CONSOLE_MAX_LINE_BYTES
    partial: bool = False  # not finished yet: its text may still change


@dataclass(frozen=True)
class ConsolePage:
    """Lines of a run's console, in order, and how many lines the run has."""

    lines: list[ConsoleLine]
    total: int  # the number of the last line (lines are numbered 1..total)


MediaKindName = Literal["image", "histogram", "table", "text", "audio"]
MEDIA_PAGE_MAX = 10_000  # items one media read returns at most (``RunStore.media``)


@dataclass(frozen=True)
class MediaItem:
    """One media item a run logged at (key, step) (``heron.media``): its kind, its
    blob (None for a histogram: the bins are in ``meta``), its size in bytes, small
    JSON metadata (caption, width and height, boxes, a histogram's bins...), the other
    blobs it names (a mask, a table's image cells) and when it was logged."""

    key: str
    step: int
    kind: MediaKindName
    digest: str | None
    size: int
    meta: dict[str, Any]
    refs: tuple[str, ...]
    time: float


@dataclass(frozen=True)
class MediaKey:
    """A key a run logged media under: its kind (one per key: the latest item's),
    how many steps and the first and last of them."""

    key: str
    kind: MediaKindName
    count: int
    first_step: int
    last_step: int


@dataclass(frozen=True)
class RunChange:
    """A run whose content changed (created, ingested, state or metadata): see
    :meth:`Store.changed_runs`."""

    id: str
    project: str
    state: RunState
    ingested_seq: int
    last_step: int | None
    updated_at: float


@dataclass(frozen=True)
class ArtifactVersion:
    id: int
    project: str
    name: str
    version: int
    type: str
    digest: str  # digest of the manifest (sorted paths + digests): equal content, equal digest
    size: int
    files: tuple[FileEntry, ...]
    aliases: tuple[str, ...]
    metadata: dict[str, Any]
    created_by: str | None
    created_at: float
    used_by: tuple[str, ...] = ()
    # Logged from one file (not a folder): a download gives that file itself
    # (``heron.artifacts.files.materialize_version``). Part of a version's identity:
    # the same file logged as a folder's only file is another version.
    single_file: bool = False

    @property
    def ref(self) -> str:
        return f"{self.name}:v{self.version}"


# ---------------------------------------------------------------------------
# Events: everything the spool carries besides scalar points (config, tags, state,
# files, artifacts, console...), declared once in heron.store.events: typed plain
# dicts, so they serialise as JSON unchanged (spool, HTTP).
# ---------------------------------------------------------------------------
CONSOLE_STREAMS: tuple[str, ...] = ("stdout", "stderr")
CONSOLE_MAX_LINE_BYTES = 64 * 1024  # longer lines are cut (and marked truncated)
CONSOLE_PAGE_MAX = 10_000  # the most lines one GET /runs/{id}/console answers


@dataclass
class Batch:
    """A cut of one run's spool. Applied atomically and exactly once (see module doc)."""

    run_id: str
    seq: int
    metrics: dict[str, Series] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    stream: int = 0  # which spool of the run: 0 its own, k rank k's (exactly once per stream)

    @property
    def point_count(self) -> int:
        return sum(len(s) for s in self.metrics.values())


ChartAxis = Literal["step", "time", "relative_time"]


@dataclass(frozen=True)
class BlockSummaries:
    """Summaries of the blocks of one series that overlap the asked x range, in log
    order, with x on the asked axis (``relative_time``: time minus the run's start).

    Block ``i`` is points ``[start[i], start[i] + count[i])`` of chunk ``chunk[i]``
    (what ``block_points`` takes). ``x_min``/``x_max`` are the block's x extent (NaN
    when an x is NaN); ``x_sum``, ``y_sum``, ``y_min`` and ``y_max`` cover its
    ``finite`` points (those with a finite value); sums may be inf on overflow.
    """

    total: int  # points in the whole series, whatever the range
    x_offset: float  # subtracted from times: the run's start for relative_time, else 0
    chunk: Int64Array
    start: Int64Array
    count: Int64Array
    finite: Int64Array
    x_min: Float64Array
    x_max: Float64Array
    x_sum: Float64Array
    y_min: Float64Array
    y_max: Float64Array
    y_sum: Float64Array

    def __len__(self) -> int:
        return int(self.chunk.shape[0])


BlockRef = tuple[int, int, int]  # (chunk, start, count) of one block


class RunEdit(TypedDict, total=False):
    """What ``update_run`` changes, by keyword; a field not given (or None) is left alone."""

    name: str | None
    notes: str | None
    add_tags: Sequence[str]  # a tag both added and removed ends up added
    remove_tags: Sequence[str]


@dataclass(frozen=True)
class IngestResult:
    seq: int  # the run's ingested seq after the call
    applied: bool  # False when the batch had been applied before (a retry)
    orphaned: frozenset[str] = frozenset()  # blob digests no longer referenced (retention)


# ---------------------------------------------------------------------------
# Capabilities. A client (the SDK's backends, heron.Api, heron.models, the CLI) needs
# RunStore only; what only a process next to the database does (the server's poller
# and reaper, `heron gc`, chart reads over block summaries) is MaintenanceStore and
# BlockReads. SqlStore has all three (Store); RemoteStore has RunStore, fully.
# ---------------------------------------------------------------------------


@runtime_checkable
class RunStore(Protocol):
    """Reading and writing runs, metrics, console lines and artifact records.

    The contract every client relies on, whether the store is in this process
    (``SqlStore``) or behind a server (``RemoteStore``); the module doc defines
    identity, order, values and exactly-once ingest. Every method raises
    ``StoreError`` when the store cannot be reached or read (a damaged database, an
    unreadable chunk), and a remote store ``Unavailable`` when its server cannot be
    reached (transient: retry later). A method raises nothing else on purpose: every
    error is a ``heron.errors.HeronError``.
    """

    url: str  # where the store is (a database URL without password, or a server's)

    # --- writing -----------------------------------------------------------
    def create_run(self, spec: RunSpec) -> RunInfo:
        """Create the run, and its project on first use, and return it (``running``,
        ``ingested_seq`` -1). Idempotent on ``spec.id``: when the id exists, the stored
        run is returned unchanged, whatever the rest of ``spec`` says.

        A ``spec.name`` of None gets a name unique within the project
        (``adjective-noun-N``, N counting the project's runs); user names may repeat.
        Raises InvalidInput (InvalidKey) for a malformed id, project name or tag, and
        InvalidValue for a config or system value that is not JSON; nothing is created
        then."""
        ...

    def ingest(self, batch: Batch) -> IngestResult:
        """Apply ``batch`` exactly once and atomically (see the module doc).

        A batch whose ``seq`` is not beyond the run's ``ingested_seq`` changes nothing
        and answers ``applied=False`` with the run's seq. Checkpoint retention runs here;
        blobs it leaves unreferenced are reported in ``IngestResult.orphaned`` for the
        caller to free in its blob store (an implementation that frees them itself, a
        server, reports none).

        Raises NotFound when the run does not exist and the batch has no "create"
        event; InvalidInput (nothing applied) for an unknown event type, a malformed
        event, an invalid metric key or series columns of different lengths.
        """
        ...

    def heartbeat(self, run_id: str, at: float) -> None:
        """Record that the run's process is alive at ``at``. Changes no state (an ended
        run stays ended) and is not a change for ``MaintenanceStore.changed_runs``.
        Raises NotFound."""
        ...

    def mark_crashed(self, run_id: str, at: float, reason: str) -> None:
        """Set a ``running`` run to ``crashed``, ended at ``at`` with ``reason`` as its
        error; a no-op on a run already ended. Raises NotFound."""
        ...

    def update_run(self, run_id: str, **edit: Unpack[RunEdit]) -> RunInfo:
        """Edit a run's labels (:class:`RunEdit`; None leaves a field alone) and return
        the run.

        A tag both added and removed ends up added. Raises NotFound, and InvalidKey
        for an empty or over-long name or an invalid tag (nothing is changed then).
        """
        ...

    def delete_runs(self, run_ids: Sequence[str]) -> int:
        """Delete runs and everything that belongs only to them (metrics, console,
        config, tags, run files), all of them or none; return how many (repeated ids
        count once). Raises NotFound naming an unknown id, and nothing is deleted then.
        Artifact versions stay (other runs may use them), as does ``created_by`` on
        them. Whether a running run may be deleted is a rule above the store
        (``heron.service``): here it is deleted."""
        ...

    # --- reading -----------------------------------------------------------
    def list_projects(self) -> list[ProjectInfo]:
        """Every project with at least one run ever created, sorted by name, with its
        run count and last activity (the newest creation, heartbeat or end)."""
        ...

    def get_run(self, run_id: str) -> RunInfo:
        """The run, with its metric summaries and summary overrides. Raises NotFound."""
        ...

    def search_runs(
        self,
        project: str | None = None,
        filter: str | None = None,
        order_by: Sequence[str] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> list[RunInfo]:
        """Runs matching the filter language (``heron.query``; None or blank: all) in
        ``project`` (None: every project; unknown: none), sorted by ``order_by`` terms
        such as ``"-metrics.val/acc"`` or ``"config.lr"`` (``-`` for descending;
        runs lacking the field come last; ties and the default: newest first), then
        ``offset`` and ``limit``. Raises FilterSyntaxError for a bad filter or sort
        term, and InvalidInput for a negative limit or offset."""
        ...

    def count_runs(self, project: str | None = None, filter: str | None = None) -> int:
        """How many runs ``search_runs`` would return without limit. Raises
        FilterSyntaxError."""
        ...

    def history(self, run_id: str, keys: Iterable[str] | None = None) -> dict[str, Series]:
        """Whole series, in log order, values bit-exact (NaN, +-inf, -0.0 included),
        times to the microsecond. ``keys`` None: every key with points; else exactly
        the keys asked for, once each, in the order asked (a key without points gets
        an empty series; no keys, no series). Raises NotFound for an unknown run."""
        ...

    def find_resumable(self, project: str, resume_key: str) -> RunInfo | None:
        """The newest run of ``project`` with ``resume_key``, unless it finished (then,
        or when there is none, None). A crashed, failed or killed run is resumable."""
        ...

    def project_keys(self, project: str) -> ProjectKeys:
        """Every config path, metric key, summary override key and tag of the
        project's runs, sorted and distinct. Raises NotFound for an unknown project."""
        ...

    def runs_table(
        self,
        project: str | None = None,
        filter: str | None = None,
        order_by: Sequence[str] = (),
        columns: Sequence[str] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> RunTable:
        """The runs ``search_runs`` would return, as columns, reading only the fields
        asked for: one query per column whatever the number of runs (a table of
        10,000 runs is a handful of queries). A cell is None where a run lacks the
        field; metric cells may be NaN or infinite. Raises FilterSyntaxError, and
        InvalidInput for a column that is not ``config.<path>``, ``metrics.<key>``,
        ``summary.<key>`` or ``min|max|last|count(metrics.<key>)``."""
        ...

    def console(self, run_id: str, after: int = 0, limit: int | None = 1000) -> ConsolePage:
        """The run's console lines numbered above ``after``, at most ``limit`` of them
        (None: every one), in order, and the run's line count (``limit=0`` asks for the
        count alone). Raises NotFound for an unknown run, InvalidInput for a negative
        ``after`` or ``limit``."""
        ...

    # --- media -------------------------------------------------------------
    def media_keys(self, run_id: str) -> list[MediaKey]:
        """The keys the run logged media under, sorted. Raises NotFound for an
        unknown run."""
        ...

    def media(
        self,
        run_id: str,
        key: str,
        *,
        first_step: int | None = None,
        last_step: int | None = None,
        limit: int | None = None,
    ) -> list[MediaItem]:
        """The items of ``key`` with steps in ``[first_step, last_step]`` (None:
        unbounded), in step order, one per step (a later item at a step replaced the
        earlier). With ``limit`` and more items than that: ``limit`` of them evenly
        spread over the range, the first and the last always kept (a step slider
        over 100k steps). Raises NotFound for an unknown run (an unknown key has no
        items), InvalidInput for a limit outside 1..MEDIA_PAGE_MAX."""
        ...

    # --- artifacts ---------------------------------------------------------
    def run_files(self, run_id: str) -> list[FileEntry]:
        """The run's own files (``file`` events; a path logged again replaces its
        entry), sorted by path. Raises NotFound for an unknown run."""
        ...

    def artifact(self, project: str, ref: str) -> ArtifactVersion:
        """Resolve ``name``, ``name:vN`` or ``name:alias`` (``latest``, the newest
        version, when no version is given). Raises NotFound."""
        ...

    def artifact_by_id(self, version_id: int) -> ArtifactVersion:
        """The version with this id (``ArtifactVersion.id``). Raises NotFound."""
        ...

    def artifacts(
        self,
        project: str | None = None,
        *,
        created_by: str | None = None,
        used_by: str | None = None,
        name: str | None = None,
    ) -> list[ArtifactVersion]:
        """Versions matching every filter given (None: any), sorted by project, name
        and version. Unknown projects, runs or names match nothing."""
        ...

    def close(self) -> None:
        """Release connections; calling it again does nothing."""
        ...


@runtime_checkable
class MaintenanceStore(Protocol):
    """What only a process beside the database does: the server's crash reaper and
    change poller, and ``heron gc``. A client reaches none of it through a server
    (a server reaps and polls itself, and gc runs where the blobs are)."""

    def stale_runs(self, older_than: float) -> list[str]:
        """Ids of ``running`` runs whose last heartbeat (or, without one, creation) is
        before ``older_than``, oldest first. Ended runs never appear."""
        ...

    def changed_runs(self, since: float) -> list[RunChange]:
        """Runs whose content changed at or after ``since`` (store wall clock): created,
        batch ingested, state changed, crashed or edited. Heartbeats alone do not count.
        Indexed, so polling it every second is cheap however many runs there are.
        Writers' clocks may disagree slightly and a transaction commits after its
        timestamp is taken, so pollers should ask with some overlap and deduplicate."""
        ...

    def referenced_digests(self) -> set[str]:
        """Every blob digest some run file, artifact version or media item still
        references: what ``heron gc`` must keep."""
        ...


@runtime_checkable
class BlockReads(Protocol):
    """Chart reads over level-of-detail summaries (see the module doc): what the
    server's ``POST /series`` needs beyond :class:`RunStore`. ``SqlStore`` has them;
    a client reaches them through the server's ``POST /series``, not through a store.
    """

    def block_summaries(
        self,
        run_ids: Sequence[str],
        keys: Sequence[str],
        x_axis: ChartAxis = "step",
        x_min: float | None = None,
        x_max: float | None = None,
    ) -> dict[tuple[str, str], BlockSummaries]:
        """Block summaries of every (run, key) whose blocks may hold x in
        ``[x_min, x_max]`` (None: unbounded), in a few queries whatever the number of
        series; blocks wholly outside the range may be left out (``total`` still
        counts them), a series without points is absent. Raises NotFound for an
        unknown run."""
        ...

    def block_points(
        self, wanted: Mapping[tuple[str, str], Sequence[BlockRef]]
    ) -> dict[tuple[str, str], Series]:
        """The points of the given blocks of each (run, key), block after block, read
        in a few queries. Blocks that no longer exist (a deleted run) give nothing; a
        block that grew since it was summarised (the tail) gives the points counted."""
        ...


@runtime_checkable
class Store(RunStore, MaintenanceStore, BlockReads, Protocol):
    """The whole SQL capability (``SqlStore``): what the server and the local tools
    (``heron ui``, ``heron gc``, crash recovery) are given."""
