"""The blob store contracts (heron.artifacts.base), run against every implementation.

``BlobStore`` (put, look up, read) runs against the local folder, S3 (the moto test
server) and RemoteArtifactStore talking to an in-process ``heron server`` whose blobs
are a local folder. ``BlobMaintenance`` (list, delete, a blob's own file) runs against
the two implementations that have it: local and S3.

Each case gets a :class:`Harness`: the store, the store that really holds the bytes
(itself, or the server's), and what only that backend can do: corrupt a stored blob
behind the store's back, and list what a put in progress leaves (temp files,
unfinished multipart uploads).
"""

from __future__ import annotations

import io
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from heron.artifacts import (
    ArtifactStore,
    BlobInfo,
    BlobMaintenance,
    BlobStore,
    LocalArtifactStore,
    open_artifact_store,
)
from heron.artifacts.digest import CHUNK_SIZE, bytes_digest
from heron.errors import DigestMismatch, InvalidInput, NotFound
from heron.remote import HttpClient, RemoteArtifactStore
from heron.service import runs as service_runs
from heron.settings import Settings
from heron.store import open_store
from tests.remote.inprocess import remote_stores
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
    store: Any  # the store under test
    backing: Any  # LocalArtifactStore | S3ArtifactStore: where the bytes really are
    tamper: Callable[[str, bytes], None]  # replace a blob's bytes behind the store's back
    leftovers: Callable[[], list[str]]  # what unfinished puts left behind
    reopen: Callable[[], BlobStore]  # the same store, opened again from its URL


def _local(root: Path) -> Harness:
    store = LocalArtifactStore(root / "blobs")

    def tamper(digest: str, data: bytes) -> None:
        path = store.local_path(digest)
        path.chmod(0o644)
        path.write_bytes(data)

    def leftovers() -> list[str]:
        folder = store.root / "tmp"
        return sorted(os.listdir(folder)) if folder.exists() else []

    return Harness(store, store, tamper, leftovers, lambda: open_artifact_store(store.url))


def _s3(server: S3Server, bucket: str) -> Harness:
    from heron.artifacts.s3 import S3ArtifactStore

    store = S3ArtifactStore(f"s3://{bucket}/team/heron", endpoint_url=server.endpoint_url)
    client = server.client()

    def tamper(digest: str, data: bytes) -> None:
        client.put_object(Bucket=bucket, Key=store.key(digest), Body=data)

    def leftovers() -> list[str]:
        uploads = client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
        strays = [o["Key"] for o in listed if not o["Key"].startswith("team/heron/blobs/")]
        return sorted([f"multipart:{u['Key']}" for u in uploads] + strays)

    settings = Settings(s3_endpoint_url=server.endpoint_url)
    return Harness(
        store, store, tamper, leftovers, lambda: open_artifact_store(store.url, settings=settings)
    )


@contextmanager
def _remote(root: Path) -> Iterator[Harness]:
    server = _local(root / "server")
    with (
        open_store(f"sqlite:///{root / 'server' / 'heron.db'}") as sql,
        remote_stores(sql, server.store, root / "server") as remote,
    ):
        reopened: list[HttpClient] = []

        def reopen() -> BlobStore:
            reopened.append(remote.client())
            return RemoteArtifactStore(remote.blobs.url, reopened[-1])

        try:
            yield Harness(remote.blobs, server.store, server.tamper, server.leftovers, reopen)
        finally:
            for client in reopened:
                client.close()


BLOB_STORES = ["local", "s3", "remote"]


@pytest.fixture(params=BLOB_STORES)
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    if request.param == "local":
        yield _local(tmp_path)
    elif request.param == "s3":
        server = request.getfixturevalue("s3_env")  # the AWS credentials of the test server
        yield _s3(server, request.getfixturevalue("s3_bucket"))
    else:
        with _remote(tmp_path) as remote:
            yield remote


@pytest.fixture(params=["local", "remote"])
def local_backed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    """The stores whose bytes sit in a local folder, where a test can age a blob (S3
    ages blobs on its server's clock: tests/artifacts/test_s3.py covers that)."""
    if request.param == "local":
        yield _local(tmp_path)
    else:
        with _remote(tmp_path) as remote:
            yield remote


