"""``heron ui`` on a folder without a store says so; --create makes one (issue 18)."""

from __future__ import annotations

from pathlib import Path

from .conftest import CliRunnerCall


def test_ui_on_a_folder_without_a_store_says_so_and_creates_nothing(
    tmp_path: Path, run_cli: CliRunnerCall
) -> None:
    empty = tmp_path / "nothing-here"
    result = run_cli(None, "ui", "--dir", str(empty), "--no-browser")
    assert result.exit_code == 1
    assert f"no Heron store at {empty.resolve()}" in result.stderr and "--create" in result.stderr
    assert not empty.exists()
