"""What only the remote stores do, over an in-process server: they implement their
protocols and nothing more, the server frees what retention orphaned, and every
failure of the network or of a server's answer is a ``heron.errors`` class.

The contracts themselves run against the remote stores in tests/store and
tests/artifacts (``run_store``, ``harness``).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from heron.artifacts.base import BlobMaintenance, BlobStore
from heron.artifacts.digest import bytes_digest
from heron.artifacts.local import LocalArtifactStore
from heron.errors import StoreError, Unavailable
from heron.remote import HttpClient, RemoteArtifactStore, RemoteStore
from heron.service import runs as service_runs
from heron.store import open_store
from heron.store.base import BlockReads, MaintenanceStore, RunStore, Store
from tests.remote.inprocess import URL, Remote, remote_stores
from tests.store.helpers import Logger, artifact, new_run

MAINTENANCE = ("stale_runs", "changed_runs", "referenced_digests", "block_summaries")


@pytest.fixture
def server_blobs(tmp_path: Path) -> LocalArtifactStore:
    return LocalArtifactStore(tmp_path / "server" / "blobs", durable=False)


@pytest.fixture
def remote(tmp_path: Path, server_blobs: LocalArtifactStore) -> Iterator[Remote]:
    with (
        open_store(f"sqlite:///{tmp_path / 'server' / 'heron.db'}") as sql,
        remote_stores(sql, server_blobs, tmp_path / "server") as stack,
    ):
        yield stack


def test_the_remote_stores_implement_their_protocols_and_no_more(remote: Remote) -> None:
    assert isinstance(remote.store, RunStore)
    for capability in (MaintenanceStore, BlockReads, Store):
        assert not isinstance(remote.store, capability)
    assert not any(hasattr(remote.store, name) for name in MAINTENANCE)
    assert isinstance(remote.blobs, BlobStore)
    assert not isinstance(remote.blobs, BlobMaintenance)


def test_the_server_frees_blobs_that_retention_orphaned(
    remote: Remote,
    server_blobs: LocalArtifactStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(service_runs, "ORPHAN_GRACE_SECONDS", -60.0)  # every blob is "old"
    log = Logger(remote.store)
    entries = []
    for step in range(2):
        (tmp_path / f"w{step}").write_bytes(f"weights {step}".encode())
        info = remote.blobs.put_file(tmp_path / f"w{step}")
        entries.append({"path": "w.bin", "digest": info.digest, "size": info.size})
    first = log(artifact("ckpt", [entries[0]], retention={"keep_last": 1}))
    second = log(artifact("ckpt", [entries[1]], retention={"keep_last": 1}))
    assert first.orphaned == second.orphaned == frozenset()  # nothing left to the client
    assert not server_blobs.has(entries[0]["digest"])
    assert server_blobs.has(entries[1]["digest"])
    assert [v.version for v in remote.store.artifacts(name="ckpt")] == [1]


def test_a_put_of_young_content_is_not_sent_again(remote: Remote, tmp_path: Path) -> None:
    sent: list[str] = []

    class Counting(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            sent.append(request.method)
            return remote.transport.handle_request(request)

    blobs = RemoteArtifactStore(URL, HttpClient(URL, transport=Counting()))
    (tmp_path / "a").write_bytes(b"content")
    first = blobs.put_file(tmp_path / "a")
    again = blobs.put_file(tmp_path / "a")
    blobs.http.close()
    assert sent == ["HEAD", "PUT", "HEAD"]
    assert (again.digest, again.size) == (first.digest, first.size)


@pytest.fixture
def closed_url() -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


def test_an_unreachable_server_is_unavailable(closed_url: str, tmp_path: Path) -> None:
    store, blobs = RemoteStore(closed_url), RemoteArtifactStore(closed_url)
    digest = bytes_digest(b"x")
    (tmp_path / "x").write_bytes(b"x")
    for call in (
        lambda: store.get_run("abcdefghij"),
        lambda: store.history("abcdefghij"),
        lambda: new_run(store),
        lambda: blobs.has(digest),
        lambda: blobs.put_file(tmp_path / "x"),
        lambda: blobs.fetch(digest, tmp_path / "out"),
    ):
        with pytest.raises(Unavailable, match=closed_url):
            call()
    assert not (tmp_path / "out").exists()
    store.close()
    blobs.http.close()


def answering(status: int, body: bytes, content_type: str) -> HttpClient:
    """A client of a "server" that answers every request alike (not a Heron server)."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"Content-Type": content_type})

    return HttpClient(URL, transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<html>a proxy's login page</html>", "text/html"),
        (b'{"unexpected": true}', "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b"HRNB garbage", "application/x-heron-batch"),
    ],
)
def test_an_answer_that_is_not_herons_is_a_store_error(
    body: bytes, content_type: str, tmp_path: Path
) -> None:
    http = answering(200, body, content_type)
    store, blobs = RemoteStore(URL, http), RemoteArtifactStore(URL, http)
    (tmp_path / "x").write_bytes(b"x")
    for call in (
        lambda: store.get_run("abcdefghij"),
        lambda: store.search_runs(),
        lambda: store.count_runs(),
        lambda: store.history("abcdefghij"),
        lambda: store.runs_table(),
        lambda: store.project_keys("p"),
        lambda: store.artifacts(),
        lambda: store.console("abcdefghij"),
        lambda: blobs.put_known(tmp_path / "x", bytes_digest(b"x")),
    ):
        with pytest.raises(StoreError, match="not what a Heron server sends"):
            call()
    http.close()


def test_a_blob_changed_on_the_way_is_a_digest_mismatch(tmp_path: Path) -> None:
    from heron.errors import DigestMismatch

    http = answering(200, b"not the bytes", "application/octet-stream")
    blobs = RemoteArtifactStore(URL, http)
    digest = bytes_digest(b"the bytes")
    with pytest.raises(DigestMismatch, match=digest):
        blobs.fetch(digest, tmp_path / "out" / "x")
    assert list((tmp_path / "out").iterdir()) == []
    with blobs.open(digest) as stream, pytest.raises(DigestMismatch):
        stream.read()
    http.close()
