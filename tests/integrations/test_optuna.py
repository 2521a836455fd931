"""HeronCallback on a real Optuna study: each trial a run in the study's group."""

from __future__ import annotations

from pathlib import Path

import optuna

from heron.integrations.optuna import HeronCallback

from .conftest import QUIET, read


def objective(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", -4.0, 4.0)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    for step in range(3):
        trial.report((x - 1) ** 2 + step, step)
    if trial.number == 3:
        raise optuna.TrialPruned()
    trial.set_user_attr("kind_upper", kind.upper())
    return (x - 1) ** 2


def test_each_trial_is_a_run_and_the_best_is_in_the_summary(store_dir: Path) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name="search", direction="minimize", sampler=optuna.samplers.RandomSampler(seed=0)
    )
    callback = HeronCallback(project="opt", metric_name="loss", dir=store_dir, **QUIET)
    study.optimize(objective, n_trials=5, callbacks=[callback])
    assert sorted(callback.run_ids) == [0, 1, 2, 3, 4]
    with read(store_dir) as api:
        runs = {r.name: r for r in api.runs("opt")}
        assert set(runs) == {f"trial-{n}" for n in range(5)}
        assert {r.group for r in runs.values()} == {"search"}
        assert all(r.state == "finished" for r in runs.values())
        for number, trial in enumerate(study.trials):
            run = runs[f"trial-{number}"]
            assert run.id == callback.run_ids[number]
            assert run.config["x"] == trial.params["x"] and run.config["kind"] in ("a", "b")
            assert list(run.series()["loss"].steps) == [0, 1, 2]
            assert run.summary["trial"] == number
            if trial.value is not None:  # the final value overrides the last reported one
                assert run.summary["loss"] == trial.value
        pruned = runs["trial-3"]
        assert "pruned" in pruned.tags and "best" not in pruned.tags
        last = runs["trial-4"]
        assert last.summary["study/best_value"] == study.best_value
        assert last.summary["study/best_trial"] == study.best_trial.number
        best = runs[f"trial-{study.best_trial.number}"]
        assert "best" in best.tags
        assert best.config["user_attrs"]["kind_upper"] == study.best_trial.params["kind"].upper()


def test_a_failed_trial_is_a_failed_run(store_dir: Path) -> None:
    def broken(trial: optuna.Trial) -> float:
        trial.suggest_int("n", 1, 3)
        raise RuntimeError("diverged")

    study = optuna.create_study(study_name="broken")
    study.optimize(
        broken,
        n_trials=1,
        callbacks=[HeronCallback(project="opt", dir=store_dir, **QUIET)],
        catch=(RuntimeError,),
    )
    with read(store_dir) as api:
        [run] = api.runs("opt")
        assert run.state == "failed" and run.group == "broken" and "n" in run.config
