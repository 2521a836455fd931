"""Distributed training: the ranks of one job and the run (or runs) they record.

A launcher (torchrun, accelerate, Lightning, DeepSpeed, SLURM scripts) starts one
process per rank and tells each its ``RANK`` (or ``LOCAL_RANK``) and ``WORLD_SIZE``.
``heron.init`` reads them through :class:`heron.settings.Settings` and, when the job
has two or more ranks, does what ``HERON_DISTRIBUTED`` (or ``init(distributed=...)``)
says:

``shared`` (the default): **one run for the job.** Every rank derives the same run id
from the launcher's environment (:func:`job_key`), so the ranks find the run without
user code. Rank 0 owns the run: its metrics, config, summary, artifacts and the run's
state. Ranks 1..N contribute their console (every line of every rank prefixed
``[rank k]``) and their system metrics (``system/rank<k>/...``); their ``run.log``,
``config``, ``summary``, tags and artifacts are cheap no-ops (:class:`RankRun`), and
their end does not end the run.

``per_rank``: one ordinary run per rank, all in one group (the ``group`` given, else
``job-<key>``), named ``<name>-rank<k>`` (``rank<k>`` without a name).

``off``: the ranks are unrelated scripts (the behaviour before this module).

How the ranks' records reach one run. A spool has one writer, so each rank writes its
own: rank 0 the run's own spool (``spool/<run id>``), rank k a spool of its own
(``spool/ranks/<k>/<run id>``) whose batches are stamped ``stream=k``
(:class:`RankBackend`); the store applies each stream exactly once by its own seq
(``heron.store.base``, "Ingest is exactly-once"). Whichever rank ships first creates
the run (every rank's first record is the same ``create``); rank 0 writes the config,
tags and notes again after its ``create``, so its values win. A dead rank's spool is
shipped by the next ``heron.init`` that finds it (``recover_rank_spools``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from heron.errors import HeronError, InvalidInput, NotFound, Unavailable
from heron.ids import RUN_ID_LENGTH, is_run_id
from heron.local_dir import LocalDir
from heron.sdk.backend import Backend
from heron.sdk.recovery import recover_all, write_spool_target
from heron.sdk.run import Run
from heron.sdk.spool import SpoolWriter
from heron.settings import DISTRIBUTED_MODES, Settings
from heron.store.base import Batch, FileEntry, IngestResult, RunInfo, RunSpec
from heron.store.events import Event

log = logging.getLogger("heron.recovery")

HANDOFF_ENV = "HERON_JOB_RUN"  # rank 0 -> the rank processes it starts (Settings.job_handoff)
HANDOFF_KEY = "handoff:"
RANKS_FOLDER = "ranks"  # spool/ranks/<k>/<run id>: rank k's spools

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_inits: dict[str, int] = {}  # shared-mode inits of this process, per job key
_inits_lock = threading.Lock()


@dataclass(frozen=True)
class Job:
    """This process's place in a distributed job."""

    rank: int
    world_size: int
    local_rank: int
    mode: str  # "shared" or "per_rank"
    key: str  # the same on every rank of one launch, different for another launch
    source: str  # where the key came from (recorded in the run's system record)

    @property
    def shared(self) -> bool:
        return self.mode == "shared"

    @property
    def joins(self) -> bool:
        """A rank > 0 of a shared run: contributes console and system metrics only."""
        return self.shared and self.rank > 0

    def run_id(self, project: str) -> str:
        """The shared run's id: the job key, the project and how many shared runs this
        process started before in this job (every rank starts them in the same order)."""
        with _inits_lock:
            n = _inits.get(f"{self.key}\0{project}", 0)
            _inits[f"{self.key}\0{project}"] = n + 1
        if n == 0 and self.key.startswith(HANDOFF_KEY):  # the run that started us
            return self.key.removeprefix(HANDOFF_KEY)
        return derived_run_id(f"{self.key}\0{project}\0{n}")

    def group(self, group: str | None) -> str | None:
        if self.mode == "per_rank" and group is None:
            return f"job-{derived_run_id(self.key)}"
        return group

    def name(self, name: str | None) -> str | None:
        if self.mode == "per_rank":
            return f"{name}-rank{self.rank}" if name else f"rank{self.rank}"
        return name

    @property
    def console_prefix(self) -> str:
        return f"[rank {self.rank}] " if self.shared else ""

    @property
    def metric_prefix(self) -> str:
        """Where this rank's system metrics go: ``system/rank<k>/`` in a shared run."""
        return f"system/rank{self.rank}/" if self.shared else "system/"

    def record(self) -> dict[str, Any]:
        """What the run's system record says about the job."""
        return {
            "distributed": {
                "mode": self.mode,
                "world_size": self.world_size,
                "key_source": self.source,
                **({} if self.shared else {"rank": self.rank, "local_rank": self.local_rank}),
            }
        }


