from __future__ import annotations

from pathlib import Path

import pytest

from heron.artifacts import LocalArtifactStore, open_artifact_store
from heron.errors import InvalidInput
from heron.settings import Settings


def test_plain_paths(tmp_path: Path) -> None:
    for where in (tmp_path / "b", str(tmp_path / "b")):
        store = open_artifact_store(where)
        assert isinstance(store, LocalArtifactStore)
        assert store.root == tmp_path / "b"


def test_relative_path_becomes_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_artifact_store("heron-runs/blobs")
    assert isinstance(store, LocalArtifactStore)
    assert store.root == tmp_path / "heron-runs" / "blobs"


@pytest.mark.parametrize("name", ["plain", "with space", "100%", "a#b?c", "%2e%2e"])
def test_file_urls_round_trip(tmp_path: Path, name: str) -> None:
    store = LocalArtifactStore(tmp_path / name)
    assert store.url.startswith("file:///")
    again = open_artifact_store(store.url)
    assert isinstance(again, LocalArtifactStore)
    assert again.root == store.root
    local = open_artifact_store("file://localhost" + store.root.as_posix())
    assert isinstance(local, LocalArtifactStore)
    assert local.root == store.root


def test_file_url_needs_an_absolute_path() -> None:
    with pytest.raises(InvalidInput, match="absolute"):
        open_artifact_store("file://relative/blobs")


def test_s3_urls_open_an_s3_store_at_the_endpoint_the_settings_name() -> None:
    from heron.artifacts.s3 import S3ArtifactStore

    settings = Settings(s3_endpoint_url="http://127.0.0.1:9")
    for url in ("s3://bucket/prefix", "S3://bucket/prefix/"):
        store = open_artifact_store(url, settings=settings)  # no request yet: none listens
        assert isinstance(store, S3ArtifactStore)
        assert (store.url, store.endpoint_url) == ("s3://bucket/prefix", "http://127.0.0.1:9")
    with pytest.raises(InvalidInput, match="bucket"):
        open_artifact_store("s3:///prefix", settings=settings)


def test_opening_reads_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from heron.artifacts.s3 import S3ArtifactStore

    monkeypatch.setenv("HERON_S3_ENDPOINT_URL", "http://127.0.0.1:9")
    store = open_artifact_store("s3://bucket/prefix")  # the caller's Settings decide
    assert isinstance(store, S3ArtifactStore) and store.endpoint_url is None
    assert S3ArtifactStore("s3://bucket/prefix").endpoint_url is None


@pytest.mark.parametrize("bad", ["gs://bucket", "http://host/x", ""])
def test_unknown_schemes(bad: str) -> None:
    with pytest.raises(InvalidInput):
        open_artifact_store(bad)
