"""LightGBM: ``HeronCallback``, a callback for ``lightgbm.train`` and the sklearn API.

    from heron.integrations.lightgbm import HeronCallback

    callback = HeronCallback(project="tabular", config=params)
    booster = lightgbm.train(params, train, valid_sets=[valid], callbacks=[callback])
    callback.finish(booster)  # needed only when early stopping may end training

Every iteration's eval results are logged at step = iteration as ``<data>/<metric>``
(``valid_0/l2``; ``lightgbm.cv`` adds ``<data>/<metric>_std``). When the last
iteration is reached (or ``finish(booster)`` is called: an early stop ends training
before the last iteration, and LightGBM tells callbacks nothing then) the best
iteration goes into the summary, the feature importance (split count and gain per
feature, by gain) is logged as the table ``feature_importance`` (a ``heron.Table``) at
the last iteration, and the booster, in LightGBM's text format, as a version of the
``model`` artifact ``model-<run id>``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import lightgbm

from heron.errors import HeronError
from heron.integrations.common import (
    OwnedRun,
    init_kwargs,
    log_model_file,
    log_table,
    metric_key,
)
from heron.sdk.init import current_run
from heron.sdk.run import Run
from heron.sdk.values import to_float


class HeronCallback:
    """Log LightGBM training to a Heron run (see the module doc).

    ``project``, ``name``, ``config`` (pass your params), ``tags``, ``group``, ``dir``
    and other ``heron.init`` keywords start the run at the first iteration (and it ends
    with training); ``run=`` (or a current run) logs into a run you started, left open.
    """

    order = 25  # after LightGBM's record_evaluation (20), before early_stopping (30)
    before_iteration = False

    def __init__(
        self,
        project: str | None = None,
        *,
        name: str | None = None,
        config: Mapping[str, Any] | None = None,
        tags: Sequence[str] = (),
        group: str | None = None,
        dir: str | os.PathLike[str] | None = None,
        run: Run | None = None,
        log_model: bool = True,
        log_importance: bool = True,
        model_name: str | None = None,
        **init: Any,
    ) -> None:
        self._run = OwnedRun(run, init_kwargs(project, name, config, tuple(tags), group, dir, init))
        self._log_model = log_model
        self._log_importance = log_importance
        self._model_name = model_name
        self._done = False

    @property
    def run(self) -> Run:
        """The run logged to (started if need be)."""
        return self._run.last()

    def __call__(self, env: Any) -> None:
        if self._done:  # a second training with the same callback: a new run
            self._done = False
        values: dict[str, float] = {}
        for result in env.evaluation_result_list or ():
            data, metric, value = result[0], result[1], result[2]
            key = metric_key(f"{data}/{metric}")
            values[key] = to_float(key, value)
            if len(result) > 4:  # lightgbm.cv: (data, metric, mean, higher_better, std)
                values[f"{key}_std"] = to_float(key, result[4])
        run = self._run.get()
        if values:
            run.log(values, step=int(env.iteration))
        if env.iteration + 1 >= env.end_iteration and isinstance(env.model, lightgbm.Booster):
            self.finish(env.model)

    def finish(self, booster: lightgbm.Booster | None = None) -> None:
        """Log ``booster`` (summary, importance, model) and end the run if this
        callback started it. Called by the last iteration; again, it does nothing."""
        if self._done:
            return
        self._done = True
        if booster is not None:
            log_booster(
                booster,
                self._run.get(),
                model=self._log_model,
                importance=self._log_importance,
                model_name=self._model_name,
            )
        self._run.finish()


def log_booster(
    booster: lightgbm.Booster,
    run: Run | None = None,
    *,
    model: bool = True,
    importance: bool = True,
    model_name: str | None = None,
) -> None:
    """Log a trained booster into ``run`` (default: the current run): best iteration
    as summary, feature importance as a table, the model as an artifact."""
    run = run or current_run()
    if not isinstance(run, Run):
        raise HeronError("no run to log into: pass run= or call init() first")
    best = {"best_iteration": float(booster.best_iteration)} if booster.best_iteration > 0 else {}
    if best:
        run.summary.update(best)
    if importance:
        names = booster.feature_name()
        split = booster.feature_importance("split")
        gain = booster.feature_importance("gain")
        rows: list[list[Any]] = [
            [n, int(s), float(g)] for n, s, g in zip(names, split, gain, strict=True)
        ]
        rows.sort(key=lambda row: -float(row[2]))  # by gain, the largest first
        step = max(booster.current_iteration() - 1, 0)
        log_table(run, "feature_importance", ["feature", "split", "gain"], rows, step)
    if model:
        log_model_file(
            run,
            lambda path: booster.save_model(str(path)),
            "model.txt",
            model_name,
            {"framework": "lightgbm", "version": lightgbm.__version__, **best},
        )
