"""Each integration runs its real framework on a tiny CPU job and the test reads what
landed in a real SQLite store through ``heron.Api``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import heron
from heron.sdk import init as sdk_init

# What every test run passes to heron.init: no git/environment capture, no sampler, no
# console tee (each is tested in tests/sdk; here they would only cost time).
QUIET: dict[str, Any] = {"capture": False, "system_metrics": False, "capture_console": False}


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "heron-runs"


@pytest.fixture(autouse=True)
def _no_leftover_runs() -> Iterator[None]:
    yield
    for run in list(sdk_init._runs):
        run.finish()


def read(store_dir: Path) -> heron.Api:
    return heron.Api(store_dir)
