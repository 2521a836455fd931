"""A sweep is an Optuna study kept beside Heron's own database.

Where the study lives (``sweeps_url``): Optuna's RDB storage keeps its own tables and
its own ``alembic_version``, so it cannot share Heron's table namespace:

- SQLite (a store folder, or a ``sqlite:///path/heron.db`` URL): the file beside it,
  ``path/heron.sweeps.db``;
- PostgreSQL: the same database, in its own schema ``heron_sweeps`` (created on first use).

This module is the storage, without rules: who may claim or read a sweep and what
happens to a trial's run is :mod:`heron.sweeps.service`'s job; agents behind a
``heron server`` reach it through the server (:mod:`heron.sweeps.remote`).

Claiming a trial (:meth:`Sweeps.ask`) runs under a lock shared by every agent (a file
lock beside the SQLite file, a PostgreSQL advisory lock): stale trials are failed,
the cap is checked and the trial is created in one critical section, so no trial is
handed out twice and a sweep never runs more than ``run_cap`` trials.

The sweep's own state is a study user attribute: ``running``, ``paused`` (agents wait)
or ``stopped`` (agents ask for nothing more; running trials finish). ``finished`` is
derived: every trial has ended and the cap is reached.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import math
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from heron.connect import Location
from heron.errors import Conflict, InvalidInput, NotFound
from heron.ids import new_run_id
from heron.sweeps.base import (
    Claim,
    SweepInfo,
    SweepStatus,
    TrialInfo,
    TrialStatus,
    TrialTicket,
)
from heron.sweeps.spec import Parameter, SweepSpec, parse_spec

if TYPE_CHECKING:
    import optuna

__all__ = ["Sweeps", "sweeps_url", "sweeps_url_of"]

PG_SCHEMA = "heron_sweeps"
_PG_ASK_LOCK = 0x4E52_0001_5E5E_0009
_SPEC_ATTR = "heron:spec"
_STATUS_ATTR = "heron:status"
_CREATED_ATTR = "heron:created_at"
_TRIAL_ATTR = "heron"  # a trial's run id and agent, one write
STALE = "its agent stopped (no heartbeat)"  # a failed trial's reason when none was told


def sweeps_url(location: Location) -> str:
    """The Optuna storage URL of the store at ``location`` (see the module doc)."""
    if location.kind == "server":
        raise InvalidInput(
            f"{location} is a Heron server: its sweeps are kept beside its database "
            "(reach them through heron.sweeps.open_sweeps)"
        )
    if location.folder is not None:
        return sweeps_url_of(f"sqlite:///{location.folder.db_path.resolve()}")
    return sweeps_url_of(str(location.url))


def sweeps_url_of(url: str) -> str:
    """The Optuna storage URL beside the store database at ``url``."""
    if url.startswith("sqlite"):
        path = Path(url.split(":///", 1)[1])
        return f"sqlite:///{path.with_name(path.stem + '.sweeps.db')}"
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


@dataclass
class _Open:
    """A study kept open (``Sweeps._open``): Optuna's cached storage reads only the
    trials that changed since the last call, where a fresh ``load_study`` reads all."""

    study: optuna.Study
    study_id: int
    spec: SweepSpec
    trial_ids: dict[int, int] = field(default_factory=dict)  # number -> storage id
    reaped_at: float = -math.inf  # when this process last looked for stale trials


class Sweeps:
    """The sweeps of one store (no authorisation: :class:`heron.sweeps.service.LocalSweeps`
    is the rules over it). ``grace``: seconds without a trial heartbeat after which a
    running trial's agent is taken for dead (its trial failed, see ``reap``); a claim may
    name its own.

    Cheap to call often (what ``heron agent`` and a server do): each study is loaded
    once and kept (Optuna's cached storage then reads only the trials that changed); a
    SQLite file runs in WAL mode with ``synchronous=NORMAL`` (a commit is not an fsync);
    a claim writes its run id and agent as one attribute. Thread-safe (one server
    process serves many agents).
    """

    def __init__(self, url: str, *, heartbeat: float = 10.0, grace: float = 60.0) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.url = url
        self._lock_path = _lock_path(url)
        kwargs: dict[str, Any] = {}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": 60}
        else:
            _ensure_pg_schema(url)
            kwargs["connect_args"] = {"options": f"-csearch_path={PG_SCHEMA}"}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            self.storage = optuna.storages.RDBStorage(
                url,
                engine_kwargs=kwargs,
                heartbeat_interval=max(1, math.ceil(heartbeat)),
                grace_period=max(1, math.ceil(grace)),
                heartbeat_stale_trial_callback=self._on_stale,
            )
        if url.startswith("sqlite"):
            _fast_sqlite(self.storage.engine)
        self.grace = float(self.storage.grace_period or grace)
        self.heartbeat = heartbeat
        self._studies: dict[str, _Open] = {}
        self._lock = threading.RLock()  # the open studies; the grace of one reaping
        self._local = threading.local()  # the trials one reaping failed (its callback)

    @classmethod
    def at(cls, location: Location, **kwargs: Any) -> Sweeps:
        return cls(sweeps_url(location), **kwargs)

    def close(self) -> None:
        self._studies.clear()
        self.storage.remove_session()
        self.storage.engine.dispose()

    def __enter__(self) -> Sweeps:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- sweeps -----------------------------------------------------------------
    def create(self, spec: SweepSpec) -> SweepInfo:
        import optuna

        try:
            study = optuna.create_study(
                storage=self.storage, study_name=spec.name, direction=spec.goal
            )
        except optuna.exceptions.DuplicatedStudyError:
            raise Conflict(
                f"a sweep named {spec.name!r} exists; pick another name (name: in the YAML)"
            ) from None
        study.set_user_attr(_SPEC_ATTR, spec.to_json())
        study.set_user_attr(_STATUS_ATTR, "running")
        study.set_user_attr(_CREATED_ATTR, time.time())
        return self.info(spec.name)

    def names(self) -> list[str]:
        return [s.study_name for s in self.storage.get_all_studies()]

    def list_sweeps(self, project: str | None = None) -> list[SweepInfo]:
        out = []
        for name in self.names():
            try:
                out.append(self.info(name))
            except NotFound:  # an Optuna study not made by `heron sweep create`
                continue
        return [s for s in out if project is None or s.project == project]

    def spec(self, name: str) -> SweepSpec:
        return self._open(name).spec

    def project(self, name: str) -> str:
        """The sweep's project (who may read or run it is decided there)."""
        return self._open(name).spec.project

    def info(self, name: str) -> SweepInfo:
        opened = self._open(name)
        spec = opened.spec
        attrs = opened.study.user_attrs
        trials = self.trials(name)
        counts: dict[str, int] = {}
        for t in trials:
            counts[t.status] = counts.get(t.status, 0) + 1
        done = [t for t in trials if t.status == "complete" and t.value is not None]
        best = None
        if done:
            pick = min if spec.goal == "minimize" else max
            best = pick(done, key=lambda t: t.value if t.value is not None else math.nan)
        return SweepInfo(
            name=name,
            project=spec.project,
            group=spec.group,
            method=spec.method,
            metric=spec.metric,
            goal=spec.goal,
            status=_derived(attrs.get(_STATUS_ATTR, "running"), spec, trials),
            run_cap=spec.run_cap,
            counts=counts,
            best_value=None if best is None else best.value,
            best_trial=None if best is None else best.number,
            created_at=float(attrs.get(_CREATED_ATTR, 0.0)),
            spec=spec.to_json(),
        )

    def set_status(self, name: str, status: Literal["running", "paused", "stopped"]) -> SweepInfo:
        """Pause (agents wait), stop (agents ask for nothing more) or resume a sweep."""
        self._open(name).study.set_user_attr(_STATUS_ATTR, status)
        return self.info(name)

    def status(self, name: str) -> SweepStatus:
        """The sweep's status: one attribute read, the trials only for ``finished``."""
        opened = self._open(name)
        status = opened.study.user_attrs.get(_STATUS_ATTR, "running")
        return _derived(status, opened.spec, self.trials(name) if status == "running" else [])

    def trials(self, name: str) -> list[TrialInfo]:
        study = self._open(name).study
        return [_trial_info(t) for t in study.get_trials(deepcopy=False)]

    # --- trials ----------------------------------------------------------------
    def ask(
        self, name: str, agent: str = "", *, grace: float | None = None
    ) -> tuple[Claim, list[TrialInfo]]:
        """Claim the next trial (none when the sweep is stopped, paused or full), and
        the trials of dead agents failed on the way (their runs are the caller's to
        mark crashed; looked for at most every few seconds per process). ``grace``: how
        long a silent agent is taken for alive."""
        opened = self._open(name)
        study, spec = opened.study, opened.spec
        with self._ask_lock():
            status = study.user_attrs.get(_STATUS_ATTR, "running")
            if status != "running":
                return Claim(None, status), []
            reaped: list[TrialInfo] = []
            if time.monotonic() - opened.reaped_at >= min(5.0, (grace or self.grace) / 3):
                reaped = self._fail_stale(study, grace)  # at most every few seconds
                opened.reaped_at = time.monotonic()
            count = self._count(opened.study_id)
            if count >= spec.run_cap:
                return Claim(None, _derived(status, spec, self.trials(name))), reaped
            with self._lock:  # the sampler is the study's: one claim at a time per process
                study.sampler = _sampler(spec, count)
                if spec.method == "grid":
                    study.enqueue_trial(spec.grid[count], skip_if_exists=False)
                with warnings.catch_warnings():  # "heartbeat is meant for optimize()": we beat
                    warnings.simplefilter("ignore", UserWarning)
                    trial = study.ask()
                params = _suggest(trial, spec.parameters)
            run_id = new_run_id()
            trial.set_user_attr(_TRIAL_ATTR, {"run_id": run_id, "agent": agent})
        self.beat(name, trial.number)
        return Claim(TrialTicket(trial.number, params, run_id), "running"), reaped

    def full(self, name: str) -> bool:
        """Whether the sweep has handed out ``run_cap`` trials (one count)."""
        opened = self._open(name)
        return self._count(opened.study_id) >= opened.spec.run_cap

    def _count(self, study_id: int) -> int:
        """How many trials the study has: one count (Optuna's storage would read and
        sync every trial for it); ``trials`` is Optuna's table (its schema is versioned)."""
        from sqlalchemy import text

        with self.storage.engine.connect() as conn:
            found = conn.execute(
                text("SELECT count(*) FROM trials WHERE study_id = :s"), {"s": study_id}
            ).scalar_one()
        return int(found)

    def beat(self, name: str, number: int) -> None:
        """The trial's agent is alive (its heartbeat, read by ``reap``)."""
        self.storage.record_heartbeat(self._trial_id(name, number))

    def report(self, name: str, number: int, points: Sequence[tuple[int, float]]) -> bool:
        """Report intermediate values (step, value) of a running trial; True when the
        pruner says stop it. Conflict when the trial has ended."""
        import optuna

        opened = self._open(name)
        trial = optuna.Trial(opened.study, self._trial_id(name, number))
        try:
            for step, value in points:
                trial.report(value, step)
        except optuna.exceptions.UpdateFinishedTrialError:
            raise Conflict(f"trial {number} of sweep {name!r} has ended") from None
        return bool(points) and bool(trial.should_prune())

    def tell(
        self,
        name: str,
        number: int,
        outcome: Literal["complete", "pruned", "failed"],
        value: float | None = None,
        error: str | None = None,
    ) -> None:
        """End a running trial; Conflict when it has ended already (e.g. failed as
        stale while its agent was cut off). Straight to the storage: Optuna's
        ``Study.tell`` reads the trial twice more, and its sampler's ``after_trial``
        means nothing here (each claim makes its sampler afresh)."""
        import optuna

        state = {
            "complete": optuna.trial.TrialState.COMPLETE,
            "pruned": optuna.trial.TrialState.PRUNED,
            "failed": optuna.trial.TrialState.FAIL,
        }[outcome]
        trial_id = self._trial_id(name, number)
        values = [float(value)] if outcome == "complete" and value is not None else None
        try:
            if error:
                self.storage.set_trial_user_attr(trial_id, "error", error[:2000])
            self.storage.set_trial_state_values(trial_id, state, values)
        except optuna.exceptions.UpdateFinishedTrialError:
            raise Conflict(f"trial {number} of sweep {name!r} has ended") from None

    def trial(self, name: str, number: int) -> TrialInfo:
        """One trial (NotFound for a number the sweep has not handed out)."""
        return _trial_info(self.storage.get_trial(self._trial_id(name, number)))

    def reap(self, name: str, *, grace: float | None = None) -> list[TrialInfo]:
        """Fail the running trials whose agent stopped beating (killed, machine lost);
        returns them (their runs are the caller's to mark crashed)."""
        study = self._open(name).study
        with self._ask_lock():
            return self._fail_stale(study, grace)

    def _fail_stale(self, study: optuna.Study, grace: float | None) -> list[TrialInfo]:
        """Optuna's own check (its heartbeat table): stale running trials become FAIL
        and our callback (``heartbeat_stale_trial_callback``) hears of each."""
        import optuna

        self._local.reaped = []
        with self._lock, warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            self.storage.grace_period = max(1, math.ceil(self.grace if grace is None else grace))
            try:
                optuna.storages.fail_stale_trials(study)
            finally:
                self.storage.grace_period = max(1, math.ceil(self.grace))
        reaped: list[optuna.trial.FrozenTrial] = self._local.reaped
        self._local.reaped = []
        return [_trial_info(t) for t in reaped]

    def _on_stale(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        self._local.reaped.append(trial)

    def _open(self, name: str) -> _Open:
        """The study ``name``, loaded once (NotFound for an unknown one)."""
        import optuna

        with self._lock:
            opened = self._studies.get(name)
            if opened is not None:
                return opened
            try:
                study = optuna.load_study(study_name=name, storage=self.storage)
            except KeyError:
                raise NotFound(f"no sweep named {name!r}; `heron sweep ls` lists them") from None
            attrs = study.user_attrs
            if _SPEC_ATTR not in attrs:
                raise NotFound(f"study {name!r} was not created by `heron sweep create`")
            spec = parse_spec(attrs[_SPEC_ATTR])
            study.pruner = _pruner(spec)
            opened = _Open(study, self.storage.get_study_id_from_name(name), spec)
            self._studies[name] = opened
            return opened

    def _trial_id(self, name: str, number: int) -> int:
        opened = self._open(name)
        trial_id = opened.trial_ids.get(number)
        if trial_id is None:
            try:
                trial_id = self.storage.get_trial_id_from_study_id_trial_number(
                    opened.study_id, number
                )
            except KeyError:
                raise NotFound(f"sweep {name!r} has no trial {number}") from None
            opened.trial_ids[number] = trial_id
        return trial_id

    @contextlib.contextmanager
    def _ask_lock(self) -> Iterator[None]:
        if self._lock_path is not None:
            with open(self._lock_path, "a+b") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
            return
        from sqlalchemy import text

        with self.storage.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_ASK_LOCK})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_ASK_LOCK})
                conn.commit()


