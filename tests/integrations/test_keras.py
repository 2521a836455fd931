"""HeronCallback on a real Keras 3 fit (torch backend) with a tiny dense model."""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "torch"  # before keras is imported

from pathlib import Path

import keras
import numpy as np
import pytest

from heron.integrations.keras import HeronCallback

from .conftest import QUIET, read

# Keras 3.15's torch backend hands numpy a tensor whose __array__ lacks `copy`
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)


def tiny_model() -> keras.Model:
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse", metrics=["mae"])
    return model


def data() -> tuple[np.ndarray, np.ndarray]:
    x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
    return x, x.sum(axis=1, keepdims=True)


def test_epoch_metrics_config_and_the_model(store_dir: Path) -> None:
    assert keras.backend.backend() == "torch"
    callback = HeronCallback(project="keras", dir=store_dir, log_model=True, **QUIET)
    x, y = data()
    tiny_model().fit(
        x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0, callbacks=[callback]
    )
    with read(store_dir) as api:
        run = api.run(callback.run.id)
        assert run.state == "finished"
        assert run.config["fit"]["epochs"] == 3 and run.config["fit"]["steps"] == 3
        assert run.config["optimizer"]["class"] == "SGD"
        assert abs(run.config["optimizer"]["learning_rate"] - 0.05) < 1e-7  # a float32
        series = run.series()
        assert set(series) == {"loss", "mae", "val_loss", "val_mae"}
        assert list(series["val_loss"].steps) == [0, 1, 2]
        [model] = run.artifacts(used=False)
        assert model.type == "model" and model.name == f"model-{run.id}"
        path = api.download(model, store_dir.parent / "model")
    assert path.name == "model.keras"
    reloaded = keras.saving.load_model(path)
    assert reloaded.count_params() == 4 * 3 + 4 + 4 + 1


def test_batch_logs_at_the_global_step(store_dir: Path) -> None:
    callback = HeronCallback(project="keras", dir=store_dir, log_every_n_batches=2, **QUIET)
    x, y = data()
    tiny_model().fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[callback])
    with read(store_dir) as api:
        series = api.run(callback.run.id).series()
    assert list(series["batch/loss"].steps) == [1, 3, 5, 7]  # 4 batches an epoch
    assert list(series["loss"].steps) == [3, 7] and list(series["epoch"].values) == [0, 1]
