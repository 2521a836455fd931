"""The saved-view routes over the in-process app: save, list, read, rename, delete;
bad input as 4xx (never a 500); with accounts, a viewer reads and an editor writes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from heron.accounts import SqlAccounts
from heron.artifacts.local import LocalArtifactStore
from heron.server import create_app
from heron.settings import Settings
from heron.store import open_store
from heron.store.sql import SqlStore
from tests.server.asgi import app_client

API = "/api/v1"
STATE = {"workspace": {"sections": [{"name": "val", "panels": [{"kind": "line"}]}]}}


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[SqlStore]:
    """The rules' tests run on both databases (tests/service); the skin on SQLite."""
    opened = open_store(sqlite_url)
    try:
        yield opened
    finally:
        opened.close()


def _app(store: SqlStore, tmp_path: Path, auth: bool = False) -> FastAPI:
    blobs = LocalArtifactStore(tmp_path / "blobs", durable=False)
    settings = Settings(dir=tmp_path / "unused")
    return create_app(store, blobs, settings, static_dir=tmp_path / "no-ui", auth=auth)


def test_save_list_read_rename_delete(sqlite_store: SqlStore, tmp_path: Path) -> None:
    with app_client(_app(sqlite_store, tmp_path)) as client:
        url = f"{API}/projects/proj/views"
        made = client.post(url, json={"name": "overview", "state": STATE})
        assert made.status_code == 201, made.text
        view = made.json()
        assert view["state"] == STATE and view["project"] == "proj"
        [listed] = client.get(url).json()
        assert (listed["id"], listed["name"]) == (view["id"], "overview")
        assert "state" not in listed and listed["size"] > 0
        assert client.get(f"{url}/{view['id']}").json()["state"] == STATE
        patched = client.patch(f"{url}/{view['id']}", json={"name": "renamed"})
        assert patched.status_code == 200 and patched.json()["state"] == STATE
        again = client.post(url, json={"name": "renamed", "state": {}})
        assert again.status_code == 409 and "renamed" in again.json()["detail"]
        assert client.delete(f"{url}/{view['id']}").status_code == 204
        assert client.get(f"{url}/{view['id']}").status_code == 404
        assert client.get(url).json() == []


def test_bad_input_is_a_4xx(sqlite_store: SqlStore, tmp_path: Path) -> None:
    with app_client(_app(sqlite_store, tmp_path)) as client:
        url = f"{API}/projects/proj/views"
        assert client.post(url, json={"name": "", "state": {}}).status_code == 422
        assert client.post(url, json={"name": "x", "state": [1]}).status_code == 422
        assert client.post(url, json={"name": "x"}).status_code == 422
        assert client.post(url, json={"name": "x", "state": {}, "extra": 1}).status_code == 422
        padded = client.post(url, json={"name": " x", "state": {}})
        assert padded.status_code == 400 and "whitespace" in padded.json()["detail"]
        big = client.post(url, json={"name": "big", "state": {"s": "x" * 300_000}})
        assert big.status_code == 413, big.text
        assert client.get(f"{url}/nope").status_code == 404
        assert client.patch(f"{url}/0123456789abcdef", json={"name": "y"}).status_code == 404


def test_viewers_read_editors_write(sqlite_store: SqlStore, tmp_path: Path) -> None:
    book = SqlAccounts(sqlite_store)
    tokens = {}
    for name, role in (("eda", "editor"), ("vic", "viewer")):
        book.create_user(name, created_by="test")
        book.set_role(name, "proj", role)  # type: ignore[arg-type]
        tokens[name] = {"Authorization": f"Bearer {book.issue_token(name, 't').secret}"}
    with app_client(_app(sqlite_store, tmp_path, auth=True)) as client:
        url = f"{API}/projects/proj/views"
        body = {"name": "shared", "state": STATE}
        assert client.post(url, json=body, headers=tokens["vic"]).status_code == 403
        made = client.post(url, json=body, headers=tokens["eda"])
        assert made.status_code == 201, made.text
        view_id = made.json()["id"]
        assert made.json()["created_by"] == "eda"
        got = client.get(f"{url}/{view_id}", headers=tokens["vic"])
        assert got.status_code == 200 and got.json()["state"] == STATE
        rename = client.patch(f"{url}/{view_id}", json={"name": "x"}, headers=tokens["vic"])
        assert rename.status_code == 403
        assert client.delete(f"{url}/{view_id}", headers=tokens["vic"]).status_code == 403
        other = client.get(f"{API}/projects/elsewhere/views", headers=tokens["vic"])
        assert other.status_code == 403
        assert client.get(url).status_code == 401
        assert client.delete(f"{url}/{view_id}", headers=tokens["eda"]).status_code == 204
