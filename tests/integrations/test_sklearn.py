"""The scikit-learn helpers on a real estimator: params, CV scores, the skops model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skops.io
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import heron
from heron.integrations.sklearn import fit_and_log, log_cv, log_model, log_params

from .conftest import QUIET, read


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    return x, x @ np.array([1.0, -2.0, 0.5]) + rng.normal(scale=0.1, size=40)


def test_fit_and_log_records_params_cv_scores_and_the_model(
    store_dir: Path, tmp_path: Path
) -> None:
    x, y = data()
    model = fit_and_log(
        Ridge(alpha=0.5),
        x,
        y,
        cv=4,
        scoring=["r2", "neg_mean_squared_error"],
        project="skl",
        name="ridge",
        dir=store_dir,
        **QUIET,
    )
    with read(store_dir) as api:
        [run] = api.runs("skl")
        assert run.state == "finished" and run.name == "ridge"
        assert run.config["model"]["class"] == "sklearn.linear_model._ridge.Ridge"
        assert run.config["model"]["params"]["alpha"] == 0.5
        series = run.series()
        assert list(series["cv/test_r2"].steps) == [0, 1, 2, 3]
        assert {"cv/fit_time", "cv/score_time", "cv/test_neg_mean_squared_error"} <= set(series)
        r2 = series["cv/test_r2"].values
        assert run.summary["cv/test_r2_mean"] == pytest.approx(float(np.mean(r2)))
        assert run.summary["cv/test_r2_std"] == pytest.approx(float(np.std(r2)))
        [artifact] = run.artifacts(used=False)
        path = api.download(artifact, tmp_path / "model")
    assert artifact.type == "model" and artifact.metadata["framework"] == "sklearn"
    loaded = skops.io.load(path, trusted=[])
    np.testing.assert_allclose(loaded.predict(x), model.predict(x))


def test_the_pieces_log_into_a_run_you_hold(store_dir: Path) -> None:
    x, y = data()
    pipeline = make_pipeline(StandardScaler(), Ridge(alpha=2.0)).fit(x, y)
    with heron.init(project="skl", dir=store_dir, **QUIET) as run:
        log_params(pipeline)  # the current run
        log_cv({"test_score": [0.9, 0.8], "estimator": [pipeline, pipeline]}, run)
        ref = log_model(pipeline, run, name="pipe")
    assert ref == "pipe:latest"
    with read(store_dir) as api:
        got = api.run(run.id)
        params = got.config["model"]["params"]
        assert params["ridge__alpha"] == 2.0 and params["steps"][0][0] == "standardscaler"
        assert got.summary["cv/test_score_mean"] == pytest.approx(0.85)
        assert set(got.series()) == {"cv/test_score"}
        assert api.artifact("skl", "pipe").type == "model"


def test_without_a_run_it_says_so() -> None:
    with pytest.raises(heron.HeronError, match="no run to log into"):
        log_params(Ridge())
