"""The ArtifactStore contract (heron.artifacts.base), run against every implementation.

Each case gets a :class:`Harness`: the store plus the two things only its backend
can do, corrupting a stored blob behind the store's back and listing what a put in
progress leaves (temp files, unfinished multipart uploads).
"""

from __future__ import annotations

import io
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from heron.artifacts import ArtifactStore, BlobInfo, LocalArtifactStore, open_artifact_store
from heron.artifacts.digest import CHUNK_SIZE, bytes_digest
from heron.errors import DigestMismatch, InvalidInput, NotFound
from heron.sdk import backend as backend_module
from heron.sdk.backend import free_orphans
from tests.s3_server import S3Server

LARGE = os.urandom(5 * CHUNK_SIZE + 123)
CONTENTS = {
    "empty": b"",
    "one-byte": b"x",
    "binary": bytes(range(256)) * 64 + b"\x00\r\n\x1a",
    "large": LARGE,
}


@dataclass
class Harness:
    store: Any  # LocalArtifactStore | S3ArtifactStore: put_stream is not in the protocol
    tamper: Callable[[str, bytes], None]  # replace a blob's bytes behind the store's back
    leftovers: Callable[[], list[str]]  # what unfinished puts left behind


def _local(tmp_path: Path) -> Harness:
    store = LocalArtifactStore(tmp_path / "blobs")

    def tamper(digest: str, data: bytes) -> None:
        path = store.local_path(digest)
        path.chmod(0o644)
        path.write_bytes(data)

    def leftovers() -> list[str]:
        folder = store.root / "tmp"
        return sorted(os.listdir(folder)) if folder.exists() else []

    return Harness(store, tamper, leftovers)


def _s3(server: S3Server, bucket: str) -> Harness:
    from heron.artifacts.s3 import S3ArtifactStore

    store = S3ArtifactStore(f"s3://{bucket}/team/heron")
    client = server.client()

    def tamper(digest: str, data: bytes) -> None:
        client.put_object(Bucket=bucket, Key=store.key(digest), Body=data)

    def leftovers() -> list[str]:
        uploads = client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
        strays = [o["Key"] for o in listed if not o["Key"].startswith("team/heron/blobs/")]
        return sorted([f"multipart:{u['Key']}" for u in uploads] + strays)

    return Harness(store, tamper, leftovers)


