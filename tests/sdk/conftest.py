from __future__ import annotations

import mmap
import os
import struct
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import heron
from heron.connect import connect
from heron.local_dir import LocalDir
from heron.sdk import init as sdk_init
from heron.sdk.backend import LocalBackend
from heron.sdk.recovery import recover_all
from heron.settings import Settings


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "heron-runs"


@pytest.fixture(autouse=True)
def _no_leftover_runs() -> Iterator[None]:
    yield
    for run in list(sdk_init._runs):
        run.finish()


def start_run(store_dir: Path, **kwargs: object) -> heron.Run:
    options: dict[str, object] = {"project": "test", "system_metrics": False, "capture": False}
    options.update(kwargs)
    return heron.init(dir=store_dir, **options)  # type: ignore[arg-type]


def script(tmp_path: Path, body: str, name: str = "train.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def run_python(
    path: Path,
    *args: str,
    timeout: float = 120,
    check: bool = False,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, str(path), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=check,
        env=full_env,
        cwd=path.parent,
    )


def counter_value(path: Path) -> int:
    """The 8-byte count a killed child kept in a memory-mapped file (what it got back)."""
    with path.open("r+b") as f:
        return int(struct.unpack("<q", mmap.mmap(f.fileno(), 8)[:8])[0])


@contextmanager
def local_backend(store_dir: Path) -> Iterator[LocalBackend]:
    """A backend on the embedded store in ``store_dir`` (created if need be)."""
    folder = LocalDir.at(store_dir)
    conn = connect(folder.root, settings=Settings(), create=True)
    store, blobs = conn.maintenance()
    try:
        yield LocalBackend(folder, store, blobs)
    finally:
        conn.close()


@contextmanager
def recovered(store_dir: Path) -> Iterator[LocalBackend]:
    """The store in ``store_dir`` after shipping what dead processes left in its spool."""
    with local_backend(store_dir) as backend:
        done = recover_all(backend.folder.spool, backend)
        assert not done.failed, done.failed
        yield backend
