"""The ArtifactStore on a local (or mounted) file system.

Layout under ``root``::

    sha256/ab/cd/abcd...   one read-only file per blob, named by its full hex digest
    tmp/                   puts in progress (same file system, so os.replace is atomic)

Concurrency: every put writes its own temp file and moves it into place with
``os.replace``; two writers of the same content race harmlessly (same bytes, atomic
rename), so any number of threads and processes may put at once without locks.
Shard folders are never removed, so a put's ``mkdir`` cannot be undone by a
concurrent delete before its rename.

Errors: a blob file that cannot be written (a full disk, a read-only folder) or read
(permissions) raises StoreError naming the store and what to check; only the caller's
own files (the source of a put, the destination of a fetch) raise ``OSError``.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from heron.artifacts._fs import fsync_dir, new_temp, remove_quietly
from heron.artifacts.base import BlobInfo
from heron.artifacts.digest import CHUNK_SIZE, PREFIX, hash_stream, parse_digest
from heron.errors import DigestMismatch, NotFound, StoreError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

_READ_ONLY = 0o444


class LocalArtifactStore:
    """Content-addressed blobs in a folder. See the module doc for layout and concurrency.

    ``durable`` fsyncs each new blob (and its folder) before it is reported stored:
    the Store will reference it right after, and a reference to a blob lost in a
    power cut would be worse than the cost of the sync.
    """

    def __init__(self, root: Path | str, *, durable: bool = True) -> None:
        self.root = Path(root).absolute()
        # A literal prefix, not Path.as_uri(): open_artifact_store strips it back
        # without percent-decoding, so every path round-trips.
        self.url = "file://" + self.root.as_posix()
        self.durable = durable
        self._blobs = self.root / "sha256"
        self._tmp = self.root / "tmp"

    def __repr__(self) -> str:
        return f"LocalArtifactStore({str(self.root)!r})"

    def _path(self, digest: str) -> Path:
        hex_ = parse_digest(digest)  # the only way a digest becomes a path
        return self._blobs / hex_[:2] / hex_[2:4] / hex_

    # --- writing -------------------------------------------------------------
    def put_file(self, path: Path) -> BlobInfo:
        with open(path, "rb") as source:
            return self.put_stream(source)

    def put_stream(self, source: BinaryIO) -> BlobInfo:
        """Store everything left in ``source`` (streamed, hashed while copied)."""
        with self._writing():
            fd, tmp = new_temp(self._tmp, "put-")
        try:
            # Unbuffered: every write error surfaces in _StoreWrites, none in the close.
            with os.fdopen(fd, "wb", buffering=0) as out:
                digest, size = hash_stream(source, _StoreWrites(self, out))
                final = self._path(digest)
                existing = self._refresh(final, digest, size)
                if existing is None and self.durable:  # only a copy we keep needs the sync
                    with self._writing():
                        os.fsync(out.fileno())
            if existing is not None:
                remove_quietly(tmp)
                return existing
            with self._writing():
                os.chmod(tmp, _READ_ONLY)
                modified = os.stat(tmp).st_mtime
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, final)
        except BaseException:
            remove_quietly(tmp)
            raise
        if self.durable:
            fsync_dir(final.parent)
        return BlobInfo(digest, size, modified)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """OSErrors of writing into the store become StoreErrors that say what to check."""
        try:
            yield
        except OSError as exc:
            raise self._write_error(exc) from None

    def _write_error(self, exc: OSError) -> StoreError:
        return StoreError(
            f"cannot write to the artifact store at {self.root}: {exc.strerror or exc}; "
            "check free disk space and that this user may write there"
        )

    def _refresh(self, final: Path, digest: str, size: int) -> BlobInfo | None:
        """Reuse an existing blob, touching it so a concurrent gc sees it as young.

        None when the new copy must be installed instead: no blob, a blob of the
        wrong size (left truncated by a crash), or one we may not touch (another
        user's); replacing it gives the fresh mtime the touch would have.
        """
        try:
            if os.stat(final).st_size != size:
                return None
            os.utime(final)
            return BlobInfo(digest, size, os.stat(final).st_mtime)
        except (FileNotFoundError, PermissionError):
            return None

    def delete(self, digest: str) -> bool:
        path = self._path(digest)
        try:
            if os.name == "nt":  # pragma: no cover - Windows won't unlink read-only files
                os.chmod(path, stat.S_IWRITE)
            path.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise self._write_error(exc) from None
        return True

    def remove_stale_temp(self, older_than: float) -> int:
        """Remove temp files of puts that died before ``older_than``; return how many."""
        removed = 0
        for entry in _scandir(self._tmp):
            try:
                if entry.stat(follow_symlinks=False).st_mtime < older_than:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                continue
        return removed

    # --- reading -------------------------------------------------------------
    def has(self, digest: str) -> bool:
        return self._path(digest).is_file()

    def stat(self, digest: str) -> BlobInfo | None:
        try:
            st = os.stat(self._path(digest))
        except (FileNotFoundError, NotADirectoryError):
            return None
        return BlobInfo(digest, st.st_size, st.st_mtime) if stat.S_ISREG(st.st_mode) else None

    def local_path(self, digest: str) -> Path:
        """Where the blob's own file is (read only!), whether or not it exists now."""
        return self._path(digest)

    def open(self, digest: str) -> BinaryIO:
        """A stream of the blob that raises DigestMismatch on reaching the end if the
        bytes read do not match the digest. Not seekable; a reader that stops early
        gets no check."""
        path, raw = self._open_blob(digest)
        return io.BufferedReader(_VerifyingReader(raw, digest, path), CHUNK_SIZE)

    def fetch(self, digest: str, dest: Path) -> Path:
        """Copy the blob to ``dest`` through a temp file beside it, checked, then renamed:
        ``dest`` either keeps its old content or gets the verified blob."""
        dest = Path(dest)
        path, source = self._open_blob(digest)
        with source:
            fd, tmp = new_temp(dest.parent, ".heron-fetch-")
            try:
                with os.fdopen(fd, "wb") as out:
                    got, _ = hash_stream(source, out)
                if got != digest:
                    raise _mismatch(digest, got, path)
                os.replace(tmp, dest)
            except BaseException:
                remove_quietly(tmp)
                raise
        return dest

    def blobs(self) -> Iterator[BlobInfo]:
        """Every blob, from a walk of the shard folders; stray files are ignored."""
        for first in _scandir(self._blobs):
            for second in _scandir(Path(first.path)):
                for entry in _scandir(Path(second.path)):
                    name = entry.name
                    if name[:2] != first.name or name[2:4] != second.name:
                        continue
                    try:
                        digest = PREFIX + parse_digest(PREFIX + name)
                        st = entry.stat(follow_symlinks=False)
                    except (ValueError, FileNotFoundError):  # stray name; deleted meanwhile
                        continue
                    if stat.S_ISREG(st.st_mode):
                        yield BlobInfo(digest, st.st_size, st.st_mtime)

    def _open_blob(self, digest: str) -> tuple[Path, io.FileIO]:
        path = self._path(digest)
        try:
            return path, io.FileIO(path, "r")
        except (FileNotFoundError, NotADirectoryError):
            raise self._not_found(digest) from None
        except OSError as exc:
            raise StoreError(
                f"cannot read blob {digest} at {path}: {exc.strerror or exc}; check that "
                "this user may read the artifact store"
            ) from None

    def _not_found(self, digest: str) -> NotFound:
        return NotFound(f"blob {digest} is not in the artifact store at {self.root}")


class _StoreWrites:
    """The sink of a put: write errors (a full disk) are the store's, not the source's."""

    def __init__(self, store: LocalArtifactStore, out: io.FileIO) -> None:
        self._store = store
        self._out = out

    def write(self, data: bytes, /) -> int:
        view = memoryview(data)
        with self._store._writing():
            while view:  # a raw write may take part of the bytes
                view = view[self._out.write(view) or 0 :]
        return len(data)


class _VerifyingReader(io.RawIOBase):
    """Hashes what is read; at the end of the file, compares with the expected digest."""

    def __init__(self, raw: io.FileIO, digest: str, path: Path) -> None:
        super().__init__()
        self._raw = raw
        self._digest = digest
        self._path = path
        self._hash = hashlib.sha256()
        self._checked = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        n = self._raw.readinto(buffer) or 0
        if n:
            with memoryview(buffer) as view:
                self._hash.update(view[:n])
        elif not self._checked:
            self._checked = True
            got = PREFIX + self._hash.hexdigest()
            if got != self._digest:
                raise _mismatch(self._digest, got, self._path)
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


def _mismatch(expected: str, got: str, path: Path) -> DigestMismatch:
    return DigestMismatch(
        f"blob {path} is corrupt: its bytes hash to {got}, not {expected}. "
        "It was changed on disk; delete it and log the file again."
    )


def _scandir(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as it:
            return list(it)
    except (FileNotFoundError, NotADirectoryError):
        return []
