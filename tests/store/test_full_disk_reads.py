"""A store on a full disk can be read (issue 18): opening it for reading writes
nothing when there is nothing to recover, and where SQLite cannot open the file for
writing (its -shm file cannot be made), it is opened read-only instead of failing.
The disk is a real, small tmpfs filled to the last block (root only; skipped
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
from heron.errors import StoreError
from heron.store import idle_engines


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        reason = f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI must run the full-disk tests as root)")
        pytest.skip(reason)


def _fill(disk: Path) -> Path:
    """Write zeros into ``disk`` until not one more byte fits; the filler file."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for size in (1 << 16, 512, 1):
            try:
                while True:
                    os.write(fd, bytes(size))
            except OSError:
                continue
    finally:
        os.close(fd)
    return filler


@pytest.fixture
def full_disk_store(tmp_path: Path) -> Iterator[tuple[Path, str, Path]]:
    """(store, run id, filler): a store with one finished run, closed cleanly, on a
    tmpfs that is then filled."""
    disk = tmp_path / "disk"
    disk.mkdir()
    _mount("-t", "tmpfs", "-o", "size=24m", "tmpfs", str(disk))
    try:
        store = disk / "runs"
        with heron.init(
            "test", dir=store, capture=False, system_metrics=False, capture_console=False
        ) as run:
            for step in range(10):
                run.log({"loss": 1.0 / (step + 1)})
        idle_engines.dispose_all()  # as a new process would find it: no -wal, no -shm
        filler = _fill(disk)
        yield store, run.id, filler
    finally:
        idle_engines.dispose_all()
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_full_disk_store_is_read_read_only_with_a_note(
    full_disk_store: tuple[Path, str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    store, run_id, _ = full_disk_store
    assert not (store / "heron.db-shm").exists()
    with caplog.at_level(logging.WARNING, logger="heron.api"), heron.Api(store) as api:
        assert api.read_only
        run = api.run(run_id)
        assert run.state == "finished" and len(run.history(["loss"])) == 10
        assert [r.id for r in api.runs("test", filter="metrics.loss < 1")] == [run_id]
        with pytest.raises(StoreError):
            api.delete_runs([run_id])
    assert any("disk is full" in r.getMessage() for r in caplog.records)


def test_heron_runs_ls_works_on_a_full_disk(full_disk_store: tuple[Path, str, Path]) -> None:
    store, run_id, _ = full_disk_store
    result = CliRunner().invoke(cli, ["--dir", str(store), "runs", "ls"])
    assert result.exit_code == 0, result.output
    assert run_id in result.stdout


def test_once_space_is_freed_the_store_opens_for_writing_again(
    full_disk_store: tuple[Path, str, Path],
) -> None:
    store, run_id, filler = full_disk_store
    with heron.Api(store) as api:
        assert api.read_only
    idle_engines.dispose_all()
    filler.unlink()
    with heron.Api(store) as api:
        assert not api.read_only
        assert api.delete_runs([run_id]) == 1
