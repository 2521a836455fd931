from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from heron.artifacts import BlobInfo, LocalArtifactStore, delete_blobs, find_orphans
from heron.errors import InvalidInput

NOW = 2_000_000_000.0
HOUR = 3600.0


def put(store: LocalArtifactStore, data: bytes, mtime: float) -> BlobInfo:
    info = _put(store, data)
    os.utime(store.local_path(info.digest), (mtime, mtime))
    return BlobInfo(info.digest, info.size, mtime)


def _put(store: LocalArtifactStore, data: bytes) -> BlobInfo:
    return store.put_stream(io.BytesIO(data))


@pytest.fixture
def blobs(store: LocalArtifactStore) -> dict[str, BlobInfo]:
    return {
        "old orphan": put(store, b"old orphan", NOW - 48 * HOUR),
        "old kept": put(store, b"old but referenced", NOW - 48 * HOUR),
        "at the cutoff": put(store, b"exactly grace old", NOW - HOUR),
        "young orphan": put(store, b"being logged right now", NOW - 60),
        "future": put(store, b"clock skew", NOW + HOUR),
    }


def test_find_orphans_spares_referenced_and_young_blobs(
    store: LocalArtifactStore, blobs: dict[str, BlobInfo]
) -> None:
    referenced = {blobs["old kept"].digest}
    orphans = find_orphans(store, referenced, grace_seconds=HOUR, now=NOW)
    expected = sorted([blobs["old orphan"], blobs["at the cutoff"]], key=lambda b: b.digest)
    assert orphans == expected
    assert find_orphans(store, referenced, grace_seconds=0, now=NOW) == sorted(
        [b for k, b in blobs.items() if k not in ("old kept", "future")],
        key=lambda b: b.digest,
    )
    assert find_orphans(store, set(), grace_seconds=100 * HOUR, now=NOW) == []


def test_delete_blobs_counts_what_it_freed(
    store: LocalArtifactStore, blobs: dict[str, BlobInfo]
) -> None:
    orphans = find_orphans(store, {blobs["old kept"].digest}, grace_seconds=HOUR, now=NOW)
    assert delete_blobs(store, orphans) == (2, sum(b.size for b in orphans))
    left = {b.digest for b in store.blobs()}
    assert left == {blobs[k].digest for k in ("old kept", "young orphan", "future")}
    assert delete_blobs(store, orphans) == (0, 0)  # already gone


def test_a_blob_put_again_after_the_dry_run_is_spared(
    store: LocalArtifactStore, blobs: dict[str, BlobInfo]
) -> None:
    orphans = find_orphans(store, set(), grace_seconds=HOUR, now=NOW)
    assert blobs["old orphan"] in orphans
    _put(store, b"old orphan")  # a run logs the same bytes again: the blob is touched
    count, _ = delete_blobs(store, orphans)
    assert count == len(orphans) - 1
    assert store.has(blobs["old orphan"].digest)


def test_delete_blobs_without_local_paths(
    store: LocalArtifactStore, blobs: dict[str, BlobInfo]
) -> None:
    class Remote(LocalArtifactStore):
        def local_path(self, digest: str) -> Path | None:  # type: ignore[override]
            return None

    remote = Remote(store.root)
    orphans = find_orphans(remote, set(), grace_seconds=HOUR, now=NOW)
    assert delete_blobs(remote, orphans)[0] == len(orphans) == 3


@pytest.mark.parametrize("grace", [-1.0, float("nan")])
def test_grace_must_be_a_non_negative_number(store: LocalArtifactStore, grace: float) -> None:
    with pytest.raises(InvalidInput):
        find_orphans(store, set(), grace_seconds=grace, now=NOW)
