"""Unknown names are errors, not empty results (issue 18, item 4): a misspelled
project, config or metric key, or sort field exits 2 with "did you mean"."""

from __future__ import annotations

import pytest

from .conftest import CliRunnerCall, Store


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-p", "visoin"], "no project 'visoin'; did you mean 'vision'?"),
        (["-f", "config.learning_rate > 0"], "no key 'config.learning_rate'"),
        (["-f", "config.lrr > 0"], "no key 'config.lrr'; did you mean 'config.lr'"),
        (["-p", "vision", "-s", "-metrics.val/acc2"], "did you mean 'metrics.val/acc'"),
        (["-s", "config.optt.name"], "did you mean 'config.opt.name'"),
        (["--columns", "id,nmae"], "no column 'nmae'; did you mean 'name'?"),
    ],
)
def test_an_unknown_name_exits_2_with_did_you_mean(
    shared_store: Store, run_cli: CliRunnerCall, args: list[str], message: str
) -> None:
    result = run_cli(shared_store, "runs", "ls", *args)
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and message in result.stderr
    assert "Traceback" not in result.output


def test_known_names_pass_including_config_branches(
    shared_store: Store, run_cli: CliRunnerCall
) -> None:
    for args in (["-f", "config.opt.name = 'adam'"], ["-s", "config.opt"], ["-p", "nlp"]):
        result = run_cli(shared_store, "runs", "ls", *args)
        assert result.exit_code == 0, result.output


def test_export_checks_names_too(shared_store: Store, run_cli: CliRunnerCall) -> None:
    result = run_cli(shared_store, "export", "-f", "metrics.val/ac > 0")
    assert result.exit_code == 2 and "did you mean 'metrics.val/acc'" in result.stderr


def test_a_comparison_of_text_with_a_number_warns(
    shared_store: Store, run_cli: CliRunnerCall
) -> None:
    result = run_cli(shared_store, "runs", "ls", "-p", "vision", "-f", "config.opt.name = 1")
    assert result.exit_code == 0 and "No runs found" in result.stdout
    assert "config.opt.name holds text" in result.stderr
    assert 'quote it: config.opt.name = "adam"' in result.stderr
    quoted = run_cli(shared_store, "runs", "ls", "-p", "vision", "-f", 'config.lr = "0.1"')
    assert "config.lr holds numbers" in quoted.stderr and "leave the quotes out" in quoted.stderr
    fine = run_cli(shared_store, "runs", "ls", "-p", "vision", "-f", "config.lr = 0.1")
    assert fine.exit_code == 0 and "warning" not in fine.stderr