def detect(settings: Settings, mode: str | None = None) -> Job | None:
    """The job this process is a rank of, or None (not distributed, a job of one
    rank, or mode ``off``). ``mode`` overrides ``settings.distributed``."""
    if mode is None:
        mode = settings.distributed
    elif mode not in DISTRIBUTED_MODES:
        modes = ", ".join(DISTRIBUTED_MODES)
        raise InvalidInput(f"distributed must be one of {modes}, got {mode!r}")
    rank = settings.rank if settings.rank is not None else settings.local_rank
    world = settings.world_size
    if mode == "off" or rank is None or world is None or world < 2:
        return None
    if rank >= world:
        raise InvalidInput(f"RANK={rank} is not below WORLD_SIZE={world}: check the launcher")
    local_rank = settings.local_rank if settings.local_rank is not None else rank
    key, source = job_key(settings)
    return Job(rank, world, local_rank, mode, key, source)


def job_key(settings: Settings) -> tuple[str, str]:
    """An id of this launch of the job, the same on every rank, and where it came from.

    In order: ``HERON_DISTRIBUTED_ID``; the run id of the ``heron.init`` that started
    this process (``HERON_JOB_RUN``, only from the parent process itself: Lightning's
    launcher); torchrun's rendezvous id (unless ``none``) with its restart count and
    rendezvous address; ``SLURM_JOB_ID``; else the rendezvous address with the
    launcher process (this process's parent: its pid and start time), which tells two
    launches apart when every rank runs on one node (``LOCAL_WORLD_SIZE`` equal to
    ``WORLD_SIZE``). A multi-node job without any of these gets the rendezvous address
    alone: a second launch with the same address and port derives the same run, and
    ``init`` refuses to write into it once it ended (set ``HERON_DISTRIBUTED_ID``).
    """
    rendezvous = f"{settings.master_addr or ''}:{settings.master_port or ''}"
    restart = settings.launcher_restart or 0
    if settings.distributed_id:
        return f"id:{settings.distributed_id}", "HERON_DISTRIBUTED_ID"
    handoff = _handoff(settings.job_handoff)
    if handoff is not None:
        return f"{HANDOFF_KEY}{handoff}", "HERON_JOB_RUN"
    if settings.launcher_run_id and settings.launcher_run_id != "none":
        return (
            f"torchelastic:{settings.launcher_run_id}:{restart}:{rendezvous}",
            "TORCHELASTIC_RUN_ID",
        )
    if settings.slurm_job_id:
        return f"slurm:{settings.slurm_job_id}:{restart}:{rendezvous}", "SLURM_JOB_ID"
    single_node = settings.local_world_size is not None and (
        settings.local_world_size == settings.world_size
    )
    if single_node:
        return f"launcher:{_launcher()}:{restart}:{rendezvous}", "launcher process"
    return f"rendezvous:{restart}:{rendezvous}", "MASTER_ADDR/MASTER_PORT"


def _handoff(value: str | None) -> str | None:
    """The run id in ``HERON_JOB_RUN`` when this process's parent set it."""
    if not value or ":" not in value:
        return None
    run_id, _, pid = value.rpartition(":")
    return run_id if pid == str(os.getppid()) and is_run_id(run_id) else None


