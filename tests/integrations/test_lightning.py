"""HeronLogger on a real Lightning Trainer: config, metrics at the trainer's step,
checkpoints with retention, and a resumed run."""

from __future__ import annotations

import gc
import pickle
import weakref
from pathlib import Path
from typing import Any

import lightning
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import heron.sdk.run as run_module
from heron.integrations.lightning import HeronLogger
from tests.compiled import compiled

from .conftest import QUIET, read

fastlog, needs_fastlog = compiled("heron.sdk._fastlog")

pytestmark = [
    # Lightning 2.6 on torch 2.13 (lightning/pytorch/utilities/_pytree.py)
    pytest.mark.filterwarnings("ignore:.*treespec, LeafSpec.. is deprecated:FutureWarning"),
    # a tiny CPU job: no DataLoader workers, few batches
    pytest.mark.filterwarnings("ignore:The '.*dataloader' does not have many workers"),
    pytest.mark.filterwarnings("ignore:The number of training batches"),
    # a resumed run keeps its id, so Lightning's checkpoint folder is the same
    pytest.mark.filterwarnings("ignore:Checkpoint directory .* exists and is not empty"),
]


class Regressor(lightning.LightningModule):
    def __init__(self, lr: float = 0.05, hidden: int = 4) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(3, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)
        )

    def training_step(self, batch: list[torch.Tensor], idx: int) -> torch.Tensor:
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        self.log("train/loss", loss)
        return loss

    def validation_step(self, batch: list[torch.Tensor], idx: int) -> None:
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self.net(x), y))

    def test_step(self, batch: list[torch.Tensor], idx: int) -> None:
        x, y = batch
        self.log("test_loss", torch.nn.functional.mse_loss(self.net(x), y))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=self.hparams["lr"])


def loader() -> DataLoader[tuple[torch.Tensor, ...]]:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(32, 3, generator=gen)
    return DataLoader(TensorDataset(x, x.sum(1, keepdim=True)), batch_size=8)


def trainer(
    tmp_path: Path, logger: HeronLogger, epochs: int, **kwargs: object
) -> lightning.Trainer:
    return lightning.Trainer(
        max_epochs=epochs,
        logger=logger,
        accelerator="cpu",
        default_root_dir=tmp_path,
        log_every_n_steps=1,
        enable_progress_bar=False,
        enable_model_summary=False,
        **kwargs,  # type: ignore[arg-type]
    )


def test_config_metrics_steps_and_checkpoints(store_dir: Path, tmp_path: Path) -> None:
    logger = HeronLogger(
        project="pl", name="tiny", dir=store_dir, log_model=True, keep_last=1, keep_best=1, **QUIET
    )
    checkpoint = lightning.pytorch.callbacks.ModelCheckpoint(
        monitor="val_loss", mode="min", save_top_k=-1
    )
    fit = trainer(tmp_path, logger, epochs=3, callbacks=[checkpoint])
    fit.fit(Regressor(lr=0.05, hidden=4), loader(), loader())
    run_id = logger.version
    with read(store_dir) as api:
        run = api.run(run_id)
        assert run.state == "finished" and run.name == "tiny" and run.project == "pl"
        assert run.config == {"lr": 0.05, "hidden": 4}
        series = run.series()
        # 4 batches a epoch, 3 epochs: train/loss at the trainer's global steps 0..11
        assert list(series["train/loss"].steps) == list(range(12))
        assert list(series["val_loss"].steps) == [3, 7, 11]
        # Lightning adds the epoch to every call: four train steps and validation each epoch
        assert list(series["epoch"].values) == [0.0] * 5 + [1.0] * 5 + [2.0] * 5
        versions = run.artifacts(used=False)
    # three checkpoints were logged; retention kept the last and the best by val_loss
    assert {v.type for v in versions} == {"checkpoint"}
    steps = sorted(v.metadata["step"] for v in versions)
    assert len(steps) in (1, 2) and steps[-1] == 11
    best = min(versions, key=lambda v: v.metadata["metrics"]["val_loss"])
    assert best.version in {v.version for v in versions}
    assert all(v.files and v.files[0].path.endswith(".ckpt") for v in versions)
    assert max(v.version for v in versions) == 2  # v0, v1, v2 logged; pruned by retention


def test_a_later_stage_and_a_resumed_logger_continue_the_run(
    store_dir: Path, tmp_path: Path
) -> None:
    logger = HeronLogger(project="pl", dir=store_dir, **QUIET)
    fit = trainer(tmp_path, logger, epochs=1)
    model = Regressor()
    fit.fit(model, loader(), loader())
    fit.test(model, loader())  # after fit ended the run: reopened, same id
    run_id = logger.version
    # a new process would resume by id: the run continues from the trainer's step
    again = HeronLogger(project="pl", dir=store_dir, resume=run_id, reopen=True, **QUIET)
    trainer(tmp_path, again, epochs=2).fit(model, loader(), loader())
    assert again.version == run_id
    with read(store_dir) as api:
        run = api.run(run_id)
        assert run.state == "finished"
        assert "test_loss" in run.metrics and run.metrics["test_loss"].count == 1
        # the second trainer starts at step 0 again: history keeps both passes
        assert list(run.series(["train/loss"])["train/loss"].steps) == [
            0,
            1,
            2,
            3,
            0,
            1,
            2,
            3,
            4,
            5,
            6,
            7,
        ]
        assert len(api.runs("pl")) == 1


