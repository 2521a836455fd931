from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import heron
from heron.sdk import init as sdk_init


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
