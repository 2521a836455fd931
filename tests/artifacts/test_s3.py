"""What only the S3 artifact store does, against a real S3-protocol server (moto).

The ArtifactStore contract itself (put/has/open/fetch/delete/blobs, dedupe, corrupt
blobs, bad digests, threads) runs against S3 in test_artifact_store_contract.py.
"""

from __future__ import annotations

import os
import socket
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from heron.artifacts.digest import bytes_digest
from heron.artifacts.s3 import S3ArtifactStore, parse_s3_url, transfer_config
from heron.errors import HeronError, InvalidInput, StoreError
from heron.local_dir import LocalDir
from heron.settings import Settings
from tests.s3_server import S3Server, running_s3_server

MIB = 1 << 20


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


class Calls:
    """Counts the S3 operations a store's client makes (botocore's own event hooks)."""

    def __init__(self, client: Any) -> None:
        self.counts: Counter[str] = Counter()
        client.meta.events.register("before-call.s3.*", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.counts[model.name] += 1


@pytest.fixture
def client(s3_server: S3Server) -> Any:
    return s3_server.client()


@pytest.fixture
def store(client: Any, s3_bucket: str) -> S3ArtifactStore:
    """Here ``store`` is an S3 blob store, on an instrumentable client."""
    return S3ArtifactStore(f"s3://{s3_bucket}/pfx", client=client)


# --- URLs and layout ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "bucket", "prefix"),
    [
        ("s3://bucket", "bucket", ""),
        ("s3://bucket/", "bucket", ""),
        ("S3://my.bucket-1/a/b/", "my.bucket-1", "a/b"),
        ("s3://bucket//a///b", "bucket", "a/b"),
    ],
)
def test_parse_s3_url(url: str, bucket: str, prefix: str) -> None:
    assert parse_s3_url(url) == (bucket, prefix)


@pytest.mark.parametrize(
    "url",
    ["s3://", "s3:///prefix", "s3://ab", "s3://-bucket", "s3://buc ket/x", "s3://b" * 70,
     "s3://bucket/a/../b", "s3://bucket/./b", "s3://bucket/a\nb", "file:///x"],
)  # fmt: skip
def test_malformed_s3_urls(url: str) -> None:
    with pytest.raises(InvalidInput, match=r"S3|s3"):
        parse_s3_url(url)


def test_blob_layout(store: S3ArtifactStore, client: Any, s3_bucket: str, tmp_path: Path) -> None:
    info = store.put_file(write(tmp_path / "a", b"hello"))
    hex_ = info.digest.removeprefix("sha256:")
    key = f"pfx/blobs/sha256/{hex_[:2]}/{hex_[2:]}"
    assert store.key(info.digest) == key
    assert client.get_object(Bucket=s3_bucket, Key=key)["Body"].read() == b"hello"
    assert store.local_path(info.digest) is None
    assert store.url == f"s3://{s3_bucket}/pfx"


def test_prefixes_are_separate_stores(client: Any, s3_bucket: str, tmp_path: Path) -> None:
    a = S3ArtifactStore(f"s3://{s3_bucket}/team-a", client=client)
    b = S3ArtifactStore(f"s3://{s3_bucket}/team-a/b", client=client)
    root = S3ArtifactStore(f"s3://{s3_bucket}", client=client)
    info = a.put_file(write(tmp_path / "f", b"only in a"))
    assert a.has(info.digest)
    assert not b.has(info.digest)
    assert not root.has(info.digest)
    assert list(b.blobs()) == list(root.blobs()) == []
    root_info = root.put_file(tmp_path / "f")
    assert root.key(root_info.digest).startswith("blobs/sha256/")
    assert [x.digest for x in a.blobs()] == [info.digest]


def test_blobs_pages_through_listings_and_ignores_strays(
    store: S3ArtifactStore, client: Any, s3_bucket: str, tmp_path: Path
) -> None:
    infos = {store.put_file(write(tmp_path / str(i), str(i).encode())) for i in range(7)}
    hex_ = next(iter(infos)).digest.removeprefix("sha256:")
    for stray in [
        "pfx/blobs/sha256/README",
        f"pfx/blobs/sha256/{hex_[:2]}/{hex_[2:]}.part",
        f"pfx/blobs/sha256/{hex_[:3]}/{hex_[3:]}",  # wrong shard length
        f"pfx/blobs/sha256/{hex_[:2]}/x/{hex_[2:]}",  # nested
        f"pfx/blobs/sha256/{hex_[:2].upper()}/{hex_[2:]}",
        f"pfx/other/{hex_}",
    ]:
        client.put_object(Bucket=s3_bucket, Key=stray, Body=b"")
    calls = Calls(client)
    store.list_page_size = 3
    assert set(store.blobs()) == infos
    assert calls.counts["ListObjectsV2"] >= 4  # 13 objects, 3 per page


