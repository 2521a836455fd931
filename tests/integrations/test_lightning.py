"""HeronLogger on a real Lightning Trainer: config, metrics at the trainer's step,
checkpoints with retention, and a resumed run."""

from __future__ import annotations

from pathlib import Path

import lightning
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from heron.integrations.lightning import HeronLogger

from .conftest import QUIET, read

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
        monkeypatch.setattr(rank_zero_only, "rank", 1)
        logger.log_metrics({"x": 2.0, "y": 1.0}, step=1)
        monkeypatch.setattr(rank_zero_only, "rank", 0)
        logger.log_metrics({"x": 3.0}, step=2)
    with read(store_dir) as api:
        history = api.run(run.id).history(["x", "y"])
    assert history["x"].tolist() == [1.0, 3.0] and history["y"].dropna().tolist() == []
