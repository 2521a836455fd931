"""``heron runs ls`` chooses its columns well and takes --columns and --format
(issue 18, item 5)."""

from __future__ import annotations

import csv
import io
import json

from .conftest import CliRunnerCall, Store


def _header(text: str) -> list[str]:
    return next(csv.reader(io.StringIO(text)))


def test_the_filter_and_sort_keys_come_first_then_metrics_then_varying_config(
    shared_store: Store, run_cli: CliRunnerCall
) -> None:
    result = run_cli(
        shared_store, "runs", "ls", "-p", "vision", "-f", "config.lr > 0", "--format", "csv"
    )
    assert result.exit_code == 0, result.output
    header = _header(result.stdout)
    data = header[header.index("duration") + 1 :]
    assert data[0] == "config.lr"  # the filter's key
    assert {"train/loss", "val/acc", "epoch"} <= set(data)
    sorted_by = _header(
        run_cli(
            shared_store, "runs", "ls", "-p", "vision", "-s", "-metrics.val/acc", "--format", "csv"
        ).stdout
    )
    assert sorted_by[sorted_by.index("duration") + 1] == "val/acc"
    assert "config.lr" in sorted_by  # it differs between the two runs


def test_an_80_column_terminal_keeps_the_filter_key_and_main_metrics(
    shared_store: Store, run_cli: CliRunnerCall
) -> None:
    result = run_cli(
        shared_store,
        "runs",
        "ls",
        "-p",
        "vision",
        "-f",
        "config.lr > 0",
        env={"COLUMNS": "80"},
    )
    assert result.exit_code == 0, result.output
    assert "config.lr" in result.stdout and "train/loss" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


def test_columns_and_formats(shared_store: Store, run_cli: CliRunnerCall) -> None:
    args = ["runs", "ls", "-p", "vision", "-s", "config.lr", "-c", "name,config.lr,metrics.val/acc"]
    rows = list(csv.reader(io.StringIO(run_cli(shared_store, *args, "--format", "csv").stdout)))
    assert rows[0] == ["name", "config.lr", "val/acc"]
    assert rows[1][:2] == ["baseline", "0.1"] and rows[2][:2] == ["high-lr", "0.5"]
    assert rows[2][2] == "NaN"
    table = run_cli(shared_store, *args).stdout
    assert "high-lr" in table and "config.lr" in table and "state" not in table
    lines = run_cli(shared_store, *args, "--format", "json").stdout.splitlines()
    assert [json.loads(line)["name"] for line in lines] == ["baseline", "high-lr"]
