"""The artifact store contracts: content-addressed blobs.

A blob is identified by its digest, ``"sha256:" + hex``. Equal bytes are stored
once. Blobs are written by streaming (never a whole file in memory) and every read
that materialises a blob locally checks the digest (``DigestMismatch`` otherwise).
Which blobs are still needed is the Store's knowledge
(``MaintenanceStore.referenced_digests``), not the blob store's.

Capabilities, as for the run store (``heron.store.base``):

- :class:`BlobStore`: put, look up and read blobs. What every client needs; the
  local folder, S3 and a server (``RemoteArtifactStore``) implement it in full.
- :class:`BlobMaintenance`: list and delete blobs, find a blob's own file. What
  only a process beside the blobs does (``heron gc``, freeing what checkpoint
  retention orphaned); a server's client never does it.
- :class:`ArtifactStore`: both, what ``LocalArtifactStore`` and ``S3ArtifactStore``
  are and a server is given.

Errors: every method raises InvalidInput for a malformed digest (before touching
anything: a digest becomes a path or a key only once checked), StoreError when the
storage cannot be reached or refuses (S3 credentials, a missing bucket), and a remote
store Unavailable when its server cannot be reached. Nothing else on purpose, except
``OSError`` from reading the caller's own file in ``put_file``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable


@dataclass(frozen=True)
class BlobInfo:
    digest: str
    size: int
    modified: float  # seconds since the epoch; gc spares blobs younger than a grace period


@runtime_checkable
class BlobStore(Protocol):
    """Putting and reading content-addressed blobs (see the module doc)."""

    url: str  # reopens the same store: ``open_artifact_store(url)`` or a server address

    def put_file(self, path: Path) -> BlobInfo:
        """Store the file's bytes once per digest (hashed while copied in) and return
        the blob's info. Content already stored is not stored again, but it is made
        young again, as if written now, so that a gc running meanwhile spares it.
        Raises OSError when ``path`` cannot be read."""
        ...

    def has(self, digest: str) -> bool:
        """Whether the blob is stored."""
        ...

    def stat(self, digest: str) -> BlobInfo | None:
        """The blob's size and when it was last written (seconds since the epoch on
        this machine's clock), or None if absent. Retention and ``heron gc`` use it to
        spare blobs young enough to be about to be referenced."""
        ...

    def open(self, digest: str) -> BinaryIO:
        """A binary stream of the blob (not seekable). Raises NotFound if absent; the
        stream raises DigestMismatch on reaching the end when the bytes read do not
        hash to ``digest`` (a reader that stops early gets no check)."""
        ...

    def fetch(self, digest: str, dest: Path) -> Path:
        """Write the blob to ``dest`` (atomically; its folder is created), checking its
        digest; return ``dest``. Raises NotFound if absent, DigestMismatch (``dest``
        untouched, no temp file left) if the bytes are wrong."""
        ...


@runtime_checkable
class BlobMaintenance(Protocol):
    """Listing and deleting blobs: ``heron gc`` and orphan freeing, beside the blobs."""

    def local_path(self, digest: str) -> Path | None:
        """Where the blob's own file is (read only!), whether or not it exists; None
        when the store is not on the local file system. gc re-checks a blob's age
        through it right before deleting."""
        ...

    def delete(self, digest: str) -> bool:
        """Remove the blob; False if it was not there."""
        ...

    def blobs(self) -> Iterator[BlobInfo]:
        """Every blob stored, in no particular order; stray files or objects that are
        not blobs are skipped."""
        ...


@runtime_checkable
class ArtifactStore(BlobStore, BlobMaintenance, Protocol):
    """The whole capability: a blob store one can also list and delete from."""
