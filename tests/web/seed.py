"""A store filled by the real SDK for the browser tests (and for trying the UI by hand:
``python -m tests.web.seed FOLDER``).

Project ``vision``: six finished runs over a small grid of config values, one failed
run, one run whose loss hits NaN and +inf, run files (JSON, CSV, text, a PNG) and an
artifact produced by one run and used by another. Project ``nlp``: two runs.
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


def seed(folder: Path) -> Seeded:
    out = Seeded(folder)
    files = folder.parent / "seed-files"
    files.mkdir(parents=True, exist_ok=True)
    (files / "metrics.json").write_text(json.dumps({"best": {"acc": 0.93, "epoch": 7}}))
    (files / "predictions.csv").write_text("id,label,score\n1,cat,0.91\n2,dog,0.78\n3,cat,0.55\n")
    (files / "output.log").write_text("epoch 1 done\nepoch 2 done\n")
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
                for name in ("metrics.json", "predictions.csv", "output.log", "sample.png"):
                    run.save_file(files / name)
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