# --- puts ---------------------------------------------------------------------------


def test_an_existing_blob_is_not_uploaded_again(
    store: S3ArtifactStore, client: Any, tmp_path: Path
) -> None:
    first = store.put_file(write(tmp_path / "a", b"same bytes"))
    calls = Calls(client)
    again = store.put_file(write(tmp_path / "b", b"same bytes"))
    assert again == first
    assert calls.counts["HeadObject"] == 1
    assert calls.counts["PutObject"] == calls.counts["CopyObject"] == 0


def test_large_files_go_up_in_parts(
    client: Any, s3_bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = S3ArtifactStore(
        f"s3://{s3_bucket}/p", client=client, transfer=transfer_config(5 * MIB, 5 * MIB, 2)
    )
    data = os.urandom(12 * MIB + 7)
    calls = Calls(client)
    info = store.put_file(write(tmp_path / "big.bin", data))
    assert info.digest == bytes_digest(data)
    assert calls.counts["UploadPart"] == 3
    assert calls.counts["CompleteMultipartUpload"] == 1
    head = client.head_object(Bucket=s3_bucket, Key=store.key(info.digest))
    assert head["ETag"].strip('"').endswith("-3")  # S3's mark of a multipart object
    assert head["ContentLength"] == len(data)
    out = store.fetch(info.digest, tmp_path / "out.bin")
    assert out.read_bytes() == data


def test_a_multipart_upload_holds_a_few_parts_in_memory(
    client: Any, s3_bucket: str, tmp_path: Path
) -> None:
    import tracemalloc

    store = S3ArtifactStore(
        f"s3://{s3_bucket}/p", client=client, transfer=transfer_config(5 * MIB, 5 * MIB, 2)
    )
    source = write(tmp_path / "big.bin", os.urandom(40 * MIB))
    tracemalloc.start()
    try:
        store.put_file(source)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # threshold + 2 parts in flight (+ copies botocore makes while signing a part)
    assert peak < 25 * MIB, f"peak {peak / MIB:.1f} MiB for a 40 MiB file"


def _change_on_head(client: Any, path: Path, data: bytes, times: int) -> None:
    """Rewrite ``path`` when the store HEADs a blob (between its hash and its upload)."""
    left = [times]

    def rewrite(**_: Any) -> None:
        if left[0] > 0:
            left[0] -= 1
            path.write_bytes(data)

    client.meta.events.register("before-call.s3.HeadObject", rewrite)


@pytest.mark.parametrize(
    ("size", "change"),
    [(1000, "edit"), (1000, "truncate"), (1000, "grow"), (12 * MIB, "edit"), (12 * MIB, "grow")],
)
def test_a_file_changed_during_its_upload_is_hashed_and_sent_again(
    client: Any, s3_bucket: str, tmp_path: Path, size: int, change: str
) -> None:
    store = S3ArtifactStore(
        f"s3://{s3_bucket}/p", client=client, transfer=transfer_config(5 * MIB, 5 * MIB, 2)
    )
    before = os.urandom(size)
    after = {
        "edit": before[:-1] + bytes([before[-1] ^ 1]),  # the last part differs
        "truncate": before[:-10],
        "grow": before + b"more",
    }[change]
    path = write(tmp_path / "ckpt.bin", before)
    _change_on_head(client, path, after, times=1)
    info = store.put_file(path)
    assert info.digest == bytes_digest(after)  # what the file holds now, consistently
    assert [b.digest for b in store.blobs()] == [info.digest]
    with store.open(info.digest) as f:
        assert f.read() == after
    assert client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []


def test_a_file_that_never_settles_is_refused(
    store: S3ArtifactStore, client: Any, s3_bucket: str, tmp_path: Path
) -> None:
    path = write(tmp_path / "live.log", b"0")
    counter = iter(range(1, 100))

    def rewrite(**_: Any) -> None:
        path.write_bytes(str(next(counter)).encode())

    client.meta.events.register("before-call.s3.HeadObject", rewrite)
    with pytest.raises(StoreError, match="changed every time"):
        store.put_file(path)
    assert list(store.blobs()) == []


def test_a_reput_refreshes_an_old_blob_for_gc(client: Any, s3_bucket: str, tmp_path: Path) -> None:
    lazy = S3ArtifactStore(f"s3://{s3_bucket}/p", client=client)  # touch after 60 s
    eager = S3ArtifactStore(f"s3://{s3_bucket}/p", client=client, touch_after=0.0)
    first = lazy.put_file(write(tmp_path / "a", b"weights"))
    time.sleep(1.1)  # S3 times have whole seconds
    assert lazy.put_file(tmp_path / "a").modified == first.modified
    refreshed = eager.put_file(tmp_path / "a")
    assert refreshed.modified > first.modified
    assert [b.modified for b in lazy.blobs()] == [refreshed.modified]
    with lazy.open(first.digest) as f:
        assert f.read() == b"weights"


# --- errors a user can cause ----------------------------------------------------------


def _no_traceback_chain(exc: BaseException) -> None:
    assert exc.__cause__ is None and exc.__suppress_context__


def test_a_missing_bucket_says_so(s3_env: S3Server, tmp_path: Path) -> None:
    store = S3ArtifactStore("s3://no-such-bucket-here/x", endpoint_url=s3_env.endpoint_url)
    calls: list[Any] = [
        lambda: store.put_file(write(tmp_path / "a", b"a")),
        lambda: store.has(bytes_digest(b"a")),
        lambda: list(store.blobs()),
        lambda: store.fetch(bytes_digest(b"a"), tmp_path / "out"),
    ]
    for call in calls:
        with pytest.raises(StoreError, match="bucket 'no-such-bucket-here' does not exist") as e:
            call()
        assert s3_env.endpoint_url in str(e.value)
        _no_traceback_chain(e.value)
    assert not (tmp_path / "out").exists()


def test_refused_credentials_say_what_to_check(tmp_path: Path) -> None:
    with running_s3_server({"INITIAL_NO_AUTH_ACTION_COUNT": "0"}) as strict:
        store = S3ArtifactStore("s3://some-bucket/x", client=strict.client())
        with pytest.raises(StoreError, match="AWS_ACCESS_KEY_ID") as e:
            store.put_file(write(tmp_path / "a", b"a"))
    assert "refused" in str(e.value)
    _no_traceback_chain(e.value)


def test_missing_credentials_say_where_to_put_them(
    s3_env: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    store = S3ArtifactStore("s3://some-bucket/x", endpoint_url=s3_env.endpoint_url)
    with pytest.raises(StoreError, match="no usable AWS credentials") as e:
        store.has(bytes_digest(b"a"))
    _no_traceback_chain(e.value)


@pytest.fixture
def closed_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        yield s.getsockname()[1]


def test_an_unreachable_endpoint_says_so(
    s3_env: S3Server, closed_port: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    endpoint = f"http://127.0.0.1:{closed_port}"
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # the standard AWS setting is honoured
    store = S3ArtifactStore("s3://bucket/x", endpoint_url=endpoint)
    assert store.endpoint_url == endpoint
    with pytest.raises(StoreError, match="cannot be reached") as e:
        store.put_file(write(tmp_path / "a", b"a"))
    assert endpoint in str(e.value) and "HERON_S3_ENDPOINT_URL" in str(e.value)
    _no_traceback_chain(e.value)
    assert isinstance(e.value, HeronError) and e.value.status_code == 500


# --- through a real run ----------------------------------------------------------------


def test_runs_log_and_use_artifacts_in_s3(s3_env: S3Server, s3_bucket: str, tmp_path: Path) -> None:
    """heron.init and heron.Api on a store folder whose blobs are in S3: the bucket and
    its endpoint come from the Settings the entry point built, nothing deeper."""
    import heron

    store_dir = tmp_path / "heron-runs"
    settings = Settings(
        dir=store_dir,
        artifacts=f"s3://{s3_bucket}/heron",
        s3_endpoint_url=s3_env.endpoint_url,
        system_metrics_interval=0.0,
        capture_git=False,
        capture_packages=False,
        capture_console=False,
    )
    model = write(tmp_path / "model" / "weights.bin", os.urandom(300_000))
    write(tmp_path / "model" / "config.json", b'{"layers": 4}')
    with heron.init("s3test", settings=settings) as producer:
        producer.log({"loss": 0.5})
        ref = producer.log_artifact(tmp_path / "model", name="model", type="model")
    assert ref.startswith("model:")
    blobs = S3ArtifactStore(f"s3://{s3_bucket}/heron", endpoint_url=s3_env.endpoint_url)
    assert {b.digest for b in blobs.blobs()} == {
        bytes_digest(model.read_bytes()),
        bytes_digest(b'{"layers": 4}'),
    }
    assert [p for p in LocalDir.at(store_dir).blobs.rglob("*") if p.is_file()] == []
    with heron.init("s3test", settings=settings) as consumer:
        folder = consumer.use_artifact("model:latest")
    assert (folder / "weights.bin").read_bytes() == model.read_bytes()
    assert (folder / "config.json").read_bytes() == b'{"layers": 4}'
    with heron.Api(store_dir, settings=settings) as api:
        version = api.artifact("s3test", "model")
        assert consumer.id in version.used_by
