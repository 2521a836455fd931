"""A realistic project for the UI-bug browser tests (issue 16), made by the real SDK
(and for trying by hand: ``python -m tests.web.seed_ui_bugs FOLDER``).

Project ``sweep``: three learning rates x two seeds, each run logging seven metric
keys (``train/loss`` with one spike of 3.86 among many steps, so its chart is
bucketed; ``train/acc``, ``val/loss``, ``val/acc``, a *metric* ``lr`` beside the
config's ``lr``, ``epoch``), system metrics (sampled at wall time, so all at step 0),
a summary-only ``best_val_acc`` and long sweep names that differ only at the end; one
more run crashes (a run that stopped heartbeating, marked crashed).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import heron
from heron.local_dir import LocalDir
from heron.store import open_store

PROJECT = "sweep"
STEPS = 1200  # more than the chart's buckets: the train/loss chart is bucketed
SPIKE_STEP = 777
SPIKE = 3.86
NOTES = """# Sweep notes

## Results

| lr | val/acc |
| --- | --- |
| 0.001 | 0.81 |
| 0.01 | 0.90 |
"""


@dataclass
class SeededSweep:
    """What the tests check against."""

    folder: Path
    runs: dict[str, str] = field(default_factory=dict)  # run name -> id
    crashed: str = ""


def _name(lr: float, seed: int) -> str:
    return f"resnet50-imagenet-cosine-warmup5-wd0.0005-lr{lr}-seed{seed}"


def seed_sweep(folder: Path) -> SeededSweep:
    out = SeededSweep(folder)
    for i, (lr, seed) in enumerate((lr, s) for lr in (0.001, 0.01, 0.1) for s in (1, 2)):
        config = {
            "lr": lr,
            "seed": seed,
            "batch_size": 64,
            "model": {"depth": 50, "width": 64},
            "optimizer": {"name": "adamw", "weight_decay": 0.0005, "eps": 1e-8},
        }
        with heron.init(
            project=PROJECT,
            name=_name(lr, seed),
            config=config,
            group=f"lr{lr}",
            dir=folder,
            system_metrics=False,
            notes=NOTES if i == 0 else "",
        ) as run:
            run.define_metric("val/acc", goal="max")
            for step in range(STEPS):
                loss = math.exp(-step * lr) + 0.1 + 0.01 * seed
                if i == 0 and step == SPIKE_STEP:
                    loss = SPIKE
                logged = {"train/loss": loss, "train/acc": 1 - loss / 2, "lr": lr * 0.999**step}
                run.log(logged, step=step)
                if step % 100 == 0:
                    acc = 0.9 - 0.5 * math.exp(-step * lr * 3) - 0.001 * seed
                    run.log({"val/loss": 1 - acc, "val/acc": acc, "epoch": step // 100}, step=step)
            for k in range(5):
                run.log_system({"system/cpu.percent": 40.0 + k, "system/memory.rss_mb": 900.0 + k})
            run.summary["best_val_acc"] = 0.9 - 0.001 * seed
            out.runs[run.name] = run.id
    # A script killed mid-run (os._exit: no finish), then marked crashed as the reaper does.
    crash = (
        "import os, heron\n"
        f"run = heron.init(project={PROJECT!r}, name='crashed-run',"
        f" config={{'lr': 0.5, 'seed': 1}}, dir={str(folder)!r}, system_metrics=False)\n"
        "run.log({'train/loss': 2.0, 'val/acc': 0.1}, step=0)\n"
        "import sys\n"
        "for i in range(38): print(f'step {i} loss {2.0 - i / 100:.3f}')\n"
        "print('warning: ' + 'the data loader is slower than the model; ' * 12)\n"
        "print('step 38 loss 1.620')\n"
        "for p in range(0, 101, 20):\n"
        "    sys.stderr.write(f'\\rvalidating {p:3d}%')\n"
        "    sys.stderr.flush()\n"
        "sys.stderr.write('\\n')\n"
        "print('step 40 loss nan: CUDA error, out of memory', flush=True)\n"
        "run.flush()\n"
        "print(run.id, flush=True)\n"
        "os._exit(1)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", crash], capture_output=True, text=True, check=False, timeout=120
    )
    crashed = done.stdout.strip().splitlines()[-1]
    store = open_store(LocalDir.at(folder).db_url)
    try:
        store.mark_crashed(crashed, time.time(), "no heartbeat for 300 s")
    finally:
        store.close()
    out.crashed = crashed
    out.runs["crashed-run"] = crashed
    return out


if __name__ == "__main__":
    seeded = seed_sweep(Path(sys.argv[1]).resolve())
    print(json.dumps(seeded.runs, indent=2))
