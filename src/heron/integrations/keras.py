"""Keras 3: ``HeronCallback``, a ``keras.callbacks.Callback`` (any backend).

    from heron.integrations.keras import HeronCallback

    model.fit(x, y, epochs=5, validation_split=0.2,
              callbacks=[HeronCallback(project="mnist", log_model=True)])

The fit's parameters (epochs, steps) and the optimizer's settings become the run's
config; each epoch's logs (``loss``, ``val_loss``, ``accuracy``...) are logged at step
= epoch, or, with ``log_every_n_batches=N``, the batch logs every N batches at the
global batch step and the epoch logs at the step of the epoch's last batch (with an
``epoch`` key). With ``log_model=True`` the trained model is saved as ``.keras`` and
logged as a ``model`` artifact when training ends.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import keras

from heron.integrations.common import (
    OwnedRun,
    config_dict,
    init_kwargs,
    log_model_file,
    scalars,
)
from heron.sdk.run import Run


class HeronCallback(keras.callbacks.Callback):  # type: ignore[misc]
    """Log ``model.fit`` to a Heron run (see the module doc).

    ``project``, ``name``, ``config``, ``tags``, ``group``, ``dir`` and other
    ``heron.init`` keywords start the run when training begins (and it ends with the
    fit); ``run=`` (or a current run) logs into a run you started, left open.
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
        log_every_n_batches: int = 0,
        log_model: bool = False,
        model_name: str | None = None,
        **init: Any,
    ) -> None:
        super().__init__()
        if log_every_n_batches < 0:
            raise ValueError("log_every_n_batches must be >= 0 (0: epoch logs only)")
        self._run = OwnedRun(run, init_kwargs(project, name, config, tuple(tags), group, dir, init))
        self._every = log_every_n_batches
        self._log_model = log_model
        self._model_name = model_name
        self._batches = 0  # batches seen over the whole fit (the global step)

    @property
    def run(self) -> Run:
        """The run logged to (started if need be; not reopened once ended)."""
        return self._run.last()

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        config: dict[str, Any] = {"fit": config_dict(dict(self.params or {}))}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None:
            settings = optimizer.get_config()
            settings["class"] = type(optimizer).__name__
            config["optimizer"] = config_dict(settings)
        self._run.get(config)

    def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        self._batches += 1
        if self._every and self._batches % self._every == 0 and logs:
            values = scalars(logs, "batch/")
            if values:
                self._run.get().log(values, step=self._batches - 1)

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        values = scalars(logs or {})
        if self._every:
            values["epoch"] = float(epoch)
            step = max(self._batches - 1, 0)
        else:
            step = epoch
        self._run.get().log(values, step=step)

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        run = self._run.get()
        if self._log_model:
            log_model_file(run, self.model.save, "model.keras", self._model_name)
        self._run.finish()
