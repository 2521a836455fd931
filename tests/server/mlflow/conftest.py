"""One real ``heron server`` per module for the MLflow client to talk to."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest

from tests.server.conftest import LiveServer, free_port


@pytest.fixture(scope="module")
def heron_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("mlflow-heron")
    live = LiveServer(
        f"sqlite:///{root / 'heron.db'}", str(root / "blobs"), free_port(), root / "server.log"
    )
    live.start()
    yield live
    live.kill9()


@pytest.fixture
def tracking_uri(heron_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """MLFLOW_TRACKING_URI pointing at Heron, the fluent API's globals reset after."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", heron_server.url)
    mlflow.set_tracking_uri(heron_server.url)
    yield heron_server.url
    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.set_tracking_uri(None)  # type: ignore[arg-type]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path