@pytest.fixture(params=["local", "s3"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    if request.param == "local":
        return _local(tmp_path)
    server = request.getfixturevalue("s3_env")  # open_artifact_store finds it too
    return _s3(server, request.getfixturevalue("s3_bucket"))


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_is_an_artifact_store_reopened_by_its_url(harness: Harness) -> None:
    store = harness.store
    assert isinstance(store, ArtifactStore)
    again = open_artifact_store(store.url)
    assert type(again) is type(store)
    assert again.url == store.url


@pytest.mark.parametrize("name", sorted(CONTENTS))
def test_put_then_read_back_every_way(harness: Harness, tmp_path: Path, name: str) -> None:
    store, data = harness.store, CONTENTS[name]
    info = store.put_file(write(tmp_path / "src" / name, data))
    assert info.digest == bytes_digest(data)
    assert info.size == len(data)
    assert store.has(info.digest)
    with store.open(info.digest) as f:
        assert f.read() == data
    dest = store.fetch(info.digest, tmp_path / "out" / "deep" / name)
    assert dest == tmp_path / "out" / "deep" / name
    assert dest.read_bytes() == data
    assert list(store.blobs()) == [info]
    assert harness.leftovers() == []


def test_same_bytes_are_stored_once(harness: Harness, tmp_path: Path) -> None:
    store = harness.store
    a = store.put_file(write(tmp_path / "a.bin", b"same"))
    b = store.put_file(write(tmp_path / "sub" / "b.bin", b"same"))
    c = store.put_stream(io.BytesIO(b"same"))
    assert a.digest == b.digest == c.digest
    assert [blob.digest for blob in store.blobs()] == [a.digest]
    assert harness.leftovers() == []


def test_blobs_lists_every_blob_with_its_size_and_time(harness: Harness, tmp_path: Path) -> None:
    store = harness.store
    infos = [store.put_file(write(tmp_path / f"f{i}", b"x" * i)) for i in range(5)]
    listed = sorted(store.blobs(), key=lambda b: b.digest)
    assert listed == sorted(infos, key=lambda b: b.digest)
    assert all(b.modified > 1.6e9 for b in listed)  # seconds since the epoch, not ms


def test_stat_gives_size_and_a_recent_time_or_none(harness: Harness, tmp_path: Path) -> None:
    store = harness.store
    assert store.stat(bytes_digest(b"never stored")) is None
    before = time.time()
    info = store.put_file(write(tmp_path / "f", b"x" * 1234))
    got = store.stat(info.digest)
    assert got is not None and (got.digest, got.size) == (info.digest, 1234)
    # this machine's clock (S3: the server's age of the object, so skew cannot matter)
    assert before - 5 <= got.modified <= time.time() + 5
    store.delete(info.digest)
    assert store.stat(info.digest) is None


def test_free_orphans_spares_young_blobs_and_frees_old_ones(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = harness.store
    young = store.put_file(write(tmp_path / "young", b"young"))
    free_orphans(store, frozenset({young.digest}))
    assert store.has(young.digest)  # may be about to be referenced by another run
    monkeypatch.setattr(backend_module, "ORPHAN_GRACE_SECONDS", -60.0)  # now it is "old"
    free_orphans(store, frozenset({young.digest, bytes_digest(b"gone already")}))
    assert not store.has(young.digest)


def test_failed_put_leaves_nothing(harness: Harness) -> None:
    class Broken(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            if self.tell() > 0:
                raise OSError("disk on fire")
            return super().read(size)

    with pytest.raises(OSError, match="disk on fire"):
        harness.store.put_stream(Broken(b"abc" * 1000))
    assert harness.leftovers() == []
    assert list(harness.store.blobs()) == []


def test_put_of_a_missing_file(harness: Harness, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        harness.store.put_file(tmp_path / "nope")


@pytest.mark.parametrize("replacement", [b"XELLO", b"", b"hello!"])
def test_fetch_of_a_tampered_blob_fails_and_leaves_dest_alone(
    harness: Harness, tmp_path: Path, replacement: bytes
) -> None:
    store = harness.store
    info = store.put_file(write(tmp_path / "a", b"hello"))
    harness.tamper(info.digest, replacement)
    out = tmp_path / "out"
    with pytest.raises(DigestMismatch, match="corrupt"):
        store.fetch(info.digest, out / "new.txt")
    assert os.listdir(out) == []  # neither dest nor the temp file
    old = write(out / "old.txt", b"previous")
    with pytest.raises(DigestMismatch):
        store.fetch(info.digest, old)
    assert old.read_bytes() == b"previous"
    assert os.listdir(out) == ["old.txt"]


def test_open_of_a_tampered_blob_fails_at_the_end(harness: Harness, tmp_path: Path) -> None:
    store = harness.store
    info = store.put_file(write(tmp_path / "a", LARGE))
    harness.tamper(info.digest, LARGE[:-1] + b"?")
    with store.open(info.digest) as f, pytest.raises(DigestMismatch):
        f.read()
    with store.open(info.digest) as f, pytest.raises(DigestMismatch):
        while f.read(65536):
            pass


def test_open_reads_in_pieces(harness: Harness, tmp_path: Path) -> None:
    store = harness.store
    info = store.put_file(write(tmp_path / "a", LARGE))
    parts = []
    with store.open(info.digest) as f:
        while part := f.read(99_991):
            parts.append(part)
        assert f.read() == b""
    assert b"".join(parts) == LARGE


def test_missing_blobs(harness: Harness, tmp_path: Path) -> None:
    store = harness.store
    absent = bytes_digest(b"never stored")
    assert not store.has(absent)
    assert not store.delete(absent)
    with pytest.raises(NotFound):
        store.open(absent)
    with pytest.raises(NotFound):
        store.fetch(absent, tmp_path / "x")
    path = store.local_path(absent)
    assert path is None or not path.exists()
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
    harness: Harness, tmp_path: Path, bad: str
) -> None:
    store = harness.store
    calls: list[Callable[[], object]] = [
        lambda: store.has(bad),
        lambda: store.stat(bad),
        lambda: store.open(bad),
        lambda: store.fetch(bad, tmp_path / "out"),
        lambda: store.local_path(bad),
        lambda: store.delete(bad),
    ]
    for call in calls:
        with pytest.raises(InvalidInput):
            call()
    assert not (tmp_path / "out").exists()


def test_delete(harness: Harness, tmp_path: Path) -> None:
    store = harness.store
    a = store.put_file(write(tmp_path / "a", b"a"))
    b = store.put_file(write(tmp_path / "b", b"b"))
    assert store.delete(a.digest)
    assert not store.delete(a.digest)
    assert not store.has(a.digest)
    assert [blob.digest for blob in store.blobs()] == [b.digest]
    again = store.put_file(tmp_path / "a")  # a deleted blob can come back
    assert store.has(again.digest)


def test_a_fresh_store_lists_nothing(harness: Harness) -> None:
    assert list(harness.store.blobs()) == []


def payload(tag: str, size: int = 300_000) -> bytes:
    return (tag.encode() * (size // len(tag) + 1))[:size]


def test_concurrent_puts_from_threads(harness: Harness, tmp_path: Path) -> None:
    store = harness.store
    shared = write(tmp_path / "shared", payload("shared"))
    n = 8
    own = [write(tmp_path / f"own{i}", payload(f"own{i}")) for i in range(n)]
    barrier = threading.Barrier(n)
    results: list[list[BlobInfo]] = [[] for _ in range(n)]
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            barrier.wait()
            for _ in range(5):
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
    blobs = {b.digest: b.size for b in store.blobs()}
    assert blobs == {digest: len(data) for digest, data in expected.items()}
    for digest, data in expected.items():
        with store.open(digest) as f:
            assert f.read() == data
    assert harness.leftovers() == []


def test_put_streams_in_bounded_chunks(harness: Harness) -> None:
    sizes: list[int | None] = []

    class Recording(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            sizes.append(size)
            return super().read(size)

    info = harness.store.put_stream(Recording(LARGE))
    assert info.digest == bytes_digest(LARGE)
    assert sizes
    assert all(s is not None and 0 < s <= CHUNK_SIZE for s in sizes)
