"""``heron export``: the runs table and the metric points, as CSV, JSON Lines and Parquet."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from .conftest import CliRunnerCall, Store


def test_csv_to_stdout_has_one_row_per_run_with_flat_columns(
    shared_store: Store, run_cli: CliRunnerCall
) -> None:
    result = run_cli(shared_store, "export", "--sort", "name")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["name"] for r in rows] == ["baseline", "broken", "high-lr"]
    assert rows[0]["config.opt.name"] == "adam" and rows[0]["config.opt.betas"] == "[0.9, 0.99]"
    assert rows[0]["tags"] == '["baseline"]' and rows[0]["created"].endswith("Z")
    assert rows[1]["summary.train/loss"] == "inf" and rows[2]["summary.val/acc"] == "nan"
    assert rows[1]["config.opt.name"] == ""  # the nlp run has no such key


def test_json_lines_file(shared_store: Store, run_cli: CliRunnerCall, tmp_path: Path) -> None:
    out = tmp_path / "runs.jsonl"
    result = run_cli(shared_store, "export", "-p", "vision", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "Exported 2 runs" in result.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["name"] for r in rows} == {"baseline", "high-lr"}
    assert {r["summary.val/acc"] for r in rows} == {0.95, "NaN"}
    assert not list(tmp_path.glob(".*heron-tmp"))


def test_parquet_runs_table(shared_store: Store, run_cli: CliRunnerCall, tmp_path: Path) -> None:
    out = tmp_path / "runs.parquet"
    result = run_cli(shared_store, "export", "--format", "parquet", "-o", str(out), "-s", "name")
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert table.column("name").to_pylist() == ["baseline", "broken", "high-lr"]
    assert str(table.schema.field("created").type) == "timestamp[us, tz=UTC]"
    assert table.column("config.lr").to_pylist() == [0.1, 0.001, 0.5]
    assert table.column("tags").to_pylist()[0] == ["baseline"]
    loss = table.column("summary.train/loss").to_pylist()
    assert loss[1] == math.inf


def test_history_points_in_every_format(
    shared_store: Store, run_cli: CliRunnerCall, tmp_path: Path
) -> None:
    base = ["export", "--history", "-f", f'id = "{shared_store.baseline}"']
    text = run_cli(shared_store, *base, "--key", "train/loss").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["run_id", "key", "step", "time", "value"]
    assert [(r["step"], float(r["value"])) for r in rows[:2]] == [("0", 1.0), ("1", 0.5)]
    assert len(rows) == 20 and {r["key"] for r in rows} == {"train/loss"}

    lines = run_cli(
        shared_store,
        "export",
        "--history",
        "--format",
        "json",
        "-f",
        f'id = "{shared_store.broken}"',
    ).stdout.splitlines()
    assert [json.loads(x)["value"] for x in lines] == ["Infinity"]

    out = tmp_path / "points.parquet"
    assert run_cli(shared_store, *base, "-o", str(out)).exit_code == 0
    table = pq.read_table(out)
    assert table.num_rows == 20 + 20 + 1  # train/loss, val/acc, epoch
    assert set(table.column("key").to_pylist()) == {"train/loss", "val/acc", "epoch"}


def test_an_empty_export_says_so_and_writes_nothing(
    shared_store: Store, run_cli: CliRunnerCall, tmp_path: Path
) -> None:
    for name, history in [("e.parquet", False), ("h.parquet", True)]:
        out = tmp_path / name
        args = ["export", "-p", "nlp", "-f", 'state = "finished"', "-o", str(out)]
        result = run_cli(shared_store, *args, *(["--history"] if history else []))
        assert result.exit_code == 1, result.output
        assert "no runs matched: nothing was exported" in result.stderr
        assert not out.exists() and not list(tmp_path.glob(".*heron-tmp"))
    result = run_cli(shared_store, "export", "-p", "nothing-here")
    assert result.exit_code == 2 and result.stdout == ""
    assert "no project 'nothing-here'" in result.stderr


def test_an_unwritable_output_fails_cleanly(
    shared_store: Store, run_cli: CliRunnerCall, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run_cli(shared_store, "export", "-o", str(blocker / "runs.csv"))
    assert result.exit_code == 1
    assert "cannot write" in result.stderr and "runs.csv" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "parquet"], "--output"),
        (["--filter", "state = "], "^"),
        (["--format", "xml"], "'xml' is not one of"),
    ],
)
def test_bad_arguments_exit_2(
    shared_store: Store, run_cli: CliRunnerCall, args: list[str], message: str
) -> None:
    result = run_cli(shared_store, "export", *args)
    assert result.exit_code == 2 and message in result.stderr


def test_a_failed_export_leaves_no_file(
    shared_store: Store, run_cli: CliRunnerCall, tmp_path: Path
) -> None:
    out = tmp_path / "runs.csv"
    result = run_cli(shared_store, "export", "-o", str(out), "--filter", "nonsense ~ 1")
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == []
