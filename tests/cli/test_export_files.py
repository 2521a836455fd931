"""``heron export --files``: every exported run's files as plain files."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

import heron
from heron.cli.main import cli


def test_files_land_under_each_run_id(tmp_path: Path) -> None:
    store = tmp_path / "store"
    (tmp_path / "weights.bin").write_bytes(b"w" * 100)
    quiet = {"capture": False, "system_metrics": False, "capture_console": False}
    with heron.init(project="p", dir=store, **quiet) as run:
        run.log({"loss": 1.0})
        run.save_file(tmp_path / "weights.bin", name="model/weights.bin")
    out = tmp_path / "export"
    result = CliRunner().invoke(
        cli, ["--dir", str(store), "export", "-o", str(tmp_path / "runs.csv"), "--files", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert (out / run.id / "model" / "weights.bin").read_bytes() == b"w" * 100
    assert "Copied 1 run files" in result.output
