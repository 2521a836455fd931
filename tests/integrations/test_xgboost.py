"""HeronCallback on real xgboost training: per-iteration metrics, importance, model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xgboost

import heron
from heron.integrations.xgboost import HeronCallback

from .conftest import QUIET, read

FEATURES = ["a", "b", "c"]


def matrices() -> tuple[xgboost.DMatrix, xgboost.DMatrix]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3))
    y = 2 * x[:, 0] - x[:, 1]
    train = xgboost.DMatrix(x[:48], label=y[:48], feature_names=FEATURES)
    valid = xgboost.DMatrix(x[48:], label=y[48:], feature_names=FEATURES)
    return train, valid


def test_metrics_importance_and_the_model(store_dir: Path, tmp_path: Path) -> None:
    params = {"max_depth": 2, "eta": 0.5, "eval_metric": ["rmse", "mae"], "nthread": 1}
    callback = HeronCallback(project="xgb", config=params, dir=store_dir, **QUIET)
    train, valid = matrices()
    booster = xgboost.train(
        params,
        train,
        num_boost_round=5,
        evals=[(train, "train"), (valid, "valid")],
        early_stopping_rounds=3,
        callbacks=[callback],
        verbose_eval=False,
    )
    with read(store_dir) as api:
        run = api.run(callback.run.id)
        assert run.state == "finished"
        assert run.config["max_depth"] == 2 and run.config["eval_metric"] == ["rmse", "mae"]
        series = run.series()
        assert set(series) == {"train/rmse", "train/mae", "valid/rmse", "valid/mae"}
        assert list(series["valid/rmse"].steps) == [0, 1, 2, 3, 4]
        assert run.summary["best_iteration"] == booster.best_iteration
        [importance] = run.media("feature_importance")
        assert importance.step == 4  # the last iteration
        table = importance.table()
        [model] = run.artifacts(used=False)
        path = api.download(model, tmp_path / "model")
    assert table["columns"] == ["feature", "weight", "gain", "cover", "total_gain", "total_cover"]
    assert sorted(row[0] for row in table["rows"]) == FEATURES
    gains = [row[2] for row in table["rows"]]
    assert gains == sorted(gains, reverse=True) and table["rows"][0][0] == "a"  # y = 2a - b
    assert model.type == "model" and path.name == "model.json"
    assert model.metadata["best_iteration"] == booster.best_iteration
    reloaded = xgboost.Booster(model_file=str(path))
    np.testing.assert_allclose(reloaded.predict(valid), booster.predict(valid))


def test_the_sklearn_api_and_a_current_run(store_dir: Path) -> None:
    train, _ = matrices()
    with heron.init(project="xgb", dir=store_dir, **QUIET) as run:
        model = xgboost.XGBRegressor(
            n_estimators=3, max_depth=2, n_jobs=1, callbacks=[HeronCallback(log_model=False)]
        )
        x, y = train.get_data().toarray(), train.get_label()
        model.fit(x, y, eval_set=[(x, y)], verbose=False)
        assert run.state == "running"  # not the callback's to end
    with read(store_dir) as api:
        got = api.run(run.id)
        assert list(got.series()["validation_0/rmse"].steps) == [0, 1, 2]
        assert got.artifacts() == [] and got.files() == []
        assert [m.key for m in got.media_keys()] == ["feature_importance"]
