"""Seed groups, group bands and parameter importance on known data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from heron.analysis.bands import group_band
from heron.analysis.groups import seed_groups
from heron.analysis.importance import importance
from heron.errors import InvalidInput


def test_runs_that_differ_only_in_the_seed_form_a_group() -> None:
    runs = [
        ("a1", {"lr": 0.1, "opt": {"name": "adam"}, "seed": 1}),
        ("a2", {"lr": 0.1, "opt": {"name": "adam"}, "seed": 2}),
        ("b1", {"lr": 0.01, "opt": {"name": "adam"}, "seed": 1}),
        ("b2", {"lr": 0.01, "opt": {"name": "adam"}, "seed": 2}),
        ("b3", {"lr": 0.01, "opt": {"name": "adam"}, "seed": 3}),
        ("c1", {"lr": 0.01, "opt": {"name": "sgd"}, "seed": 1}),
    ]
    groups = seed_groups(runs)
    assert [(g.name, g.run_ids) for g in groups] == [
        ("lr=0.01, opt.name=adam", ("b1", "b2", "b3")),
        ("lr=0.1, opt.name=adam", ("a1", "a2")),
        ("lr=0.01, opt.name=sgd", ("c1",)),
    ]
    by_opt = seed_groups(runs, keys=("seed", "lr"))  # a chosen key
    assert [g.run_ids for g in by_opt] == [("a1", "a2", "b1", "b2", "b3"), ("c1",)]


def test_band_kinds_on_aligned_and_ragged_curves() -> None:
    curves = [([0, 1, 2], [1.0, 2.0, 3.0]), ([0, 1, 2], [3.0, 4.0, np.nan]), ([0, 1], [2.0, 6.0])]
    std = group_band(curves, "std")
    assert std.steps == [0, 1, 2] and std.count == [3, 3, 1]
    assert std.mean == pytest.approx([2.0, 4.0, 3.0])
    assert std.high[0] == pytest.approx(2.0 + np.std([1, 3, 2], ddof=1))
    assert std.low[2] == std.high[2] == 3.0  # one run: no spread
    minmax = group_band(curves, "minmax")
    assert (minmax.low[1], minmax.high[1]) == (2.0, 6.0)
    ci = group_band(curves, "ci95")
    low, high = stats.t.interval(0.95, 2, loc=4.0, scale=stats.sem([2.0, 4.0, 6.0]))
    assert (ci.low[1], ci.high[1]) == (pytest.approx(low), pytest.approx(high))
    with pytest.raises(InvalidInput, match="band must be one of"):
        group_band(curves, "iqr")  # type: ignore[arg-type]
    assert group_band([]).steps == []


def test_importance_finds_the_parameter_that_matters() -> None:
    rng = np.random.default_rng(0)
    runs = []
    for _ in range(60):
        lr, noise, opt = rng.uniform(0, 1), rng.uniform(0, 1), str(rng.choice(["adam", "sgd"]))
        runs.append(({"lr": lr, "noise": noise, "opt": opt, "seed": 1}, 5 * lr + 0.1 * noise))
    result = importance(runs)
    assert [r.name for r in result][:2] == ["lr", "noise"]
    assert {r.name for r in result} == {"lr", "noise", "opt"}  # seed does not vary
    lr = result[0]
    xs = [c["lr"] for c, _ in runs]
    ys = [v for _, v in runs]
    assert lr.correlation == pytest.approx(stats.pearsonr(xs, ys).statistic)
    assert lr.spearman == pytest.approx(stats.spearmanr(xs, ys).statistic)
    assert lr.importance is not None and lr.importance > 0.8
    opt = next(r for r in result if r.name == "opt")
    assert not opt.numeric and opt.correlation is None
    assert sum(r.importance or 0 for r in result) == pytest.approx(1.0)
    with pytest.raises(InvalidInput, match="at least 3 runs"):
        importance(runs[:2])
