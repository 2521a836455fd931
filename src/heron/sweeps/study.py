"""A sweep is an Optuna study kept beside Heron's own database.

Where the study lives (``sweeps_url``): Optuna's RDB storage keeps its own tables and
its own ``alembic_version``, so it cannot share Heron's table namespace:

- SQLite (a store folder, or a ``sqlite:///path/heron.db`` URL): the file beside it,
  ``path/heron.sweeps.db``;
- PostgreSQL: the same database, in its own schema ``heron_sweeps`` (created on first use).

Agents on other machines therefore share a sweep through the PostgreSQL URL (or a
shared folder); a ``heron server`` URL is refused (sweeps are not served over HTTP yet).

Claiming a trial (:meth:`Sweep.ask`) runs under a lock shared by every agent (a file
lock beside the SQLite file, a PostgreSQL advisory lock): stale trials are failed,
the cap is checked and the trial is created in one critical section, so no trial is
handed out twice and a sweep never runs more than ``run_cap`` trials.

The sweep's own state is a study user attribute: ``running``, ``paused`` (agents wait)
or ``stopped`` (agents ask for nothing more; running trials finish). ``finished`` is
derived: every trial has ended and the cap is reached.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from heron.connect import Location
from heron.errors import Conflict, InvalidInput, NotFound
from heron.ids import new_run_id
from heron.sweeps.spec import Parameter, SweepSpec, parse_spec

if TYPE_CHECKING:
    import optuna

__all__ = [
    "SweepInfo",
    "SweepStatus",
    "Sweeps",
    "TrialInfo",
    "TrialTicket",
    "sweeps_url",
    "sweeps_url_of",
]

SweepStatus = Literal["running", "paused", "stopped", "finished"]
TrialStatus = Literal["running", "complete", "pruned", "failed", "waiting"]
PG_SCHEMA = "heron_sweeps"
_PG_ASK_LOCK = 0x4E52_0001_5E5E_0009
_SPEC_ATTR = "heron:spec"
_STATUS_ATTR = "heron:status"
_CREATED_ATTR = "heron:created_at"
STALE = "its agent stopped (no heartbeat)"  # a failed trial's reason when none was told


def sweeps_url(location: Location) -> str:
    """The Optuna storage URL of the store at ``location`` (see the module doc)."""
    if location.kind == "server":
        raise InvalidInput(
            f"{location} is a Heron server: sweeps are kept beside the database; run "
            "`heron sweep` and `heron agent` with the store's folder or its PostgreSQL URL "
            "(HERON_DIR or HERON_URL=postgresql://...)"
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


@dataclass(frozen=True)
class TrialInfo:
    number: int
    status: TrialStatus
    params: dict[str, Any]
    value: float | None
    run_id: str | None
    started_at: float | None
    ended_at: float | None
    steps: int  # intermediate values reported (for pruning)
    error: str | None


@dataclass(frozen=True)
class SweepInfo:
    name: str
    project: str
    group: str
    method: str
    metric: str
    goal: str
    status: SweepStatus
    run_cap: int
    counts: dict[str, int]
    best_value: float | None
    best_trial: int | None
    created_at: float
    spec: dict[str, Any]


@dataclass
class TrialTicket:
    """A claimed trial: its number, parameters and the run id its process will use."""

    number: int
    params: dict[str, Any]
    run_id: str
    trial: optuna.trial.Trial
    trial_id: int  # the storage's


class Sweeps:
    """The sweeps of one store. ``grace``: seconds without a trial heartbeat after which
    a running trial's agent is taken for dead (its trial failed, see ``reap``)."""

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
        self._reaped: list[optuna.trial.FrozenTrial] = []
        self.heartbeat = heartbeat

    @classmethod
    def at(cls, location: Location, **kwargs: Any) -> Sweeps:
        return cls(sweeps_url(location), **kwargs)

    def close(self) -> None:
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
        out = [self.info(name) for name in self.names()]
        return [s for s in out if project is None or s.project == project]

    def spec(self, name: str) -> SweepSpec:
        return parse_spec(self._study(name).user_attrs[_SPEC_ATTR])

    def info(self, name: str) -> SweepInfo:
        study = self._study(name)
        spec = parse_spec(study.user_attrs[_SPEC_ATTR])
        trials = self.trials(name, study=study)
        counts: dict[str, int] = {}
        for t in trials:
            counts[t.status] = counts.get(t.status, 0) + 1
        done = [t for t in trials if t.status == "complete" and t.value is not None]
        best = None
        if done:
            pick = min if spec.goal == "minimize" else max
            best = pick(done, key=lambda t: t.value if t.value is not None else math.nan)
        status: SweepStatus = study.user_attrs.get(_STATUS_ATTR, "running")
        if status == "running" and len(trials) >= spec.run_cap and not counts.get("running"):
            status = "finished"
        return SweepInfo(
            name=name,
            project=spec.project,
            group=spec.group,
            method=spec.method,
            metric=spec.metric,
            goal=spec.goal,
            status=status,
            run_cap=spec.run_cap,
            counts=counts,
            best_value=None if best is None else best.value,
            best_trial=None if best is None else best.number,
            created_at=float(study.user_attrs.get(_CREATED_ATTR, 0.0)),
            spec=spec.to_json(),
        )

    def set_status(self, name: str, status: Literal["running", "paused", "stopped"]) -> SweepInfo:
        """Pause (agents wait), stop (agents ask for nothing more) or resume a sweep."""
        study = self._study(name)
        study.set_user_attr(_STATUS_ATTR, status)
        return self.info(name)

    def status(self, name: str) -> SweepStatus:
        return self.info(name).status

    def trials(self, name: str, *, study: optuna.Study | None = None) -> list[TrialInfo]:
        study = study if study is not None else self._study(name)
        return [_trial_info(t) for t in study.get_trials(deepcopy=False)]

    # --- trials ----------------------------------------------------------------
    def ask(self, name: str, agent: str = "") -> TrialTicket | None:
        """Claim the next trial, or None when the sweep is stopped, paused or full."""
        study = self._study(name, sampling=True)
        spec = parse_spec(study.user_attrs[_SPEC_ATTR])
        with self._ask_lock():
            if study.user_attrs.get(_STATUS_ATTR) != "running":
                return None
            self._fail_stale(study)
            count = len(study.get_trials(deepcopy=False))
            if count >= spec.run_cap:
                return None
            study.sampler = _sampler(spec, count)
            if spec.method == "grid":
                study.enqueue_trial(spec.grid[count], skip_if_exists=False)
            with warnings.catch_warnings():  # "heartbeat is meant for optimize()": we beat
                warnings.simplefilter("ignore", UserWarning)
                trial = study.ask()
            params = _suggest(trial, spec.parameters)
            run_id = new_run_id()
            trial.set_user_attr("run_id", run_id)
            trial.set_user_attr("agent", agent)
            trial.set_user_attr("started_at", time.time())
        study_id = self.storage.get_study_id_from_name(name)
        trial_id = self.storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
        self.storage.record_heartbeat(trial_id)
        return TrialTicket(trial.number, params, run_id, trial, trial_id)

    def beat(self, ticket: TrialTicket) -> None:
        self.storage.record_heartbeat(ticket.trial_id)

    def report(self, name: str, ticket: TrialTicket, step: int, value: float) -> bool:
        """Report an intermediate value; True when the pruner says stop this trial."""
        study = self._study(name, sampling=True)
        ticket.trial.study.pruner = study.pruner
        ticket.trial.report(value, step)
        return bool(ticket.trial.should_prune())

    def tell(
        self,
        ticket: TrialTicket,
        outcome: Literal["complete", "pruned", "failed"],
        value: float | None = None,
        error: str | None = None,
    ) -> None:
        import optuna

        state = {
            "complete": optuna.trial.TrialState.COMPLETE,
            "pruned": optuna.trial.TrialState.PRUNED,
            "failed": optuna.trial.TrialState.FAIL,
        }[outcome]
        trial = ticket.trial
        trial.set_user_attr("ended_at", time.time())
        if error:
            trial.set_user_attr("error", error[:2000])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # optuna warns on a failed tell
            trial.study.tell(trial, value if outcome == "complete" else None, state=state)

    def reap(self, name: str) -> list[TrialInfo]:
        """Fail the running trials whose agent stopped beating (killed, machine lost);
        returns them (their runs are the caller's to mark crashed)."""
        study = self._study(name)
        with self._ask_lock():
            return self._fail_stale(study)

    def _fail_stale(self, study: optuna.Study) -> list[TrialInfo]:
        """Optuna's own check (its heartbeat table): stale running trials become FAIL
        and our callback (``heartbeat_stale_trial_callback``) hears of each."""
        import optuna

        self._reaped = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(study)
        reaped, self._reaped = self._reaped, []
        return [_trial_info(t) for t in reaped]

    def _on_stale(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        self._reaped.append(trial)

    def _study(self, name: str, *, sampling: bool = False) -> optuna.Study:
        import optuna

        try:
            study = optuna.load_study(study_name=name, storage=self.storage)
        except KeyError:
            raise NotFound(f"no sweep named {name!r}; `heron sweep ls` lists them") from None
        if _SPEC_ATTR not in study.user_attrs:
            raise NotFound(f"study {name!r} was not created by `heron sweep create`")
        if sampling:
            spec = parse_spec(study.user_attrs[_SPEC_ATTR])
            study.pruner = _pruner(spec)
        return study

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
    return TrialInfo(
        number=trial.number,
        status=status,
        params=dict(trial.params),
        value=trial.value if status == "complete" else None,
        run_id=attrs.get("run_id"),
        started_at=attrs.get("started_at"),
        ended_at=attrs.get("ended_at"),
        steps=len(trial.intermediate_values),
        error=attrs.get("error") or (STALE if status == "failed" else None),
    )


def to_json(info: SweepInfo | TrialInfo) -> dict[str, Any]:
    """A sweep's or trial's JSON (the CLI's --json and the server's answers)."""
    from dataclasses import asdict

    out: dict[str, Any] = json.loads(json.dumps(asdict(info), default=str))
    return out
