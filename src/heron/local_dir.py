"""The embedded store's folder: one SQLite database, a blob folder, the spools.

heron-runs/
  heron.db        SQLite (WAL), the Store
  blobs/          content-addressed artifact blobs (LocalArtifactStore)
  spool/<run>/    memory-mapped spool segments of runs not yet fully shipped
  cache/          artifact downloads, dataset hash caches
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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
        for folder in (self.root, self.blobs, self.spool, self.cache):
            folder.mkdir(parents=True, exist_ok=True)
        return self
