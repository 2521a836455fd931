"""Hostile input: traversal, planted symlinks, malformed and oversized bodies, bombs.

Each gets a clear 4xx problem JSON, the server keeps serving, and nothing is written
outside the store's folders.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from heron import wire
from heron.artifacts.digest import bytes_digest
from heron.artifacts.local import LocalArtifactStore
from tests.server.asgi import AppClient
from tests.server.test_routes import API, BATCH, create, put_blob, send
from tests.store.helpers import batch

LIMIT = 1 << 20  # the app fixture's HERON_MAX_REQUEST_BYTES


@pytest.fixture
def store_url(sqlite_url: str) -> str:
    """SQLite only: path and body checks happen before the store (test_routes.py runs
    every route on both backends)."""
    return sqlite_url


# Literal "..", "." segments are normalised away by httpx before sending; the real
# server test (test_live_server.py) sends them raw over a socket.
TRAVERSALS = [
    "..%2f..%2fetc%2fpasswd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%252e%252e%252fetc%252fpasswd",
    "/etc/passwd",
    "%2fetc%2fpasswd",
    "docs\\..\\..\\secret",
    "docs%5c..%5csecret",
    "docs/README.md%00.png",
    "docs%2f.%2fREADME.md",
    "C:/Windows/win.ini",
]


def assert_problem(response: object, *statuses: int) -> dict[str, object]:
    import httpx

    assert isinstance(response, httpx.Response)
    assert response.status_code in statuses, (response.status_code, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == response.status_code and body["detail"]
    return body  # type: ignore[no-any-return]


@pytest.fixture
def with_files(client: AppClient) -> dict[str, object]:
    create(client)
    digest = put_blob(client, b"readme")
    events = [
        {"type": "file", "file": {"path": "docs/README.md", "digest": digest, "size": 6}},
        {
            "type": "artifact",
            "name": "data",
            "artifact_type": "dataset",
            "files": [{"path": "a/b.txt", "digest": digest, "size": 6}],
            "aliases": [],
            "metadata": {},
            "time": 1.0,
        },
    ]
    send(client, batch("run0000001", 1, events))
    version = client.get(f"{API}/runs/run0000001/artifacts").json()[0]
    return {"digest": digest, "version": version["id"]}


@pytest.mark.parametrize("path", TRAVERSALS)
def test_run_file_traversal(client: AppClient, with_files: dict[str, object], path: str) -> None:
    response = client.get(f"{API}/runs/run0000001/files/{path}")
    assert_problem(response, 400, 404)
    assert b"root:" not in response.content
    assert client.get(f"{API}/runs/run0000001/files/docs/README.md").content == b"readme"


@pytest.mark.parametrize("path", TRAVERSALS)
def test_artifact_file_traversal(
    client: AppClient, with_files: dict[str, object], path: str
) -> None:
    response = client.get(f"{API}/artifacts/{with_files['version']}/files/{path}")
    assert_problem(response, 400, 404)
    assert b"root:" not in response.content


@pytest.mark.parametrize(
    "digest",
    [
        "..%2f..%2f..%2fetc%2fpasswd",
        "sha256:..%2f..%2fetc%2fpasswd",
        "sha256:" + "A" * 64,
        "sha256:" + "0" * 63,
        "md5:" + "0" * 32,
        "sha256:" + "0" * 64 + "%00",
        "%252e%252e%252f",
    ],
)
def test_blob_digest_traversal(client: AppClient, digest: str, tmp_path: Path) -> None:
    assert_problem(client.get(f"{API}/blobs/{digest}"), 400, 404)
    # a path that is no blob path is not a blob upload either: 415 refuses it first
    assert_problem(client.put(f"{API}/blobs/{digest}", content=b"x"), 400, 404, 415)
    assert client.head(f"{API}/blobs/{digest}").status_code in (400, 404)
    assert not (tmp_path / "etc").exists()


def test_planted_symlink_is_not_followed(
    client: AppClient, with_files: dict[str, object], artifacts: LocalArtifactStore, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"TOP SECRET")
    blob = artifacts.local_path(str(with_files["digest"]))
    blob.chmod(0o644)
    blob.unlink()
    blob.symlink_to(secret)
    for url in (
        f"{API}/runs/run0000001/files/docs/README.md",
        f"{API}/artifacts/{with_files['version']}/files/a/b.txt",
        f"{API}/blobs/{with_files['digest']}",
    ):
        response = client.get(url)
        assert_problem(response, 404)
        assert b"TOP SECRET" not in response.content
    # A symlinked shard folder is refused too.
    other = put_blob(client, b"second")
    shard = artifacts.local_path(other).parent
    moved = tmp_path / "elsewhere"
    shard.rename(moved)
    shard.symlink_to(moved, target_is_directory=True)
    assert_problem(client.get(f"{API}/blobs/{other}"), 404)
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not a batch",
        b"HRNB1\n\xff\xff\xff\xff",
        wire.BATCH_MAGIC + (5).to_bytes(4, "little") + b"{bad}",
        wire.BATCH_MAGIC + (2).to_bytes(4, "little") + b"[]",
    ],
)
def test_corrupt_batches(client: AppClient, body: bytes) -> None:
    create(client)
    assert_problem(client.post(f"{API}/runs/run0000001/batches", content=body, headers=BATCH), 400)
    assert client.get(f"{API}/runs/run0000001").json()["ingested_seq"] == -1


def test_truncated_batch_applies_nothing(client: AppClient) -> None:
    create(client)
    full = wire.encode_batch(batch("run0000001", 1, loss=[1.0, 2.0, 3.0]))
    for cut in (len(full) - 1, len(full) - 24, 20):
        response = client.post(f"{API}/runs/run0000001/batches", content=full[:cut], headers=BATCH)
        assert_problem(response, 400)
    assert client.get(f"{API}/runs/run0000001/history").json() == {}


def test_batch_for_another_run_is_refused(client: AppClient) -> None:
    create(client, "run0000001")
    create(client, "run0000002")
    body = wire.encode_batch(batch("run0000002", 1, loss=[1.0]))
    problem = assert_problem(
        client.post(f"{API}/runs/run0000001/batches", content=body, headers=BATCH), 400
    )
    assert "run0000002" in str(problem["detail"])
    assert client.get(f"{API}/runs/run0000002").json()["ingested_seq"] == -1


def test_batch_with_bad_events_is_refused_whole(client: AppClient) -> None:
    create(client)
    bad = batch("run0000001", 1, [{"type": "tags", "add": ["ok"]}, {"type": "state", "state": "x"}])
    response = client.post(
        f"{API}/runs/run0000001/batches", content=wire.encode_batch(bad), headers=BATCH
    )
    assert_problem(response, 400)
    assert client.get(f"{API}/runs/run0000001").json()["tags"] == []


def test_gzip_bomb_is_refused(client: AppClient) -> None:
    create(client)
    bomb = gzip.compress(b"\0" * (LIMIT * 8), compresslevel=9)
    assert len(bomb) < LIMIT // 10
    response = client.post(
        f"{API}/runs/run0000001/batches",
        content=bomb,
        headers={**BATCH, "content-encoding": "gzip"},
    )
    assert_problem(response, 413)
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    ("body", "encoding"),
    [(b"not gzip", "gzip"), (gzip.compress(b"x" * 100, mtime=0)[:-10], "gzip"), (b"x", "br")],
)
def test_bad_content_encoding(client: AppClient, body: bytes, encoding: str) -> None:
    create(client)
    response = client.post(
        f"{API}/runs/run0000001/batches",
        content=body,
        headers={**BATCH, "content-encoding": encoding},
    )
    assert_problem(response, 400)


def test_oversized_bodies_get_413(client: AppClient) -> None:
    big = b"x" * (LIMIT + 1)
    json_type = {"Content-Type": "application/json"}
    assert_problem(client.post(f"{API}/runs", content=big, headers=json_type), 413)
    assert_problem(client.post(f"{API}/runs/run0000001/batches", content=big, headers=BATCH), 413)

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the body is counted
        for _ in range(LIMIT // 65536 + 2):
            yield b"y" * 65536

    assert_problem(client.post(f"{API}/runs/table", content=chunks(), headers=json_type), 413)
    assert client.get("/healthz").status_code == 200


def test_blob_uploads_are_not_limited_by_the_body_cap(client: AppClient) -> None:
    data = os.urandom(LIMIT + 4096)
    digest = put_blob(client, data)
    assert client.get(f"{API}/blobs/{digest}").content == data


def test_wrong_types_and_unknown_fields(client: AppClient) -> None:
    assert_problem(client.post(f"{API}/runs", json=[1, 2]), 400, 422)
    missing = assert_problem(client.post(f"{API}/runs", json={"id": "ok00000001"}), 422)
    assert missing["errors"] == [
        {"loc": ["body", "project"], "msg": "Field required", "type": "missing"}
    ]
    assert_problem(
        client.post(f"{API}/runs", json={"id": "ok00000001", "project": "p", "x": 1}), 422
    )
    assert_problem(client.post(f"{API}/runs", json={"id": "../x", "project": "p"}), 400)
    assert_problem(client.post(f"{API}/runs", json={"id": "a1", "project": "../p"}), 400)
    assert_problem(client.post(f"{API}/runs/delete", json={"ids": "run0000001"}), 422)
    assert_problem(client.post(f"{API}/series", json={"runs": ["a"], "keys": "x"}), 422)
    assert_problem(client.get(f"{API}/runs", params={"limit": -1}), 422)
    assert_problem(
        client.post(
            f"{API}/runs", content=b"\xff\xfe", headers={"content-type": "application/json"}
        ),
        400,
        422,
    )


def test_nothing_written_outside_the_store(client: AppClient, tmp_path: Path) -> None:
    before = set(tmp_path.iterdir())
    create(client)
    for path in TRAVERSALS:
        client.get(f"{API}/runs/run0000001/files/{path}")
        client.put(f"{API}/blobs/{path}", content=b"evil")
    client.put(f"{API}/blobs/{bytes_digest(b'a')}", content=b"b")
    after = set(tmp_path.iterdir())
    assert after - before <= {tmp_path / "blobs"}
    assert not any(p.name.endswith(".part") for p in tmp_path.rglob("*"))
