"""Serving the built web UI: files, SPA fallback, cache headers, and the unbuilt page."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from heron.artifacts.local import LocalArtifactStore
from heron.server import create_app
from heron.settings import Settings
from heron.store.sql import SqlStore
from tests.server.asgi import AppClient, app_client


@pytest.fixture
def built(tmp_path: Path) -> Path:
    static = tmp_path / "static"
    (static / "assets").mkdir(parents=True)
    (static / "index.html").write_text("<html>heron ui</html>")
    (static / "assets" / "app-3f2a1b.js").write_text("console.log(1)")
    (static / "favicon.svg").write_text("<svg/>")
    (tmp_path / "outside.txt").write_text("secret")
    return static


@pytest.fixture
def ui_client(store: SqlStore, tmp_path: Path, built: Path) -> AppClient:
    app: FastAPI = create_app(
        store, LocalArtifactStore(tmp_path / "blobs"), Settings(dir=tmp_path), static_dir=built
    )
    with app_client(app) as client:
        yield client  # type: ignore[misc]


@pytest.fixture
def store_url(sqlite_url: str) -> str:
    return sqlite_url  # serving files does not touch the store


def test_files_and_cache_headers(ui_client: AppClient) -> None:
    index = ui_client.get("/")
    assert index.text == "<html>heron ui</html>" and index.headers["cache-control"] == "no-cache"
    asset = ui_client.get("/assets/app-3f2a1b.js")
    assert asset.text == "console.log(1)" and "immutable" in asset.headers["cache-control"]
    assert "javascript" in asset.headers["content-type"]
    assert ui_client.get("/favicon.svg").headers["content-type"].startswith("image/svg")


def test_spa_fallback_but_not_for_the_api(ui_client: AppClient) -> None:
    assert ui_client.get("/projects/cifar/runs/abc").text == "<html>heron ui</html>"
    api = ui_client.get("/api/v1/nothing")
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
    assert ui_client.post("/somewhere").status_code == 404


def test_no_file_outside_the_build(ui_client: AppClient) -> None:
    for path in ("/..%2foutside.txt", "/assets/..%2f..%2foutside.txt", "/%2e%2e/outside.txt"):
        assert "secret" not in ui_client.get(path).text


def test_unbuilt_ui_says_how_to_build(store: SqlStore, tmp_path: Path) -> None:
    app = create_app(
        store,
        LocalArtifactStore(tmp_path / "b"),
        Settings(dir=tmp_path),
        static_dir=tmp_path / "none",
    )
    with app_client(app) as client:
        page = client.get("/")
        assert page.status_code == 200 and "./scripts/setup" in page.text
        assert "./scripts/setup" in client.get("/runs/x").text
