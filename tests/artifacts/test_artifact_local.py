from __future__ import annotations

import io
import multiprocessing
import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

from heron.artifacts import ArtifactStore, BlobInfo, LocalArtifactStore
from heron.artifacts.digest import CHUNK_SIZE, bytes_digest
from heron.errors import DigestMismatch, InvalidInput, NotFound

LARGE = os.urandom(5 * CHUNK_SIZE + 123)
CONTENTS = {
    "empty": b"",
    "one-byte": b"x",
    "binary": bytes(range(256)) * 64 + b"\x00\r\n\x1a",
    "large": LARGE,
}


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


@pytest.mark.parametrize("name", sorted(CONTENTS))
def test_put_then_read_back_every_way(store: LocalArtifactStore, tmp_path: Path, name: str) -> None:
    data = CONTENTS[name]
    info = store.put_file(write(tmp_path / "src" / name, data))
    assert info.digest == bytes_digest(data)
    assert info.size == len(data)
    assert store.has(info.digest)
    with store.open(info.digest) as f:
        assert f.read() == data
    dest = store.fetch(info.digest, tmp_path / "out" / "deep" / name)
    assert dest == tmp_path / "out" / "deep" / name
    assert dest.read_bytes() == data
    assert store.local_path(info.digest).read_bytes() == data
    assert list(store.blobs()) == [info]
    assert tmp_files(store) == []


def test_blob_layout_and_read_only(store: LocalArtifactStore, tmp_path: Path) -> None:
    info = store.put_file(write(tmp_path / "a", b"hello"))
    hex_ = info.digest.removeprefix("sha256:")
    path = store.root / "sha256" / hex_[:2] / hex_[2:4] / hex_
    assert store.local_path(info.digest) == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


def test_fetched_files_are_not_read_only(store: LocalArtifactStore, tmp_path: Path) -> None:
    info = store.put_file(write(tmp_path / "a", b"hello"))
    dest = store.fetch(info.digest, tmp_path / "copy")
    dest.write_bytes(b"edited")  # a user's copy is theirs to change
    assert store.local_path(info.digest).read_bytes() == b"hello"


def test_same_bytes_are_stored_once(store: LocalArtifactStore, tmp_path: Path) -> None:
    a = store.put_file(write(tmp_path / "a.bin", b"same"))
    b = store.put_file(write(tmp_path / "sub" / "b.bin", b"same"))
    c = store.put_stream(io.BytesIO(b"same"))
    assert a.digest == b.digest == c.digest
    assert [blob.digest for blob in store.blobs()] == [a.digest]
    assert tmp_files(store) == []


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


