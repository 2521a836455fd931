"""Overhead of Heron's Lightning logger on a tiny Lightning training loop, side by side
with Lightning's WandbLogger (offline), MLFlowLogger (file store) and TensorBoardLogger.

A small MLP (32 → 64 → 64 → 4, ReLU) trained with SGD on synthetic data (random
inputs, labels from a fixed random teacher), batch 32, ``torch.set_num_threads(1)``,
CPU. ``training_step`` logs the loss and the batch accuracy with ``self.log`` and the
trainer is built with ``log_every_n_steps=1``, so every step reaches the logger: the
model is tiny on purpose, so what a logger costs per step is visible at all. The
configurations:

* no logger (``logger=False``): the baseline;
* Heron: ``HeronLogger(project=..., dir=tmp, system_metrics=False)``;
* W&B: ``WandbLogger(offline=True)`` (``WANDB_MODE=offline``, ``WANDB_SILENT``, system
  stats off, like Heron's);
* MLflow: ``MLFlowLogger(tracking_uri="file:<tmp>/mlruns")``;
* TensorBoard: ``TensorBoardLogger(save_dir=tmp)``.

No checkpoints, no progress bar, no model summary, in every configuration. Each
configuration runs in a fresh process, several rounds, interleaved (the order rotates
every round). The timed loop runs from batch 20 (warm-up) to the end of training;
``fit`` is timed whole too (it adds the logger's start and finish). The overhead is
the median over rounds of (loop time / the same round's loop time without a logger);
the last column divides each logger's loop time by Heron's.

    python bench/integrations_lightning.py [--quick]
"""

from __future__ import annotations

import sys
import time
from typing import Any

import _common as c

NAME = "integrations_lightning"
TOOLS = ["none", "heron", "wandb", "mlflow", "tensorboard"]
LABELS = {
    "none": "no logger",
    "heron": "Heron (HeronLogger)",
    "wandb": "W&B offline (WandbLogger)",
    "mlflow": "MLflow file store (MLFlowLogger)",
    "tensorboard": "TensorBoard (TensorBoardLogger)",
}
STEPS_FULL, STEPS_QUICK = 1_000, 300
ROUNDS_FULL, ROUNDS_QUICK = 5, 2
WARMUP = 20


def make_logger(tool: str, data_dir: str) -> Any:
    if tool == "none":
        return False
    if tool == "heron":
        from heron.integrations.lightning import HeronLogger

        return HeronLogger(project="bench", dir=data_dir, system_metrics=False)
    if tool == "wandb":
        import wandb
        from lightning.pytorch.loggers import WandbLogger

        return WandbLogger(
            project="bench",
            save_dir=data_dir,
            offline=True,
            settings=wandb.Settings(
                x_disable_stats=True, console="off", disable_git=True, save_code=False
            ),
        )
    if tool == "mlflow":
        import logging
        import os

        os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # MLflow 3 keeps it behind a flag

        from lightning.pytorch.loggers import MLFlowLogger

        logging.getLogger("mlflow").setLevel(logging.ERROR)
        return MLFlowLogger(experiment_name="bench", tracking_uri=f"file:{data_dir}/mlruns")
    if tool == "tensorboard":
        from lightning.pytorch.loggers import TensorBoardLogger

        return TensorBoardLogger(save_dir=data_dir, name="bench")
    raise ValueError(tool)


def worker(tool: str, cfg: c.JSON) -> c.JSON:
    import warnings

    warnings.filterwarnings("ignore")
    import lightning
    import psutil
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    torch.set_num_threads(1)
    torch.manual_seed(0)
    steps = int(cfg["steps"])
    n = 32 * 256
    x = torch.randn(n, 32)
    teacher = nn.Sequential(nn.Linear(32, 16), nn.Tanh(), nn.Linear(16, 4))
    with torch.no_grad():
        y = teacher(x).argmax(dim=1)
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)

    class Model(lightning.LightningModule):
        def __init__(self, lr: float = 0.05, hidden: int = 64) -> None:
            super().__init__()
            self.save_hyperparameters()
            self.net = nn.Sequential(
                nn.Linear(32, hidden),
                nn.ReLU(),
                nn.Linear(hidden, hidden),
                nn.ReLU(),
                nn.Linear(hidden, 4),
            )

        def training_step(self, batch: Any, idx: int) -> Any:
            xb, yb = batch
            logits = self.net(xb)
            loss = nn.functional.cross_entropy(logits, yb)
            self.log("train/loss", loss)
            self.log("train/acc", (logits.argmax(1) == yb).float().mean())
            return loss

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=self.hparams["lr"])

    me = psutil.Process()
    marks: dict[str, float] = {}

    def cpu_now() -> float:
        total = time.process_time()
        for child in me.children(recursive=True):  # wandb-core
            try:
                ct = child.cpu_times()
            except psutil.Error:
                continue
            total += ct.user + ct.system
        return total

    class Clock(lightning.Callback):
        def on_train_batch_start(self, trainer: Any, module: Any, batch: Any, idx: int) -> None:
            if trainer.global_step == WARMUP and "t0" not in marks:
                marks["t0"] = time.perf_counter()
                marks["cpu0"] = cpu_now()

        def on_train_end(self, trainer: Any, module: Any) -> None:
            marks["t1"] = time.perf_counter()
            marks["cpu1"] = cpu_now()

    t_logger = time.perf_counter()
    logger = make_logger(tool, cfg["data_dir"])
    inside = {"ns": 0, "calls": 0}
    if logger is not False:  # time the logger's own work, in the calls Lightning makes
        for method in ("log_metrics", "save"):
            original = getattr(logger, method)

            def timed(*a: Any, _original: Any = original, **k: Any) -> Any:
                t = time.perf_counter_ns()
                try:
                    return _original(*a, **k)
                finally:
                    if "t0" in marks and "t1" not in marks:  # the timed loop only
                        inside["ns"] += time.perf_counter_ns() - t
                        inside["calls"] += 1

            setattr(logger, method, timed)
    trainer = lightning.Trainer(
        max_steps=steps,
        logger=logger,
        callbacks=[Clock()],
        accelerator="cpu",
        log_every_n_steps=1,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=cfg["data_dir"],
    )
    t_fit = time.perf_counter()
    trainer.fit(Model(), loader)
    fit_s = time.perf_counter() - t_fit
    t_close = time.perf_counter()
    if tool == "wandb":
        import wandb

        wandb.finish()
    close_s = time.perf_counter() - t_close
    loop_s = marks["t1"] - marks["t0"]
    return {
        "steps": steps,
        "timed_steps": steps - WARMUP,
        "loop_s": loop_s,
        "cpu_s": marks["cpu1"] - marks["cpu0"],
        "step_ms": loop_s / (steps - WARMUP) * 1e3,
        "logger_us_per_step": inside["ns"] / 1e3 / (steps - WARMUP),
        "fit_s": fit_s,
        "setup_s": t_fit - t_logger,
        "close_s": close_s,
    }


