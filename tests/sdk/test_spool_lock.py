"""A new spool and a recoverer in another process meet at the spool's lock.

Between making its lock file and taking the lock, a writer's spool looks dead; a
recoverer may take the lock then. The writer waits it out, never fails with "being
logged by another process", and a recoverer never removes (nor marks crashed) a spool
whose writer is starting.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from heron.errors import SpoolError
from heron.local_dir import SPOOL_LOCK, try_lock
from heron.sdk import spool as spool_module
from heron.sdk.recovery import ABANDONED_AFTER, recover_spool
from heron.sdk.spool import SpoolWriter, segment_numbers

from .conftest import local_backend

_WRITER = "spool-writer-under-test"


def _start_writer(
    folder: Path, out: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> threading.Event:
    """Start ``SpoolWriter(folder)`` on a thread (its writer or its SpoolError land in
    ``out``, the thread in ``out["thread"]``); the event is set once it waits for the lock."""
    waiting = threading.Event()
    sleep = time.sleep

    def noted_sleep(seconds: float) -> None:  # _take_lock's wait between tries
        if threading.current_thread().name == _WRITER:
            waiting.set()
        sleep(seconds)

    monkeypatch.setattr(time, "sleep", noted_sleep)  # (the one spool.py calls)

    def make() -> None:
        try:
            out["writer"] = SpoolWriter(folder)
        except SpoolError as exc:
            out["error"] = exc

    thread = threading.Thread(target=make, name=_WRITER)
    thread.start()
    out["thread"] = thread
    return waiting


def _joined(out: dict[str, object]) -> None:
    thread = out["thread"]
    assert isinstance(thread, threading.Thread)
    thread.join(60)
    assert not thread.is_alive()


def _held_empty_spool(folder: Path) -> int:
    """What a recoverer holds: the lock of a spool that has no segment yet."""
    folder.mkdir(parents=True)
    fd = try_lock(folder)
    assert fd is not None
    return fd


def test_a_writer_waits_while_a_recoverer_holds_its_new_spool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spool_module, "LOCK_WAIT", 600.0)  # the test decides when to let go
    folder = tmp_path / "spool" / "run1"
    held = _held_empty_spool(folder)
    out: dict[str, object] = {}
    waiting = _start_writer(folder, out, monkeypatch)
    assert waiting.wait(60)  # the writer found the lock held and waits
    os.close(held)
    _joined(out)
    assert "error" not in out, out
    writer = out["writer"]
    assert isinstance(writer, SpoolWriter)
    assert segment_numbers(folder) == [0]
    writer.close()


def test_a_writer_makes_its_folder_again_when_a_recoverer_removed_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spool_module, "LOCK_WAIT", 600.0)
    folder = tmp_path / "spool" / "run1"
    held = _held_empty_spool(folder)
    out: dict[str, object] = {}
    waiting = _start_writer(folder, out, monkeypatch)
    assert waiting.wait(60)  # the writer opened the old lock file and waits
    shutil.rmtree(folder)  # what a recoverer does with an abandoned spool, lock held
    os.close(held)
    _joined(out)
    assert "error" not in out, out
    writer = out["writer"]
    assert isinstance(writer, SpoolWriter)
    # The writer's lock is the lock file of the folder it writes into.
    assert os.path.samestat(os.fstat(writer._lock_fd), os.stat(folder / SPOOL_LOCK))
    assert try_lock(folder) is None
    writer.close()


def test_a_writer_never_keeps_the_lock_of_a_removed_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A recoverer removes the folder between the writer's open of the lock file and
    its lock: the lock taken is on a file no longer there, and the writer starts over."""
    folder = tmp_path / "spool" / "run1"
    flock = fcntl.flock
    removed: list[bool] = []

    def flock_after_removal(fd: int, op: int) -> None:
        if not removed:
            removed.append(True)
            shutil.rmtree(folder)  # the recoverer's removal, just before the lock
        flock(fd, op)

    monkeypatch.setattr(fcntl, "flock", flock_after_removal)  # (the one spool.py calls)
    writer = SpoolWriter(folder)
    assert removed
    assert os.path.samestat(os.fstat(writer._lock_fd), os.stat(folder / SPOOL_LOCK))
    assert try_lock(folder) is None
    writer.close()


def test_a_live_writer_is_still_named_after_the_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spool_module, "LOCK_WAIT", 0.0)
    folder = tmp_path / "spool" / "run1"
    first = SpoolWriter(folder)
    with pytest.raises(SpoolError, match=rf"run1 is being logged by process {os.getpid()}"):
        SpoolWriter(folder)
    first.close()


def test_recovery_leaves_a_starting_spool_alone(store_dir: Path) -> None:
    with local_backend(store_dir) as backend:
        folder = backend.folder.spool / "abcdefghij"
        folder.mkdir(parents=True)
        (folder / SPOOL_LOCK).touch()
        assert recover_spool(folder, backend) is None
        assert folder.is_dir()  # a writer may be about to take it
        old = time.time() - ABANDONED_AFTER - 5
        os.utime(folder / SPOOL_LOCK, (old, old))
        assert recover_spool(folder, backend) is None
        assert not folder.exists()  # never started: nothing to ship, removed
