"""``heron compare``: two run groups on one metric, numbers as heron.analysis gives them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scipy import stats

import heron
from tests.cli.conftest import CliRunnerCall

NEW = [0.912, 0.905, 0.921, 0.915, 0.909]
OLD = [0.897, 0.902, 0.894, 0.905, 0.899]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("compare") / "store"
    for group, finals in (("new", NEW), ("old", OLD)):
        for seed, final in enumerate(finals):
            with heron.init(
                "cmp",
                dir=root,
                group=group,
                config={"seed": seed},
                system_metrics=False,
                capture=False,
            ) as run:
                run.log({"val/acc": final - 0.1}, step=0)
                run.log({"val/acc": final}, step=1)
    return root


def test_compare_two_groups_as_json(seeded: Path, run_cli: CliRunnerCall) -> None:
    result = run_cli(str(seeded), "compare", "new", "old", "--metric", "val/acc", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    expected = stats.ttest_ind(NEW, OLD, equal_var=False)
    assert answer["p_value"] == pytest.approx(expected.pvalue)
    assert answer["n_a"] == answer["n_b"] == 5 and answer["significant"]
    assert answer["verdict"].startswith("new is higher than old")


def test_compare_prints_a_verdict_and_takes_filters(seeded: Path, run_cli: CliRunnerCall) -> None:
    result = run_cli(
        str(seeded),
        "compare",
        'group = "new" and config.seed < 3',
        'group = "old" and config.seed < 3',
        "--metric",
        "val/acc",
        "--value",
        "min",
    )
    assert result.exit_code == 0, result.output
    assert "Welch's t-test" in result.stdout and "bootstrap" in result.stdout
    assert "Cohen's d" in result.stdout


def test_compare_says_what_is_missing(seeded: Path, run_cli: CliRunnerCall) -> None:
    result = run_cli(str(seeded), "compare", "new", "nobody", "--metric", "val/acc")
    assert result.exit_code == 2 and "no runs in 'nobody'" in result.stderr
    result = run_cli(str(seeded), "compare", "new", "old", "--metric", "val/loss")
    assert result.exit_code == 2 and "0 of its 5 runs have a value of 'val/loss'" in result.stderr
