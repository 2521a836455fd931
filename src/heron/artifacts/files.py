"""From local files to artifact paths and back.

:func:`collect` lists what logging a file or folder would store. Its rules:

* Paths inside the artifact are relative, ``/``-separated and checked by
  :func:`heron.keys.check_artifact_path`; a file whose name cannot be one (a
  backslash or control character in it) fails the whole call with UnsafePath rather
  than silently going missing.
* A symlink to a file is followed only if its target lies inside the folder being
  logged (the link's own path is used, the target's bytes stored). A link that
  points outside, or is broken, is skipped: logging a folder must not pick up
  ``~/.ssh`` through a stray link.
* Symlinks to folders are never followed (no loops, no duplicated trees); they are
  skipped. So are sockets, FIFOs and devices (reading a FIFO would hang).
* Every skip is reported with a :class:`SkippedFileWarning` (``warnings.warn``), so
  users see it and can filter it by category.

:func:`materialize` writes an artifact's files into a folder, refusing any path
that would land outside it, including through symlinks already in the folder;
:func:`materialize_version` does so for an artifact version and returns what a user
asked for: the file itself for a version logged from one file, else the folder.
"""

from __future__ import annotations

import os
import stat
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from heron.artifacts.base import BlobStore
from heron.artifacts.digest import file_digest, parse_digest
from heron.errors import InvalidInput, UnsafePath
from heron.keys import check_artifact_path

if TYPE_CHECKING:  # only attributes are used; keeps heron.store out of this import
    from heron.store.base import ArtifactVersion, FileEntry


class SkippedFileWarning(UserWarning):
    """A file or link inside a logged folder was left out (see heron.artifacts.files)."""


def collect(path: Path, name_prefix: str = "") -> list[tuple[str, Path]]:
    """(artifact path, source file) pairs for logging ``path``, sorted by artifact path.

    A file is stored as ``name_prefix/<its name>``; a folder's files as
    ``name_prefix/<path relative to the folder>``. An empty prefix means the top.
    """
    path = Path(path)
    # A trailing "/" is tolerated ("models/"); "/" alone or "/abs" are not.
    prefix = check_artifact_path(name_prefix.removesuffix("/")) + "/" if name_prefix else ""
    if not path.exists():
        raise FileNotFoundError(f"nothing to log at {path}: no such file or folder")
    if path.is_file():
        return [(check_artifact_path(prefix + path.name), path)]
    if not path.is_dir():
        raise InvalidInput(f"{path} is neither a regular file nor a folder")

    found, skipped = _walk(path)
    for why in skipped:
        warnings.warn(why, SkippedFileWarning, stacklevel=2)
    out: dict[str, Path] = {}
    for rel, source in found:
        name = check_artifact_path(prefix + rel)
        if name in out:  # two names equal after Unicode normalisation
            raise UnsafePath(f"{out[name]} and {source} would both be stored as {name!r}")
        out[name] = source
    return sorted(out.items())


def _walk(root: Path) -> tuple[list[tuple[str, Path]], list[str]]:
    """(relative path, file) for the files under ``root`` by the link rules, and the skips."""
    real_root = root.resolve()
    found: list[tuple[str, Path]] = []
    skipped: list[str] = []
    pending: list[tuple[Path, str]] = [(root, "")]
    while pending:
        folder, rel = pending.pop()
        with os.scandir(folder) as it:
            entries = list(it)
        for entry in entries:
            child, child_rel = Path(entry.path), rel + entry.name
            if entry.is_symlink():
                target = _link_target(child, real_root)
                if isinstance(target, Path):
                    found.append((child_rel, target))
                else:
                    skipped.append(f"not logging {child}: {target}")
            elif entry.is_dir(follow_symlinks=False):
                pending.append((child, child_rel + "/"))
            elif entry.is_file(follow_symlinks=False):
                found.append((child_rel, child))
            else:
                skipped.append(f"not logging {child}: it is not a regular file (socket, FIFO...)")
    return found, skipped


def _link_target(link: Path, real_root: Path) -> Path | str:
    """The file a symlink points to if it may be logged, else why not."""
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError):  # broken, or a loop of links
        return "it is a broken symlink"
    if target.is_dir():
        return "symlinks to folders are not followed"
    if not target.is_relative_to(real_root):
        return f"it is a symlink to {target}, outside the folder being logged"
    if not target.is_file():
        return "it links to something that is not a regular file"
    return target


