"""A small but real training run, logged to the embedded store (./heron-runs).

Trains a logistic-regression classifier with numpy on a synthetic two-class problem,
logging loss, accuracy and learning rate per step, a checkpoint per epoch, a
confusion matrix file, and what it prints. Run it, then `heron runs ls`.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

import heron

config = {"lr": 0.5, "epochs": 5, "batch_size": 64, "seed": 0, "model": {"features": 20}}

with heron.init(project="quickstart", config=config, tags=["example"], group="demo") as run:
    heron.seed_everything(config["seed"])
    rng = np.random.default_rng(config["seed"])
    n, d = 4096, config["model"]["features"]
    true_w = rng.normal(size=d)
    x = rng.normal(size=(n, d))
    y = (x @ true_w + rng.normal(scale=0.5, size=n) > 0).astype(np.float64)
    split = int(n * 0.8)
    data_dir = Path(tempfile.mkdtemp())
    np.save(data_dir / "x.npy", x)
    run.use_dataset(data_dir, name="synthetic")

    w = np.zeros(d)
    best_acc = 0.0
    run.define_metric("val/acc", goal="max", x_axis="epoch")
    for epoch in range(config["epochs"]):
        order = rng.permutation(split)
        lr = config["lr"] * (0.7**epoch)
        for start in range(0, split, config["batch_size"]):
            idx = order[start : start + config["batch_size"]]
            p = 1 / (1 + np.exp(-(x[idx] @ w)))
            loss = -np.mean(y[idx] * np.log(p + 1e-9) + (1 - y[idx]) * np.log(1 - p + 1e-9))
            w -= lr * x[idx].T @ (p - y[idx]) / len(idx)
            run.log({"train/loss": loss, "train/lr": lr})
        val_pred = (x[split:] @ w > 0).astype(np.float64)
        acc = float(np.mean(val_pred == y[split:]))
        best_acc = max(best_acc, acc)
        run.log({"val/acc": acc, "epoch": epoch})
        print(f"epoch {epoch}: train loss {loss:.4f}, val acc {acc:.3f}")  # captured (Logs)
        ckpt = data_dir / "model.npy"
        np.save(ckpt, w)
        run.log_checkpoint(ckpt, metrics={"val/acc": acc}, keep_last=2, keep_best=1)

    confusion = {
        "tp": int(np.sum((val_pred == 1) & (y[split:] == 1))),
        "fp": int(np.sum((val_pred == 1) & (y[split:] == 0))),
        "fn": int(np.sum((val_pred == 0) & (y[split:] == 1))),
        "tn": int(np.sum((val_pred == 0) & (y[split:] == 0))),
    }
    (data_dir / "confusion.json").write_text(json.dumps(confusion))
    run.log_artifact(data_dir / "confusion.json")
    run.summary["best_val_acc"] = best_acc  # the best epoch's, not the last one's
    print(f"logged run {run.id} ({run.name}) to {Path('heron-runs').resolve()}")
