"""Spools damaged on disk: ``heron sync`` names each bad one in one line, keeps it,
ships the others (and what a bad one held before its damage), and exits 1; a run
started beside a bad spool starts anyway. Real files, really damaged."""

from __future__ import annotations

import logging
import os
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from heron.cli.main import cli
from heron.errors import SpoolError
from heron.local_dir import SPOOL_LOCK, LocalDir
from heron.sdk.spool import SLOT, SpoolReader, SpoolWriter, segment_path

from .conftest import local_backend, start_run

POINTS = 400


def dead_spools(store_dir: Path, *points: int) -> list[tuple[str, Path]]:
    """Offline runs' spools, left for ``heron sync``: their process is done with them.
    (All started before any finishes: a run's start ships the dead spools it finds.)"""
    runs = [start_run(store_dir, mode="offline") for _ in points]
    for run, count in zip(runs, points, strict=True):
        for step in range(count):
            run.log({"x": float(step)}, step=step)
    for run in runs:
        run.finish()
    folders = [(run.id, LocalDir.at(store_dir).spool / run.id) for run in runs]
    assert all(list(folder.glob("seg-*")) for _, folder in folders)
    return folders


def dead_spool(store_dir: Path, points: int = POINTS) -> tuple[str, Path]:
    (found,) = dead_spools(store_dir, points)
    return found


def offset_of_step(folder: Path, step: int) -> int:
    """Where in segment 0 the point of ``step`` lies (a slot boundary)."""
    data = segment_path(folder, 0).read_bytes()
    for offset in range(0, len(data), SLOT):
        slot = data[offset : offset + SLOT]
        if slot[-1] == 1 and int.from_bytes(slot[8:16], "little", signed=True) == step:
            return offset
    raise AssertionError(f"no point at step {step}")


def sync(store_dir: Path) -> Result:
    return CliRunner().invoke(cli, ["sync", str(store_dir)])


def stored_steps(store_dir: Path, run_id: str) -> list[int]:
    with local_backend(store_dir) as backend:
        series = backend.store.history(run_id, ["x"])
    return series["x"].steps.tolist() if "x" in series else []


def truncate_mid_records(folder: Path) -> None:
    os.truncate(segment_path(folder, 0), offset_of_step(folder, 250))


def truncate_off_slot(folder: Path) -> None:
    os.truncate(segment_path(folder, 0), offset_of_step(folder, 250) + 7)


def garbage_in_the_middle(folder: Path) -> None:
    with segment_path(folder, 0).open("r+b") as f:
        f.seek(offset_of_step(folder, 250))
        f.write(random.Random(0).randbytes(4096))


def segment_is_a_folder(folder: Path) -> None:
    segment_path(folder, 0).unlink()
    segment_path(folder, 0).mkdir()


def target_is_garbage(folder: Path) -> None:
    (folder / "target").write_bytes(b"\xff\xfe\x00garbage")


def lock_is_a_folder(folder: Path) -> None:
    (folder / SPOOL_LOCK).unlink()
    (folder / SPOOL_LOCK).mkdir()


@pytest.mark.parametrize(
    ("damage", "says", "kept_before"),
    [
        (truncate_mid_records, "ends without its end marker (truncated)", 250),
        (truncate_off_slot, "it was truncated to", 0),
        (garbage_in_the_middle, "is corrupt", 250),
        (segment_is_a_folder, "it is not a file", 0),
        (target_is_garbage, "names the server of run", 0),
        (lock_is_a_folder, "cannot lock the spool", 0),
    ],
)
def test_sync_keeps_a_damaged_spool_names_it_and_ships_the_rest(
    store_dir: Path, damage: Callable[[Path], None], says: str, kept_before: int
) -> None:
    (bad_id, bad), (good_id, _) = dead_spools(store_dir, POINTS, 10)
    damage(bad)

    result = sync(store_dir)

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    kept = [line for line in result.stderr.splitlines() if line.startswith("kept")]
    assert len(kept) == 1, result.stderr
    assert kept[0].startswith(f"kept {bad_id}: ") and says in kept[0] and str(bad) in kept[0]
    assert "delete" in kept[0] or "move it" in kept[0]  # what to do
    assert f"shipped {good_id}: 10 points" in result.stdout
    assert bad.is_dir()  # kept for inspection, or for the user to remove
    assert stored_steps(store_dir, good_id) == list(range(10))
    # What the damaged spool held before the damage is in the store; nothing after it.
    assert stored_steps(store_dir, bad_id) == list(range(kept_before))

    again = sync(store_dir)  # the same answer, nothing shipped twice
    assert again.exit_code == 1 and f"kept {bad_id}: " in again.stderr
    assert stored_steps(store_dir, bad_id) == list(range(kept_before))

    shutil.rmtree(bad)  # what the message says to do
    assert sync(store_dir).exit_code == 0


