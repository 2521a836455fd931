"""Small file-system helpers for atomic writes (temp file + ``os.replace``)."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


def new_temp(folder: Path, prefix: str) -> tuple[int, Path]:
    """Create a fresh, exclusive temp file in ``folder``: (write fd, path).

    Not ``tempfile.mkstemp``: that creates mode 0o600, while fetched files should
    get the usual permissions (0o666 less the umask), which ``os.open`` applies.
    """
    folder.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        path = folder / f"{prefix}{secrets.token_hex(8)}.part"
        try:
            return os.open(path, flags, 0o666), path
        except FileExistsError:  # pragma: no cover - 64 random bits
            continue


def remove_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX); a no-op where folders can't be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on folders
        pass
    finally:
        os.close(fd)
