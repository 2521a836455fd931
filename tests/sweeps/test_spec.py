"""The sweep YAML: what it accepts, and the error each mistake gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from heron.errors import InvalidInput
from heron.sweeps import load_spec, parse_spec

BASE = {
    "name": "s",
    "metric": {"name": "val/loss"},
    "run_cap": 5,
    "parameters": {"x": {"values": [1]}},
}


def spec(**changes: object) -> dict[str, object]:
    return {**BASE, **changes}


def test_a_full_spec_is_read_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "lr-search.yaml"
    path.write_text(
        """
method: bayes
metric: {name: val/acc, goal: maximize}
run_cap: 20
parameters:
  lr: {min: 0.0001, max: 0.1, distribution: log_uniform_values}
  layers: {values: [1, 2, 3]}
  optimizer: {values: [sgd, adam]}
  momentum: {min: 0.0, max: 0.99, if: {optimizer: sgd}}
  batch: 32
  width: {min: 16, max: 512, q: 16}
early_terminate: {type: hyperband, min_iter: 1, max_iter: 27, eta: 3}
command: [python, train.py, "--lr={lr}"]
"""
    )
    s = load_spec(path)
    assert s.name == "lr-search" and s.method == "bayes" and s.goal == "maximize"
    lr, layers, _opt, momentum, batch, width = s.parameters
    assert (width.distribution, width.low, width.high, width.q) == ("int_uniform", 16, 512, 16)
    assert (lr.distribution, lr.low, lr.high) == ("log_uniform_values", 0.0001, 0.1)
    assert layers.distribution == "categorical" and layers.values == (1, 2, 3)
    assert momentum.when == (("optimizer", ("sgd",)),)
    assert momentum.active({"optimizer": "sgd"}) and not momentum.active({"optimizer": "adam"})
    assert batch.distribution == "constant"
    assert s.early_terminate is not None and s.early_terminate.type == "hyperband"
    assert parse_spec(s.to_json()) == s  # stored with the study, read back by agents


def test_grid_enumerates_conditionals_and_caps_the_run_count() -> None:
    s = parse_spec(
        spec(
            method="grid",
            run_cap=None,
            parameters={
                "opt": {"values": ["sgd", "adam"]},
                "momentum": {"values": [0.0, 0.9], "if": {"opt": "sgd"}},
            },
        )
    )
    assert list(s.grid) == [
        {"opt": "sgd", "momentum": 0.0},
        {"opt": "sgd", "momentum": 0.9},
        {"opt": "adam"},
    ]
    assert s.run_cap == 3


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"method": "hill"}, "method must be grid, random, bayes"),
        ({"metric": None}, "metric must say which logged key"),
        ({"metric": {"name": "a", "goal": "up"}}, "metric.goal must be minimize or maximize"),
        ({"parameters": {}}, "parameters must map"),
        (
            {"parameters": {"x": {"min": 1, "max": 0}}},
            "parameters.x: min (1) must be below max (0)",
        ),
        (
            {"parameters": {"x": {"min": 0, "max": 1, "distribution": "log_uniform_values"}}},
            "log scale needs min > 0",
        ),
        (
            {"parameters": {"x": {"min": 0.5, "max": 2.5, "distribution": "int_uniform"}}},
            "whole-number min and max",
        ),
        ({"parameters": {"x": {"values": []}}}, "values must be a non-empty list"),
        ({"parameters": {"x": {"values": [[1]]}}}, "values are numbers, text"),
        ({"parameters": {"x": {"mean": 1}}}, "unknown field(s) mean"),
        (
            {"parameters": {"x": {"min": 0, "max": 1, "if": {"y": 1}}}},
            "condition names an earlier parameter",
        ),
        (
            {"parameters": {"a": {"values": [1, 2]}, "x": {"value": 1, "if": {"a": 3}}}},
            "a never takes 3",
        ),
        (
            {"method": "grid", "parameters": {"x": {"min": 0.0, "max": 1.0}}},
            "grid search needs values",
        ),
        ({"run_cap": 0}, "run_cap must be a whole number"),
        ({"run_cap": None}, "needs run_cap"),
        ({"early_terminate": {"type": "asha"}}, "early_terminate.type must be"),
        ({"early_terminate": {"type": "percentile", "percentile": 100}}, "between 0 and 100"),
        ({"command": "python train.py"}, "command must be a list of strings"),
        ({"name": "no spaces"}, "sweep name 'no spaces' is not valid"),
        ({"nme": "typo"}, "unknown sweep field(s) nme"),
        ({"method": "cmaes"}, "cmaes needs at least one numeric range"),
    ],
)
def test_each_mistake_is_named(changes: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_spec(spec(**changes))
    assert message in str(caught.value)


def test_a_file_that_is_not_a_mapping_or_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(InvalidInput, match="a sweep file is a mapping"):
        load_spec(path)
    path.write_text("a: [\n")
    with pytest.raises(InvalidInput, match="not valid YAML"):
        load_spec(path)
    path.write_text("!!python/object/apply:os.system ['true']\n")
    with pytest.raises(InvalidInput, match="not valid YAML"):
        load_spec(path)
    with pytest.raises(InvalidInput, match="cannot read sweep file"):
        load_spec(tmp_path / "missing.yaml")