def test_an_event_the_reader_cannot_know_is_named(store_dir: Path) -> None:
    run_id, folder = dead_spool(store_dir, points=3)
    shutil.rmtree(folder)
    writer = SpoolWriter(folder, first_segment=1)  # past what the store has
    writer.write_event({"type": "summary", "set": {"a": 1}})
    writer.write_event({"type": "nope", "what": 1})  # type: ignore[typeddict-unknown-key, typeddict-item]
    writer.close()
    result = sync(store_dir)
    assert result.exit_code == 1
    assert f"kept {run_id}: " in result.stderr and "unknown event type 'nope'" in result.stderr
    reader = SpoolReader(folder)
    first = reader.read()  # what precedes the bad record is read
    assert [e["type"] for e in first.events] == ["summary"]
    with pytest.raises(SpoolError, match="unknown event type 'nope'"):
        reader.read()
    with pytest.raises(SpoolError):  # and it stays there: nothing is skipped silently
        reader.read()
    reader.close()


def test_a_run_starts_beside_a_damaged_spool(
    store_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bad_id, bad = dead_spool(store_dir)
    garbage_in_the_middle(bad)
    with caplog.at_level(logging.WARNING, logger="heron.recovery"), start_run(store_dir) as run:
        run.log({"y": 1.0})
    assert bad.is_dir()
    warned = [r.getMessage() for r in caplog.records if bad_id in r.getMessage()]
    assert len(warned) == 1 and "is corrupt" in warned[0]
    assert stored_steps(store_dir, bad_id) == list(range(250))


def test_a_full_disk_at_rotation_never_raises_and_the_records_wait_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real thing (a full tmpfs under heron.init) is tests/sdk/test_full_disk.py.
    writer = SpoolWriter(tmp_path / "run", segment_bytes=4 * SLOT)
    key = writer.declare_key("x")

    def full(fd: int, offset: int, size: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "posix_fallocate", full)
    for step in range(10):
        writer.write_scalar(key, step, 0.0, float(step))
    assert writer.in_memory and writer.dropped_points == 0
    assert not list((tmp_path / "run").glob("*.tmp"))
    assert not writer.retry()  # still full
    monkeypatch.undo()  # space again: the memory segment becomes a file
    assert writer.retry() and not writer.in_memory
    for step in range(10, 12):
        writer.write_scalar(key, step, 0.0, float(step))
    reader = SpoolReader(tmp_path / "run")
    assert reader.read().points["x"][0].tolist() == list(range(12))
    reader.close()
    writer.close()


def test_heron_sync_says_so_when_a_run_is_not_in_the_store(store_dir: Path) -> None:
    _, folder = dead_spool(store_dir, points=3)
    # A run the store never had (a deleted run's spool is removed instead: its tombstone
    # says so, test_deleted_while_running.py).
    run_id = "zz0000000z"
    writer = SpoolWriter(folder.parent / run_id, first_segment=0)  # no "create" record
    writer.write_scalar(writer.declare_key("x"), 0, 0.0, 1.0)
    writer.close()
    result = sync(store_dir)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"kept {run_id}: run {run_id} could not be shipped:" in result.stderr
    assert "delete that folder" in result.stderr