def materialize(files: Sequence[FileEntry], store: BlobStore, dest: Path) -> Path:
    """Write ``files`` into ``dest`` (created if needed) and return ``dest``.

    Every path is checked before anything is written: UnsafePath if it is not a
    valid artifact path or would resolve outside ``dest`` (through a symlink already
    there, say). Files already present with the right digest are kept (``dest``
    works as a cache); others are fetched, digest-checked, and replaced atomically.
    Files in ``dest`` that are not in ``files`` are left alone.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    plan = _plan(files, dest)
    for entry, target in plan:
        if _is_current(target, entry):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        store.fetch(entry.digest, target)
    return dest


def materialize_version(version: ArtifactVersion, store: BlobStore, dest: Path) -> Path:
    """Write ``version``'s files into ``dest`` (see :func:`materialize`) and return the
    path a user wants: the file itself for a version logged from a single file
    (``version.single_file``), else ``dest``."""
    folder = materialize(version.files, store, dest)
    if version.single_file and len(version.files) == 1:
        return folder / check_artifact_path(version.files[0].path)
    return folder


def _plan(files: Sequence[FileEntry], dest: Path) -> list[tuple[FileEntry, Path]]:
    real_dest = dest.resolve()
    plan: list[tuple[FileEntry, Path]] = []
    seen: set[str] = set()
    for entry in files:
        rel = check_artifact_path(entry.path)
        parse_digest(entry.digest)
        if rel in seen:
            raise InvalidInput(f"artifact path {rel!r} appears twice")
        seen.add(rel)
        target = dest / rel
        try:
            real = target.resolve()
        except (OSError, RuntimeError) as e:  # a symlink loop in dest
            raise UnsafePath(f"artifact path {rel!r} cannot be resolved in {dest}: {e}") from e
        if not real.is_relative_to(real_dest):
            raise UnsafePath(
                f"artifact path {rel!r} would be written to {real}, outside {real_dest} "
                "(a symlink in the destination leads out); refusing"
            )
        plan.append((entry, target))
    for rel in seen:  # "a" and "a/b" cannot both be files
        parent = rel.rpartition("/")[0]
        while parent:
            if parent in seen:
                raise InvalidInput(f"artifact path {parent!r} is both a file and a folder")
            parent = parent.rpartition("/")[0]
    return plan


def _is_current(target: Path, entry: FileEntry) -> bool:
    """Whether ``target`` is already a plain file with the entry's bytes (the cache hit)."""
    try:
        st = os.lstat(target)
    except (FileNotFoundError, NotADirectoryError):
        return False
    # A symlink is never a hit: it is replaced by a real file (os.replace won't follow it).
    if not stat.S_ISREG(st.st_mode) or st.st_size != entry.size:
        return False
    return file_digest(target) == entry.digest


def cache_folder(root: Path, version: ArtifactVersion, what: str) -> Path:
    """``root/sha256-<hex>``: where ``version`` is cached, once its digest and every
    file's path and digest are known safe to build paths from; UnsafePath (naming
    ``what``) before anything touches the disk.

    They come from the store, which may be a server: a digest such as
    ``sha256:../../x`` would otherwise name a folder outside the cache."""
    try:
        hex_digest = parse_digest(version.digest)
    except InvalidInput:
        raise UnsafePath(
            f"{what}: the store answered artifact digest {_shown(version.digest)}, which "
            "is not 'sha256:' and 64 lowercase hex digits; refusing to use it as a cache "
            "folder (a server answering this is faulty or hostile)"
        ) from None
    for entry in version.files:
        try:
            check_artifact_path(entry.path)
        except InvalidInput as exc:
            raise UnsafePath(f"{what}: the store answered an unsafe file path: {exc}") from None
        try:
            parse_digest(entry.digest)
        except InvalidInput:
            raise UnsafePath(
                f"{what}: the store answered file {entry.path!r} with digest "
                f"{_shown(entry.digest)}, which is not 'sha256:' and 64 lowercase hex "
                "digits; refusing to use it"
            ) from None
    return root / f"sha256-{hex_digest}"


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 100 else text[:100] + "..."
