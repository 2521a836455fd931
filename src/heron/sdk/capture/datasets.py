"""Content digests of datasets, so a run records exactly which data it saw.

The digest of a **file** is the sha256 of its bytes (what ``sha256sum`` prints). The
digest of a **folder** is the sha256 of one line per file, sorted by relative path
(code point order; ``/``-separated and Unicode NFC, so the same tree gives the same
digest on every OS)::

    <relative path> \\0 <sha256 hex of the file> \\n

so renaming, adding or removing a file changes it, and so does any byte of content.
Empty folders do not count. Symbolic links are followed (a linked file is hashed as
its target's content), but a link back into a folder already walked is not entered
again; a dangling link is skipped and counted in ``skipped``.

A file or folder that cannot be read raises (``PermissionError``...): a digest that
silently left files out would claim data the run did not check.

A folder of at most ``MANIFEST_FILES`` files also records each file's digest
(``files``: relative path -> the first 16 hex digits of its sha256), so a later check
(``heron reproduce``) can name the files that changed, came or went; a larger folder
records only the whole digest.

Hashing a large dataset twice is wasteful, so with a ``cache_dir`` each file's
digest is remembered with its size and modification time (ns), and reused while
both are unchanged. A file modified in the last ``RACY_SECONDS`` is not cached: its
mtime could still be shared by a later write of the same size.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import stat
import tempfile
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from heron.errors import InvalidInput, NotFound

log = logging.getLogger("heron.sdk.capture")

CHUNK = 1024 * 1024
RACY_SECONDS = 2.0
CACHE_VERSION = 1
MANIFEST_FILES = 1000  # a folder up to this many files records per-file digests
MANIFEST_HEX = 16  # hex digits kept per file: enough to tell a change, small in the record
_WORKERS = min(8, os.cpu_count() or 1)


@dataclass(frozen=True)
class DatasetRecord:
    path: str  # absolute
    name: str
    digest: str  # "sha256:<hex>"
    file_count: int
    bytes: int
    files_hashed: int  # read and hashed this time
    files_cached: int  # digest reused from the cache
    skipped: int = 0  # dangling symbolic links
    files: dict[str, str] | None = None  # a small folder's per-file digests (module doc)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def hash_dataset(
    path: Path, cache_dir: Path | None = None, name: str | None = None
) -> DatasetRecord:
    """The digest of the file or folder at ``path`` (see the module docstring).

    ``name`` defaults to the last part of the path. Raises
    :class:`~heron.errors.NotFound` when ``path`` does not exist and
    :class:`~heron.errors.InvalidInput` when it is neither a file nor a folder.
    """
    root = Path(os.path.abspath(os.fspath(path)))
    try:
        st = root.stat()
    except FileNotFoundError:
        raise NotFound(f"dataset path {str(root)!r} does not exist") from None
    label = name or root.name or str(root)
    if stat.S_ISREG(st.st_mode):
        files, skipped = [("", root, st)], 0
    elif stat.S_ISDIR(st.st_mode):
        files, skipped = _walk(root)
    else:
        raise InvalidInput(f"dataset path {str(root)!r} is neither a file nor a folder")

    cache = _Cache(cache_dir, root)
    digests: dict[str, str] = {}
    todo: list[tuple[str, Path, os.stat_result]] = []
    for rel, full, fst in files:
        known = cache.get(rel, fst)
        if known is None:
            todo.append((rel, full, fst))
        else:
            digests[rel] = known
    if todo:
        with ThreadPoolExecutor(max_workers=min(_WORKERS, len(todo))) as pool:
            # hashlib releases the GIL: several files hash at once
            hashed = pool.map(_file_digest, [full for _, full, _ in todo])
            for (rel, _, fst), digest in zip(todo, hashed, strict=True):
                digests[rel] = digest
                cache.put(rel, fst, digest)
    cache.save()

    manifest = None
    if stat.S_ISREG(st.st_mode):
        digest = digests[""]
    else:
        if len(digests) <= MANIFEST_FILES:
            manifest = {rel: digests[rel][:MANIFEST_HEX] for rel in sorted(digests)}
        combined = hashlib.sha256()
        for rel in sorted(digests):
            combined.update(f"{rel}\0{digests[rel]}\n".encode("utf-8", "surrogateescape"))
        digest = combined.hexdigest()
    return DatasetRecord(
        path=str(root),
        name=label,
        digest=f"sha256:{digest}",
        file_count=len(files),
        bytes=sum(fst.st_size for _, _, fst in files),
        files_hashed=len(todo),
        files_cached=len(files) - len(todo),
        skipped=skipped,
        files=manifest,
    )


def changed_files(recorded: dict[str, str], now: dict[str, str]) -> list[str]:
    """What differs between two manifests, one entry per file: ``changed a.csv``,
    ``added b.csv``, ``removed c.csv`` (sorted by path)."""
    out = []
    for rel in sorted(set(recorded) | set(now)):
        if rel not in now:
            out.append(f"removed {rel}")
        elif rel not in recorded:
            out.append(f"added {rel}")
        elif recorded[rel] != now[rel][: len(recorded[rel])]:
            out.append(f"changed {rel}")
    return out


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(view):
            h.update(view[:n])
    return h.hexdigest()


def _walk(root: Path) -> tuple[list[tuple[str, Path, os.stat_result]], int]:
    """(relative path, path, stat) of every regular file under ``root``, and the number
    of dangling links. A folder reached twice through links is walked once."""
    files: list[tuple[str, Path, os.stat_result]] = []
    skipped = 0
    seen: set[tuple[int, int]] = set()
    stack = [(str(root), "")]
    while stack:
        folder, prefix = stack.pop()
        fst = os.stat(folder)
        if (fst.st_dev, fst.st_ino) in seen:
            continue  # a link loop, or a second link to the same folder
        seen.add((fst.st_dev, fst.st_ino))
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    est = entry.stat()  # follows links
                except FileNotFoundError:
                    skipped += 1  # a dangling link
                    continue
                rel = unicodedata.normalize("NFC", prefix + entry.name)
                if stat.S_ISDIR(est.st_mode):
                    stack.append((entry.path, rel + "/"))
                elif stat.S_ISREG(est.st_mode):
                    files.append((rel, Path(entry.path), est))
    return files, skipped


class _Cache:
    """file relative path -> [size, mtime_ns, digest], one JSON file per dataset root."""

    def __init__(self, cache_dir: Path | None, root: Path) -> None:
        self.file: Path | None = None
        self.root = str(root)
        self.entries: dict[str, list[Any]] = {}
        self.fresh: dict[str, list[Any]] = {}
        self.racy_after = time.time_ns() - int(RACY_SECONDS * 1e9)
        if cache_dir is None:
            return
        key = hashlib.sha256(str(root).encode("utf-8", "surrogateescape")).hexdigest()[:24]
        self.file = Path(cache_dir) / f"dataset-{key}.json"
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
            if data.get("version") == CACHE_VERSION and data.get("root") == self.root:
                self.entries = dict(data["files"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass  # no cache yet, or an unreadable one: start over

    def get(self, rel: str, st: os.stat_result) -> str | None:
        entry = self.entries.get(rel)
        if (
            isinstance(entry, list)
            and len(entry) == 3
            and entry[0] == st.st_size
            and entry[1] == st.st_mtime_ns
            and isinstance(entry[2], str)
        ):
            self.fresh[rel] = entry
            return entry[2]
        return None

    def put(self, rel: str, st: os.stat_result, digest: str) -> None:
        if st.st_mtime_ns < self.racy_after:
            self.fresh[rel] = [st.st_size, st.st_mtime_ns, digest]

    def save(self) -> None:
        """Write the entries of this walk (files gone since are dropped), atomically."""
        if self.file is None or self.fresh == self.entries:
            return
        data = {"version": CACHE_VERSION, "root": self.root, "files": self.fresh}
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.file.parent, prefix=".dataset-", suffix=".tmp")
        except OSError as exc:
            log.warning("heron: cannot write the dataset hash cache in %s: %s", self.file, exc)
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, separators=(",", ":"))
            os.replace(tmp, self.file)  # atomic: concurrent ranks never see half a file
        except OSError as exc:
            log.warning("heron: cannot write the dataset hash cache %s: %s", self.file, exc)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