def _launcher() -> str:
    """This process's parent (torchrun's agent, a launcher script): pid and start time."""
    import psutil

    parent = os.getppid()
    try:
        started = psutil.Process(parent).create_time()
    except (psutil.Error, OSError):
        started = 0.0
    return f"{parent}@{started:.3f}"


def derived_run_id(text: str) -> str:
    """A run id (``heron.ids``: 10 of [a-z0-9]) from ``text``, the same on every rank."""
    number = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
    chars = []
    for _ in range(RUN_ID_LENGTH):
        number, digit = divmod(number, 36)
        chars.append(_ALPHABET[digit])
    return "".join(chars)


def hand_off(run: Run) -> None:
    """Let the processes this one starts (Lightning starts ranks 1..N from rank 0) find
    ``run``: ``HERON_JOB_RUN=<run id>:<pid>``, taken back when the run ends."""
    value = f"{run.id}:{os.getpid()}"
    os.environ[HANDOFF_ENV] = value

    def take_back() -> None:
        if os.environ.get(HANDOFF_ENV) == value:
            del os.environ[HANDOFF_ENV]

    run.on_finish(take_back)


def check_not_ended(backend: Backend, run_id: str) -> None:
    """Refuse to write into a job's run that already ended: the job key was reused by
    another launch (a multi-node job without a launch id)."""
    try:
        info = backend.get_run(run_id)
    except (NotFound, Unavailable):
        return  # not created yet (or its server is away: the shipper will tell)
    if info.state != "running":
        raise HeronError(
            f"this distributed job's run {run_id} already ended ({info.state}): another "
            "launch derived the same id. Set HERON_DISTRIBUTED_ID to an id unique to this "
            "launch (the scheduler's job id), or pass heron.init(resume=...) to continue it"
        )


# --- ranks 1..N of a shared run -------------------------------------------------------
class RankBackend:
    """Rank ``rank``'s view of the job's backend: its spool is its own
    (``spool/ranks/<rank>/<run id>``) and its batches are the run's stream ``rank``;
    it never ends the run (its ``state`` records are dropped, no heartbeat, no crash
    marking: rank 0 owns the run's lifecycle). Everything else is ``inner``'s."""

    def __init__(self, inner: Backend, rank: int) -> None:
        if rank < 1:
            raise InvalidInput(f"a rank backend is for ranks 1 and up, got {rank}")
        self.inner = inner
        self.rank = rank

    def __repr__(self) -> str:
        return f"RankBackend({self.inner!r}, rank={self.rank})"

    @property
    def folder(self) -> LocalDir:
        return self.inner.folder

    @property
    def location(self) -> str | None:
        return self.inner.location

    @property
    def spool_target(self) -> str | None:
        return self.inner.spool_target

    @property
    def online(self) -> bool:
        return self.inner.online

    @property
    def records(self) -> bool:
        return self.inner.records

    @property
    def resumes(self) -> bool:
        return self.inner.resumes

    @property
    def spools(self) -> Path:
        return rank_spools(self.inner.folder, self.rank)

    def start_run(self, spec: RunSpec) -> RunInfo:
        return self.inner.start_run(spec)

    def open_spool(self, run_id: str, first_segment: int = 0) -> SpoolWriter:
        writer = SpoolWriter(self.spools / run_id, first_segment=first_segment)
        if self.inner.spool_target is not None:
            write_spool_target(writer.folder, self.inner.spool_target)
        return writer

    def recover_dead(self) -> None:
        self.inner.recover_dead()

    def recover_run(self, run_id: str) -> RunInfo:
        return self.get_run(run_id)

    def get_run(self, run_id: str) -> RunInfo:
        """The run, with ``ingested_seq`` this rank's stream's (recovery starts there)."""
        info = self.inner.get_run(run_id)
        return replace(info, ingested_seq=stream_seq(info.system, self.rank))

    def find_resumable(self, project: str, resume_key: str) -> RunInfo | None:
        return self.inner.find_resumable(project, resume_key)

    def ingest(self, batch: Batch) -> IngestResult:
        events: list[Event] = [e for e in batch.events if e["type"] != "state"]
        return self.inner.ingest(replace(batch, events=events, stream=self.rank))

    def heartbeat(self, run_id: str, at: float) -> None:
        pass  # rank 0's

    def mark_crashed(self, run_id: str, at: float, reason: str) -> None:
        pass  # a rank's end is not the run's: rank 0 (or the crash reaper) decides

    def put_blob(self, path: Path) -> Any:
        return self.inner.put_blob(path)

    def resolve_artifact(self, project: str, ref: str) -> Any:
        return self.inner.resolve_artifact(project, ref)

    def download_artifact(self, version: Any, dest: Path) -> Path:
        return self.inner.download_artifact(version, dest)

    def close(self) -> None:
        self.inner.close()


