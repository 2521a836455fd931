"""What only LocalArtifactStore does (layout, modes, temp files, processes); the
contract every ArtifactStore keeps is tested in test_artifact_store_contract.py."""

from __future__ import annotations

import errno
import io
import multiprocessing
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from heron.artifacts import ArtifactStore, LocalArtifactStore
from heron.artifacts.digest import CHUNK_SIZE, bytes_digest
from heron.errors import StoreError


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def tmp_files(store: LocalArtifactStore) -> list[str]:
    folder = store.root / "tmp"
    return sorted(os.listdir(folder)) if folder.exists() else []


def test_is_an_artifact_store(store: LocalArtifactStore) -> None:
    assert isinstance(store, ArtifactStore)
    assert store.url == "file://" + store.root.as_posix()


def test_blob_layout_and_read_only(store: LocalArtifactStore, tmp_path: Path) -> None:
    info = store.put_file(write(tmp_path / "a", b"hello"))
    hex_ = info.digest.removeprefix("sha256:")
    path = store.root / "sha256" / hex_[:2] / hex_[2:4] / hex_
    assert store.local_path(info.digest) == path
    assert path.read_bytes() == b"hello"
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


def test_fetched_files_are_not_read_only(store: LocalArtifactStore, tmp_path: Path) -> None:
    info = store.put_file(write(tmp_path / "a", b"hello"))
    dest = store.fetch(info.digest, tmp_path / "copy")
    dest.write_bytes(b"edited")  # a user's copy is theirs to change
    assert store.local_path(info.digest).read_bytes() == b"hello"


def test_put_of_existing_content_touches_the_blob(
    store: LocalArtifactStore, tmp_path: Path
) -> None:
    info = store.put_file(write(tmp_path / "a", b"data"))
    path = store.local_path(info.digest)
    os.utime(path, (1_000_000, 1_000_000))
    again = store.put_file(tmp_path / "a")
    assert path.stat().st_mtime > 1_000_000
    assert again.modified == path.stat().st_mtime


def test_put_replaces_a_truncated_blob(store: LocalArtifactStore, tmp_path: Path) -> None:
    info = store.put_file(write(tmp_path / "a", b"full content"))
    path = store.local_path(info.digest)
    path.chmod(0o644)
    path.write_bytes(b"full")  # as a crash mid-write could leave it
    store.put_file(tmp_path / "a")
    assert path.read_bytes() == b"full content"
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


def test_blobs_ignores_stray_files(store: LocalArtifactStore, tmp_path: Path) -> None:
    info = store.put_file(write(tmp_path / "a", b"a"))
    hex_ = info.digest.removeprefix("sha256:")
    shard = store.root / "sha256" / hex_[:2] / hex_[2:4]
    write(shard / "notes.txt", b"")
    write(shard / (hex_ + ".part"), b"")
    twin = hex_[:-1] + ("0" if hex_[-1] != "0" else "1")
    (shard / twin).symlink_to(store.local_path(info.digest))  # only regular files count
    other = "f" * 64 if not hex_.startswith("ff") else "0" * 64
    write(shard / other, b"misplaced")  # a valid name in the wrong shard
    write(store.root / "sha256" / "README", b"")
    (shard / ("e" * 64)).mkdir()
    write(store.root / "tmp" / ".put-0123.part", b"partial")
    assert list(store.blobs()) == [info]


def test_remove_stale_temp(store: LocalArtifactStore) -> None:
    old = write(store.root / "tmp" / "put-old.part", b"x")
    new = write(store.root / "tmp" / "put-new.part", b"y")
    os.utime(old, (1000, 1000))
    assert store.remove_stale_temp(older_than=2000) == 1
    assert not old.exists()
    assert new.exists()


def test_a_fresh_store_lists_nothing(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path / "does" / "not" / "exist")
    assert list(store.blobs()) == []
    assert store.remove_stale_temp(older_than=1e12) == 0


def check_store(store: LocalArtifactStore, expected: dict[str, bytes]) -> None:
    """Exactly the expected blobs, each intact and read-only, and no temp left."""
    blobs = {b.digest: b for b in store.blobs()}
    assert set(blobs) == set(expected)
    for digest, data in expected.items():
        assert blobs[digest].size == len(data)
        path = store.local_path(digest)
        assert path.read_bytes() == data
        assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert tmp_files(store) == []


def payload(tag: str, size: int = 300_000) -> bytes:
    return (tag.encode() * (size // len(tag) + 1))[:size]


def _put_in_another_process(
    root: str, files: list[str], rounds: int, barrier: Any, results: Any
) -> None:
    try:
        store = LocalArtifactStore(Path(root))
        barrier.wait(timeout=60)
        results.put([store.put_file(Path(f)).digest for _ in range(rounds) for f in files])
    except BaseException as e:
        results.put(repr(e))


@pytest.mark.slow
def test_concurrent_puts_from_processes(store: LocalArtifactStore, tmp_path: Path) -> None:
    shared = write(tmp_path / "shared", payload("shared", 2 * CHUNK_SIZE + 5))
    own = [write(tmp_path / f"own{i}", payload(f"own{i}")) for i in range(2)]
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter, as on macOS/Windows
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(
            target=_put_in_another_process,
            args=(str(store.root), [str(shared), str(own[i])], 15, barrier, results),
        )
        for i in range(2)
    ]
    for p in procs:
        p.start()
    try:
        outcomes = [results.get(timeout=120) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
    assert all(isinstance(o, list) for o in outcomes), outcomes
    assert [p.exitcode for p in procs] == [0, 0]
    expected = {bytes_digest(p.read_bytes()): p.read_bytes() for p in [shared, *own]}
    assert {d for digests in outcomes for d in digests} == set(expected)
    check_store(store, expected)


def test_a_store_that_cannot_be_written_says_so(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path / "blobs")
    write(tmp_path / "blobs" / "tmp", b"a file where the temp folder should be")
    with pytest.raises(StoreError, match="cannot write to the artifact store") as caught:
        store.put_file(write(tmp_path / "a", b"a"))
    assert str(store.root) in str(caught.value)
    assert not store.has(bytes_digest(b"a"))


def test_a_full_disk_is_a_store_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class FullDisk(io.FileIO):
        def write(self, data: Any, /) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    real_fdopen = os.fdopen

    def fdopen(fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        return FullDisk(fd, "wb") if mode == "wb" else real_fdopen(fd, mode, *args, **kwargs)

    store = LocalArtifactStore(tmp_path / "blobs")
    monkeypatch.setattr(os, "fdopen", fdopen)
    with pytest.raises(StoreError, match=r"No space left on device.*free disk space"):
        store.put_file(write(tmp_path / "a", os.urandom(3 * CHUNK_SIZE)))
    monkeypatch.undo()
    assert tmp_files(store) == [] and list(store.blobs()) == []


def test_an_unreadable_blob_is_a_store_error(store: LocalArtifactStore, tmp_path: Path) -> None:
    info = store.put_file(write(tmp_path / "a", b"a"))
    path = store.local_path(info.digest)
    path.unlink()
    path.mkdir()  # something that is not a readable blob file
    with pytest.raises(StoreError, match="cannot read blob"):
        store.open(info.digest)
