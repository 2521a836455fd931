"""Garbage collection of blobs nothing references any more.

The caller (``heron gc``) asks the store which digests are referenced
(``MaintenanceStore.referenced_digests``), shows
:func:`find_orphans` as a dry run, then calls :func:`delete_blobs`. Take ``now``
*before* asking the Store, so that any blob put after that moment counts as young.

Why a grace period: a run uploads a blob first and records the reference after, so
a fresh unreferenced blob may be one a run is logging right now. A put of content
that already exists touches the old blob, which makes it young again; and
:func:`delete_blobs` re-checks the age of each blob right before deleting it, so a
blob re-put after the dry run is spared. (A put landing between that re-check and the
delete is still a race; the window is a single stat.)
"""

from __future__ import annotations

from collections.abc import Iterable

from heron.artifacts.base import BlobInfo, BlobMaintenance
from heron.errors import InvalidInput


def find_orphans(
    store: BlobMaintenance, referenced: set[str], grace_seconds: float, now: float
) -> list[BlobInfo]:
    """Blobs not in ``referenced`` and last modified at least ``grace_seconds`` before
    ``now``, sorted by digest. Blobs dated after ``now`` (clock skew) are spared."""
    if not grace_seconds >= 0:  # also refuses NaN
        raise InvalidInput(f"the gc grace period must be >= 0 seconds, got {grace_seconds}")
    cutoff = now - grace_seconds
    orphans = [b for b in store.blobs() if b.digest not in referenced and b.modified <= cutoff]
    return sorted(orphans, key=lambda b: b.digest)


def delete_blobs(store: BlobMaintenance, blobs: Iterable[BlobInfo]) -> tuple[int, int]:
    """Delete ``blobs`` (from :func:`find_orphans`); return (how many, how many bytes).

    A blob modified since it was listed (re-put meanwhile) or already gone is skipped.
    """
    count = size = 0
    for blob in blobs:
        if _touched_since(store, blob):
            continue
        if store.delete(blob.digest):
            count += 1
            size += blob.size
    return count, size


def _touched_since(store: BlobMaintenance, blob: BlobInfo) -> bool:
    path = store.local_path(blob.digest)
    if path is None:  # a remote store: no cheap re-check, rely on the grace period
        return False
    try:
        return path.stat().st_mtime != blob.modified  # any touch, even to an older clock
    except FileNotFoundError:
        return True  # gone already: nothing to delete, nothing to count
