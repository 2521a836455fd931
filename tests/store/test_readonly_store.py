"""A store on a read-only disk can be read (issue 18, item 2), and a bad HERON_DIR is
one clear line. The disk is a real tmpfs remounted read-only (root only; skipped
elsewhere, never on CI)."""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import heron
from heron.cli.main import cli
from heron.errors import HeronError, StoreError
from heron.store import idle_engines


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        reason = f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI must run the read-only store tests as root)")
        pytest.skip(reason)


@pytest.fixture
def read_only_store(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A store with one finished run on a tmpfs that is then remounted read-only."""
    disk = tmp_path / "disk"
    disk.mkdir()
    _mount("-t", "tmpfs", "-o", "size=20m", "tmpfs", str(disk))
    try:
        store = disk / "runs"
        with heron.init(
            "test", dir=store, capture=False, system_metrics=False, capture_console=False
        ) as run:
            for step in range(10):
                run.log({"loss": 1.0 / (step + 1)})
        idle_engines.dispose_all()  # the kept engine holds the file open for writing
        _mount("-o", "remount,ro", str(disk))
        yield store, run.id
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_read_only_store_is_read_with_a_note(
    read_only_store: tuple[Path, str], caplog: pytest.LogCaptureFixture
) -> None:
    store, run_id = read_only_store
    with caplog.at_level(logging.WARNING, logger="heron.api"), heron.Api(store) as api:
        assert api.read_only
        run = api.run(run_id)
        assert run.state == "finished" and len(run.history(["loss"])) == 10
        with pytest.raises(StoreError):
            api.delete_runs([run_id])
    assert any("is read-only" in r.getMessage() for r in caplog.records)
    result = CliRunner().invoke(cli, ["--dir", str(store), "runs", "ls"])
    assert result.exit_code == 0, result.output
    assert run_id in result.stdout


def test_init_on_a_read_only_store_is_one_clear_error(
    read_only_store: tuple[Path, str],
) -> None:
    store, _ = read_only_store
    with pytest.raises(HeronError) as raised:
        heron.init("test", dir=store, capture=False, system_metrics=False)
    assert "Read-only file system" in raised.value.message or "read-only" in raised.value.message


def test_heron_dir_pointing_at_a_file_is_one_clear_line(tmp_path: Path) -> None:
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    with pytest.raises(StoreError, match="a file is in the way") as raised:
        heron.init("test", dir=a_file, capture=False, system_metrics=False)
    assert "Set HERON_DIR" in raised.value.message and "\n" not in raised.value.message
