"""A full disk never breaks training (issue 18): a real, small tmpfs filled and freed.

The store and the spool live on a 20 MiB tmpfs. The disk is filled by a real file
until the kernel says ENOSPC; nothing here fakes an error.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import heron
from heron.errors import HeronError
from heron.sdk import spool

from .conftest import run_python, script, start_run


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 20 MiB tmpfs mounted for the test (root only; skipped elsewhere, never on CI)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        reason = f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI must run the full-disk tests as root)")
        pytest.skip(reason)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the disk is full (ENOSPC); return it."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for size in (1 << 20, 1 << 12):
            block = b"\0" * size
            while True:
                try:
                    os.write(fd, block)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
                    break
    finally:
        os.close(fd)
    return filler


def test_a_training_loop_on_a_disk_that_fills_and_frees_finishes_and_records_the_gap(
    small_disk: Path,
) -> None:
    store_dir = small_disk / "runs"
    run = start_run(store_dir, capture_console=False)
    segment = run.backend.folder.spool / run.id
    assert segment.is_dir()
    for step in range(1000):
        run.log({"loss": float(step)}, step=step)
    assert run.flush(timeout=60)

    filler = fill(small_disk)
    model = small_disk.parent / "model.bin"  # beside the disk: only the store is full
    model.write_bytes(b"weights" * 1000)
    assert run.log_artifact(model, name="model") == "model:latest"  # not stored, no raise
    logged = 1000
    full_steps = range(1000, 200_000)  # well past one segment in memory (< 2 MiB here)
    for step in full_steps:
        run.log({"loss": float(step)}, step=step)  # never raises
    logged += len(full_steps)
    run.record_system({"note": "written while full"})
    assert not run.flush(timeout=1)  # the disk is still full: it cannot be shipped

    filler.unlink()
    assert run.flush(timeout=60)  # space again: the memory segment is written, all ships
    after = range(300_000, 301_000)
    for step in after:
        run.log({"loss": float(step)}, step=step)
    logged += len(after)
    run.finish()

    with heron.Api(store_dir) as api:
        stored = api.run(run.id)
        steps = stored.history(["loss"], as_numpy=True)["step"].tolist()
        dropped = stored.system["heron"]["dropped"]
        not_stored = stored.system["heron"]["artifacts_not_stored"]
        assert stored.artifacts() == []
        lines = [line.text for line in stored.console_lines()]
        assert stored.state == "finished"
    assert steps[:1000] == list(range(1000))  # before the disk filled
    assert steps[-1000:] == list(after)  # after it was freed
    kept = steps[1000:-1000]
    assert kept and kept == list(range(1000, 1000 + len(kept)))  # what waited in memory
    assert dropped["points"] == logged - len(steps) > 0  # the gap, counted exactly
    assert dropped["events"] == 1  # the system record logged while full
    assert not_stored == [str(model)]
    assert dropped["reason"] == "disk full (No space left on device)"
    assert lines == [
        f"heron: {dropped['points']:,} points and 1 other records dropped: "
        "disk full (No space left on device)"
    ]


def test_init_on_a_full_disk_is_one_clear_error_and_leaves_no_run(small_disk: Path) -> None:
    store_dir = small_disk / "runs"
    start_run(store_dir).finish()  # the store exists
    filler = fill(small_disk)
    with pytest.raises(HeronError, match="No space left on device") as raised:
        start_run(store_dir)
    assert "Free some space" in raised.value.message
    filler.unlink()
    with heron.Api(store_dir) as api:
        assert len(api.runs("test")) == 1  # no phantom run
    assert not [p for p in (store_dir / "spool").iterdir() if p.is_dir()]


def test_segments_adapt_to_the_free_space(small_disk: Path) -> None:
    free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
    size = spool.segment_size(small_disk)
    assert size == free // spool.FREE_SHARE - (free // spool.FREE_SHARE) % spool.SLOT
    assert spool.segment_size(small_disk, largest=64 * 1024) == 64 * 1024
    filler = fill(small_disk)
    assert spool.segment_size(small_disk) == spool.MIN_SEGMENT_BYTES
    filler.unlink()


# posix_fallocate that reserves nothing, as on a filesystem that does not honour it:
# the segment is a sparse file whose pages get blocks only when first written.
NO_RESERVATION = """
import os

def no_reservation(fd, offset, length):
    os.ftruncate(fd, max(os.fstat(fd).st_size, offset + length))

os.posix_fallocate = no_reservation
"""


def test_a_mapping_of_an_unreserved_file_on_a_full_disk_dies_by_sigbus(
    small_disk: Path, tmp_path: Path
) -> None:
    """What the spool must never do (the danger the next test is about is real here)."""
    filler = fill(small_disk)
    mapped = script(
        tmp_path,
        """
        import mmap, os, sys
        fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
        os.ftruncate(fd, 1 << 20)
        mm = mmap.mmap(fd, 1 << 20)
        mm[4096 * 10] = 1
        """,
    )
    done = run_python(mapped, str(small_disk / "sparse"))
    filler.unlink()
    assert done.returncode == -signal.SIGBUS


def test_training_on_a_disk_that_does_not_reserve_blocks_survives_it_filling(
    small_disk: Path, tmp_path: Path
) -> None:
    """The writer sees the unreserved blocks (st_blocks) and writes with pwrite: a full
    disk is an OSError it handles (records wait in memory), never a SIGBUS."""
    train = script(
        tmp_path,
        NO_RESERVATION
        + """
import sys
from pathlib import Path
import heron

disk = Path(sys.argv[1])
run = heron.init(project="test", dir=disk / "runs", system_metrics=False, capture=False)
for step in range(1000):
    run.log({"loss": float(step)}, step=step)
assert run.flush(timeout=60)
filler = disk / "filler"
with open(filler, "wb", buffering=0) as out:
    for size in (1 << 20, 1 << 12):
        try:
            while True:
                out.write(bytes(size))
        except OSError:
            pass
for step in range(1000, 100_000):
    run.log({"loss": float(step)}, step=step)
filler.unlink()
assert run.flush(timeout=60)
for step in range(200_000, 201_000):
    run.log({"loss": float(step)}, step=step)
run.finish()
print(run.id)
""",
    )
    done = run_python(train, str(small_disk))
    assert done.returncode == 0, done.stderr  # -7 would be SIGBUS
    run_id = done.stdout.split()[-1]
    with heron.Api(small_disk / "runs") as api:
        stored = api.run(run_id)
        steps = stored.history(["loss"], as_numpy=True)["step"].tolist()
        dropped = stored.system["heron"]["dropped"]
        assert stored.state == "finished"
    assert steps[:1000] == list(range(1000))  # before the disk filled
    assert steps[-1000:] == list(range(200_000, 201_000))  # after it was freed
    kept = steps[1000:-1000]
    assert kept and kept == list(range(1000, 1000 + len(kept)))  # what waited in memory
    assert dropped["points"] == 1000 + 99_000 + 1000 - len(steps) > 0  # counted exactly
