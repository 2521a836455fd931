"""``Tracking``: the rules about runs, over one store and one blob store.

Each write authorises its caller, changes the store, and tells the notifier; reads
authorise and hand back the store to read from. Errors are :mod:`heron.errors`
classes, so every skin (REST, ``heron.Api``, CLI, SDK) fails alike.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from heron.artifacts.base import ArtifactStore, BlobInfo, BlobStore
from heron.artifacts.gc import delete_blobs, find_orphans
from heron.errors import Conflict, Forbidden, HeronError, InvalidInput, NotFound
from heron.keys import MAX_FREE_TEXT_BYTES, check_label, check_tag, check_text
from heron.service.access import LOCAL, Action, Caller, authorize, authorize_somewhere
from heron.service.names import check_query
from heron.service.notify import SILENT, Notifier
from heron.store.base import Batch, IngestResult, ProjectInfo, RunInfo, RunSpec, RunStore, Store
from heron.store.checks import RUN_ID, check_time
from heron.store.project_marks import deleted_projects
from heron.store.sql import SqlStore

if TYPE_CHECKING:
    from heron.accounts import SqlAccounts
    from heron.alerts import Alerts

log = logging.getLogger("heron.service")

MAX_BULK_RUNS = 10_000  # runs one bulk action may change
# Long enough that a run uploading a blob has recorded its reference before retention
# of another run may free it (a put happened, its record is not ingested yet).
ORPHAN_GRACE_SECONDS = 60.0
_MAX_CACHED_PROJECTS = 100_000
# A run's cached project is read again after this long: another process (a server's
# other workers, heron projects rename beside the database) may have renamed it.
RUN_PROJECT_TTL_SECONDS = 30.0
# Long enough that a run uploading a blob has recorded its reference (heron gc).
DEFAULT_GC_GRACE = 3600.0

BulkAction = Literal["add_tags", "remove_tags", "delete"]


@dataclass(frozen=True)
class BulkRequest:
    """One action on many runs of a project: those in ``ids``, or those matching
    ``filter`` ("" for every run), less ``exclude``."""

    action: BulkAction
    ids: Sequence[str] | None = None
    filter: str | None = None
    exclude: Sequence[str] = ()
    tags: Sequence[str] = ()
    force: bool = False  # delete running runs too
    dry_run: bool = False  # only count what the call would change


@dataclass(frozen=True)
class BulkFailure:
    id: str
    status: int
    detail: str


@dataclass
class BulkResult:
    action: BulkAction
    matched: int
    running: int
    done: int = 0
    failed: list[BulkFailure] = field(default_factory=list)
    limit: int = MAX_BULK_RUNS


class Tracking:
    """The run rules. ``caller`` is who acts (see :func:`with_caller` for per-request
    copies); ``notifier`` hears of every change."""

    def __init__(
        self,
        store: RunStore,
        blobs: BlobStore,
        *,
        notifier: Notifier = SILENT,
        caller: Caller = LOCAL,
        accounts: SqlAccounts | None = None,
        alerts: Alerts | None = None,
    ) -> None:
        self.store = store
        self.blobs = blobs
        self.notifier = notifier
        self.caller = caller
        self.accounts = accounts  # a server with accounts: project claims, the audit log
        self.alerts = alerts  # evaluates the projects' alert rules on ingest (heron.alerts)
        self.caller_ip: str | None = None  # the request's client address, for the audit log
        # run id -> (project, when cached): a run moves only when its project is renamed
        self._projects: dict[str, tuple[str, float]] = {}

    def with_caller(self, caller: Caller, ip: str | None = None) -> Tracking:
        """The same service acting for ``caller`` (cheap: shares store, blobs, caches);
        ``ip``: where the request came from, for the audit log."""
        acting = copy.copy(self)
        acting.caller = caller
        acting.caller_ip = ip
        return acting

    # --- authorisation --------------------------------------------------------
    def authorize(self, action: Action, project: str | None) -> None:
        authorize(self.caller, action, project)

    def authorize_blobs(self, action: Action) -> None:
        """Blobs belong to no project (content-addressed, shared): reading one by its
        digest needs a role that reads somewhere, uploading one a role that writes."""
        authorize_somewhere(self.caller, action, "blobs")

    def _authorize_new_run(self, project: str) -> None:
        """Writing a run into ``project``. An account without the editor role there
        may still start a *new* project (no runs, no members yet): it becomes the
        project's admin, so that teams need no site admin to begin."""
        try:
            self.authorize("write", project)
        except Forbidden:
            if not self._claim(project):
                raise

    def _claim(self, project: str) -> bool:
        accounts = self.accounts
        if accounts is None or not self.caller.account or accounts.has_members(project):
            return False
        if any(p.name == project and p.run_count for p in self.store.list_projects()):
            return False
        accounts.set_role(self.caller.name, project, "admin")
        self.caller = dataclasses.replace(
            self.caller, roles={**self.caller.roles, project: "admin"}
        )
        self.audit("project.claim", project, {"role": "admin"})
        return True

    def audit(self, action: str, target: str, detail: Mapping[str, object] | None = None) -> None:
        """Record ``action`` in the audit log (a server with accounts keeps one)."""
        if self.accounts is not None:
            self.accounts.audit(self.caller.name, action, target, detail, self.caller_ip)

    def _created_by(self) -> str | None:
        return self.caller.name if self.caller.account else None

    def projects(self) -> list[ProjectInfo]:
        """The projects the caller may read, less deleted ones (heron.service.projects)."""
        listed = self.store.list_projects()
        hidden = deleted_projects(self.store)
        return [p for p in listed if self.caller.may("read", p.name) and p.name not in hidden]

    def project_of(self, run_id: str) -> str:
        """The run's project (cached for RUN_PROJECT_TTL_SECONDS, or until this
        process renames it). NotFound for an unknown run."""
        cached = self._projects.get(run_id)
        if cached is not None and time.monotonic() - cached[1] < RUN_PROJECT_TTL_SECONDS:
            return cached[0]
        project = self.store.get_run(run_id).project
        self._remember(run_id, project)
        return project

    def project_renamed(self, old: str, new: str) -> None:
        """Forget what this process cached under ``old``'s name (heron.service.projects
        renames): the runs' projects and the project's alert rules."""
        for run_id, (project, at) in list(self._projects.items()):
            if project == old:
                self._projects[run_id] = (new, at)
        if self.alerts is not None:
            self.alerts.forget(old)

    def _remember(self, run_id: str, project: str) -> None:
        if len(self._projects) >= _MAX_CACHED_PROJECTS:
            self._projects.clear()
        self._projects[run_id] = (project, time.monotonic())

    def beside_the_database(self) -> tuple[Store, ArtifactStore]:
        """The store and blobs with their maintenance capabilities (stale runs,
        referenced blobs, deleting blobs): crash reaping, retention and garbage
        collection run beside the database, never through a server's client."""
        if not isinstance(self.store, Store) or not isinstance(self.blobs, ArtifactStore):
            raise InvalidInput(
                f"{self.store!r} is reached through a Heron server: crash reaping and "
                "garbage collection run on the server's own store"
            )
        return self.store, self.blobs

    def reads(self, project: str | None) -> RunStore:
        """The store to read ``project`` from (None: every project), once the caller
        may read it."""
        self.authorize("read", project)
        return self.store

    def run_reads(self, run_id: str) -> RunStore:
        """The store to read run ``run_id`` from, once the caller may read its project."""
        return self.reads(self.project_of(run_id))

    def runs_reads(self, run_ids: Sequence[str]) -> RunStore:
        """The store to read runs ``run_ids`` from, once the caller may read each one's
        project (NotFound names an unknown run). Projects not cached yet are looked up
        in one query per 500 runs, not one per run (a chart of 1,000 runs)."""
        wanted = list(dict.fromkeys(run_ids))
        # only well-formed ids (safe inside the quoted filter); the others fail below
        now = time.monotonic()
        unknown = [
            r
            for r in wanted
            if now - self._projects.get(r, ("", -math.inf))[1] >= RUN_PROJECT_TTL_SECONDS
            and RUN_ID.match(r)
        ]
        for start in range(0, len(unknown), 500):
            listed = ", ".join(f"'{r}'" for r in unknown[start : start + 500])
            for info in self.store.search_runs(None, f"id in ({listed})"):
                self._remember(info.id, info.project)
        for run_id in wanted:
            self.authorize("read", self.project_of(run_id))
        return self.store

    def check_query(
        self, project: str | None, filter: str | None, order_by: Sequence[str] = ()
    ) -> list[str]:
        """Before a search: InvalidInput, with "did you mean", for an unknown project
        or a config/metric key of the filter or the sort that no run has (only the
        projects the caller may read are named). Returns warnings for comparisons
        that can never match (heron.service.names)."""
        self.authorize("read", project)
        return check_query(self.store, self._readable_names(), project, filter, order_by)

    def _readable_names(self) -> list[str]:
        """The names of :meth:`projects`, without counting every project's runs when
        the database is at hand."""
        if not isinstance(self.store, SqlStore):
            return [p.name for p in self.projects()]
        names = self.store.project_names(deleted=False)
        return [n for n in names if self.caller.may("read", n)]

    def get_run(self, run_id: str) -> RunInfo:
        info = self.store.get_run(run_id)
        self.authorize("read", info.project)
        return info

    # --- runs -------------------------------------------------------------------
    def create_run(self, spec: RunSpec) -> RunInfo:
        """Create the run (idempotent on its id)."""
        self._authorize_new_run(spec.project)
        info = self.store.create_run(dataclasses.replace(spec, created_by=self._created_by()))
        self.notifier.run_changed(info.id, info.project, info.state)
        return info

    def update_run(
        self,
        run_id: str,
        *,
        name: str | None = None,
        notes: str | None = None,
        add_tags: Iterable[str] = (),
        remove_tags: Iterable[str] = (),
    ) -> RunInfo:
        if name is not None:
            check_label(name, "run name")
        if notes is not None:
            check_text(notes, "notes", MAX_FREE_TEXT_BYTES)
        add_tags, remove_tags = list(add_tags), list(remove_tags)
        for tag in add_tags:
            check_tag(tag)
        for tag in remove_tags:
            check_text(tag, "tag")
        self.authorize("write", self.project_of(run_id))
        info = self.store.update_run(
            run_id,
            name=name,
            notes=notes,
            add_tags=add_tags,
            remove_tags=remove_tags,
        )
        self.notifier.run_changed(info.id, info.project, info.state)
        return info

    def delete_runs(self, run_ids: Iterable[str], *, force: bool = False) -> int:
        """Delete runs, all of them or none (NotFound names an unknown one). A
        ``running`` run is refused with Conflict unless ``force``: its process may
        still be logging. Artifact bytes stay until gc (other runs may share them)."""
        infos = [self.store.get_run(run_id) for run_id in dict.fromkeys(run_ids)]
        return self._delete({i.id: (i.project, i.state) for i in infos}, force)

    def _delete(self, runs: Mapping[str, tuple[str, str]], force: bool) -> int:
        for project in {project for project, _ in runs.values()}:
            self.authorize("write", project)
        running = [run_id for run_id, (_, state) in runs.items() if state == "running"]
        if running and not force:
            shown = ", ".join(running[:5]) + (", ..." if len(running) > 5 else "")
            raise Conflict(
                f"{len(running):,} of the {len(runs):,} runs are still running ({shown}); "
                "finish or kill them first, or delete anyway with force "
                '(heron runs rm --force, delete_runs(force=True), "force": true)'
            )
        deleted = self.store.delete_runs(list(runs))
        self.audit("runs.delete", ", ".join(list(runs)[:100]), {"count": deleted, "force": force})
        for run_id, (project, _) in runs.items():
            self._projects.pop(run_id, None)
            self.notifier.forget(run_id)
            self.notifier.run_changed(run_id, project, "deleted")
        return deleted

    def bulk(self, project: str, request: BulkRequest) -> BulkResult:
        """Tag, untag or delete many runs of ``project``. The runs are resolved once,
        when the call starts (a run that starts matching later is not touched). Tags
        change run by run: a run that fails (deleted meanwhile, say) is listed in
        ``failed`` and the others still change. A delete is all or nothing."""
        self.authorize("write", project)  # first: refusals say nothing about the request
        _check_bulk(request)
        targets, failed = self._bulk_targets(project, request)
        running = [run_id for run_id, state in targets.items() if state == "running"]
        result = BulkResult(
            request.action, len(targets), len(running), failed=failed, limit=MAX_BULK_RUNS
        )
        if request.dry_run or not targets:
            return result
        if request.action == "delete":
            runs = {run_id: (project, state) for run_id, state in targets.items()}
            result.done = self._delete(runs, request.force)
            return result
        add = request.tags if request.action == "add_tags" else ()
        remove = request.tags if request.action == "remove_tags" else ()
        pending = list(targets)
        for i, run_id in enumerate(pending):
            try:
                self.update_run(run_id, add_tags=add, remove_tags=remove)
            except HeronError as e:
                failed.append(BulkFailure(run_id, e.status_code, e.message))
                continue
            except Exception:  # the store failed: stop, and say which runs were not tried
                log.exception("heron: bulk %s failed on run %s", request.action, run_id)
                failed.append(BulkFailure(run_id, 500, "the store failed on this run; see the log"))
                failed.extend(
                    BulkFailure(rest, 500, f"not tried: the store failed on run {run_id} first")
                    for rest in pending[i + 1 :]
                )
                break
            result.done += 1
        return result

    def _bulk_targets(
        self, project: str, request: BulkRequest
    ) -> tuple[dict[str, str], list[BulkFailure]]:
        """The runs a bulk call acts on (id -> state, in order) and the ids it cannot."""
        limit = MAX_BULK_RUNS
        exclude = set(request.exclude)
        failed: list[BulkFailure] = []
        targets: dict[str, str] = {}
        if request.filter is not None:
            # one read of ids and states, at most `limit` past the exclusions (+1 to see more)
            table = self.store.runs_table(
                project, request.filter.strip() or None, (), (), limit + len(exclude) + 1, 0
            )
            for run_id, state in zip(table.ids, table.states, strict=True):
                if run_id not in exclude:
                    targets[run_id] = state
            if len(targets) > limit:
                raise InvalidInput(
                    f"the filter matches {table.total:,} runs ({len(exclude):,} excluded); one "
                    f"bulk call changes at most {limit:,}: narrow the filter and repeat"
                )
            return targets, failed
        assert request.ids is not None
        ids = [run_id for run_id in dict.fromkeys(request.ids) if run_id not in exclude]
        if len(ids) > limit:
            raise InvalidInput(
                f"{len(ids):,} runs given; one bulk call changes at most {limit:,}: "
                "split them into several calls"
            )
        for run_id in ids:
            try:
                info = self.store.get_run(run_id)
            except HeronError as e:
                failed.append(BulkFailure(run_id, e.status_code, e.message))
                continue
            if info.project != project:
                detail = f"run {run_id} is in project {info.project!r}, not {project!r}"
                failed.append(BulkFailure(run_id, 404, detail))
                continue
            targets[run_id] = info.state
        return targets, failed

    # --- a live run ---------------------------------------------------------------
    def ingest(self, batch: Batch) -> IngestResult:
        """Apply a spool batch exactly once (by its seq), free the blobs checkpoint
        retention left unreferenced, and announce what changed."""
        for i, event in enumerate(batch.events):  # a run's times: finite, not far ahead
            at = event.get("time")
            if at is not None:
                check_time(at, f"batch event {i}: time")
        creates = _create_event(batch)
        if creates is None:
            try:
                project = self.project_of(batch.run_id)
            except NotFound:
                if isinstance(self.store, SqlStore):  # a deleted run's writer is told so
                    self.store.refuse_deleted(batch.run_id)
                raise
            self.authorize("write", project)
        else:  # the run's creator is who ships it, whatever the client claims
            named = creates.get("project")
            if not isinstance(named, str):
                raise InvalidInput('a "create" event\'s spec needs a "project"')
            project = named
            self._authorize_new_run(project)
            creates["created_by"] = self._created_by()
        watch = self.alerts.watch(batch, project) if self.alerts is not None else None
        result = self.store.ingest(batch)
        if watch is not None and result.applied:  # alerts follow the batch: exactly once
            watch.applied()
        if result.orphaned:  # only a store beside its database reports orphans
            free_orphans(self.beside_the_database()[1], result.orphaned)
        if result.applied and self.notifier is not SILENT:  # nobody listens: no extra read
            self._announce(batch, project, result.seq)
        return result

    def _announce(self, batch: Batch, project: str, seq: int) -> None:
        kinds = {event.get("type") for event in batch.events}
        if kinds - {"console"}:  # state, config, tags...: the run's record changed
            info = self.store.get_run(batch.run_id)
            self.notifier.run_changed(info.id, info.project, info.state)
        if "console" in kinds:  # printed lines: only the logs view cares
            self.notifier.console(batch.run_id, project, seq)
        keys = [key for key, series in batch.metrics.items() if len(series)]
        if keys:
            last_step = max(int(batch.metrics[k].steps.max()) for k in keys)
            self.notifier.points(batch.run_id, project, keys, last_step, seq)

    def heartbeat(self, run_id: str, at: float) -> None:
        at = check_time(at, "heartbeat time")
        self.authorize("write", self.project_of(run_id))
        self.store.heartbeat(run_id, at)

    def reap_stale(
        self,
        crash_after: float,
        alive: Callable[[str], bool] = lambda run_id: False,
        now: float | None = None,
    ) -> list[str]:
        """Mark crashed the running runs whose heartbeat is older than ``crash_after``
        seconds, unless ``alive(run_id)`` says their writer is alive but quiet (a local
        spool's lock). Returns the runs marked."""
        store, _ = self.beside_the_database()
        now = time.time() if now is None else now
        reaped = []
        for run_id in store.stale_runs(now - crash_after):
            if alive(run_id):
                continue
            try:
                self.mark_crashed(run_id, now, f"no heartbeat for {crash_after:.0f} s")
            except NotFound:  # deleted meanwhile
                continue
            reaped.append(run_id)
        return reaped

    def mark_crashed(self, run_id: str, at: float, reason: str) -> RunInfo:
        """Mark a running run crashed (its process died); a no-op on an ended run."""
        at = check_time(at, "crash time")
        check_text(reason, "crash reason")
        self.authorize("write", self.project_of(run_id))
        self.store.mark_crashed(run_id, at, reason)
        info = self.store.get_run(run_id)
        self.notifier.run_changed(info.id, info.project, info.state)
        if self.alerts is not None and info.state == "crashed":
            self.alerts.run_ended(info.project, run_id, "crashed", reason)
        return info