def stream_seq(system: Mapping[str, Any], rank: int) -> int:
    """The last seq the store applied from rank ``rank``'s spool (-1: none)."""
    found: Any = system
    for name in ("distributed", "streams", str(rank)):
        found = found.get(name) if isinstance(found, Mapping) else None
    return found if isinstance(found, int) and not isinstance(found, bool) else -1


def rank_spools(folder: LocalDir, rank: int) -> Path:
    return folder.spool / RANKS_FOLDER / str(rank)


def rank_spool_roots(folder: LocalDir) -> list[tuple[Path, int]]:
    """The folders of ranks' spools (``spool/ranks/<k>``) and their ranks."""
    root = folder.spool / RANKS_FOLDER
    if not root.is_dir():
        return []
    found = [(path, path.name) for path in sorted(root.iterdir()) if path.is_dir()]
    return [(path, int(name)) for path, name in found if name.isdigit() and int(name) > 0]


def recover_ranks(backend: Backend) -> None:
    """At ``init``, beside ``backend.recover_dead()``: ship what dead ranks left (a
    server's in the background, as the backend does its own, and not when offline)."""
    if backend.spool_target is None:
        for reason in recover_rank_spools(backend):
            log.warning("heron: %s", reason)
    elif backend.online:
        threading.Thread(
            target=_recover_ranks_quietly, args=(backend,), daemon=True, name="heron-recover-ranks"
        ).start()


def _recover_ranks_quietly(backend: Backend) -> None:
    try:
        for reason in recover_rank_spools(backend):
            log.warning("heron: %s", reason)
    except Exception as exc:  # the server is away: the next init or `heron sync` tries again
        log.info("heron: recovery of dead ranks' spools deferred: %s", exc)


def recover_rank_spools(backend: Backend) -> list[str]:
    """Ship what dead ranks left in ``backend``'s folder; the reasons of those that
    could not be shipped (they are kept for the next try)."""
    reasons = []
    for root, rank in rank_spool_roots(backend.folder):
        done = recover_all(root, RankBackend(backend, rank))
        reasons += [failure.reason for failure in done.failed]
    return reasons


class RankRun(Run):
    """A rank > 0 of a shared run: records its console and system metrics (through
    ``capture_console`` and ``log_system``); what rank 0 owns is a no-op here."""

    def log(self, data: Mapping[str, Any], step: int | None = None) -> None:
        """Rank 0 logs the run's metrics: a no-op on this rank."""

    def record(self, event: Event) -> None:
        """Config, summary, tags, notes, files and artifacts are rank 0's: a no-op."""

    def _put_files(self, path: str | Path, prefix: str) -> list[FileEntry]:
        return []  # nothing is uploaded for a record that is not made


def rank_spec(spec: RunSpec) -> RunSpec:
    """What rank k's ``create`` says: the run's identity; config, tags and notes are
    rank 0's to give (it writes them after its own ``create``)."""
    return replace(spec, config={}, tags=(), notes="")


def restate(run: Run, config: Mapping[str, Any], tags: Sequence[str], notes: str) -> None:
    """Rank 0 of a shared run, after its ``create``: another rank's ``create`` may have
    made the run first, so rank 0's config, tags and notes are written again."""
    if config:
        run.record({"type": "config", "patch": dict(config)})
    if tags:
        run.record({"type": "tags", "add": list(tags), "remove": []})
    if notes:
        run.record({"type": "notes", "text": notes})
