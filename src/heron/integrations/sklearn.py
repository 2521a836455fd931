"""scikit-learn: log an estimator's parameters, its cross-validation scores and the
fitted model.

    from heron.integrations.sklearn import fit_and_log

    model = fit_and_log(Ridge(alpha=0.5), X, y, cv=5, project="tabular")

or piece by piece into a run you hold: ``log_params(estimator, run)``,
``log_cv(cross_validate(...), run)``, ``log_model(fitted, run)``.

Parameters go into the config under ``model`` (``model.class`` and ``model.params``;
nested estimators of a pipeline appear as their ``repr``). CV scores are logged per
fold (step = fold) as ``cv/<score>`` (``cv/test_score``, ``cv/fit_time``...) with
``cv/<score>_mean`` and ``_std`` in the summary. The model is saved with skops (a
format that loads without running code; ``heron.models`` loads it with skops' type
check) as a version of the ``model`` artifact ``model-<run id>``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sklearn
import skops.io
from sklearn.model_selection import cross_validate

from heron.errors import HeronError
from heron.integrations.common import (
    OwnedRun,
    config_dict,
    init_kwargs,
    log_model_file,
    metric_key,
)
from heron.sdk.init import current_run
from heron.sdk.run import Run
from heron.sdk.values import to_float


def _run_or_current(run: Run | None) -> Run:
    run = run or current_run()
    if not isinstance(run, Run):
        raise HeronError("no run to log into: pass run= or call init() first")
    return run


def estimator_config(estimator: Any) -> dict[str, Any]:
    """``{"class": "sklearn.linear_model._ridge.Ridge", "params": {...}}``."""
    kind = type(estimator)
    params = estimator.get_params(deep=True) if hasattr(estimator, "get_params") else {}
    return {"class": f"{kind.__module__}.{kind.__qualname__}", "params": config_dict(params)}


def log_params(estimator: Any, run: Run | None = None, key: str = "model") -> None:
    """The estimator's class and parameters into the run's config under ``key``."""
    _run_or_current(run).config.update({key: estimator_config(estimator)})


def log_cv(results: Mapping[str, Any], run: Run | None = None, prefix: str = "cv") -> None:
    """``cross_validate``'s result: each array logged per fold, mean and std as summary
    (fitted estimators and indices, when returned, are left out)."""
    run = _run_or_current(run)
    columns = {
        metric_key(f"{prefix}/{name}"): np.asarray(values, dtype=float)
        for name, values in results.items()
        if name not in ("estimator", "indices") and np.ndim(values) == 1
    }
    folds = max((len(v) for v in columns.values()), default=0)
    for fold in range(folds):
        run.log({k: float(v[fold]) for k, v in columns.items() if fold < len(v)}, step=fold)
    summary: dict[str, float] = {}
    for key, values in columns.items():
        summary[f"{key}_mean"] = to_float(key, values.mean())
        summary[f"{key}_std"] = to_float(key, values.std())
    run.summary.update(summary)


def log_model(estimator: Any, run: Run | None = None, name: str | None = None) -> str:
    """Save the fitted estimator with skops and log it as a ``model`` artifact; returns
    its ref (``model-<run id>:latest``)."""
    run = _run_or_current(run)
    kind = type(estimator)
    return log_model_file(
        run,
        lambda path: skops.io.dump(estimator, path),
        "model.skops",
        name,
        {
            "framework": "sklearn",
            "version": sklearn.__version__,
            "class": f"{kind.__module__}.{kind.__qualname__}",
        },
    )


def fit_and_log(
    estimator: Any,
    X: Any,
    y: Any = None,
    *,
    cv: Any = 5,
    scoring: str | Sequence[str] | None = None,
    run: Run | None = None,
    log_fitted: bool = True,
    model_name: str | None = None,
    project: str | None = None,
    name: str | None = None,
    config: Mapping[str, Any] | None = None,
    tags: Sequence[str] = (),
    group: str | None = None,
    dir: str | os.PathLike[str] | None = None,
    **init: Any,
) -> Any:
    """Cross-validate ``estimator`` on ``X, y`` (``cv`` folds, ``scoring``), fit it on
    all of it, and log the parameters, the CV scores and the fitted model. Into ``run``
    (or the current run); else a run started with the ``heron.init`` keywords and
    finished here. ``cv=None`` skips cross-validation. Returns the fitted estimator."""
    owned = OwnedRun(run, init_kwargs(project, name, config, tuple(tags), group, dir, init))
    target = owned.get()
    try:
        log_params(estimator, target)
        if cv is not None:
            log_cv(cross_validate(estimator, X, y, cv=cv, scoring=scoring), target)
        estimator.fit(X, y)
        if log_fitted:
            log_model(estimator, target, model_name)
    except BaseException as exc:
        if owned.owned:
            target.finish("failed", error=f"{type(exc).__name__}: {exc}")
        raise
    owned.finish()
    return estimator
