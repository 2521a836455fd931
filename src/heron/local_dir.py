"""The embedded store's folder: one SQLite database, a blob folder, the spools.

heron-runs/
  heron.db        SQLite (WAL), the Store
  blobs/          content-addressed artifact blobs (LocalArtifactStore)
  spool/<run>/    memory-mapped spool segments of runs not yet fully shipped
  cache/          artifact downloads, dataset hash caches
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

from heron.errors import StoreError

# A live writer holds an exclusive flock on this file in its run's spool folder; the
# lock dies with the process, so whoever can take it knows the writer is gone.
SPOOL_LOCK = "lock"


@dataclass(frozen=True)
class LocalDir:
    root: Path

    @classmethod
    def at(cls, path: str | Path) -> LocalDir:
        return cls(Path(path).expanduser().resolve())

    @property
    def db_path(self) -> Path:
        return self.root / "heron.db"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.db_path}"

    @property
    def blobs(self) -> Path:
        return self.root / "blobs"

    @property
    def spool(self) -> Path:
        return self.root / "spool"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    def exists(self) -> bool:
        return self.db_path.exists()

    def create(self) -> LocalDir:
        """Make the folders (StoreError in one line when that is impossible: a file in
        the way, a read-only disk, no permission)."""
        for folder in (self.root, self.blobs, self.spool, self.cache):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                why = "a file is in the way" if isinstance(exc, FileExistsError) else exc.strerror
                raise StoreError(
                    f"cannot use {self.root} as a Heron store folder: cannot create {folder} "
                    f"({why or exc}). Set HERON_DIR (or --dir, or dir= in heron.init) to a "
                    "writable folder"
                ) from None
        return self

    def writer_alive(self, run_id: str) -> bool:
        """True while a live process writes run ``run_id``'s spool here."""
        folder = self.spool / run_id
        if not folder.exists():
            return False
        fd = try_lock(folder)
        if fd is None:
            return True
        os.close(fd)
        return False


def try_lock(folder: Path) -> int | None:
    """Take a spool's lock: an fd if nobody holds it (its writer is gone), else None."""
    try:
        fd = os.open(folder / SPOOL_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd
