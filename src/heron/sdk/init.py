"""``heron.init``: start (or resume) a run, and the process hooks that end it right.

Hooks: ``atexit`` finishes a run the script forgot to finish; an uncaught exception
marks it failed (with the traceback), Ctrl-C or SIGTERM marks it killed. A forked
child (DataLoader workers) cannot log into its parent's run by accident.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import hashlib
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from heron.errors import Conflict, InvalidInput, NotFound, Unavailable
from heron.ids import is_run_id, new_run_id
from heron.keys import check_name, check_tag
from heron.nested import deep_merge
from heron.sdk import distributed as dist
from heron.sdk import reproduction as _reproduction
from heron.sdk.backend import Backend, EmbeddedBackend, open_backend
from heron.sdk.run import Run
from heron.sdk.shipper import Shipper
from heron.sdk.spool import SEGMENT_SHIFT, SpoolWriter
from heron.sdk.values import expand_dotted, to_json_value
from heron.settings import Settings
from heron.store.base import RunInfo, RunSpec
from heron.store.checks import check_spec
from heron.store.events import CreateEvent, StateEvent

DEFAULT_PROJECT = "default"

_current: Run | None = None
_runs: weakref.WeakSet[Run] = weakref.WeakSet()
_pending_system: dict[str, Any] = {}  # recorded before any run existed (seeds)
_hooks_installed = False


def current_run() -> Run | None:
    return _current


def init(
    project: str | None = None,
    *,
    name: str | None = None,
    config: Mapping[str, Any] | Any = None,
    tags: Sequence[str] = (),
    group: str | None = None,
    notes: str = "",
    resume: str | None = None,
    dir: str | Path | None = None,
    url: str | None = None,
    mode: str | None = None,
    system_metrics: bool | float | None = None,
    capture: bool = True,
    capture_console: bool | None = None,
    distributed: str | None = None,
    settings: Settings | None = None,
    reopen: bool = False,
) -> Run:
    """Start a run and make it the current one (``heron.log`` and ``heron.run`` use it).

    ``resume``: a run id to continue (its step counter too), or ``"auto"`` for the run
    this script last left unfinished; a *finished* run is only reopened with
    ``reopen=True`` (docs/resume.md). The run's ``system.heron.history`` records each
    end and resume. ``dir``: the embedded store's folder (default
    ``HERON_DIR`` or ``./heron-runs``); with ``url`` (or ``HERON_URL``) runs go to that
    ``heron server`` instead and ``dir`` only holds the spool. ``mode``: ``online``,
    ``offline`` (spool only, ``heron sync`` later) or ``disabled`` (a run that records
    nothing). ``system_metrics``: False, True, or the sampling interval in seconds.
    ``capture=False`` skips the git/environment record. ``capture_console``: record
    what the script prints to stdout and stderr (default ``HERON_CAPTURE_CONSOLE``,
    on); never in disabled mode. ``distributed``: what a rank of a distributed job
    (``RANK``/``WORLD_SIZE`` set) does: ``"shared"`` (default ``HERON_DISTRIBUTED``: one
    run for the job, rank 0 logs), ``"per_rank"`` (a run per rank, in one group) or
    ``"off"`` (see ``heron.sdk.distributed``).
    """
    global _current
    settings = settings or Settings.from_env(dir=Path(dir) if dir else None, mode=mode, url=url)
    trial = settings.sweep_trial  # a sweep's trial, started by `heron agent`
    if trial is not None:
        project, group = trial["project"], trial["group"]
        config = deep_merge(_config_dict(config), expand_dotted(trial["params"]))
    reproducing = _reproduction.active(settings.reproduce)  # `heron reproduce --run`
    if reproducing is not None:
        project = project or reproducing.project
        config, overridden = reproducing.merged_config(_config_dict(config))
    job = dist.detect(settings, distributed)
    if job is not None:
        name, group = job.name(name), job.group(group)
    start = _Start.checked(project, name, group, tags, config, notes, settings)
    if job is not None and job.shared:
        start = dataclasses.replace(start, run_id=job.run_id(start.project))
    if trial is not None and is_run_id(trial["run_id"]):
        start = dataclasses.replace(start, run_id=trial["run_id"])
    if resume is not None and resume != "auto" and not is_run_id(resume):
        raise InvalidInput(f"resume takes a run id or 'auto', got {resume!r}")
    backend = open_backend(settings)
    try:
        backend.recover_dead()
        dist.recover_ranks(backend)  # what dead ranks of distributed runs left
        if job is not None and job.joins:
            backend = dist.RankBackend(backend, job.rank)
            run, spec = _join(backend, settings, start, resume), None
        else:
            if job is not None and job.shared and resume is None:
                dist.check_not_ended(backend, start.spec().id)
            info, spec, writer = _find_or_start(backend, start, resume, reopen)
            if job is not None and job.shared and spec is not None:  # another rank may
                info = dataclasses.replace(  # have created the run: these are rank 0's
                    info, config=start.config, tags=start.tags, notes=start.notes
                )
            run = _open_run(backend, settings, info, spec, writer)
            if spec is None:
                run.record_system(_resume_record(info))
    except BaseException:
        backend.close()
        raise
    if job is not None:
        capture = _distributed_start(run, job, start, spec, capture)
    elif run.backend.records:
        dist.hand_off(run)  # ranks this process starts (Lightning's launcher) join this run
    if spec is None:  # resumed: what this call says comes on top
        if start.config:
            run.config.update(start.config)
        if start.tags:
            run.add_tags(*start.tags)
    if reproducing is not None:
        run.record_system({"reproduction": reproducing.record(overridden)})
    _record_context(run, settings, capture, system_metrics, capture_console, job)
    _current = run
    _runs.add(run)
    _install_hooks()
    run.on_finish(lambda: _forget(run))
    return run


@dataclass(frozen=True)
class _Start:
    """What ``init`` was asked for, checked before anything is opened."""

    project: str
    name: str | None
    group: str | None
    tags: tuple[str, ...]
    config: dict[str, Any]
    notes: str
    resume_key: str
    run_id: str | None = None  # given by `heron agent`; else a new one

    @classmethod
    def checked(
        cls,
        project: str | None,
        name: str | None,
        group: str | None,
        tags: Sequence[str],
        config: Any,
        notes: str,
        settings: Settings,
    ) -> _Start:
        project = check_name(project or settings.project or DEFAULT_PROJECT, "project")
        if name is not None and not (isinstance(name, str) and name):
            raise InvalidInput(f"run name must be a non-empty string, got {name!r}")
        if isinstance(tags, str):  # one tag, not one per character
            tags = (tags,)
        clean_tags = tuple(dict.fromkeys(check_tag(t) for t in tags))
        start = cls(
            project, name, group, clean_tags, _config_dict(config), notes, _resume_key(project)
        )
        # The store's own rules, now: a remote run's record reaches the server only when
        # shipped, and a refusal then would stop its shipper.
        check_spec(start.spec())
        return start

    def spec(self) -> RunSpec:
        return RunSpec(
            id=self.run_id or new_run_id(),
            project=self.project,
            name=self.name,
            group=self.group,
            tags=self.tags,
            notes=self.notes,
            config=self.config,
            resume_key=self.resume_key,
            created_at=time.time(),
        )


def _find_or_start(
    backend: Backend, start: _Start, resume: str | None, reopen: bool = False
) -> tuple[RunInfo, RunSpec | None, SpoolWriter | None]:
    """The run to resume (its dead process's spool shipped first) and None, or a new
    run, its spec and its spool (opened first: a full disk fails here, with one clear
    SpoolError, before the run exists). A new run in the embedded store is created
    by its spool's first record when the shipper's thread ships it (``start_run``
    only names it): ``init`` does not open the store for it."""
    info = None
    if resume is not None and backend.resumes:
        if resume == "auto":
            info = backend.find_resumable(start.project, start.resume_key)
        else:
            info = backend.get_run(resume)  # NotFound says which id
            if info.project != start.project and start.project != DEFAULT_PROJECT:
                raise InvalidInput(
                    f"run {resume} belongs to project {info.project!r}, not {start.project!r}"
                )
            if info.state == "finished" and not reopen:
                raise Conflict(
                    f"run {resume} ({info.name!r}) finished; resuming it reopens it (its "
                    "state goes back to running, later steps are appended): pass "
                    "reopen=True to heron.init to do that"
                )
    if info is not None:
        return backend.recover_run(info.id), None, None
    spec = start.spec()
    writer = backend.open_spool(spec.id, 0)
    try:
        return backend.start_run(spec), spec, writer
    except BaseException:
        writer.close()
        shutil.rmtree(writer.folder, ignore_errors=True)
        raise


def _join(backend: dist.RankBackend, settings: Settings, start: _Start, resume: str | None) -> Run:
    """Rank k > 0 of a shared run: its own spool (the run's stream k), opened by the
    run's ``create`` (whichever rank ships first creates the run)."""
    run_id = start.spec().id
    if resume == "auto":
        found = backend.find_resumable(start.project, start.resume_key)
        run_id = found.id if found is not None else run_id
    elif resume is not None:
        run_id = resume
    else:
        dist.check_not_ended(backend, run_id)
    spec = dist.rank_spec(dataclasses.replace(start.spec(), id=run_id))
    try:  # a resumed run's stream k goes on past what it shipped
        info = backend.get_run(run_id)
        first = (info.ingested_seq >> SEGMENT_SHIFT) + 1 if info.ingested_seq >= 0 else 0
    except (NotFound, Unavailable):
        info, first = backend.start_run(spec), 0
    writer = backend.open_spool(run_id, first)
    return _open_run(backend, settings, info, spec, writer, cls=dist.RankRun)


def _distributed_start(
    run: Run, job: dist.Job, start: _Start, spec: RunSpec | None, capture: bool
) -> bool:
    """A rank's part at start; whether to capture git and the environment (not on
    ranks > 0 of a shared run: rank 0 records where the job came from)."""
    if job.joins:
        return False
    if job.shared and spec is not None:
        dist.restate(run, start.config, start.tags, start.notes)
    run.record_system(job.record())
    if job.rank == 0 and run.backend.records:
        dist.hand_off(run)
    return capture


def _open_run(
    backend: Backend,
    settings: Settings,
    info: RunInfo,
    spec: RunSpec | None,
    writer: SpoolWriter | None,
    cls: type[Run] = Run,
) -> Run:
    """The run's spool, opened by its first record (the run's creation, or a resume),
    its shipper (unless offline) and the Run over them."""
    resumed = spec is None
    if writer is None:
        writer = backend.open_spool(info.id, (info.ingested_seq >> SEGMENT_SHIFT) + 1)
    ship_from = writer.pos  # the first batch includes the "create" / "running" record
    writer.write_event(_running() if spec is None else _create(spec, info))
    shipper = None
    if backend.online:
        # An embedded store not opened yet is opened by the first pass: one interval
        # on (or at the first flush), so that the training loop starts first.
        deferred = isinstance(backend, EmbeddedBackend) and not backend.opened
        shipper = Shipper(
            info.id,
            writer.folder,
            backend,
            start=ship_from,
            interval=settings.ship_interval,
            heartbeat_interval=settings.heartbeat_interval,
            first_wait=settings.ship_interval if deferred else 0.0,
        )
    start_step = 0 if info.last_step is None else info.last_step + 1
    run = cls(
        info,
        backend,
        writer,
        shipper,
        start_step=start_step,
        cache_dir=backend.folder.cache,
        resumed=resumed,
    )
    if shipper is not None:
        shipper.before_pass = run.prefault
        shipper.start()
    return run


def _create(spec: RunSpec, info: RunInfo) -> CreateEvent:
    """The record that creates the run when it ships (a remote run exists only then)."""
    return {
        "type": "create",
        "spec": {
            "id": spec.id,
            "project": spec.project,
            "name": info.name,
            "group": spec.group,
            "tags": list(spec.tags),
            "notes": spec.notes,
            "config": spec.config,
            "system": spec.system,
            "resume_key": spec.resume_key,
            "created_at": spec.created_at,
        },
    }


def _resume_record(info: RunInfo) -> dict[str, Any]:
    """``system.heron`` of a run being resumed: its history with how it ended (state,
    time of its last sign of life, step, error) and this resume (time, step, pid,
    host) appended, and ``inactive_seconds``, the time it was not running, which its
    duration leaves out (``RunInfo.duration``)."""
    found = info.system.get("heron")
    heron: dict[str, Any] = found if isinstance(found, dict) else {}
    history = [h for h in heron.get("history") or [] if isinstance(h, dict)]
    inactive = heron.get("inactive_seconds")
    inactive = float(inactive) if isinstance(inactive, (int, float)) else 0.0
    now = time.time()
    if info.state != "running":
        last_alive = info.ended_at
        if info.state == "crashed" and info.heartbeat_at is not None:
            last_alive = info.heartbeat_at  # found dead later: it stopped at its last beat
        history.append(
            {"event": info.state, "at": last_alive, "step": info.last_step, "error": info.error}
        )
        if last_alive is not None:
            inactive += max(0.0, now - last_alive)
    step = 0 if info.last_step is None else info.last_step + 1
    history.append(
        {
            "event": "resumed",
            "at": now,
            "step": step,
            "pid": os.getpid(),
            "host": socket.gethostname(),
        }
    )
    return {"heron": {"history": history, "inactive_seconds": inactive}}


def _running() -> StateEvent:
    """The record that reopens a resumed run."""
    return {
        "type": "state",
        "state": "running",
        "time": time.time(),
        "error": None,
        "traceback": None,
    }


def _record_context(
    run: Run,
    settings: Settings,
    capture: bool,
    system_metrics: bool | float | None,
    capture_console: bool | None,
    job: dist.Job | None = None,
) -> None:
    """What the run records besides the script's calls: where it came from, facts
    noted before it started, system metrics and the console (when its backend
    records anything at all); a rank of a shared run prefixes its lines and keys."""
    records = run.backend.records
    if capture and records:
        _capture(run, settings)
    if _pending_system:
        run.record_system(dict(_pending_system))
        _pending_system.clear()
    if system_metrics is None or system_metrics is True:
        interval = settings.system_metrics_interval
    else:
        interval = 0.0 if system_metrics is False else float(system_metrics)
    if interval > 0 and records:
        _start_sampler(run, interval, job.metric_prefix if job is not None else "system/")
    if capture_console is None:
        capture_console = settings.capture_console
    if capture_console and records:  # last: nothing below can fail
        prefix = job.console_prefix if job is not None else ""
        run.capture_console(settings.console_max_bytes, prefix=prefix, fd=settings.console_fd)


def _config_dict(config: Any) -> dict[str, Any]:
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        if hasattr(config, "__dict__") and not isinstance(config, type):
            config = vars(config)  # argparse.Namespace and simple objects
        else:
            converted = to_json_value("config", config)  # dataclasses
            if not isinstance(converted, dict):
                raise InvalidInput(f"config must be a mapping, got {type(config).__name__}")
            config = converted
    clean = to_json_value("config", dict(config))
    result: dict[str, Any] = expand_dotted(clean)
    return result


def _resume_key(project: str) -> str:
    """Identifies "this script": project, host, and the entry script's absolute path."""
    main = sys.modules.get("__main__")
    script = getattr(main, "__file__", None) or (sys.argv[0] if sys.argv else "")
    script = os.path.abspath(script) if script else f"<interactive:{os.getcwd()}>"
    raw = f"{project}\0{socket.gethostname()}\0{script}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


# How long ``finish`` waits for the capture thread (git has its own 5 s timeout).
CAPTURE_WAIT = 60.0


def _capture(run: Run, settings: Settings) -> None:
    """Git, packages and environment, captured on a thread off ``init``'s path (the
    packages cached per environment); ``finish`` waits for it before the run ends."""
    try:
        cwd: Path | None = Path.cwd()
    except OSError:  # the folder was deleted: capture says so
        cwd = None
    thread = threading.Thread(
        target=_capture_now, args=(run, settings, cwd), name="heron-capture", daemon=True
    )
    thread.start()
    run.before_end(lambda: thread.join(CAPTURE_WAIT))


def _capture_now(run: Run, settings: Settings, cwd: Path | None) -> None:
    try:
        _record_capture(run, settings, cwd)
    except Exception as exc:  # the run ended, a full disk: never the training script's
        logging.getLogger("heron.capture").warning("heron: capture failed: %s", exc)


def _record_capture(run: Run, settings: Settings, cwd: Path | None) -> None:
    from heron.sdk.capture import capture_all, reproducibility

    result = capture_all(
        git=settings.capture_git,
        packages=settings.capture_packages,
        env=settings.capture_env,
        cwd=cwd,
        cache_dir=run.backend.folder.cache,
    )
    run.record_system(result.system)
    reproducibility.watch(run, result.system, result.files)  # score, warnings: a thread
    if not result.files:
        return
    with tempfile.TemporaryDirectory(dir=run.backend.folder.cache) as tmp:
        for rel, text in result.files.items():
            path = Path(tmp) / "f"
            path.write_text(text, encoding="utf-8")
            run.save_file(path, name=rel)


def _start_sampler(run: Run, interval: float, prefix: str = "system/") -> None:
    from heron.sdk.capture.system_metrics import SystemSampler

    run.define_metric("system/*", x_axis="time")
    emit = run.log_system
    if prefix != "system/":  # a rank's keys: system/rank1/cpu.percent

        def emit(values: Mapping[str, float]) -> None:
            run.log_system({prefix + k.removeprefix("system/"): v for k, v in values.items()})

    sampler = SystemSampler(interval, emit)
    sampler.start()
    run.on_finish(sampler.stop)


def _forget(run: Run) -> None:
    global _current
    _runs.discard(run)
    if _current is run:
        _current = None


def record_system(patch: Mapping[str, Any]) -> None:
    """Record facts into the current run, or into the next one started."""
    if _current is not None:
        _current.record_system(patch)
    else:
        _pending_system.update(patch)


# -- process hooks ---------------------------------------------------------------
_previous_excepthook = sys.excepthook
_previous_sigterm: Any = None


def _finish_all(state: str, error: str | None = None, tb: str | None = None) -> None:
    for run in list(_runs):
        with contextlib.suppress(Exception):
            run.finish(state, error=error, traceback=tb)


def _excepthook(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        _finish_all("killed", "KeyboardInterrupt")
    else:
        _finish_all(
            "failed",
            f"{exc_type.__name__}: {exc}",
            "".join(traceback.format_exception(exc_type, exc, tb)),
        )
    _previous_excepthook(exc_type, exc, tb)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    _finish_all("killed", "SIGTERM")
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _after_fork_in_child() -> None:
    global _current
    for run in list(_runs):
        run.disown()
    _runs.clear()
    _current = None


def _install_hooks() -> None:
    global _hooks_installed, _previous_sigterm
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(_finish_all, "finished")
    sys.excepthook = _excepthook
    os.register_at_fork(after_in_child=_after_fork_in_child)
    if threading.current_thread() is threading.main_thread():
        _previous_sigterm = signal.getsignal(signal.SIGTERM)
        # Only take SIGTERM over when nobody else did: a framework's own handler wins.
        if _previous_sigterm in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, _on_sigterm)


def get_run_or_raise() -> Run:
    if _current is None:
        raise NotFound("no current run: call heron.init() first")
    return _current
