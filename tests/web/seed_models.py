"""A store with a registered model, made by the real SDK, for the registry pages'
browser test (and for trying them by hand: ``python -m tests.web.seed_models FOLDER``).

Project ``shop``: three finished runs training a churn classifier (different config,
metrics). Model ``churn-clf``: one version per run; v1 in production (with the alias
``champion``), v2 in staging, v3 new. Model ``fraud-detector``: described and tagged,
no versions yet.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import heron
import heron.models

MODEL = "churn-clf"
EMPTY_MODEL = "fraud-detector"


@dataclass
class SeededModels:
    """What the tests check against."""

    folder: Path
    runs: dict[int, str] = field(default_factory=dict)  # model version -> source run id
    run_names: dict[int, str] = field(default_factory=dict)


def seed_models(folder: Path) -> SeededModels:
    out = SeededModels(folder)
    files = folder.parent / "model-files"
    files.mkdir(parents=True, exist_ok=True)
    configs = [
        {"lr": 0.1, "depth": 4, "features": {"tenure": True, "region": False}},
        {"lr": 0.05, "depth": 6, "features": {"tenure": True, "region": True}},
        {"lr": 0.05, "depth": 8, "features": {"tenure": True, "region": True}},
    ]
    for i, config in enumerate(configs, start=1):
        weights = files / f"model-{i}.bin"
        weights.write_bytes(bytes([i]) * (512 * i))
        with heron.init(
            project="shop", name=f"gbm-{i}", config=config, dir=folder, system_metrics=False
        ) as run:
            run.define_metric("val/auc", goal="max")
            for step in range(20):
                run.log(
                    {"train/loss": 1.0 / (step + i), "val/auc": 0.7 + 0.05 * i - 0.1 / (step + 1)},
                    step=step,
                )
            mv = heron.models.register(
                run, weights, name=MODEL, description=f"gbm, depth {config['depth']}"
            )
            out.runs[mv.version] = run.id
            out.run_names[mv.version] = run.name
    heron.models.update_model(
        MODEL,
        description="Predicts which customers cancel next month",
        tags={"team": "growth"},
        dir=folder,
    )
    heron.models.transition(MODEL, 1, "production", reason="first model", dir=folder)
    heron.models.set_alias(MODEL, 1, "champion", reason="baseline", dir=folder)
    heron.models.transition(MODEL, 2, "staging", reason="deeper trees", dir=folder)
    heron.models.create_model(
        EMPTY_MODEL, description="Flags suspicious payments", tags={"team": "risk"}, dir=folder
    )
    heron.models.close_all()
    return out


if __name__ == "__main__":
    seeded = seed_models(Path(sys.argv[1]).resolve())
    print(json.dumps({"runs": seeded.runs}, indent=2))