class Maintenance:
    """Store-wide upkeep, for site administrators: blobs nothing references."""

    def __init__(self, tracking: Tracking) -> None:
        self.tracking = tracking

    def orphaned_blobs(self, grace_seconds: float = DEFAULT_GC_GRACE) -> list[BlobInfo]:
        """Blobs no run file or artifact version references, older than the grace period
        (a run may be about to reference a young one: its put happened, its record is
        not ingested yet)."""
        self.tracking.authorize("admin", None)
        store, blobs = self.tracking.beside_the_database()
        now = time.time()  # before asking the store: a blob put after this counts as young
        return find_orphans(blobs, store.referenced_digests(), grace_seconds, now)

    def delete_blobs(self, blobs: Iterable[BlobInfo]) -> tuple[int, int]:
        """Delete blobs from :meth:`orphaned_blobs`; (how many, bytes). Re-put ones are spared."""
        self.tracking.authorize("admin", None)
        return delete_blobs(self.tracking.beside_the_database()[1], blobs)


def _check_bulk(request: BulkRequest) -> None:
    """Refuse a malformed bulk call before anything is read or changed."""
    if (request.ids is None) == (request.filter is None):
        raise InvalidInput(
            'give either "ids" or "filter" (a filter, or "" for every run of the project), not both'
        )
    if request.action == "delete":
        if request.tags:
            raise InvalidInput('"tags" goes with add_tags and remove_tags, not with delete')
        return
    if not request.tags:
        raise InvalidInput(f'{request.action} needs at least one tag in "tags"')
    if request.force:
        raise InvalidInput('"force" goes with delete (of running runs), not with tags')
    for tag in request.tags:
        check_tag(tag)


def _create_event(batch: Batch) -> dict[str, object] | None:
    """The spec of the batch's create event, if it has one."""
    for event in batch.events:
        spec = event.get("spec")
        if event.get("type") == "create" and isinstance(spec, dict):
            return spec
    return None


def free_orphans(blobs: ArtifactStore, digests: Iterable[str]) -> None:
    """Delete blobs that checkpoint retention left unreferenced. A blob touched
    within the grace period may be about to be referenced by another run (its put
    happened, its record is not ingested yet): gc frees it later."""
    cutoff = time.time() - ORPHAN_GRACE_SECONDS
    for digest in digests:
        info = blobs.stat(digest)
        if info is not None and info.modified <= cutoff:
            blobs.delete(digest)
