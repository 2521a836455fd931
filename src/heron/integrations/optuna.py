"""Optuna: ``HeronCallback``, a study callback that makes each trial a run.

    from heron.integrations.optuna import HeronCallback

    study = optuna.create_study(study_name="lr-search", direction="minimize")
    study.optimize(objective, n_trials=50, callbacks=[HeronCallback(project="mnist")])

When a trial ends, a run named ``trial-<number>`` is recorded in the group named after
the study: its parameters as config, the values it reported (``trial.report``) logged
at their steps under ``metric_name``, its final value(s) and number as summary, and the
study's best so far as ``study/best_value`` and ``study/best_trial`` (the newest run
of the group therefore holds the study's best). A pruned trial is tagged ``pruned``, a
failed one ends ``failed``; the best trial so far is tagged ``best``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import optuna

from heron.integrations.common import config_dict, config_value, init_kwargs, metric_key
from heron.sdk.init import init


class HeronCallback:
    """Record each finished trial of a study as a Heron run (see the module doc).

    ``metric_name``: the key of the objective's value (a list of names for a
    multi-objective study). ``project``, ``tags``, ``group`` (default: the study's
    name), ``dir`` and other ``heron.init`` keywords go to each trial's run.
    """

    def __init__(
        self,
        project: str | None = None,
        *,
        metric_name: str | Sequence[str] = "value",
        tags: Sequence[str] = (),
        group: str | None = None,
        dir: str | os.PathLike[str] | None = None,
        **init: Any,
    ) -> None:
        names = [metric_name] if isinstance(metric_name, str) else list(metric_name)
        self._names = [metric_key(n) for n in names]
        self._group = group
        self._init = init_kwargs(project, None, None, tuple(tags), None, dir, init)
        self.run_ids: dict[int, str] = {}  # trial number -> its run id

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        state = trial.state
        tags = list(self._init.get("tags", []))
        if state == optuna.trial.TrialState.PRUNED:
            tags.append("pruned")
        best = _best(study)
        if best is not None and best.number == trial.number:
            tags.append("best")
        config = config_dict(trial.params)
        if trial.user_attrs:
            config["user_attrs"] = {k: config_value(v) for k, v in trial.user_attrs.items()}
        kwargs = {
            **self._init,
            "name": f"trial-{trial.number}",
            "group": self._group or study.study_name,
            "config": config,
            "tags": tags,
        }
        run = init(**kwargs)
        self.run_ids[trial.number] = run.id
        first = self._names[0]
        for step, value in sorted(trial.intermediate_values.items()):
            run.log({first: value}, step=step)
        summary: dict[str, Any] = {"trial": trial.number}
        names = (
            self._names if len(self._names) == len(trial.values or ()) else _numbered(first, trial)
        )
        summary.update(zip(names, trial.values or (), strict=False))
        if best is not None:
            summary["study/best_trial"] = best.number
            summary["study/best_value"] = best.value
        if trial.duration is not None:
            summary["duration"] = trial.duration.total_seconds()
        run.summary.update(summary)
        run.finish("failed" if state == optuna.trial.TrialState.FAIL else "finished")


def _best(study: optuna.Study) -> optuna.trial.FrozenTrial | None:
    """The study's best trial so far; None for a multi-objective study or none yet."""
    if len(study.directions) != 1:
        return None
    try:
        return study.best_trial
    except ValueError:  # no trial completed yet
        return None


def _numbered(first: str, trial: optuna.trial.FrozenTrial) -> list[str]:
    values = trial.values or ()
    return [first] if len(values) == 1 else [f"{first}_{i}" for i in range(len(values))]