WORKERS = {t: (lambda cfg, t=t: worker(t, cfg)) for t in TOOLS}


def main() -> int:
    args = c.parse_args(__doc__ or NAME)
    if args.worker:
        return c.worker_main(args, WORKERS)
    steps = STEPS_QUICK if args.quick else STEPS_FULL
    rounds = ROUNDS_QUICK if args.quick else ROUNDS_FULL
    report = c.Report(
        name=NAME,
        title=f"Lightning loggers on a tiny Lightning loop ({steps:,} steps, a log each step)",
        description=__doc__ or "",
        quick=args.quick,
        partial=bool(args.tools),
        params={"steps": steps, "rounds": rounds, "warmup_steps": WARMUP, "torch_threads": 1},
        columns=[
            "logger",
            "median step",
            "loop vs no logger (median)",
            "min … max",
            "CPU vs no logger",
            "loop vs Heron",
            "fit vs no logger",
            "inside the logger, per step",
        ],
    )
    tools = c.selected(args, TOOLS)
    if "none" not in tools:
        tools.insert(0, "none")
    runs: dict[str, list[c.JSON]] = {t: [] for t in tools}
    with c.Workspace(NAME, args) as ws:
        for rnd in range(rounds):
            order = tools[rnd % len(tools) :] + tools[: rnd % len(tools)]
            for tool in order:
                print(f"  round {rnd + 1}/{rounds}: {tool} ...", file=sys.stderr, flush=True)
                runs[tool].append(c.run_worker(__file__, tool, {"steps": steps}, ws.new(tool)))
    base = runs["none"]

    def paired(tool: str, field: str, against: list[c.JSON]) -> list[float]:
        return [
            r[field] / b[field]
            for r, b in zip(runs[tool], against, strict=False)
            if r["ok"] and b["ok"]
        ]

    ratios = {t: paired(t, "loop_s", base) for t in tools}
    for tool in tools:
        ok = [r for r in runs[tool] if r["ok"]]
        if not ok:
            err = runs[tool][0] if runs[tool] else {"error": "not run"}
            report.rows.append([LABELS[tool], c.error_text(err), *["–"] * 6])
            continue
        ov = ratios[tool]
        vs_heron = paired(tool, "loop_s", runs["heron"]) if "heron" in runs else []
        report.rows.append(
            [
                LABELS[tool],
                c.fmt_time(c.median([r["step_ms"] / 1e3 for r in ok])),
                f"{c.median(ov):.2f}×" if ov else "–",
                f"{min(ov):.2f}× … {max(ov):.2f}×" if ov else "–",
                f"{c.median(paired(tool, 'cpu_s', base)):.2f}×",
                f"{c.median(vs_heron):.2f}×" if vs_heron else "–",
                f"{c.median(paired(tool, 'fit_s', base)):.2f}×",
                "–"
                if tool == "none"
                else f"{c.median([r['logger_us_per_step'] for r in ok]):.0f} µs",
            ]
        )
    report.raw = {"runs": runs, "loop_ratio": ratios}
    report.notes = [
        "Ratios are paired per round (each configuration against the run without a "
        "logger of the same round, or against Heron's of the same round) and the median "
        "over rounds is shown; 'min … max' is the spread over rounds.",
        "'CPU' counts the CPU seconds of the training process and its children "
        "(W&B's wandb-core) over the timed loop.",
        "'inside the logger' is the time spent in the logger's log_metrics and save "
        "(what Lightning calls each step) during the timed loop, timed in the process: "
        "robust to the machine's load, blind to work on other threads or processes "
        "(Heron's shipper, wandb-core).",
        "'fit' is the whole trainer.fit: the logger's start, the loop, the logger's "
        "finalize (Heron ships what is left and ends the run there).",
    ]
    if args.quick:
        report.notes.append(f"Quick mode: {rounds} rounds of {steps} steps.")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
