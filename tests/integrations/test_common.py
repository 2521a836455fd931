"""The helpers every integration shares: keys, numbers, config, the run it owns."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

import heron
from heron.integrations.common import OwnedRun, config_value, log_scalars, metric_key, scalars
from heron.keys import key_problem

from .conftest import QUIET, read


def test_framework_names_become_valid_keys() -> None:
    assert metric_key("valid_0 l2") == "valid_0 l2"  # already valid: unchanged
    assert metric_key("acc|top5") == "acc_top5"
    assert metric_key("/eval//loss/") == "eval/loss"
    assert metric_key("\n") == "_"
    for name in ("a|b", "x" * 300, "/", "ä#ö"):
        assert key_problem(metric_key(name)) is None, name


def test_scalars_keeps_numbers_and_flattens() -> None:
    values = {
        "loss": np.float32(0.5),
        "acc": np.array(1.0),  # 0-d
        "nested": {"f1": 2, "name": "x"},
        "vector": np.ones(3),
        "flag": True,
        "nan": float("nan"),
        "none": None,
    }
    got = scalars(values, "train/")
    assert set(got) == {"train/loss", "train/acc", "train/nested/f1", "train/flag", "train/nan"}
    assert got["train/loss"] == 0.5 and got["train/flag"] == 1.0 and math.isnan(got["train/nan"])


def test_scalars_plain_numbers_take_the_same_rules_every_call() -> None:
    """Plain floats and ints (a logger's every step, the remembered-key path) come
    out as the walk would make them: keys made valid, skip honoured, order kept, an
    int too big for a float64 left out; the answer is the same on the repeat call."""
    values = {"a|b": 1.5, "loss": 2, "skipme": 3.0, "huge": 10**400, "n": {"x": 4.0}}
    for _ in range(3):
        got = scalars(values, "p/", skip=frozenset({"p/skipme"}))
        assert list(got.items()) == [("p/a_b", 1.5), ("p/loss", 2.0), ("p/n/x", 4.0)]
        assert type(got["p/loss"]) is float
    assert scalars({"/eval//loss/": 0.25}) == {"eval/loss": 0.25}
    assert scalars({1: 0.5}) == {"1": 0.5}  # a non-str name, as the walk spells it


def test_log_scalars_logs_what_scalars_makes_on_either_path(store_dir: Path) -> None:
    """A dict whose names are Heron keys and whose values are plain numbers goes to
    run.log as it is once its names are known (without a prefix); anything else takes
    scalars(). Either
    way the same points land: names made valid, non-numbers left out, an int too big
    for a float64 skipped with the rest logged, nothing raised."""
    calls = [
        {"loss": 0.5, "epoch": 1},  # names learnt
        {"loss": 0.25, "epoch": 2},  # the dict as it is
        {"loss": 0.125, "epoch": 10**400},  # plain names, an int run.log refuses
        {"loss": "n/a", "epoch": 4},  # a value scalars leaves out
        {"loss": np.float32(0.75), "epoch": True},  # numpy and bool: converted
        {"loss": {"inner": 1.0}, "epoch": 6},  # nested: flattened
        {"acc|top5": 0.9, "epoch": 7},  # a name made valid: never as it is
        {"acc|top5": 0.8, "epoch": 8},
    ]
    with heron.init(project="own", dir=store_dir, **QUIET) as run:
        for step, values in enumerate(calls):
            log_scalars(run, values, step)
        for step in (8, 9):  # a prefix: the names change, so never as they are
            log_scalars(run, {"loss": 0.1 * step}, step, "val/")
    with read(store_dir) as api:
        got = api.run(run.id).series()
    points = {
        key: dict(zip(series.steps.tolist(), series.values.tolist(), strict=True))
        for key, series in got.items()
    }
    assert points == {
        "loss": {0: 0.5, 1: 0.25, 2: 0.125, 4: 0.75},
        "epoch": {0: 1.0, 1: 2.0, 3: 4.0, 4: 1.0, 5: 6.0, 6: 7.0, 7: 8.0},
        "loss/inner": {5: 1.0},
        "acc_top5": {6: 0.9, 7: 0.8},
        "val/loss": {8: 0.8, 9: 0.9},
    }


def test_config_never_refuses_a_value() -> None:
    class Model:
        def __str__(self) -> str:
            return "Model()"

    got = config_value({"lr": 0.1, "model": Model(), "layers": (1, 2), "fn": len})
    assert got == {"lr": 0.1, "model": "Model()", "layers": [1, 2], "fn": "<built-in function len>"}


def test_an_owned_run_is_started_ended_and_reopened(store_dir: Path) -> None:
    owned = OwnedRun(None, {"project": "own", "dir": store_dir, **QUIET})
    assert not owned.started
    run = owned.get({"a": 1})
    assert owned.owned and run.config["a"] == 1
    owned.finish()
    assert run.state == "finished" and owned.last() is run
    again = owned.get()
    assert again.id == run.id and again.state == "running"
    owned.finish()
    with read(store_dir) as api:
        assert [r.id for r in api.runs("own")] == [run.id]


def test_a_current_run_is_used_and_left_open(store_dir: Path) -> None:
    with heron.init(project="own", dir=store_dir, **QUIET) as run:
        owned = OwnedRun(None, {"project": "other"})
        assert owned.get({"b": 2}) is run and not owned.owned
        owned.finish()
        assert run.state == "running" and run.config["b"] == 2