def test_a_current_run_is_logged_into_and_left_open(store_dir: Path, tmp_path: Path) -> None:
    import heron

    with heron.init(project="pl", dir=store_dir, **QUIET) as run:
        logger = HeronLogger()
        trainer(tmp_path, logger, epochs=1).fit(Regressor(), loader(), loader())
        assert logger.version == run.id and run.state == "running"
        run.log({"after": 1.0})
    with read(store_dir) as api:
        got = api.run(run.id)
        assert set(got.metrics) == {"train/loss", "val_loss", "epoch", "after"}
        assert got.config["hidden"] == 4


def test_only_rank_zero_logs_metrics(
    store_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``log_metrics`` checks the rank itself (Lightning's ``rank_zero_only`` rule,
    without its wrapper): another rank's call logs nothing."""
    from lightning.pytorch.utilities import rank_zero_only

    import heron

    with heron.init(project="pl", dir=store_dir, **QUIET) as run:
        logger = HeronLogger()
        logger.log_metrics({"x": 1.0}, step=0)
        logger.log_metrics({"x": 1.5}, step=1)  # (straight to the run where compiled)
        monkeypatch.setattr(rank_zero_only, "rank", 1)
        logger.log_metrics({"x": 2.0}, step=2)
        logger.log_metrics({"x": 2.0, "y": 1.0}, step=3)
        monkeypatch.setattr(rank_zero_only, "rank", 0)
        logger.log_metrics({"x": 3.0}, step=4)
    with read(store_dir) as api:
        history = api.run(run.id).history(["x", "y"])
    assert history["x"].tolist() == [1.0, 1.5, 3.0] and history["y"].dropna().tolist() == []


# What Lightning's calls may hold: plain numbers (straight to the run where compiled,
# once the run has the keys' shape), numpy, bools, no step, names Heron renames, nests.
CALLS: list[tuple[dict[str, Any], int | None]] = [
    ({"a": 1.0, "b": 2}, 0),
    ({"a": 1.5, "b": 3}, 1),
    ({"a": np.float32(2.0), "b": 4}, 2),
    ({"a": 2.5, "b": True}, 3),
    ({"a": 3.0, "b": 5}, None),  # the step of the last call
    ({"a b?": 1.0}, 5),
    ({"a b?": 2.0}, 6),
    ({"nested": {"x": 1.0}, "a": 4.0}, 7),
    ({"a": 5.0, "b": 6}, 8),
]


@needs_fastlog
def test_log_metrics_logs_the_same_with_the_compiled_relay_as_without(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where built, a ``_fastlog.Relay`` is the logger's ``log_metrics`` and writes a
    plain dict under names the run has seen itself; the history is the method's."""
    method = HeronLogger.log_metrics
    through_method = []

    def counted(self: HeronLogger, metrics: Any, step: int | None = None) -> None:
        through_method.append(step)
        method(self, metrics, step)

    monkeypatch.setattr(HeronLogger, "log_metrics", counted)
    histories = []
    for fast in (fastlog, None):
        monkeypatch.setattr(run_module, "_fast", fast)
        through_method.clear()
        logger = HeronLogger(project="pl", dir=store_dir, **QUIET)
        assert isinstance(logger.log_metrics, fastlog.Relay) is (fast is not None)
        for metrics, step in CALLS:
            logger.log_metrics(metrics, step)
        assert logger._relay.last_step == 8
        # straight: the last call only. The first made the shape of ("a", "b") with
        # b a float (log_scalars' dict), so the second's int b went through the method
        # (which passed it on as it was: the shape has an int b since), as did the rest.
        assert through_method == (
            [0, 1, 2, 3, None, 5, 6, 7] if fast else [step for _, step in CALLS]
        )
        logger.finalize("success")
        with read(store_dir) as api:
            run = api.run(logger.version)
            series = run.series(sorted(run.metrics))
            histories.append({k: (list(s.steps), list(s.values)) for k, s in series.items()})
    assert histories[0] == histories[1]
    assert histories[0]["a"] == ([0, 1, 2, 3, 3, 7, 8], [1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0])
    assert set(histories[0]) == {"a", "b", "a b_", "nested/x"}


def test_a_subclass_s_log_metrics_sees_every_call(store_dir: Path) -> None:
    """A subclass that overrides ``log_metrics`` keeps it: no relay goes around it."""
    seen = []

    class Doubling(HeronLogger):
        def log_metrics(self, metrics: Any, step: int | None = None) -> None:
            seen.append(step)
            super().log_metrics({k: 2 * v for k, v in metrics.items()}, step)

    logger = Doubling(project="pl", dir=store_dir, **QUIET)
    for step in range(3):
        logger.log_metrics({"x": float(step)}, step=step)
    assert seen == [0, 1, 2] and logger._relay.last_step == 2
    logger.finalize("success")
    with read(store_dir) as api:
        assert api.run(logger.version).history(["x"])["x"].tolist() == [0.0, 2.0, 4.0]


def test_a_logger_pickles_and_its_copy_logs(store_dir: Path) -> None:
    """Lightning's spawn strategies pickle the trainer's loggers: the compiled relay
    is made again in the copy, with the last step logged."""
    logger = HeronLogger(project="pl", dir=store_dir, **QUIET)
    logger._relay.last_step = 4
    copy = pickle.loads(pickle.dumps(logger))
    assert copy._relay is not logger._relay and copy._relay.last_step == 4
    assert isinstance(copy.log_metrics, type(logger.log_metrics))
    copy.log_metrics({"x": 1.0}, step=5)
    copy.log_metrics({"x": 2.0}, step=6)
    copy.finalize("success")
    with read(store_dir) as api:
        assert api.run(copy.version).history(["x"])["x"].tolist() == [1.0, 2.0]
    # the relay and the logger refer to each other: the collector frees them
    gone = weakref.ref(copy)
    del copy
    gc.collect()
    assert gone() is None