def test_failed_put_leaves_no_temp_file(store: LocalArtifactStore) -> None:
    class Broken(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            if self.tell() > 0:
                raise OSError("disk on fire")
            return super().read(size)

    with pytest.raises(OSError, match="disk on fire"):
        store.put_stream(Broken(b"abc" * 1000))
    assert tmp_files(store) == []
    assert list(store.blobs()) == []


def test_put_of_a_missing_file(store: LocalArtifactStore, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        store.put_file(tmp_path / "nope")


def tamper(store: LocalArtifactStore, info: BlobInfo, data: bytes) -> None:
    path = store.local_path(info.digest)
    path.chmod(0o644)
    path.write_bytes(data)


@pytest.mark.parametrize("replacement", [b"XELLO", b"", b"hello!"])
def test_fetch_of_a_tampered_blob_fails_and_leaves_dest_alone(
    store: LocalArtifactStore, tmp_path: Path, replacement: bytes
) -> None:
    info = store.put_file(write(tmp_path / "a", b"hello"))
    tamper(store, info, replacement)
    out = tmp_path / "out"
    with pytest.raises(DigestMismatch, match="corrupt"):
        store.fetch(info.digest, out / "new.txt")
    assert os.listdir(out) == []  # neither dest nor the temp file
    old = write(out / "old.txt", b"previous")
    with pytest.raises(DigestMismatch):
        store.fetch(info.digest, old)
    assert old.read_bytes() == b"previous"
    assert os.listdir(out) == ["old.txt"]


def test_open_of_a_tampered_blob_fails_at_the_end(
    store: LocalArtifactStore, tmp_path: Path
) -> None:
    info = store.put_file(write(tmp_path / "a", LARGE))
    tamper(store, info, LARGE[:-1] + b"?")
    with store.open(info.digest) as f, pytest.raises(DigestMismatch):
        f.read()
    with store.open(info.digest) as f, pytest.raises(DigestMismatch):
        while f.read(65536):
            pass


def test_open_reads_in_pieces(store: LocalArtifactStore, tmp_path: Path) -> None:
    info = store.put_file(write(tmp_path / "a", LARGE))
    parts = []
    with store.open(info.digest) as f:
        while part := f.read(99_991):
            parts.append(part)
        assert f.read() == b""
    assert b"".join(parts) == LARGE


def test_missing_blobs(store: LocalArtifactStore, tmp_path: Path) -> None:
    absent = bytes_digest(b"never stored")
    assert not store.has(absent)
    assert not store.delete(absent)
    with pytest.raises(NotFound):
        store.open(absent)
    with pytest.raises(NotFound):
        store.fetch(absent, tmp_path / "x")
    assert not store.local_path(absent).exists()
    assert not (tmp_path / "x").exists()
    assert list(store.blobs()) == []


@pytest.mark.parametrize(
    "bad",
    [
        "sha256:../../../../etc/passwd",
        "sha256:" + "../" * 21 + "a",
        "../../etc/passwd",
        "/etc/passwd",
        "sha256:" + "A" * 64,
        "sha256:" + "a" * 63,
        "md5:" + "a" * 32,
    ],
)
def test_every_method_rejects_a_malformed_digest(
    store: LocalArtifactStore, tmp_path: Path, bad: str
) -> None:
    calls: list[Any] = [
        lambda: store.has(bad),
        lambda: store.open(bad),
        lambda: store.fetch(bad, tmp_path / "out"),
        lambda: store.local_path(bad),
        lambda: store.delete(bad),
    ]
    for call in calls:
        with pytest.raises(InvalidInput):
            call()
    assert not (tmp_path / "out").exists()


def test_delete(store: LocalArtifactStore, tmp_path: Path) -> None:
    a = store.put_file(write(tmp_path / "a", b"a"))
    b = store.put_file(write(tmp_path / "b", b"b"))
    assert store.delete(a.digest)
    assert not store.delete(a.digest)
    assert not store.has(a.digest)
    assert [blob.digest for blob in store.blobs()] == [b.digest]
    again = store.put_file(tmp_path / "a")  # shard folders stay usable
    assert store.has(again.digest)


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


def test_concurrent_puts_from_threads(store: LocalArtifactStore, tmp_path: Path) -> None:
    shared = write(tmp_path / "shared", payload("shared"))
    n = 8
    own = [write(tmp_path / f"own{i}", payload(f"own{i}")) for i in range(n)]
    barrier = threading.Barrier(n)
    results: list[list[BlobInfo]] = [[] for _ in range(n)]
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            barrier.wait()
            for _ in range(10):
                results[i].append(store.put_file(shared))
                results[i].append(store.put_file(own[i]))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    expected = {bytes_digest(p.read_bytes()): p.read_bytes() for p in [shared, *own]}
    assert {info.digest for r in results for info in r} == set(expected)
    check_store(store, expected)


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


def test_put_streams_in_bounded_chunks(store: LocalArtifactStore) -> None:
    sizes: list[int | None] = []

    class Recording(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            sizes.append(size)
            return super().read(size)

    source = Recording(LARGE)
    store.put_stream(source)
    assert sizes
    assert all(s is not None and 0 < s <= CHUNK_SIZE for s in sizes)
