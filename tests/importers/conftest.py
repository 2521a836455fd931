"""A fresh embedded Heron store, written through the service like the CLI does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from heron.connect import Connection, connect
from heron.service import Tracking


@pytest.fixture
def heron(tmp_path: Path) -> Iterator[Connection]:
    with connect(tmp_path / "heron-runs", create=True) as conn:
        yield conn


@pytest.fixture
def tracking(heron: Connection) -> Tracking:
    return Tracking(heron.store, heron.blobs)
