"""HeronCallback on a real Ray Tune experiment: each trial a run in the experiment's group.

Ray starts once for the module (two CPUs at most, no dashboard) and shuts down after.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import ray
from ray import tune

from heron.integrations.ray import HeronCallback

from .conftest import read


@pytest.fixture(scope="module", autouse=True)
def _ray() -> Iterator[None]:
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        yield
    finally:
        ray.shutdown()


def trainable(config: dict[str, float]) -> None:
    for i in range(3):
        tune.report({"loss": config["lr"] * (3 - i), "nested": {"acc": 0.1 * i}, "tag": "x"})


def test_each_trial_is_a_run(store_dir: Path, tmp_path: Path) -> None:
    callback = HeronCallback(project="tune", dir=store_dir)
    tuner = tune.Tuner(
        trainable,
        param_space={"lr": tune.grid_search([0.1, 0.2])},
        tune_config=tune.TuneConfig(reuse_actors=True),  # one worker process: faster
        run_config=tune.RunConfig(
            name="sweep", storage_path=str(tmp_path / "ray"), callbacks=[callback], verbose=0
        ),
    )
    results = tuner.fit()
    assert not results.errors
    assert len(callback.run_ids) == 2
    with read(store_dir) as api:
        runs = api.runs("tune")
        assert len(runs) == 2
        assert {r.group for r in runs} == {"sweep"}
        assert sorted(r.config["lr"] for r in runs) == [0.1, 0.2]
        assert {r.id for r in runs} == set(callback.run_ids.values())
        for run in runs:
            assert run.state == "finished"
            series = run.series()
            assert list(series["loss"].steps) == [1, 2, 3]  # training_iteration
            assert list(series["loss"].values) == pytest.approx(
                [run.config["lr"] * n for n in (3, 2, 1)]
            )
            assert list(series["nested/acc"].steps) == [1, 2, 3]
            assert not {"timestamp", "pid", "done", "tag", "training_iteration"} & set(series)
