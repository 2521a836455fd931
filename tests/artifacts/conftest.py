from __future__ import annotations

from pathlib import Path

import pytest

from heron.artifacts import LocalArtifactStore


@pytest.fixture
def store(tmp_path: Path) -> LocalArtifactStore:
    """Here ``store`` is a blob store; it overrides the SQL ``store`` of tests/conftest.py."""
    return LocalArtifactStore(tmp_path / "blobs")
