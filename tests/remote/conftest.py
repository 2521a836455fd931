"""Remote tests run the real SDK against real ``heron server`` subprocesses on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.server.conftest import LiveServer, ServerFactory, free_port, server_process

__all__ = ["LiveServer", "ServerFactory", "free_port", "server_process"]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'server' / 'heron.db'}"


@pytest.fixture
def live(server_process: ServerFactory, sqlite_url: str, tmp_path: Path) -> LiveServer:
    """One server on a SQLite store with local blobs."""
    (tmp_path / "server").mkdir(exist_ok=True)
    return server_process(sqlite_url, tmp_path / "server" / "blobs")
