"""Hugging Face ``transformers``: ``HeronCallback``, a ``TrainerCallback``.

    from heron.integrations.transformers import HeronCallback

    trainer = Trainer(model, args, ..., callbacks=[HeronCallback(project="glue")])

The ``TrainingArguments`` become the run's config (and the model's config under
``model``), every ``Trainer`` log is logged at the global step with W&B's key layout
(``train/loss``, ``eval/loss``, ``test/...``), the end-of-training figures
(``train_runtime``, ``total_flos``...) go into the summary, and with
``log_checkpoints=True`` each checkpoint folder the Trainer saves becomes a version of
the run's checkpoint artifact (retention: ``save_total_limit`` or 3 last, the best by
``metric_for_best_model``). Only the main process logs. Set ``report_to="none"`` in
the arguments to keep the Trainer from starting other trackers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from heron.integrations.common import OwnedRun, config_dict, init_kwargs, scalars
from heron.sdk.run import Run

# Figures the Trainer logs once, at the end: summary values, not curves.
SUMMARY_KEYS = frozenset(
    {
        "train_runtime",
        "train_samples_per_second",
        "train_steps_per_second",
        "train_loss",
        "total_flos",
    }
)


def rewrite_key(key: str) -> str:
    """``eval_loss`` -> ``eval/loss``, ``test_acc`` -> ``test/acc``, ``loss`` -> ``train/loss``."""
    for prefix in ("eval", "test"):
        if key.startswith(prefix + "_"):
            return f"{prefix}/{key[len(prefix) + 1 :]}"
    return f"train/{key}"


class HeronCallback(TrainerCallback):
    """Log a ``transformers.Trainer`` to a Heron run (see the module doc).

    ``project``, ``name``, ``config``, ``tags``, ``group``, ``dir`` and other
    ``heron.init`` keywords start the run when training begins; ``run=`` (or a current
    run) logs into a run you started, which is then left open.
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
        log_checkpoints: bool = False,
        **init: Any,
    ) -> None:
        self._run = OwnedRun(run, init_kwargs(project, name, config, tuple(tags), group, dir, init))
        self._log_checkpoints = log_checkpoints
        self._last_eval: dict[str, float] = {}

    @property
    def run(self) -> Run:
        """The run logged to (started if need be; not reopened once ended)."""
        return self._run.last()

    def _start(self, args: TrainingArguments, model: Any) -> Run:
        if self._run.started:
            return self._run.get()
        config: dict[str, Any] = config_dict(args.to_sanitized_dict())
        model_config = getattr(model, "config", None)
        if model_config is not None and hasattr(model_config, "to_dict"):
            config["model"] = config_dict(model_config.to_dict())
        if model is not None and hasattr(model, "num_parameters"):
            config["model_num_parameters"] = int(model.num_parameters())
        return self._run.get(config)

    def on_train_begin(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        model: Any = None,
        **kwargs: Any,
    ) -> None:
        if state.is_world_process_zero:
            self._start(args, model)

    def on_log(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        logs: Mapping[str, Any] | None = None,
        model: Any = None,
        **kwargs: Any,
    ) -> None:
        if not state.is_world_process_zero or not logs:
            return
        run = self._start(args, model)
        curves = {rewrite_key(k): v for k, v in logs.items() if k not in SUMMARY_KEYS}
        values = scalars(curves)
        if values:
            run.log(values, step=int(state.global_step))
        once = scalars({k: v for k, v in logs.items() if k in SUMMARY_KEYS})
        if once:
            run.summary.update(once)

    def on_evaluate(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        metrics: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self._last_eval = scalars(metrics or {})

    def on_save(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        **kwargs: Any,
    ) -> None:
        if not (self._log_checkpoints and state.is_world_process_zero):
            return
        folder = Path(args.output_dir or ".") / f"checkpoint-{state.global_step}"
        if not folder.is_dir():
            return
        metric = args.metric_for_best_model
        if metric and not metric.startswith("eval_"):
            metric = f"eval_{metric}"
        value = self._last_eval.get(metric) if metric else None
        self._start(args, kwargs.get("model")).log_checkpoint(
            folder,
            step=int(state.global_step),
            metrics={metric: value} if metric and value is not None else None,
            keep_last=args.save_total_limit or 3,
            keep_best=1,
            mode=("max" if args.greater_is_better else "min") if value is not None else None,
        )

    def on_train_end(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        **kwargs: Any,
    ) -> None:
        """The run ends if this callback started it (a later ``evaluate()`` reopens it)."""
        if state.is_world_process_zero and self._run.started:
            self._run.finish()
