"""HeronCallback on real LightGBM training: per-iteration metrics, importance, model."""

from __future__ import annotations

from pathlib import Path

import lightgbm
import numpy as np

from heron.integrations.lightgbm import HeronCallback

from .conftest import QUIET, read

FEATURES = ["a", "b", "c"]
PARAMS = {
    "objective": "regression",
    "metric": ["l2", "l1"],
    "num_leaves": 4,
    "min_data_in_leaf": 2,
    "learning_rate": 0.5,
    "num_threads": 1,
    "verbose": -1,
}


def datasets() -> tuple[lightgbm.Dataset, lightgbm.Dataset]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 3))
    y = 2 * x[:, 0] - x[:, 1]
    train = lightgbm.Dataset(x[:60], label=y[:60], feature_name=FEATURES, free_raw_data=False)
    return train, lightgbm.Dataset(x[60:], label=y[60:], reference=train)


def test_metrics_importance_and_the_model(store_dir: Path, tmp_path: Path) -> None:
    callback = HeronCallback(project="lgb", config=PARAMS, dir=store_dir, **QUIET)
    train, valid = datasets()
    booster = lightgbm.train(
        PARAMS,
        train,
        num_boost_round=4,
        valid_sets=[train, valid],
        valid_names=["train", "valid"],
        callbacks=[callback],
    )
    with read(store_dir) as api:
        run = api.run(callback.run.id)
        assert run.state == "finished"  # the last iteration ended it
        assert run.config["num_leaves"] == 4
        series = run.series()
        assert set(series) == {"train/l2", "train/l1", "valid/l2", "valid/l1"}
        assert list(series["valid/l2"].steps) == [0, 1, 2, 3]
        [importance] = run.media("feature_importance")
        table = importance.table()
        assert importance.step == 3
        [model] = run.artifacts(used=False)
        path = api.download(model, tmp_path / "model")
    assert table["columns"] == ["feature", "split", "gain"]
    gain = {row[0]: row[2] for row in table["rows"]}
    assert set(gain) == set(FEATURES) and gain["a"] > gain["c"]
    reloaded = lightgbm.Booster(model_file=str(path))
    x = np.random.default_rng(1).normal(size=(5, 3))
    np.testing.assert_allclose(reloaded.predict(x), booster.predict(x))


def test_an_early_stop_is_finished_by_hand(store_dir: Path) -> None:
    callback = HeronCallback(project="lgb", dir=store_dir, log_model=False, **QUIET)
    train, valid = datasets()
    booster = lightgbm.train(
        {**PARAMS, "learning_rate": 1.0},
        train,
        num_boost_round=200,
        valid_sets=[valid],
        callbacks=[callback, lightgbm.early_stopping(1, verbose=False)],
    )
    assert booster.best_iteration < 200 and callback.run.state == "running"
    callback.finish(booster)
    callback.finish(booster)  # once is enough
    with read(store_dir) as api:
        run = api.run(callback.run.id)
        assert run.state == "finished"
        assert run.summary["best_iteration"] == booster.best_iteration
        assert run.artifacts() == [] and run.files() == []
        assert [m.key for m in run.media_keys()] == ["feature_importance"]
        # logged up to the iteration that stopped it, one past the best (1-based)
        assert run.metrics["valid_0/l2"].count == booster.best_iteration + 1
