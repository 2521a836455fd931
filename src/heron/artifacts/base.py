"""The ArtifactStore contract: content-addressed blobs.

A blob is identified by its digest, ``"sha256:" + hex``. Equal bytes are stored
once. Blobs are written by streaming (never a whole file in memory) and every read
that materialises a blob locally checks the digest (``DigestMismatch`` otherwise).
Which blobs are still needed is the Store's knowledge (``Store.referenced_digests``),
not the ArtifactStore's: it only puts, gets, lists and deletes.
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
class ArtifactStore(Protocol):
    url: str

    def put_file(self, path: Path) -> BlobInfo:
        """Hash ``path`` while copying it in; store once per digest; return its info."""
        ...

    def has(self, digest: str) -> bool: ...

    def stat(self, digest: str) -> BlobInfo | None:
        """The blob's size and when it was last written (seconds since the epoch on
        this machine's clock), or None if absent. Retention and ``heron gc`` use it to
        spare blobs young enough to be about to be referenced."""
        ...

    def open(self, digest: str) -> BinaryIO:
        """A binary stream of the blob. NotFound if absent."""
        ...

    def fetch(self, digest: str, dest: Path) -> Path:
        """Write the blob to ``dest`` (atomically), checking its digest; return ``dest``.
        NotFound if absent, DigestMismatch (``dest`` untouched) if the bytes are wrong."""
        ...

    def local_path(self, digest: str) -> Path | None:
        """Where the blob's own file is (read only!), whether or not it exists; None
        when the store is not on the local file system."""
        ...

    def delete(self, digest: str) -> bool:
        """Remove the blob; False if it was not there."""
        ...

    def blobs(self) -> Iterator[BlobInfo]:
        """Every blob stored, in no particular order."""
        ...