@pytest.fixture(params=["local", "s3"])
def full(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    """The implementations of BlobMaintenance too (ArtifactStore)."""
    if request.param == "local":
        return _local(tmp_path)
    server = request.getfixturevalue("s3_env")
    return _s3(server, request.getfixturevalue("s3_bucket"))


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def digests(store: Any) -> list[str]:
    return sorted(b.digest for b in store.blobs())


# --- BlobStore: every implementation ----------------------------------------------------


def test_is_a_blob_store_reopened_by_its_url(harness: Harness, tmp_path: Path) -> None:
    store = harness.store
    assert isinstance(store, BlobStore)
    info = store.put_file(write(tmp_path / "a", b"kept"))
    again = harness.reopen()
    assert type(again) is type(store)
    assert again.url == store.url
    found = again.stat(info.digest)
    assert found is not None and (found.digest, found.size) == (info.digest, 4)


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
    assert [(b.digest, b.size) for b in harness.backing.blobs()] == [(info.digest, len(data))]
    assert harness.leftovers() == []
    assert os.listdir(tmp_path / "out" / "deep") == [name]  # no download temp file left


def test_same_bytes_are_stored_once(harness: Harness, tmp_path: Path) -> None:
    store = harness.store
    a = store.put_file(write(tmp_path / "a.bin", b"same"))
    b = store.put_file(write(tmp_path / "sub" / "b.bin", b"same"))
    assert a.digest == b.digest
    assert digests(harness.backing) == [a.digest]
    assert harness.leftovers() == []


def test_stat_gives_size_and_a_recent_time_or_none(harness: Harness, tmp_path: Path) -> None:
    store = harness.store
    assert store.stat(bytes_digest(b"never stored")) is None
    before = time.time()
    info = store.put_file(write(tmp_path / "f", b"x" * 1234))
    got = store.stat(info.digest)
    assert got is not None and (got.digest, got.size) == (info.digest, 1234)
    # this machine's clock (S3, a server: the age of the blob there, so skew cannot matter)
    assert before - 5 <= got.modified <= time.time() + 5
    assert before - 5 <= info.modified <= time.time() + 5


def test_a_put_of_stored_content_makes_it_young_again(
    local_backed: Harness, tmp_path: Path
) -> None:
    store, backing = local_backed.store, local_backed.backing
    info = store.put_file(write(tmp_path / "a", b"old content"))
    old = time.time() - 3600
    os.utime(backing.local_path(info.digest), (old, old))
    assert store.stat(info.digest).modified < time.time() - 3000
    again = store.put_file(tmp_path / "a")
    assert again.modified > time.time() - 60
    assert backing.stat(info.digest).modified > time.time() - 60


def test_put_of_a_missing_file(harness: Harness, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        harness.store.put_file(tmp_path / "nope")
    assert list(harness.backing.blobs()) == []


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
    assert store.stat(absent) is None
    with pytest.raises(NotFound):
        store.open(absent)
    with pytest.raises(NotFound):
        store.fetch(absent, tmp_path / "out" / "x")
    assert not (tmp_path / "out" / "x").exists()
    assert not (tmp_path / "out").exists() or os.listdir(tmp_path / "out") == []


BAD_DIGESTS = [
    "sha256:../../../../etc/passwd",
    "sha256:" + "../" * 21 + "a",
    "../../etc/passwd",
    "/etc/passwd",
    "sha256:" + "A" * 64,
    "sha256:" + "a" * 63,
    "md5:" + "a" * 32,
]


@pytest.mark.parametrize("bad", BAD_DIGESTS)
def test_every_method_rejects_a_malformed_digest(
    harness: Harness, tmp_path: Path, bad: str
) -> None:
    store = harness.store
    calls: list[Callable[[], object]] = [
        lambda: store.has(bad),
        lambda: store.stat(bad),
        lambda: store.open(bad),
        lambda: store.fetch(bad, tmp_path / "out"),
    ]
    for call in calls:
        with pytest.raises(InvalidInput):
            call()
    assert not (tmp_path / "out").exists()


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
    blobs = {b.digest: b.size for b in harness.backing.blobs()}
    assert blobs == {digest: len(data) for digest, data in expected.items()}
    for digest, data in expected.items():
        with store.open(digest) as f:
            assert f.read() == data
    assert harness.leftovers() == []


# --- BlobMaintenance: local and S3 ------------------------------------------------------


def test_is_an_artifact_store(full: Harness) -> None:
    assert isinstance(full.store, ArtifactStore)
    assert isinstance(full.store, BlobMaintenance)


def test_a_remote_blob_store_does_not_pretend_to_maintain(tmp_path: Path) -> None:
    with _remote(tmp_path) as remote:
        assert isinstance(remote.store, BlobStore)
        assert not isinstance(remote.store, BlobMaintenance)
        assert not hasattr(remote.store, "delete") and not hasattr(remote.store, "blobs")


def test_put_stream_stores_once(full: Harness) -> None:
    store = full.store
    a = store.put_stream(io.BytesIO(b"same"))
    b = store.put_stream(io.BytesIO(b"same"))
    assert a.digest == b.digest == bytes_digest(b"same")
    assert digests(store) == [a.digest]
    assert full.leftovers() == []


def test_blobs_lists_every_blob_with_its_size_and_time(full: Harness, tmp_path: Path) -> None:
    store = full.store
    assert list(store.blobs()) == []
    infos = [store.put_file(write(tmp_path / f"f{i}", b"x" * i)) for i in range(5)]
    listed = sorted(store.blobs(), key=lambda b: b.digest)
    assert listed == sorted(infos, key=lambda b: b.digest)
    assert all(b.modified > 1.6e9 for b in listed)  # seconds since the epoch, not ms


def test_delete(full: Harness, tmp_path: Path) -> None:
    store = full.store
    a = store.put_file(write(tmp_path / "a", b"a"))
    b = store.put_file(write(tmp_path / "b", b"b"))
    assert store.delete(a.digest)
    assert not store.delete(a.digest)
    assert not store.has(a.digest) and store.stat(a.digest) is None
    assert digests(store) == [b.digest]
    again = store.put_file(tmp_path / "a")  # a deleted blob can come back
    assert store.has(again.digest)


def test_local_path_is_the_blobs_file_or_none(full: Harness, tmp_path: Path) -> None:
    store = full.store
    info = store.put_file(write(tmp_path / "a", b"a"))
    path = store.local_path(info.digest)
    assert path is None or path.read_bytes() == b"a"
    absent = store.local_path(bytes_digest(b"never stored"))
    assert absent is None or not absent.exists()


@pytest.mark.parametrize("bad", BAD_DIGESTS)
def test_maintenance_rejects_a_malformed_digest(full: Harness, bad: str) -> None:
    for call in (lambda: full.store.local_path(bad), lambda: full.store.delete(bad)):
        with pytest.raises(InvalidInput):
            call()


def test_free_orphans_spares_young_blobs_and_frees_old_ones(
    full: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = full.store
    young = store.put_file(write(tmp_path / "young", b"young"))
    service_runs.free_orphans(store, frozenset({young.digest}))
    assert store.has(young.digest)  # may be about to be referenced by another run
    monkeypatch.setattr(service_runs, "ORPHAN_GRACE_SECONDS", -60.0)  # now it is "old"
    service_runs.free_orphans(store, frozenset({young.digest, bytes_digest(b"gone already")}))
    assert not store.has(young.digest)


def test_failed_put_leaves_nothing(full: Harness) -> None:
    class Broken(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            if self.tell() > 0:
                raise OSError("disk on fire")
            return super().read(size)

    with pytest.raises(OSError, match="disk on fire"):
        full.store.put_stream(Broken(b"abc" * 1000))
    assert full.leftovers() == []
    assert list(full.store.blobs()) == []


def test_put_streams_in_bounded_chunks(full: Harness) -> None:
    sizes: list[int | None] = []

    class Recording(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            sizes.append(size)
            return super().read(size)

    info = full.store.put_stream(Recording(LARGE))
    assert info.digest == bytes_digest(LARGE)
    assert sizes
    assert all(s is not None and 0 < s <= CHUNK_SIZE for s in sizes)
