"""Ray Tune: ``HeronCallback``, a ``LoggerCallback`` that makes each trial a run.

    from heron.integrations.ray import HeronCallback

    tuner = tune.Tuner(train_fn, param_space=space,
                       run_config=tune.RunConfig(name="lr-sweep",
                                                 callbacks=[HeronCallback(project="mnist")]))
    tuner.fit()

Each trial becomes a run, started when the trial starts, named after it
(``train_fn_1a2b3_00000``), in the group named after the experiment: the trial's
config is the run's config, every reported result is logged at step =
``training_iteration`` (numbers only, nested dicts joined with ``/``; Ray's bookkeeping
such as ``timestamp``, ``pid`` or ``done`` left out), and the run ends ``finished`` or
``failed`` with the trial. The callback runs in the driver process; the trial runs
record no console, system metrics or environment capture unless asked (those would be
the driver's, not the trial's).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from ray.tune.experiment import Trial
from ray.tune.logger import LoggerCallback

from heron.integrations.common import config_dict, init_kwargs, scalars
from heron.sdk.init import init
from heron.sdk.run import Run

# What Ray adds to every result: bookkeeping, not metrics.
RAY_FIELDS = frozenset(
    {
        "timestamp",
        "done",
        "training_iteration",
        "pid",
        "time_this_iter_s",
        "time_since_restore",
        "iterations_since_restore",
        "should_checkpoint",
    }
)


class HeronCallback(LoggerCallback):
    """Record each Ray Tune trial as a Heron run (see the module doc).

    ``project``, ``tags``, ``group`` (default: the experiment's name), ``dir`` and other
    ``heron.init`` keywords go to each trial's run. ``url`` (or ``HERON_URL``) sends
    them to a ``heron server``.
    """

    def __init__(
        self,
        project: str | None = None,
        *,
        tags: Sequence[str] = (),
        group: str | None = None,
        dir: str | os.PathLike[str] | None = None,
        **init: Any,
    ) -> None:
        quiet = {"capture": False, "system_metrics": False, "capture_console": False}
        self._init = init_kwargs(project, None, None, tuple(tags), None, dir, {**quiet, **init})
        self._group = group
        self._runs: dict[str, Run] = {}
        self.run_ids: dict[str, str] = {}  # trial id -> its run id

    def log_trial_start(self, trial: Trial) -> None:
        if trial.trial_id in self._runs:
            return
        kwargs = {
            **self._init,
            "name": str(trial),
            "group": self._group or trial.experiment_dir_name or None,
            "config": config_dict(trial.config or {}),
        }
        previous = self.run_ids.get(trial.trial_id)
        if previous is not None:  # restored after a failure: the same run goes on
            kwargs["resume"] = previous
        run = init(**kwargs)
        self._runs[trial.trial_id] = run
        self.run_ids[trial.trial_id] = run.id

    def log_trial_restore(self, trial: Trial) -> None:
        self.log_trial_start(trial)

    def log_trial_result(self, iteration: int, trial: Trial, result: Mapping[str, Any]) -> None:
        run = self._runs.get(trial.trial_id)
        if run is None:
            self.log_trial_start(trial)
            run = self._runs[trial.trial_id]
        metrics = {k: v for k, v in result.items() if k not in RAY_FIELDS and k != "config"}
        values = scalars(metrics)
        if values:
            step = result.get("training_iteration", iteration)
            run.log(values, step=int(step))

    def log_trial_end(self, trial: Trial, failed: bool = False) -> None:
        run = self._runs.pop(trial.trial_id, None)
        if run is not None:
            run.finish("failed" if failed else "finished")

    def on_experiment_end(self, trials: list[Trial], **info: Any) -> None:
        for trial_id in list(self._runs):
            self._runs.pop(trial_id).finish()
