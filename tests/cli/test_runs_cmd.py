"""``heron runs ls / show / diff / rm`` against a store the real SDK wrote."""

from __future__ import annotations

import json

import heron

from .conftest import CliRunnerCall, Store


def test_ls_shows_every_run_with_state_and_metrics(
    shared_store: Store, run_cli: CliRunnerCall
) -> None:
    result = run_cli(shared_store, "runs", "ls")
    assert result.exit_code == 0, result.output
    for run_id in (shared_store.baseline, shared_store.high_lr, shared_store.broken):
        assert run_id in result.stdout
    assert "finished" in result.stdout and "failed" in result.stdout
    assert "baseline" in result.stdout and "train/loss" in result.stdout
    assert "3 runs" in result.stdout


def test_ls_filters_sorts_and_limits(shared_store: Store, run_cli: CliRunnerCall) -> None:
    result = run_cli(
        shared_store, "runs", "ls", "--project", "vision", "--sort", "config.lr", "--json"
    )
    ids = [json.loads(line)["id"] for line in result.stdout.splitlines()]
    assert ids == [shared_store.baseline, shared_store.high_lr]
    result = run_cli(shared_store, "runs", "ls", "-f", 'state = "failed"', "--json")
    assert [json.loads(x)["name"] for x in result.stdout.splitlines()] == ["broken"]
    result = run_cli(shared_store, "runs", "ls", "--limit", "1")
    assert "1 of 3 runs" in result.stdout


def test_ls_json_is_one_strict_json_object_per_line(
    shared_store: Store, run_cli: CliRunnerCall
) -> None:
    result = run_cli(shared_store, "runs", "ls", "--json", "-s", "name")
    rows = [json.loads(line, parse_constant=_refuse) for line in result.stdout.splitlines()]
    assert [r["name"] for r in rows] == ["baseline", "broken", "high-lr"]
    assert rows[0]["config"]["opt"] == {"name": "adam", "betas": [0.9, 0.99]}
    assert rows[1]["summary"]["train/loss"] == "Infinity"  # strict JSON has no inf
    assert rows[2]["summary"]["val/acc"] == "NaN"


def _refuse(token: str) -> None:
    raise AssertionError(f"not strict JSON: {token}")


def test_ls_of_nothing_says_so(shared_store: Store, run_cli: CliRunnerCall) -> None:
    result = run_cli(shared_store, "runs", "ls", "-p", "nlp", "-f", 'state = "finished"')
    assert result.exit_code == 0 and "No runs found" in result.stdout


def test_a_bad_filter_shows_the_caret_and_exits_2(
    shared_store: Store, run_cli: CliRunnerCall
) -> None:
    result = run_cli(shared_store, "runs", "ls", "--filter", "config.lr >> 1")
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Error: ")
    text_line = next(i for i, line in enumerate(lines) if "config.lr >> 1" in line)
    caret = lines[text_line + 1]
    assert caret.strip() == "^"
    assert caret.index("^") - lines[text_line].index("config") in (10, 11)


def test_show_renders_every_section(shared_store: Store, run_cli: CliRunnerCall) -> None:
    result = run_cli(shared_store, "runs", "show", shared_store.baseline)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in (
        "baseline",
        "finished",
        "sweep",
        "config",
        "adam",
        "summary",
        "best/acc",
        "system: program",
        "system: environment",
        "notes.txt",
        "requirements.txt",
        "model:v0",
        "produced",
    ):
        assert text in out, text


def test_show_a_failed_run_shows_its_error_and_traceback(
    shared_store: Store, run_cli: CliRunnerCall
) -> None:
    out = run_cli(shared_store, "runs", "show", shared_store.broken).stdout
    assert "ValueError: exploded" in out and "traceback" in out and "Traceback" in out


def test_show_json_has_the_full_record(shared_store: Store, run_cli: CliRunnerCall) -> None:
    result = run_cli(shared_store, "runs", "show", shared_store.high_lr, "--json")
    record = json.loads(result.stdout)
    assert record["id"] == shared_store.high_lr and record["state"] == "finished"
    assert record["metrics"]["train/loss"]["count"] == 20
    assert [(a["ref"], a["used"], a["produced"]) for a in record["artifacts"]] == [
        ("model:v0", True, False)
    ]


def test_an_unknown_run_fails_with_a_hint(shared_store: Store, run_cli: CliRunnerCall) -> None:
    for command in (
        ["show", "nosuchrun0"],
        ["diff", shared_store.baseline, "nosuchrun0"],
        ["rm", "--yes", "nosuchrun0"],
    ):
        result = run_cli(shared_store, "runs", *command)
        assert result.exit_code == 1, command
        assert "no run 'nosuchrun0'" in result.stderr and "heron runs ls" in result.stderr


def test_diff_lists_differences_and_folds_equal_values(
    shared_store: Store, run_cli: CliRunnerCall
) -> None:
    result = run_cli(shared_store, "runs", "diff", shared_store.baseline, shared_store.high_lr)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "lr" in out and "0.1" in out and "0.5" in out
    assert "equal values hidden" in out and "opt.name" not in out  # equal config folded
    assert "best/acc" in out and "(absent)" in out  # summary only the baseline has
    assert "environment" in out  # captured by one run only
    shown = run_cli(
        shared_store, "runs", "diff", "--all", shared_store.baseline, shared_store.high_lr
    ).stdout
    assert "opt.name" in shown and "equal values hidden" not in shown


def test_diff_of_a_run_with_itself_is_identical(
    shared_store: Store, run_cli: CliRunnerCall
) -> None:
    out = run_cli(shared_store, "runs", "diff", shared_store.baseline, shared_store.baseline).stdout
    assert "config: identical" in out and "summary: identical" in out


def test_rm_asks_first_and_no_keeps_the_run(store_copy: Store, run_cli: CliRunnerCall) -> None:
    result = run_cli(store_copy, "runs", "rm", store_copy.broken, input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.stderr
    with heron.Api(store_copy.root) as api:
        assert api.run(store_copy.broken).state == "failed"
    result = run_cli(store_copy, "runs", "rm", store_copy.broken, input="y\n")
    assert result.exit_code == 0 and "Deleted 1 run" in result.stdout


def test_rm_yes_deletes_all_or_nothing(store_copy: Store, run_cli: CliRunnerCall) -> None:
    result = run_cli(store_copy, "runs", "rm", "--yes", store_copy.broken, "nosuchrun0")
    assert result.exit_code == 1
    result = run_cli(store_copy, "runs", "rm", "-y", store_copy.broken, store_copy.high_lr)
    assert result.exit_code == 0 and "Deleted 2 runs" in result.stdout
    with heron.Api(store_copy.root) as api:
        assert [r.id for r in api.runs()] == [store_copy.baseline]


def test_rm_needs_a_run(store_copy: Store, run_cli: CliRunnerCall) -> None:
    result = run_cli(store_copy, "runs", "rm")
    assert result.exit_code == 2 and "Missing argument" in result.stderr
