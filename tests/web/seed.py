"""A store filled by the real SDK for the browser tests (and for trying the UI by hand:
``python -m tests.web.seed FOLDER``).

Project ``vision``: six finished runs over a small grid of config values, one failed
run, one run whose loss hits NaN and +inf, run files (JSON, CSV, text, a PNG) and an
artifact produced by one run and used by another; the first run also prints (a few
thousand lines, a warning, a progress bar), which heron.init captures. Project
``nlp``: two runs.
"""

from __future__ import annotations

import base64
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import heron

# a 4x4 red PNG, so the image preview has something real to show
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAEAQMAAACTPww9AAAABlBMVEX/AAD///9BHTQRAAAADElEQVQI12NgYGAA"
    "AAAEAAEnNCcKAAAAAElFTkSuQmCC"
)

LOSS_STEPS = 300
VAL_POINTS = 30
CONSOLE_STEPS = 2400  # more lines than the Logs tab loads at first
CONSOLE_LINES = CONSOLE_STEPS + 4


@dataclass
class Seeded:
    """What the tests check against."""

    folder: Path
    vision: dict[str, str] = field(default_factory=dict)  # run name -> id
    nlp: dict[str, str] = field(default_factory=dict)
    nonfinite_run: str = ""
    failed_run: str = ""


def _curve(run: heron.Run, lr: float, bs: int, bad: bool = False) -> None:
    for step in range(LOSS_STEPS):
        loss = math.exp(-step * lr * 10) + 0.05 * math.sin(step / 7) + 1.0 / bs
        if bad and step == 120:
            loss = math.nan
        if bad and step == 121:
            loss = math.inf
        run.log({"train/loss": loss, "train/lr": lr}, step=step)
        if step % (LOSS_STEPS // VAL_POINTS) == 0:
            run.log({"val/acc": 1 - math.exp(-step * lr * 5) * 0.9 - 0.01 * bs / 64}, step=step)


def _print_console() -> None:
    """What a training script prints, captured by heron.init: progress lines, a warning
    on stderr, and a progress bar redrawn with carriage returns (one line in the end)."""
    for step in range(CONSOLE_STEPS):
        print(f"step {step} loss {1.0 / (step + 1):.4f}")
    print("warning: the learning rate is low", file=sys.stderr)
    for pct in range(0, 101, 10):
        sys.stderr.write(f"\rvalidating {pct:3d}%")
        sys.stderr.flush()
    sys.stderr.write("\n")
    print("epoch 1 done")
    print("epoch 2 done")


def seed(folder: Path) -> Seeded:
    out = Seeded(folder)
    files = folder.parent / "seed-files"
    files.mkdir(parents=True, exist_ok=True)
    (files / "metrics.json").write_text(json.dumps({"best": {"acc": 0.93, "epoch": 7}}))
    (files / "predictions.csv").write_text("id,label,score\n1,cat,0.91\n2,dog,0.78\n3,cat,0.55\n")
    # A log file the script wrote itself (a data loader's, say): listed in the Logs tab.
    (files / "dataloader.log").write_text("worker 0 started\nworker 1 started\n")
    (files / "sample.png").write_bytes(PNG)
    (files / "model").mkdir(exist_ok=True)
    (files / "model" / "weights.bin").write_bytes(b"\x00" * 1024)

    grid = [(lr, bs) for lr in (0.001, 0.01, 0.1) for bs in (32, 64)]
    for i, (lr, bs) in enumerate(grid):
        config = {
            "lr": lr,
            "batch_size": bs,
            "optimizer": {"name": "adam" if i % 2 else "sgd", "momentum": 0.9},
        }
        tags = ["baseline"] if lr == 0.01 else ["sweep"]
        with heron.init(
            project="vision",
            name=f"resnet-lr{lr}-bs{bs}",
            config=config,
            tags=tags,
            group=f"lr-{lr}",
            dir=folder,
            system_metrics=False,
            notes="## Why\nTrying **larger** learning rates.\n\n- first\n- second"
            if i == 0
            else "",
        ) as run:
            run.define_metric("val/acc", goal="max")
            _curve(run, lr, bs)
            if i == 0:
                _print_console()
                for name in ("metrics.json", "predictions.csv", "sample.png"):
                    run.save_file(files / name)
                run.save_file(files / "dataloader.log", name="logs/dataloader.log")
                run.log_artifact(files / "model", name="resnet-weights", type="model")
            if i == 1:
                run.use_artifact("resnet-weights:latest")
            out.vision[run.name] = run.id

    with heron.init(
        project="vision",
        name="diverged",
        config={"lr": 1.0, "batch_size": 32},
        dir=folder,
        system_metrics=False,
    ) as run:
        _curve(run, 0.3, 32, bad=True)
        out.nonfinite_run = run.id
        out.vision[run.name] = run.id
    run = heron.init(
        project="vision",
        name="broken",
        config={"lr": 0.5, "batch_size": 64},
        dir=folder,
        system_metrics=False,
    )
    run.log({"train/loss": 1.0}, step=0)
    run.finish(
        "failed", error="ValueError: shapes do not match", traceback="Traceback...\nValueError"
    )
    out.failed_run = run.id
    out.vision[run.name] = run.id

    for k in range(2):
        with heron.init(
            project="nlp",
            name=f"bert-{k}",
            config={"lr": 1e-4 * (k + 1)},
            dir=folder,
            system_metrics=False,
        ) as run:
            for step in range(50):
                run.log({"loss": 2.0 - step * 0.02 * (k + 1)}, step=step)
            out.nlp[run.name] = run.id
    return out


if __name__ == "__main__":
    seeded = seed(Path(sys.argv[1]).resolve())
    print(json.dumps({"vision": seeded.vision, "nlp": seeded.nlp}, indent=2))
