"""PyTorch Lightning: ``HeronLogger``, a ``lightning.pytorch`` logger.

    from heron.integrations.lightning import HeronLogger

    logger = HeronLogger(project="mnist", log_model=True)
    trainer = lightning.Trainer(logger=logger, max_epochs=3)
    trainer.fit(model, datamodule)

Hyperparameters (``save_hyperparameters()``) become the run's config, metrics are
logged at the trainer's global step, and with ``log_model=True`` every checkpoint a
``ModelCheckpoint`` saves becomes a version of the run's checkpoint artifact, pruned by
``Run.log_checkpoint``'s retention (the last ``keep_last`` and the best ``keep_best`` by
the callback's ``monitor``). Only rank 0 logs.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lightning.fabric.loggers.logger import rank_zero_experiment
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers.logger import Logger
from lightning.pytorch.utilities import rank_zero_only

from heron.integrations.common import OwnedRun, config_dict, init_kwargs, log_scalars, relay
from heron.sdk.run import Run


class HeronLogger(Logger):
    """Log a Lightning ``Trainer`` to a Heron run.

    ``project``, ``name``, ``config``, ``tags``, ``group``, ``dir`` and any other
    ``heron.init`` keyword (``resume="auto"`` or a run id, ``url``, ``mode``...) start
    the run on first use; ``run=`` logs into a run you started (as does a current run
    from ``heron.init``). ``log_model``: log checkpoints (see the module doc);
    ``keep_last``/``keep_best``: their retention. ``prefix`` goes before every key.
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
        log_model: bool = False,
        keep_last: int = 3,
        keep_best: int = 1,
        checkpoint_name: str | None = None,
        prefix: str = "",
        **init: Any,
    ) -> None:
        super().__init__()
        self._run = OwnedRun(run, init_kwargs(project, name, config, tuple(tags), group, dir, init))
        self._project = project
        self._log_model = log_model
        self._keep_last = keep_last
        self._keep_best = keep_best
        self._checkpoint_name = checkpoint_name
        self._prefix = prefix
        self._logged: dict[str, float] = {}  # checkpoint path -> its mtime when logged
        # where compiled, the relay is this instance's log_metrics (common.relay)
        self._relay = relay(self, HeronLogger, rank_zero_only, self._prefix)

    def __getstate__(self) -> dict[str, Any]:
        # (the compiled relay does not pickle: Lightning's spawn strategies pickle loggers)
        state = {k: v for k, v in self.__dict__.items() if k not in ("_relay", "log_metrics")}
        state["_relay"] = self._relay.last_step
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        last_step = state.pop("_relay")
        self.__dict__.update(state)
        self._relay = relay(self, HeronLogger, rank_zero_only, self._prefix)
        self._relay.last_step = last_step

    # -- what Lightning asks ------------------------------------------------------
    @property
    @rank_zero_experiment
    def experiment(self) -> Run:
        """The Heron run (started on first use; reopened if a stage ended it)."""
        return self._run.get()

    @property
    def name(self) -> str:
        if self._run.started:
            return str(self._run.last().project)
        return self._project or os.environ.get("HERON_PROJECT") or "default"

    @property
    def version(self) -> str:
        """The run id (Lightning names checkpoint folders after it)."""
        return str(self._run.last().id)

    @property
    def save_dir(self) -> str | None:
        return None  # checkpoints go under the trainer's default_root_dir

    @rank_zero_only
    def log_hyperparams(self, params: Mapping[str, Any] | argparse.Namespace) -> None:
        if isinstance(params, argparse.Namespace):
            params = vars(params)
        if params:
            self.experiment.config.update(config_dict(params))

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        # Where built, a compiled relay (``common.relay``) is this instance's
        # ``log_metrics`` and logs a step's plain dict itself; it calls this for the rest.
        # ``@rank_zero_only``'s check, written here: its wrapper (a call through *args
        # and **kwargs) cost about 5 us a step with the caches cold after a training
        # step (issue 19). A rank not set yet is 0.
        if getattr(rank_zero_only, "rank", 0) != 0:
            return
        run = self._run.get()  # (``experiment`` without its rank check: this method has one)
        if step is None:
            step = max(run.step - 1, 0)
        self._relay.last_step = step
        log_scalars(run, metrics, step, self._prefix)
        self._relay.target = run.log

    @rank_zero_only
    def after_save_checkpoint(self, checkpoint_callback: ModelCheckpoint) -> None:
        if self._log_model:
            self._log_checkpoints(checkpoint_callback)

    def save(self) -> None:
        """Nothing to do: Lightning calls this after every ``log_metrics``, and Heron's
        shipper already writes in the background (``finalize`` ends the run)."""

    @rank_zero_only
    def finalize(self, status: str) -> None:
        """End of a trainer stage: the run ends (``failed`` unless ``status`` is
        ``success``) if this logger started it, and reopens when logged to again."""
        if self._run.started:
            self._run.finish("finished" if status == "success" else "failed")

    # -- checkpoints ---------------------------------------------------------------
    def _log_checkpoints(self, callback: ModelCheckpoint) -> None:
        """Log each checkpoint file the callback saved since the last call, oldest first."""
        scores: dict[str, Any] = {}
        if callback.last_model_path:
            scores[callback.last_model_path] = callback.current_score
        scores.update(callback.best_k_models)
        fresh = []
        for path, score in scores.items():
            file = Path(path)
            if not file.is_file():
                continue
            mtime = file.stat().st_mtime
            if self._logged.get(path, -1.0) < mtime:
                fresh.append((mtime, path, score))
        run = self.experiment
        metric = callback.monitor
        for mtime, path, score in sorted(fresh):
            metrics = {metric: float(score)} if metric and score is not None else None
            run.log_checkpoint(
                path,
                step=self._relay.last_step or 0,
                metrics=metrics,
                keep_last=self._keep_last,
                keep_best=self._keep_best,
                metric=metric if metrics else None,
                mode=callback.mode if metrics else None,
                name=self._checkpoint_name,
            )
            self._logged[path] = mtime
