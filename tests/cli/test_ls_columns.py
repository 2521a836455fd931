"""``heron runs ls`` chooses its columns well and takes --columns and --format
(issue 18, item 5)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

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


def _narrowed_by_measuring_whole_tables(
    found: list[Any], sort: list[str], console: Any
) -> list[str]:
    """The plain way runs_table narrows (as it did before measuring columns once):
    drop columns in the order of ``runs.drop_order`` (the rule itself lives there
    alone) until rich measures the whole table as fitting."""
    from rich.measure import Measurement

    from heron.cli import runs

    data = runs.choose_columns(found, None, sort)
    drop_order = runs.drop_order(data)
    shown = [*runs.fixed_columns(found), *data]
    wide = console.options.update_width(1 << 16)
    while True:
        table = runs._table(found, shown, None, "")
        droppable = [c for c in drop_order if c in shown]
        if Measurement.get(console, wide, table).minimum <= console.width or not droppable:
            return [str(c.header) for c in table.columns]
        shown.remove(droppable[0])


def test_the_narrowed_table_keeps_what_measuring_whole_tables_keeps(
    shared_store: Store,
) -> None:
    """runs_table measures each column once; it keeps the same columns as measuring
    every narrower table whole, at every console width."""
    from rich.console import Console

    from heron.api import Api
    from heron.cli import runs

    with Api(shared_store.root) as api:
        found = list(api.runs())
    kept = set()
    for sort in ([], ["-metrics.val/acc"], ["config.lr"]):
        for width in range(20, 260, 3):
            console = Console(width=width, file=io.StringIO())
            table = runs.runs_table(found, sort, len(found), console)
            shown = [str(c.header) for c in table.columns]
            assert shown == _narrowed_by_measuring_whole_tables(found, sort, console), width
            kept.add(len(shown))
    assert len(kept) > 3  # narrow consoles drop columns: the test can fail