def _derived(status: SweepStatus, spec: SweepSpec, trials: Sequence[TrialInfo]) -> SweepStatus:
    """``finished``: running, the cap reached and no trial running."""
    full = len(trials) >= spec.run_cap
    if status == "running" and full and not any(t.status == "running" for t in trials):
        return "finished"
    return status


def _fast_sqlite(engine: Any) -> None:
    """WAL (readers never wait for the writer) and ``synchronous=NORMAL`` (a commit is
    not an fsync; a power cut may lose the last commits, never corrupt the file) on
    every connection of ``engine``; the connections opened so far are dropped."""
    from sqlalchemy import event

    def pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    event.listen(engine, "connect", pragmas)
    engine.dispose()


def _lock_path(url: str) -> Path | None:
    if not url.startswith("sqlite"):
        return None
    path = Path(url.split(":///", 1)[1])
    return path.with_name(path.name + ".lock")


def _ensure_pg_schema(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {PG_SCHEMA}"))
    finally:
        engine.dispose()


def _sampler(spec: SweepSpec, count: int) -> optuna.samplers.BaseSampler:
    """A fresh sampler per claim, seeded by the sweep's seed and the trial's number: each
    agent draws a different, reproducible point (one seed in every agent would repeat)."""
    import optuna

    seed = spec.seed * 1_000_003 + count
    if spec.method == "bayes":
        return optuna.samplers.TPESampler(
            seed=seed, n_startup_trials=min(10, max(2, spec.run_cap // 4))
        )
    if spec.method == "cmaes":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.samplers.CmaEsSampler(
                seed=seed,
                n_startup_trials=min(5, max(1, spec.run_cap // 5)),
                warn_independent_sampling=False,
                independent_sampler=optuna.samplers.RandomSampler(seed=seed),
            )
    return optuna.samplers.RandomSampler(seed=seed)


def _pruner(spec: SweepSpec) -> optuna.pruners.BasePruner:
    import optuna

    rule = spec.early_terminate
    if rule is None:
        return optuna.pruners.NopPruner()
    if rule.type == "median":
        return optuna.pruners.MedianPruner(
            n_startup_trials=rule.startup_trials, n_warmup_steps=rule.min_iter
        )
    if rule.type == "percentile":
        return optuna.pruners.PercentilePruner(
            rule.percentile, n_startup_trials=rule.startup_trials, n_warmup_steps=rule.min_iter
        )
    return optuna.pruners.HyperbandPruner(
        min_resource=max(1, rule.min_iter),
        max_resource=rule.max_iter if rule.max_iter is not None else "auto",
        reduction_factor=rule.eta,
    )


def _suggest(trial: optuna.trial.Trial, parameters: tuple[Parameter, ...]) -> dict[str, Any]:
    chosen: dict[str, Any] = {}
    for p in parameters:
        if not p.active(chosen):
            continue
        if p.distribution in ("constant", "categorical"):
            chosen[p.name] = trial.suggest_categorical(p.name, list(p.values))
            continue
        assert p.low is not None and p.high is not None
        if p.distribution in ("int_uniform", "int_log_uniform_values"):
            step = 1 if p.q is None else max(1, int(p.q))
            chosen[p.name] = trial.suggest_int(
                p.name, int(p.low), int(p.high), step=step, log=p.distribution.startswith("int_log")
            )
        else:
            chosen[p.name] = trial.suggest_float(
                p.name, p.low, p.high, step=p.q, log=p.distribution == "log_uniform_values"
            )
    return chosen


def _trial_info(trial: optuna.trial.FrozenTrial) -> TrialInfo:
    status: TrialStatus = {
        "RUNNING": "running",
        "COMPLETE": "complete",
        "PRUNED": "pruned",
        "FAIL": "failed",
        "WAITING": "waiting",
    }[trial.state.name]  # type: ignore[assignment]
    attrs = trial.user_attrs
    ours = attrs.get(_TRIAL_ATTR) or attrs  # sweeps of Heron 0.x kept one attribute each
    return TrialInfo(
        number=trial.number,
        status=status,
        params=dict(trial.params),
        value=trial.value if status == "complete" else None,
        run_id=ours.get("run_id"),
        started_at=attrs.get("started_at") or _stamp(trial.datetime_start),
        ended_at=attrs.get("ended_at") or _stamp(trial.datetime_complete),
        steps=len(trial.intermediate_values),
        error=attrs.get("error") or (STALE if status == "failed" else None),
    )


def _stamp(at: datetime.datetime | None) -> float | None:
    """Optuna's naive local datetimes as Unix times."""
    return None if at is None else at.timestamp()
