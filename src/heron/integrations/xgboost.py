"""XGBoost: ``HeronCallback``, a ``xgboost.callback.TrainingCallback``.

    from heron.integrations.xgboost import HeronCallback

    booster = xgboost.train(params, dtrain, evals=[(dvalid, "valid")],
                            callbacks=[HeronCallback(project="tabular", config=params)])

Every iteration's eval metrics are logged at step = iteration as ``<data>/<metric>``
(``valid/rmse``; ``xgboost.cv`` adds ``<data>/<metric>_std``). When training ends the
best iteration and score (early stopping) go into the summary, the feature importance
(weight, gain, cover, total_gain, total_cover per feature, by gain) is logged as the
table ``feature_importance`` (a ``heron.Table``) at the last iteration, and the booster, saved
in XGBoost's JSON format, as a version of the ``model`` artifact ``model-<run id>``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import xgboost

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

IMPORTANCE_TYPES = ("weight", "gain", "cover", "total_gain", "total_cover")


class HeronCallback(xgboost.callback.TrainingCallback):
    """Log ``xgboost.train`` (or an ``XGBModel``'s fit) to a Heron run.

    ``project``, ``name``, ``config`` (pass your params), ``tags``, ``group``, ``dir``
    and other ``heron.init`` keywords start the run when training begins (and it ends
    with training); ``run=`` (or a current run) logs into a run you started, left open.
    ``log_model``/``log_importance``: store the booster and its feature importance.
    """

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
        super().__init__()
        self._run = OwnedRun(run, init_kwargs(project, name, config, tuple(tags), group, dir, init))
        self._log_model = log_model
        self._log_importance = log_importance
        self._model_name = model_name

    @property
    def run(self) -> Run:
        """The run logged to (started if need be)."""
        return self._run.last()

    def before_training(self, model: Any) -> Any:
        self._run.get()
        return model

    def after_iteration(self, model: Any, epoch: int, evals_log: Mapping[str, Any]) -> bool:
        values: dict[str, float] = {}
        for data, metrics in evals_log.items():
            for metric, history in metrics.items():
                if not history:
                    continue
                last = history[-1]
                key = metric_key(f"{data}/{metric}")
                if isinstance(last, tuple):  # xgboost.cv: (mean, std)
                    values[key] = to_float(key, last[0])
                    values[f"{key}_std"] = to_float(key, last[1])
                else:
                    values[key] = to_float(key, last)
        if values:
            self._run.get().log(values, step=epoch)
        return False  # never stops training

    def after_training(self, model: Any) -> Any:
        run = self._run.get()
        if isinstance(model, xgboost.Booster):
            log_booster(
                model,
                run,
                model=self._log_model,
                importance=self._log_importance,
                model_name=self._model_name,
            )
        self._run.finish()
        return model


def log_booster(
    booster: xgboost.Booster,
    run: Run | None = None,
    *,
    model: bool = True,
    importance: bool = True,
    model_name: str | None = None,
) -> None:
    """Log a trained booster into ``run`` (default: the current run): best iteration
    and score as summary, feature importance as a table, the model as an artifact."""
    run = run or current_run()
    if not isinstance(run, Run):
        raise HeronError("no run to log into: pass run= or call init() first")
    attributes = booster.attributes()
    best = {
        k: to_float(k, float(text))
        for k in ("best_iteration", "best_score")
        if (text := attributes.get(k)) is not None
    }
    if best:
        run.summary.update(best)
    if importance:
        scores = {kind: booster.get_score(importance_type=kind) for kind in IMPORTANCE_TYPES}
        features = booster.feature_names or sorted(set().union(*scores.values()))
        rows: list[list[Any]] = [
            [f, *(scores[kind].get(f, 0.0) for kind in IMPORTANCE_TYPES)] for f in features
        ]
        rows.sort(key=lambda row: -float(row[2]))  # by gain, the largest first
        step = max(booster.num_boosted_rounds() - 1, 0)
        log_table(run, "feature_importance", ["feature", *IMPORTANCE_TYPES], rows, step)
    if model:
        log_model_file(
            run,
            lambda path: booster.save_model(str(path)),
            "model.json",
            model_name,
            {"framework": "xgboost", "version": xgboost.__version__, **best},
        )
